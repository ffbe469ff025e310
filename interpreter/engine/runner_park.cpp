// Runs started by an alert (rbk serve): the plan a parked gate shows and
// binds its approval to, the decision made outside the run when it is
// resumed, parking itself, and shadow mode's record of what would have run. A parked run ends like
// an interrupted one (nothing half done, resumable), but fires no `on interrupted` rule: it did not
// die, it waits for a person.
#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "interpreter/base/fields_json.hpp"
#include "interpreter/base/sha256.hpp"
#include "interpreter/engine/runner.hpp"

namespace rbk::engine {

namespace {

/// The commands of a step's statements, as written: what a plan shows.
std::vector<ev::Text> commands_of(const std::vector<StepStatement>& stmts) {
  std::vector<ev::Text> out;
  for (const auto& s : stmts) {
    if (const auto* r = std::get_if<ast::Run>(s.stmt)) out.emplace_back(r->shell.text);
    if (const auto* u = std::get_if<ast::Until>(s.stmt)) out.emplace_back(u->shell.text);
  }
  return out;
}

}  // namespace

std::vector<ev::PlannedStep> Runner::remaining_after(const std::string& step) const {
  std::vector<ev::PlannedStep> out;
  bool after = false;
  for (const ast::Step* st : ast::steps_of(rb_)) {
    if (!after) {
      after = st->id.name == step;
      continue;
    }
    std::vector<StepStatement> stmts = expand_body(st->body, imports_);
    out.push_back(ev::PlannedStep{.step = qualified(st->id.name),
                                  .title = st->title ? st->title->plain() : "",
                                  .destructive = gate_of(stmts).destructive,
                                  .commands = commands_of(stmts)});
  }
  // An approval of a gate in a called runbook lets its caller go on too:
  // the approver sees that, and the plan's hash covers it.
  out.insert(out.end(), after_call_.begin(), after_call_.end());
  return out;
}

std::vector<ev::PlannedStep> Runner::remaining_after_call(const std::string& step,
                                                          const ast::Call& call) const {
  std::vector<ev::PlannedStep> out;
  if (stmts_) {
    auto at = std::find_if(stmts_->begin(), stmts_->end(), [&](const StepStatement& s) {
      return std::get_if<ast::Call>(s.stmt) == &call;
    });
    if (at != stmts_->end()) {
      const std::vector<StepStatement> rest(std::next(at), stmts_->end());
      std::vector<ev::Text> commands = commands_of(rest);
      if (!commands.empty())
        out.push_back(ev::PlannedStep{.step = qualified(step),
                                      .title = "the rest of the step, after the call",
                                      .destructive = gate_of(rest).destructive,
                                      .commands = std::move(commands)});
    }
  }
  std::vector<ev::PlannedStep> after = remaining_after(step);
  out.insert(out.end(), after.begin(), after.end());
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
  // Where in the run it parked (commands started so far, the same in a
  // replay): an approval of one parking is not one of a later parking of
  // the same step with the same plan (a runbook called twice, a loop).
  plan["commands_before"] = *seq_;
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
  // rbk.yaml refuses auto_approve under this policy; one changed since rbk
  // serve read it still holds for the run.
  if (d.via == ev::Via::Auto && !ctx_.config->policy.allow_non_interactive_approval)
    return refuse("rbk.yaml's policy allows no approval without a terminal, automatic ones too");
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

void Runner::run_shadow(const ast::Section& sec, ev::Section which) {
  bus_.emit(ev::SectionStart{which});
  for (const auto& item : sec.items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st || interrupted()) continue;
    const std::string& id = st->id.name;
    const std::string title = st->title ? text(*st->title, id) : "";
    // The branch automation would take: a step whose `when` is false would
    // not have run either.
    if (st->when && !condition(*st->when, id)) {
      bus_.emit(ev::StepEnd{.step = qualified(id),
                            .section = which,
                            .title = title,
                            .status = ev::StepStatus::Skipped,
                            .duration_ms = 0,
                            .reason = "when " + std::string(st->when->span.text()) + " is false"});
      continue;
    }
    std::vector<StepStatement> stmts = expand_body(st->body, imports_);
    bus_.emit(ev::WouldRun{.step = qualified(id),
                           .section = which,
                           .title = title,
                           .destructive = gate_of(stmts).destructive,
                           .commands = commands_of(stmts)});
  }
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
