// `rbk lint` over many files: each file under the rbk.yaml nearest to it, on
// one worker per core, ShellCheck once per batch of files. Results are
// handed over as each file is done, so memory stays flat in the number of
// files; the caller orders and renders them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/expected.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk {

/// What linting one file gave.
struct LintFileResult {
  Diagnostics diags;               // sorted by position
  std::vector<std::string> notes;  // one-line notes that are not findings
};

/// Called once per file, from a worker thread, as soon as the file is done.
using LintDone = std::function<void(size_t index, LintFileResult&& result)>;

/// The lint options of each file: the policy of the rbk.yaml nearest to it.
struct LintPolicies {
  std::vector<LintOptions> policies;  // one per rbk.yaml
  std::vector<size_t> policy_of;      // per file, an index into policies
};

/// Reads every rbk.yaml `files` use, before anything is linted: a broken one
/// is the problem; their warnings go to `warnings`. ShellCheck runs on the
/// files' shell literals when `shellcheck`.
Expected<LintPolicies, LoadProblem> lint_policies(Workspace& ws,
                                                  const std::vector<std::string>& files,
                                                  const DestructivePatterns& patterns,
                                                  bool shellcheck, Diagnostics& warnings);

/// Lints `files` under their policies; `done` gets each file's result.
void lint_files(const std::vector<std::string>& files, const LintPolicies& policies,
                const LintDone& done);

}  // namespace rbk
