// Reads rbk's CLI11 definition into a CliSpec (cli_model.hpp). The kind of
// each value comes from the option's name: the names are rbk's own and
// stable (docs/cli.md), and one table here says which is which.
#include "cli/cli_model.hpp"

#include <CLI/CLI.hpp>

#include <map>

#include "interpreter/base/names.hpp"

namespace rbk::cli {

namespace {

/// What each option or positional of rbk takes, by its name.
ValueKind kind_of(const std::string& name) {
  static const std::map<std::string, ValueKind> kinds = {
      {"runbook", ValueKind::Runbook},    {"param", ValueKind::Param},
      {"approve", ValueKind::Step},       {"assume-done", ValueKind::Step},
      {"assume-failed", ValueKind::Step}, {"target", ValueKind::Target},
      {"run_id", ValueKind::Run},         {"record-fixture", ValueKind::File},
      {"output", ValueKind::File},        {"file", ValueKind::File},
      {"paths", ValueKind::Path},         {"command", ValueKind::Command},
  };
  auto it = kinds.find(name);
  return it == kinds.end() ? ValueKind::Text : it->second;
}

/// The values an IsMember check accepts, from its description ("{text,json}").
std::vector<std::string> choices_of(CLI::Option* opt) {
  std::vector<std::string> out;
  for (int i = 0;; ++i) {
    CLI::Validator* v = nullptr;
    try {
      v = opt->get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      break;
    }
    const std::string d = v->get_description();
    if (d.size() < 2 || d.front() != '{' || d.back() != '}') continue;
    std::string item;
    for (char c : d.substr(1, d.size() - 2)) {
      if (c == ',') {
        out.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
    out.push_back(item);
  }
  return out;
}

std::string value_name(const OptionSpec& o, CLI::Option* opt) {
  if (o.long_name == "answer") return "NAME=VALUE";
  switch (o.kind) {
    case ValueKind::Param:
      return "NAME=VALUE";
    case ValueKind::Step:
      return "STEP";
    case ValueKind::Target:
      return "HOST|GROUP";
    case ValueKind::Run:
      return "RUN_ID";
    case ValueKind::File:
      return "FILE";
    case ValueKind::Path:
      return "PATH";
    case ValueKind::Runbook:
      return "NAME|FILE";
    case ValueKind::Command:
      return "COMMAND";
    case ValueKind::Choice:
      return join(o.choices, "|");
    default: {
      // CLI11's own ("INT", "TEXT"), without the validators it appends.
      std::string t = opt->get_type_name();
      return t.substr(0, t.find(':'));
    }
  }
}

OptionSpec option_spec(CLI::Option* opt) {
  OptionSpec o;
  o.positional = !opt->nonpositional();
  if (o.positional) {
    o.long_name = opt->get_name();
  } else {
    if (!opt->get_snames().empty()) o.short_name = opt->get_snames().front();
    if (!opt->get_lnames().empty()) o.long_name = opt->get_lnames().front();
  }
  o.flag = opt->get_expected_max() == 0;  // add_flag sets expected(0)
  o.required = opt->get_required();
  o.repeatable = !o.flag && opt->get_items_expected_max() > 1;
  o.help = opt->get_description();
  o.default_value = opt->get_default_str();
  if (!o.flag) {
    o.choices = choices_of(opt);
    o.kind = o.choices.empty() ? kind_of(o.long_name) : ValueKind::Choice;
    o.value_name = value_name(o, opt);
  }
  return o;
}

std::vector<OptionSpec> options_of(CLI::App& app) {
  std::vector<OptionSpec> opts, positionals;
  for (CLI::Option* opt : app.get_options({})) {
    OptionSpec o = option_spec(opt);
    (o.positional ? positionals : opts).push_back(std::move(o));
  }
  opts.insert(opts.end(), positionals.begin(), positionals.end());
  return opts;
}

}  // namespace

CliSpec describe(CLI::App& app) {
  CliSpec spec;
  spec.name = app.get_name();
  spec.help = app.get_description();
  spec.version = RBK_VERSION;
  spec.global = options_of(app);
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) continue;  // internal (__complete)
    spec.commands.push_back({sub->get_name(), sub->get_description(), options_of(*sub)});
  }
  return spec;
}

}  // namespace rbk::cli
