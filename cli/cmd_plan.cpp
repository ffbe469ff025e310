// `rbk plan NAME|FILE` and `rbk run --dry-run NAME|FILE`: what a run would
// do, without doing any of it. Nothing here starts a process: no command, no
// secret command, no notification command. Loading (rbk.yaml, the runbook
// path, parse, check, -p) is shared with `rbk run`, so both refuse the same
// input with the same messages.
#include <map>
#include <optional>
#include <set>

#include "cli/commands.hpp"
#include "cli/load_runbook.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/plan/plan.hpp"
#include "interpreter/plan/plan_json.hpp"
#include "interpreter/plan/show.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/sema/expand.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

namespace {

/// The plan of the runbook `opts` names; nullopt after printing why not.
std::optional<Plan> plan_of(const RunOptions& opts) {
  // Called runbooks are found as `rbk run` finds them (the runbook path,
  // then the caller's folder), so the plan lists the gates they will ask.
  CalledRunbooks called;
  std::map<std::string, Imports> callee_imports;
  std::unique_ptr<RunTarget> target = load_run_target(opts.target, opts.params);
  if (!target) return std::nullopt;  // what went wrong is already on stderr
  // A host or group rbk.yaml does not declare is refused as `rbk run` refuses it.
  std::set<std::string> only;
  if (!check_targets(*target, opts.targets, only)) return std::nullopt;
  const LoadedRunbook* loaded = target->runbook.get();

  std::vector<std::string> import_errors;
  Imports imports = resolve_imports(*loaded->parsed.document, *loaded->modules, import_errors);
  if (!import_errors.empty()) {
    for (const auto& e : import_errors)
      write(stderr, "rbk: error: " + loaded->file + ":" + e + "\n");
    return std::nullopt;
  }

  // Missing required parameters are not an error here: the plan shows them.
  PlanInput in;
  in.runbook = loaded->parsed.document->runbook();
  in.imports = &imports;
  in.params = &target->params;
  in.config = &loaded->scope.config;
  in.patterns = &target->patterns;
  in.file = loaded->file;
  in.secret_values = env_secret_values(*in.runbook);
  in.only_targets = opts.targets;
  const std::vector<std::string> search = loaded->call_path();
  in.find_callee = [&](const std::string& name) -> std::optional<PlannedCallee> {
    auto doc = called.find(search, name);
    if (!doc || !*doc || !(*doc)->runbook()) return std::nullopt;
    auto it = callee_imports.find(name);
    if (it == callee_imports.end()) {
      std::vector<std::string> errors;  // the run would fail the call step; the plan shows less
      it = callee_imports.emplace(name, resolve_imports(**doc, *loaded->modules, errors)).first;
    }
    return PlannedCallee{.runbook = (*doc)->runbook(),
                         .imports = &it->second,
                         .file = (*doc)->source ? display_path((*doc)->source->path()) : name};
  };
  return make_plan(in);
}

}  // namespace

int run_plan(const RunOptions& opts) {
  auto plan = plan_of(opts);
  if (!plan) return kExitUsage;
  if (opts.format == "json")
    write(stdout, json_text(plan_json(*plan), 2) + "\n");
  else
    write(stdout, render_plan(*plan));
  return kExitOk;
}

int run_show(const RunOptions& opts) {
  auto plan = plan_of(opts);
  if (!plan) return kExitUsage;
  if (opts.format == "json")
    write(stdout, json_text(plan_json(*plan), 2) + "\n");
  else
    write(stdout, render_markdown(*plan));
  return kExitOk;
}

}  // namespace rbk::cli
