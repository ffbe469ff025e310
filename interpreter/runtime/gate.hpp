// Which gate a step must pass before it runs. One decision, shared by the
// engine (which asks) and the planner (which shows): a step marked
// `destructive`, with a `confirm`, with a command that matches the
// destructive-command patterns, or with a command rbk cannot analyse (unless
// the step is marked `safe`) is gated, whatever its author wrote.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk {

/// What the operator must do.
enum class GateKind {
  None,     // no gate
  Confirm,  // y/N, default No
  Typed,    // type a value exactly
};

/// The gate of one step.
struct Gate {
  GateKind kind = GateKind::None;
  bool destructive = false;   // marked, a command matched a pattern, or one rbk cannot analyse
  bool unanalysable = false;  // a command rbk cannot analyse and the step is not marked `safe`
  /// Why the step is gated, for the prompt and the record: "marked destructive",
  /// "runs 'systemctl restart' (service stop/restart)", "cannot analyse '$cmd'
  /// (…)", "asks for confirmation".
  std::string reason;
  /// The author's `confirm` (null when the gate was added by rbk); of several,
  /// the first typed one, else the first.
  const ast::Confirm* confirm = nullptr;
  const StepStatement* confirm_at = nullptr;  // the statement holding `confirm`
  /// Typed only because the policy requires typing for this severity, and the
  /// author's gate names no value: the operator types the step id.
  bool typed_by_policy = false;
};

/// Decides the gate of a step from its expanded statements. `severity` is the
/// runbook's; `policy.typed_confirm_for` lists severities whose destructive
/// steps need a typed confirmation. `values`, when given, says what a
/// statement's variables hold now (a run, or a plan given its parameters;
/// null when not known), and is asked only of a command with a `$`: a
/// command that matches a pattern once they are in is gated as if it were
/// written so.
using StatementValues = std::function<const ShellValues*(const StepStatement&)>;
Gate gate_for(const std::vector<StepStatement>& stmts, const std::string& severity,
              const Policy& policy, const DestructivePatterns& patterns,
              const StatementValues& values = {});

/// Why `command` is destructive with `values` in place although its text is
/// not ("runs 'find /srv -delete' with the values it gets (…)"), else empty:
/// a value chose its verb or option.
std::string destructive_by_values(const DestructivePatterns& patterns, std::string_view command,
                                  const ShellValues& values);

/// The severity a called runbook's gates are decided with: its caller's
/// when that one needs typed confirmations, else its own.
inline const std::string& called_gate_severity(const std::string& caller, const std::string& own,
                                               const Policy& policy) {
  const auto& typed = policy.typed_confirm_for;
  return std::find(typed.begin(), typed.end(), caller) != typed.end() ? caller : own;
}

}  // namespace rbk
