#include "interpreter/runtime/gate.hpp"

#include <algorithm>

namespace rbk {

namespace {

/// The command text of a run or until statement, else null.
const ast::Shell* shell_of(const StepStatement& s) {
  if (const auto* run = std::get_if<ast::Run>(s.stmt)) return &run->shell;
  if (const auto* until = std::get_if<ast::Until>(s.stmt)) return &until->shell;
  return nullptr;
}

/// destructive_by_values for a command whose text alone matched nothing.
std::string by_values(const DestructivePatterns& patterns, std::string_view command,
                      const ShellValues& values) {
  if (values.empty() || command.find('$') == std::string_view::npos) return {};
  CommandVerdict v = patterns.judge(command, &values);
  if (!v.destructive) return {};
  // What matched, as the values make it (the text shows only "$action").
  const DestructiveMatch& m = *v.destructive;
  return "runs '" + command_excerpt(m.unit, m.unit_offset, m.unit_length) +
         "' with the values it gets (" + m.pattern->why + ")";
}

}  // namespace

std::string destructive_by_values(const DestructivePatterns& patterns, std::string_view command,
                                  const ShellValues& values) {
  std::string why = by_values(patterns, command, values);
  // Said already by its text? Asked only of a match, which is rare: most
  // commands are judged once here, before they start.
  if (!why.empty() && patterns.judge(command).destructive) return {};
  return why;
}

Gate gate_for(const std::vector<StepStatement>& stmts, const std::string& severity,
              const Policy& policy, const DestructivePatterns& patterns,
              const StatementValues& values) {
  Gate g;
  bool marked = false;
  for (const auto& s : stmts) {
    if (std::holds_alternative<ast::Destructive>(*s.stmt)) marked = true;
    // Several confirms (the step's and a template's): the strictest wins, so
    // a y/N question can never stand in for a typed confirmation.
    if (const auto* c = std::get_if<ast::Confirm>(s.stmt);
        c && (!g.confirm || (c->typed && !g.confirm->typed))) {
      g.confirm = c;
      g.confirm_at = &s;
    }
  }
  // The first destructive match and the first command rbk cannot analyse
  // among the step's own commands.
  std::string matched, unknown;
  bool safe = false;
  for (const auto& s : stmts) {
    safe = safe || std::holds_alternative<ast::Safe>(*s.stmt);
    const ast::Shell* shell = shell_of(s);
    if (!shell || (!matched.empty() && !unknown.empty())) continue;
    CommandVerdict v = patterns.judge(shell->text);
    if (v.destructive && matched.empty())
      matched = "runs '" +
                command_excerpt(shell->text, v.destructive->offset, v.destructive->length) + "' (" +
                v.destructive->pattern->why + ")";
    // Gated on either reading: the text, and the text with its values in.
    // Asked only of a command that reads a variable: the caller may build
    // the values on the first call.
    if (!v.destructive && matched.empty() && values && shell->text.find('$') != std::string::npos)
      if (const ShellValues* known = values(s)) matched = by_values(patterns, shell->text, *known);
    if (v.unanalysable && unknown.empty())
      unknown = "cannot analyse '" +
                command_excerpt(shell->text, v.unanalysable->offset, v.unanalysable->length) +
                "' (" + v.unanalysable->why + ")";
  }
  // `safe` vouches only for what rbk cannot analyse: never for a match or a mark.
  g.unanalysable = !unknown.empty() && !safe;
  g.destructive = marked || !matched.empty() || g.unanalysable;
  if (marked)
    g.reason = "marked destructive";
  else if (!matched.empty())
    g.reason = matched;
  else if (g.unanalysable)
    g.reason = unknown;
  else if (g.confirm)
    g.reason = "asks for confirmation";

  if (g.confirm)
    g.kind = g.confirm->typed ? GateKind::Typed : GateKind::Confirm;
  else if (g.destructive)
    g.kind = GateKind::Confirm;

  const auto& typed_for = policy.typed_confirm_for;
  if (g.destructive && g.kind != GateKind::Typed &&
      std::find(typed_for.begin(), typed_for.end(), severity) != typed_for.end()) {
    g.kind = GateKind::Typed;
    g.typed_by_policy = true;
  }
  return g;
}

}  // namespace rbk
