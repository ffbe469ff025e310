// What `rbk run` and `rbk plan` do before anything runs: load the runbook
// through the Workspace, bind the -p parameters, read the destructive-command
// patterns. Every problem is printed; the caller exits with the usage code.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "interpreter/project/destructive.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

/// A runbook with its parameters, ready to run or plan.
struct RunTarget {
  std::unique_ptr<LoadedRunbook> runbook;
  BoundParams params;  // missing ones still listed in params.missing
  DestructivePatterns patterns;
};

/// Loads `target` (a name on the runbook path, or a file) with `-p` args.
/// Returns nullptr after printing what went wrong (to stderr).
std::unique_ptr<RunTarget> load_run_target(const std::string& target,
                                           const std::vector<std::string>& param_args);

/// `--target` names and the names `targets` parameters hold (given or by
/// default), against the hosts and groups of the runbook's rbk.yaml: false
/// after printing a usage error with a suggestion when one is unknown, as
/// `rbk run` and `rbk plan` both refuse it. `filter` gets the host ids the
/// --target names stand for.
bool check_targets(const RunTarget& rb, const std::vector<std::string>& given,
                   std::set<std::string>& filter);

}  // namespace rbk::cli
