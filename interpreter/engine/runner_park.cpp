// Gates of a run started by an alert (rbk serve): the plan a parked gate
// shows and binds its approval to, the decision made outside the run when
// it is resumed, and parking itself. A parked run ends like an interrupted
// one (nothing half done, resumable), but fires no `on interrupted` rule:
// it did not die, it waits for a person.
#include <nlohmann/json.hpp>

#include "interpreter/base/fields_json.hpp"
#include "interpreter/base/sha256.hpp"
#include "interpreter/engine/runner.hpp"

namespace rbk::engine {

std::vector<ev::PlannedStep> Runner::remaining_after(const std::string& step) const {
  std::vector<ev::PlannedStep> out;
  bool after = false;
  for (const ast::Step* st : ast::steps_of(rb_)) {
    if (!after) {
      after = st->id.name == step;
      continue;
    }
    std::vector<StepStatement> stmts = expand_body(st->body, imports_);
    ev::PlannedStep planned{.step = qualified(st->id.name),
                            .title = st->title ? st->title->plain() : "",
                            .destructive = gate_of(stmts).destructive};
    for (const auto& s : stmts) {
      if (const auto* r = std::get_if<ast::Run>(s.stmt))
        planned.commands.emplace_back(r->shell.text);
      if (const auto* u = std::get_if<ast::Until>(s.stmt))
        planned.commands.emplace_back(u->shell.text);
    }
    out.push_back(std::move(planned));
  }
  return out;
}

std::string Runner::plan_hash(const ev::Parked& p) const {
  // Canonical JSON (nlohmann's objects are sorted by key): the same plan
  // always gives the same text, whatever the order it was built in.
  nlohmann::json plan;
  plan["runbook"] = req_.sha256;
  plan["modules"] = req_.modules;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, v] : req_.params) params[name] = to_json(v);
  plan["params"] = std::move(params);
  ev::Parked gate = p;
  gate.plan_hash.clear();
  plan["gate"] = to_json_value(gate);
  return sha256_hex(plan.dump());
}

std::optional<BlockResult> Runner::decided_gate(
    const ev::Parked& p, ev::Answer& answer, const std::function<BlockResult(ev::Via)>& pass,
    const std::function<BlockResult(std::string)>& refuse) {
  auto it = ctx_.decisions.find(p.step);
  if (it == ctx_.decisions.end()) return std::nullopt;
  // Used once: a gate asked again (the next batch, a loop) is parked again.
  const GateDecision d = it->second;
  ctx_.decisions.erase(it);
  answer.by = d.by;
  if (!d.from.empty()) answer.from = d.from;
  switch (d.kind) {
    case GateDecision::Kind::AlertResolved:
      bus_.set_alert_resolved();
      return refuse("the alert resolved before anyone approved the step");
    case GateDecision::Kind::Deny:
      return refuse("denied by " + d.by);
    case GateDecision::Kind::Approve:
      break;
  }
  std::string void_reason;
  if (d.plan_hash != p.plan_hash)
    void_reason = "the plan changed since it was approved (approved " + d.plan_hash.substr(0, 12) +
                  "…, now " + p.plan_hash.substr(0, 12) + "…)";
  else if (p.kind == ev::GateKind::Typed && !p.expected.value.empty() &&
           d.typed.value_or("") != p.expected.value)
    void_reason = "typed '" + d.typed.value_or("") + "', not '" + p.expected.value + "'";
  if (void_reason.empty()) {
    answer.answer = {ev::Text("approved by " + d.by)};
    return pass(d.via);
  }
  bus_.emit(ev::ApprovalVoid{.step = p.step, .by = d.by, .reason = void_reason});
  answer.by = ctx_.op->user();
  answer.from.reset();
  return std::nullopt;
}

BlockResult Runner::park(ev::Parked p, ev::Answer& answer) {
  bus_.emit(std::move(p));
  bus_.park();
  answer.passed = false;
  answer.reason = "parked";
  bus_.emit(answer);
  return {BlockEnd::Interrupted, "parked"};
}

}  // namespace rbk::engine
