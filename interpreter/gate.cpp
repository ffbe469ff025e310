#include "interpreter/gate.hpp"

#include <algorithm>

namespace rbk {

namespace {

/// The first destructive-pattern match among the step's own commands.
std::string pattern_reason(const std::vector<StepStatement>& stmts,
                           const DestructivePatterns& patterns) {
  for (const auto& s : stmts) {
    const ast::Shell* shell = nullptr;
    if (const auto* run = std::get_if<ast::Run>(s.stmt))
      shell = &run->shell;
    else if (const auto* until = std::get_if<ast::Until>(s.stmt))
      shell = &until->shell;
    if (!shell) continue;
    if (auto m = patterns.match(shell->text)) {
      std::string what = shell->text.substr(m->offset, std::min<size_t>(m->length, 60));
      std::replace(what.begin(), what.end(), '\n', ' ');
      return "runs '" + what + "' (" + m->pattern->why + ")";
    }
  }
  return {};
}

}  // namespace

Gate gate_for(const std::vector<StepStatement>& stmts, const std::string& severity,
              const Policy& policy, const DestructivePatterns& patterns) {
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
  std::string matched = pattern_reason(stmts, patterns);
  g.destructive = marked || !matched.empty();
  if (marked)
    g.reason = "marked destructive";
  else if (!matched.empty())
    g.reason = matched;
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
