// `rbk lint`: everything `rbk check` reports, plus rules with ids (RBK101…)
// for safety, structure, correctness and shell. A finding is a Diagnostic
// whose `code` is the rule id, so it renders like every other diagnostic.
#pragma once

#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/lint/shellcheck.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/project/lint_rules.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// What lint needs besides the document.
struct LintOptions {
  const Config* config = nullptr;                 // rule levels, required sections, roles…
  const DestructivePatterns* patterns = nullptr;  // the one list (stdlib/)
  std::vector<std::string> runbook_path;          // for "call to a runbook not on the path"
  bool shellcheck = true;                         // run ShellCheck on shell literals
};

/// Lints one parsed document (a runbook or a module): the check pass's
/// diagnostics, then every enabled rule; levels from rbk.yaml applied;
/// suppressions (`# rbk: ignore RBK101 -- reason`) applied and themselves
/// checked. Findings are sorted by position. `notes` receives one-line notes
/// that are not findings (e.g. "shellcheck not found; shell rules skipped").
Diagnostics lint_document(const ast::Document& doc, const LintOptions& opts, ModuleLoader& loader,
                          std::vector<std::string>& notes);

/// lint_document in three parts, so that one ShellCheck process serves a
/// batch of documents: what lint_start found, and the document's shell
/// literals (empty when ShellCheck is off), which point into the document.
struct PendingLint {
  Diagnostics checked;                 // the check pass
  Diagnostics found;                   // the rules (and then ShellCheck)
  std::vector<ShellSnippet> snippets;  // for lint_shellcheck
};
/// The check pass and every rule but ShellCheck.
PendingLint lint_start(const ast::Document& doc, const LintOptions& opts, ModuleLoader& loader);
/// ShellCheck on the snippets of every document of `batch`, with one process
/// started by `runner`; each finding goes to its own document's `found`.
void lint_shellcheck(const std::vector<PendingLint*>& batch, CommandRunner& runner,
                     std::vector<std::string>& notes);
/// Levels from rbk.yaml, suppressions, sorted: the end of lint_document.
Diagnostics lint_finish(const ast::Document& doc, const LintOptions& opts, PendingLint&& pending);

}  // namespace rbk
