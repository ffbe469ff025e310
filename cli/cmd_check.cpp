// `rbk check PATH…`
#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

namespace {

/// An inventory variable rbk does not use, where it is.
struct Ignored {
  std::string file;
  int line = 0, column = 0;
  std::string name;
};

/// Targets::ignored's "FILE:LINE:COL: NAME" apart (a NAME holds no ':' or
/// space: the inventory refuses one); nullopt for anything else.
std::optional<Ignored> parse_ignored(const std::string& entry) {
  const size_t sep = entry.rfind(": ");
  if (sep == std::string::npos || sep == 0) return std::nullopt;
  const size_t col = entry.rfind(':', sep - 1);
  if (col == std::string::npos || col == 0) return std::nullopt;
  const size_t line = entry.rfind(':', col - 1);
  if (line == std::string::npos) return std::nullopt;
  auto number = [&](size_t from, size_t to) {
    const std::string digits = entry.substr(from, to - from);
    const bool ok = !digits.empty() && digits.size() < 9 &&
                    digits.find_first_not_of("0123456789") == std::string::npos;
    return ok ? std::stoi(digits) : -1;
  };
  Ignored out{entry.substr(0, line), number(line + 1, col), number(col + 1, sep),
              entry.substr(sep + 2)};
  if (out.line < 0 || out.column < 0) return std::nullopt;
  return out;
}

/// `--verbose`: the inventory variables ignored by the rbk.yaml each file is
/// checked under (the nearest to it), each once, so that nothing in a team's
/// inventory is dropped silently. nullopt after printing why an
/// rbk.yaml cannot be read.
std::optional<std::vector<Ignored>> ignored_variables(const std::vector<std::string>& files) {
  auto project = open_workspace();
  if (!project) return std::nullopt;
  std::vector<Ignored> out;
  std::set<const ProjectScope*> seen;
  std::set<std::string> listed;  // two rbk.yaml files may read one inventory
  for (const auto& file : files) {
    Diagnostics warnings;
    auto scope = project->scope_for(file, warnings);
    print_diagnostics(warnings);
    if (!scope) {
      print_problem(scope.error());
      return std::nullopt;
    }
    if (!seen.insert(*scope).second) continue;
    for (const std::string& entry : (*scope)->config.targets.ignored)
      if (auto i = parse_ignored(entry); i && listed.insert(entry).second)
        out.push_back(std::move(*i));
  }
  return out;
}

}  // namespace

int run_check(const CheckOptions& opts) {
  std::vector<std::string> missing;
  std::vector<std::string> files = expand_paths(opts.paths, missing);
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  if (files.empty()) {
    // An empty result is almost always a wrong path in a CI job: say so
    // rather than pass silently.
    write(stderr, "rbk: error: no .rbk files found in the given paths\n");
    return kExitUsage;
  }

  std::optional<std::vector<Ignored>> ignored;
  if (opts.verbose && !(ignored = ignored_variables(files))) return kExitUsage;

  const bool json_out = opts.format == "json";
  const bool color = !json_out && use_color(stderr);
  nlohmann::json all = nlohmann::json::array();
  size_t errors = 0;
  FileModuleLoader loader;
  for (const auto& path : files) {
    const Diagnostics diags = load_file(path, loader).diagnostics;
    for (const auto& d : diags) {
      if (d.severity == Severity::Error) ++errors;
      if (json_out)
        all.push_back(to_json(d));
      else
        write(stderr, render(d, color));
    }
  }
  if (json_out) {
    nlohmann::json doc = {{"files", files.size()}, {"errors", errors}, {"diagnostics", all}};
    if (ignored) {
      doc["ignored"] = nlohmann::json::array();
      for (const auto& i : *ignored)
        doc["ignored"].push_back(
            {{"file", i.file}, {"line", i.line}, {"column", i.column}, {"variable", i.name}});
    }
    write(stdout, json_text(doc, 2) + "\n");
  } else {
    if (errors > 0)
      write(stderr, std::to_string(errors) + (errors == 1 ? " error" : " errors") + " in " +
                        std::to_string(files.size()) +
                        (files.size() == 1 ? " file\n" : " files\n"));
    for (const auto& i : ignored.value_or(std::vector<Ignored>{}))
      write(stderr,
            printable(i.file + ":" + std::to_string(i.line) + ":" + std::to_string(i.column) +
                      ": note: ansible variable '" + i.name + "' is not used by rbk") +
                "\n");
  }
  return errors > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
