// `rbk plan NAME|FILE` and `rbk run --dry-run NAME|FILE`: what a run would
// do, without doing any of it. Nothing here starts a process: no command, no
// secret command, no notification command. Loading (rbk.yaml, the runbook
// path, parse, check, -p) is shared with `rbk run`, so both refuse the same
// input with the same messages.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/load_runbook.hpp"
#include "cli/terminal.hpp"
#include "interpreter/expand.hpp"
#include "interpreter/plan.hpp"

namespace rbk::cli {

int run_plan(const RunOptions& opts) {
  std::unique_ptr<LoadedRunbook> loaded = load_runbook(opts.target, opts.params);
  if (!loaded) return kExitUsage;  // what went wrong is already on stderr

  std::vector<std::string> import_errors;
  Imports imports = resolve_imports(*loaded->parsed.document, *loaded->modules, import_errors);
  if (!import_errors.empty()) {
    for (const auto& e : import_errors)
      write(stderr, "rbk: error: " + loaded->file + ":" + e + "\n");
    return kExitUsage;
  }

  // Missing required parameters are not an error here: the plan shows them.
  PlanInput in;
  in.runbook = loaded->parsed.document->runbook();
  in.imports = &imports;
  in.params = &loaded->params;
  in.config = &loaded->config;
  in.patterns = &loaded->patterns;
  in.file = loaded->file;
  nlohmann::json plan = make_plan(in);
  if (opts.format == "json")
    write(stdout, plan.dump(2) + "\n");
  else
    write(stdout, render_plan(plan));
  return kExitOk;
}

}  // namespace rbk::cli
