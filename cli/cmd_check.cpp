// `rbk check PATH…`
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

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
    write(stdout,
          json_text({{"files", files.size()}, {"errors", errors}, {"diagnostics", all}}, 2) + "\n");
  } else if (errors > 0) {
    write(stderr, std::to_string(errors) + (errors == 1 ? " error" : " errors") + " in " +
                      std::to_string(files.size()) + (files.size() == 1 ? " file\n" : " files\n"));
  }
  return errors > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
