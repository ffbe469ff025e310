// `rbk plan NAME` / `rbk run --dry-run`: what a run would do, without doing
// any of it. Every section in execution order, every step with its exact
// command text and the variables it would receive (parameters with their
// values, secrets masked, captures named with the step that makes them, the
// RBK_* variables), every gate, every branch (`when cause.stopped → restart`),
// every escalation with its time. Nothing is executed: no command, no secret
// command, no notification.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/plan/plan_types.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/sema/expand.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// A runbook a `call` names, as the planner reads it.
struct PlannedCallee {
  const ast::Runbook* runbook = nullptr;
  const Imports* imports = nullptr;  // its own, resolved
  std::string file;
};

/// Finds the runbook a `call` names (as `rbk run` would); nullopt when it
/// cannot be found or read.
using CalleeFinder = std::function<std::optional<PlannedCallee>(const std::string& name)>;

/// Everything the planner reads.
struct PlanInput {
  /// Called runbooks, for the gates and undo blocks a `call` brings; may be
  /// empty (a call then shows only its arguments).
  CalleeFinder find_callee;
  const ast::Runbook* runbook = nullptr;
  const Imports* imports = nullptr;
  const BoundParams* params = nullptr;  // missing required ones: "<required, not given>"
  const Config* config = nullptr;
  const DestructivePatterns* patterns = nullptr;
  std::string file;  // the runbook's path, for the header
  /// Secret values known without running anything (see env_secret_values):
  /// masked wherever they appear, e.g. inside a parameter's value, as are
  /// the config's redaction patterns. A command's secret cannot be known
  /// without running its command, so a plan cannot mask it.
  std::vector<std::string> secret_values;
  /// `--target` names (hosts and groups of the config's targets): every step
  /// `on` targets shows only those of its hosts, as a run would narrow it.
  std::vector<std::string> only_targets;
};

/// The values of the runbook's secrets that are read from the environment
/// (reading them runs nothing); unset ones are left out.
std::vector<std::string> env_secret_values(const ast::Runbook& rb);

/// The plan as data (plan_json writes it for `rbk plan --format json`).
/// Sections come in execution order, each signal/step/check with its gate,
/// its statements (`use` flattened, `from_use` indexing the step's `uses`)
/// and, per command, the `env` it would receive. Strings and conditions are
/// as written; every string is masked (secret values known without running
/// anything, the config's redaction patterns). Null imports, config or
/// patterns read as none / rbk's defaults; a null runbook gives an empty Plan.
Plan make_plan(const PlanInput& in);

/// The plan as text for a reader (no colour, no terminal control codes),
/// rendered from the Plan alone, so the text and the JSON cannot disagree.
std::string render_plan(const Plan& plan);

}  // namespace rbk
