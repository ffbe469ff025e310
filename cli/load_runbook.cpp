#include "cli/load_runbook.hpp"

#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"

namespace rbk::cli {

std::unique_ptr<RunTarget> load_run_target(const std::string& target,
                                           const std::vector<std::string>& param_args) {
  auto out = std::make_unique<RunTarget>();
  auto workspace = open_workspace();
  if (!workspace) return nullptr;
  auto loaded = workspace->load_runbook(target);
  if (!loaded) {
    print_problem(loaded.error());
    return nullptr;
  }
  out->runbook = std::move(*loaded);
  print_diagnostics(out->runbook->warnings);
  std::vector<ParamArg> args;
  for (const auto& a : param_args) {
    ParamArg pa;
    if (!split_param_arg(a, pa)) {
      write(stderr, "rbk: error: -p " + a + ": expected NAME=VALUE\n");
      return nullptr;
    }
    args.push_back(std::move(pa));
  }
  out->params = bind_params(*out->runbook->parsed.document->runbook(), args);
  if (!out->params.errors.empty()) {
    for (const auto& e : out->params.errors) write(stderr, "rbk: error: " + e + "\n");
    return nullptr;
  }
  auto patterns = load_patterns();
  if (!patterns) {
    print_problem(patterns.error());
    return nullptr;
  }
  out->patterns = std::move(*patterns);
  return out;
}

bool check_targets(const RunTarget& rb, const std::vector<std::string>& given,
                   std::set<std::string>& filter) {
  const Targets& t = rb.runbook->scope.config.targets;
  auto unknown = [&](const std::string& what, const std::string& name) {
    std::string hint = did_you_mean(name, t.names());
    const std::string all = join(t.names());
    write(stderr, "rbk: error: " + what + ": unknown host or group '" + name + "'\nhelp: " +
                      (!hint.empty() ? hint
                       : all.empty() ? std::string("rbk.yaml declares no targets")
                                     : "the hosts and groups: " + all) +
                      "\n");
    return false;
  };
  for (const auto& name : given) {
    auto ids = t.resolve(name);
    if (!ids) return unknown("--target " + name, name);
    filter.insert(ids->begin(), ids->end());
  }
  for (const ast::Param* p : declared_params(*rb.runbook->parsed.document->runbook())) {
    if (p->type.kind != ast::TypeKind::Targets) continue;
    auto v = rb.params.values.find(p->name.name);
    if (v == rb.params.values.end()) continue;
    for (const auto& item : v->second.items)
      if (!t.resolve(item.text)) return unknown("parameter " + p->name.name, item.text);
  }
  return true;
}

}  // namespace rbk::cli
