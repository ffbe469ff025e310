// The lint rule table: every rule's id, name, category, default level and
// documentation. Data, not behaviour: rbk.yaml checks rule ids against it
// (project layer), and the linter, SARIF and docs/lint.md describe rules by it.
#include "interpreter/project/lint_rules.hpp"

namespace rbk {

const std::vector<RuleInfo>& lint_rules() {
  static const std::vector<RuleInfo> rules{
      {"RBK101", "destructive-without-gate", "safety", Severity::Error,
       "A destructive command runs in a step that is not marked destructive or has no confirm",
       "A command that matches the destructive-command patterns (stdlib/destructive-patterns.yaml) "
       "is always gated at run time, but the runbook should say so: mark the step `destructive` "
       "and give it a `confirm` that tells the operator what is about to happen, so readers and "
       "reviewers see the risk where it is."},
      {"RBK102", "destructive-outside-remediate", "safety", Severity::Error,
       "A destructive step in alert, diagnose or verify",
       "alert, diagnose and verify are read-only by design: they run first, often automatically, "
       "and their steps are repeated freely. A destructive action belongs in remediate (or "
       "rollback), behind a gate."},
      {"RBK103", "destructive-without-undo", "safety", Severity::Warning,
       "A destructive remediation step with neither an undo nor a rollback section",
       "When a destructive remediation fails or verification does not pass, rbk rolls back. "
       "Without an `undo { … }` in the step or a `rollback` section, there is nothing to roll "
       "back to: add an undo that reverses the step, or a rollback section that hands over."},
      {"RBK104", "critical-untyped-confirm", "safety", Severity::Warning,
       "A destructive step in a critical runbook asks a plain y/N question",
       "In a critical incident, a y/N prompt is answered by reflex. `confirm typed EXPR` makes "
       "the operator type a value (an environment or host name), which forces them to read what "
       "they are approving."},
      {"RBK105", "unanalysable-command", "safety", Severity::Warning,
       "A command rbk cannot analyse runs without a gate, or in a read-only section",
       "rbk reads each command to find what it runs; a command name held in a variable, eval or "
       "`sh -c` of a value, a shell reading code from a pipe or a here-document that expands "
       "values hide what will run, so rbk gates such a command like a destructive one. In "
       "remediate, rollback, undo blocks and templates this is a warning unless the step is "
       "marked `destructive` with a `confirm`, or says why the command is harmless with "
       "`safe \"…\"`; in alert, diagnose and verify, which must only read, it is an error "
       "unless the step is marked `safe`."},
      {"RBK106", "safe-without-unanalysable", "safety", Severity::Warning,
       "`safe` in a step whose commands rbk can all analyse",
       "`safe \"…\"` vouches for commands rbk cannot analyse, and for nothing else: it never "
       "removes a gate that a destructive pattern, `destructive` or `confirm` adds. Where rbk can "
       "read every command, the statement says nothing; remove it."},
      {"RBK107", "destructive-verify-probe", "safety", Severity::Error,
       "A step's `verify` probe runs a destructive command, or one rbk cannot analyse",
       "`rbk resume` runs a step's `verify` probe before it asks what to do with the step's "
       "command that was running when the run died, and without a gate: it must only read what "
       "the command changed (`systemctl is-active`, `pg_isready`), never do it again. rbk "
       "refuses to run a probe that matches a destructive pattern or that it cannot analyse; this "
       "finds it before then."},
      {"RBK201", "missing-section", "structure", Severity::Note,
       "A section required by the lint policy is missing",
       "A runbook reads best when every runbook has the same shape: how to tell the alert is "
       "real, what to look at, what to do, how to know it worked, how to back out and whom to "
       "call. The required sections come from `lint.required_sections` in rbk.yaml."},
      {"RBK202", "missing-title", "structure", Severity::Note, "The runbook has no title",
       "`rbk list`, `rbk show`, the record and pages use the title; without one readers see only "
       "the runbook's name."},
      {"RBK203", "missing-owner", "structure", Severity::Note, "The runbook has no owner",
       "Every runbook needs a role that keeps it correct and that is reached when it fails: "
       "add `owner ROLE`."},
      {"RBK204", "missing-severity", "structure", Severity::Note, "The runbook has no severity",
       "The severity sets response targets and the gate policy (typed confirmations for "
       "critical runbooks): add `severity LEVEL`."},
      {"RBK205", "unknown-role", "structure", Severity::Error, "A role is not defined in rbk.yaml",
       "Pages and notifications go to the roles rbk.yaml defines; a role it does not define "
       "cannot be reached at 3 a.m. Checked only when rbk.yaml defines roles."},
      {"RBK206", "unknown-severity", "structure", Severity::Error,
       "A severity is not defined in rbk.yaml",
       "Severities carry response targets and gate policy from rbk.yaml; an undefined one gets "
       "neither. Checked only when rbk.yaml defines severities."},
      {"RBK207", "unknown-runbook", "structure", Severity::Error,
       "A `call` names a runbook that is not on the runbook path",
       "`call NAME` runs another runbook found on the runbook path (RBK_PATH, rbk.yaml `paths`). "
       "A name that is not found fails at run time, in the middle of an incident."},
      {"RBK208", "critical-without-timed-escalation", "structure", Severity::Warning,
       "A critical runbook's escalation has no time-based rule",
       "When a critical incident drags on, the next person must be paged without anyone "
       "remembering to: add `after DURATION page ROLE` to the escalate section."},
      {"RBK301", "unused-capture", "correctness", Severity::Warning, "A capture is never used",
       "`run … as NAME` keeps a command's output for later decisions. A capture no condition, "
       "string or command uses is usually a typo or a forgotten check; drop `as NAME`, or mark "
       "the step `evidence` when the output is kept for the record."},
      {"RBK302", "unused-parameter", "correctness", Severity::Warning, "A parameter is never used",
       "A parameter nothing reads still has to be answered by the operator; remove it, or use it "
       "(`$NAME` in a command, `${NAME}` in a string, NAME in a condition)."},
      {"RBK303", "unused-cause", "correctness", Severity::Note, "A cause no step refers to",
       "Causes select remediation: a cause no step's `when` mentions (`when cause.ID`) is "
       "evaluated and then ignored."},
      {"RBK304", "step-never-runs", "correctness", Severity::Warning,
       "A step whose `when` can never hold",
       "A step guarded by `when false`, or by a cause whose condition is the literal false, "
       "never runs; delete it or fix the condition."},
      {"RBK305", "undefined-shell-variable", "correctness", Severity::Warning,
       "A shell literal uses $NAME that nothing defines",
       "Commands receive parameters, secrets, captures and RBK_* variables as environment "
       "variables. A `$NAME` that is none of these, nor assigned in the same command, nor a "
       "common environment variable, expands to nothing: usually a typo."},
      {"RBK306", "unused-secret", "correctness", Severity::Warning, "A secret no command reads",
       "A secret is read from its source when the run starts and handed to every command as "
       "$NAME. One that no command names is read for nothing, and widens what a leak could "
       "expose. Variables that common tools read from the environment by themselves (psql's "
       "PGPASSWORD, the AWS CLI's AWS_SECRET_ACCESS_KEY, vault's VAULT_TOKEN, …) count as used."},
      {"RBK401", "shellcheck", "shell", Severity::Warning, "ShellCheck reports a problem",
       "Every shell literal is checked with ShellCheck (when it is installed); the finding names "
       "the ShellCheck code (SCxxxx) and its wiki page explains it."},
      {"RBK501", "suppression-without-reason", "suppression", Severity::Warning,
       "A suppression gives no reason",
       "`# rbk: ignore RULE -- reason`: the reason tells the next reader why the rule does not "
       "apply here."},
      {"RBK502", "unused-suppression", "suppression", Severity::Warning,
       "A suppression suppresses nothing",
       "A suppression that matches no finding (the code changed, or the rule id is wrong) hides "
       "nothing today and may hide a real finding tomorrow: remove it."},
  };
  return rules;
}

const RuleInfo* find_rule(const std::string& id) {
  for (const auto& r : lint_rules())
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace rbk
