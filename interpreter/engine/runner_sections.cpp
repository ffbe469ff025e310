// The Runner's sections in order: alert, diagnose, causes, remediate,
// verify, and the failure path (undo, rollback).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "interpreter/base/fd.hpp"
#include "interpreter/base/format_str.hpp"
#include "interpreter/engine/runner.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

using nlohmann::json;

Runner::Alert Runner::run_alert(const ast::Section& sec) {
  bus_.emit(ev::SectionStart{ev::Section::Alert});
  bool any_firing = false;
  size_t n = 0;
  for (const auto& item : sec.items) {
    const auto* sig = std::get_if<ast::Signal>(&item);
    if (!sig) continue;
    const std::string id = ast::item_id(sig->id, "signal", ++n);
    const std::string title = text(sig->title, id);
    std::vector<StepStatement> stmts = expand_body(sig->body, imports_);
    bindings_.clear();
    Gate g = gate_of(stmts);
    bus_.emit(ev::StepStart{.step = qualified(id),
                            .section = ev::Section::Alert,
                            .title = title,
                            .destructive = g.destructive});
    const Millis started = now();
    block_all_ok_ = true;
    BlockResult r =
        gated_exec(stmts, g, id, title, Mode::Inform, ev::Section::Alert, false, nullptr);
    bool firing = false;
    const ast::Firing* rule = nullptr;
    for (const auto& s : stmts)
      if (const auto* f = std::get_if<ast::Firing>(s.stmt)) rule = f;
    if (r.end == BlockEnd::Ok) {
      if (rule) {
        firing = condition(*rule->cond, id);
      } else {
        // No `firing when`: the signal fires when one of its commands failed.
        firing = !block_all_ok_;
      }
    }
    set_step(id, {.result = r.end == BlockEnd::Ok        ? StepResult::Ok
                            : r.end == BlockEnd::Refused ? StepResult::Refused
                                                         : StepResult::None,
                  .ran = true});
    const Millis at = bus_.emit(ev::StepEnd{
        .step = qualified(id),
        .section = ev::Section::Alert,
        .title = title,
        .status = r.end == BlockEnd::Refused ? ev::StepStatus::Refused : ev::StepStatus::Ok,
        .duration_ms = count(now() - started)});
    if (r.end == BlockEnd::Ok) step_succeeded(id, at);
    if (r.end == BlockEnd::Interrupted) return Alert::Interrupted;
    if (r.end == BlockEnd::Refused) {
      // A refused gate stops the run here, as in every other section.
      std::lock_guard lock(state_mu_);
      failed_step_ = id;
      return Alert::Refused;
    }
    bus_.emit(ev::Signal{.id = qualified(id), .title = title, .firing = firing});
    any_firing = any_firing || firing;
  }
  return any_firing ? Alert::Firing : Alert::Quiet;
}

BlockResult Runner::run_diagnose(const ast::Section& sec) {
  bus_.emit(ev::SectionStart{ev::Section::Diagnose});
  for (const auto& item : sec.items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st) continue;
    BlockResult r = run_step(*st, ev::Section::Diagnose, Mode::Inform);
    if (r.end == BlockEnd::Interrupted || r.end == BlockEnd::Refused) {
      std::lock_guard lock(state_mu_);
      failed_step_ = st->id.name;
      return r;
    }
  }
  return {};
}

namespace {

// The values a condition reads: each name, field or index path, whole
// (`health.exit`, not `health` then `health.exit`).
void cause_value_refs(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
  switch (e.kind) {
    case ast::ExprKind::Name:
    case ast::ExprKind::Member:
    case ast::ExprKind::Index:
      out.push_back(&e);
      return;
    case ast::ExprKind::String:
      for (const auto& part : e.string.parts)
        if (part.expr) cause_value_refs(*part.expr, out);
      return;
    default:
      for (const auto& item : e.items) cause_value_refs(*item, out);
  }
}

// A value as a cause shows it: one line's worth (a capture may be long).
constexpr size_t kCauseValueMax = 200;

}  // namespace

std::map<std::string, ev::Text> Runner::cause_values(const ast::Expr& cond) const {
  std::vector<const ast::Expr*> refs;
  cause_value_refs(cond, refs);
  std::map<std::string, ev::Text> out;
  std::lock_guard lock(state_mu_);
  for (const ast::Expr* ref : refs) {
    Eval<Value> v = evaluate(*ref, *this);
    if (!v) continue;  // the condition's own warning says why
    // Masked before it is cut: a secret cut in two would no longer match.
    std::string shown = bus_.mask(to_display(*v));
    if (shown.size() > kCauseValueMax) {
      size_t end = kCauseValueMax;
      while (end > 0 && (static_cast<unsigned char>(shown[end]) & 0xC0) == 0x80) --end;
      shown = shown.substr(0, end) + "…";
    }
    out.emplace(std::string(ref->span.text()), ev::Text(std::move(shown)));
  }
  return out;
}

void Runner::run_causes(const ast::Section& sec) {
  bus_.emit(ev::SectionStart{ev::Section::Causes});
  for (const auto& item : sec.items) {
    const auto* c = std::get_if<ast::Cause>(&item);
    if (!c) continue;
    bool matched = c->when && condition(*c->when, c->id.name);
    {
      std::lock_guard lock(state_mu_);
      causes_[c->id.name] = matched;
      if (matched) matched_causes_.push_back(c->id.name);
    }
    ev::Cause event{
        .id = qualified(c->id.name), .title = text(c->title, c->id.name), .matched = matched};
    if (c->when) event.values = cause_values(*c->when);
    bus_.emit(std::move(event));
  }
  decide_severity(sec);
}

void Runner::decide_severity(const ast::Section& sec) {
  const std::vector<std::string>& order = ctx_.config->severity_order;
  auto rank = [&](const std::string& level) {
    auto it = std::find(order.begin(), order.end(), level);
    return it == order.end() ? order.size() : static_cast<size_t>(it - order.begin());
  };
  ev::SeverityDecided decided{.from = severity_};
  for (const auto& item : sec.items) {
    const auto* c = std::get_if<ast::Cause>(&item);
    if (!c || !c->severity || !cause(c->id.name)) continue;
    // The most severe wins; of equals (or levels rbk.yaml does not order), the first written.
    if (decided.causes.empty() || rank(c->severity->name) < rank(decided.to))
      decided.to = c->severity->name;
    decided.causes.push_back(qualified(c->id.name));
  }
  if (decided.causes.empty()) return;
  {
    std::lock_guard lock(state_mu_);
    severity_ = decided.to;
    // Stricter gates, never weaker: a severity that asks for typing (the
    // declared one, or a caller's) keeps it, whatever diagnosis concluded.
    gate_severity_ = called_gate_severity(gate_severity_, severity_, ctx_.config->policy);
  }
  bus_.emit(std::move(decided));
}

BlockResult Runner::run_remediate(const ast::Section& sec) {
  bus_.emit(ev::SectionStart{ev::Section::Remediate});
  for (const auto& item : sec.items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st) continue;
    BlockResult r = run_step(*st, ev::Section::Remediate, Mode::Act);
    if (r.end == BlockEnd::Failed) {
      ast::FailurePolicy policy = ast::FailurePolicy::Rollback;
      for (const auto& s : expand_body(st->body, imports_))
        if (const auto* of = std::get_if<ast::OnFailure>(s.stmt)) policy = of->policy;
      if (policy == ast::FailurePolicy::Continue) continue;
      {
        std::lock_guard lock(state_mu_);
        failed_step_ = st->id.name;
      }
      r.then = policy;
      return r;
    }
    if (r.end == BlockEnd::Interrupted || r.end == BlockEnd::Refused) {
      std::lock_guard lock(state_mu_);
      failed_step_ = st->id.name;
      return r;
    }
  }
  return {};
}

BlockResult Runner::run_verify(const ast::Section& sec) {
  bus_.emit(ev::SectionStart{ev::Section::Verify});
  size_t n = 0;
  for (const auto& item : sec.items) {
    const auto* ck = std::get_if<ast::Check>(&item);
    if (!ck) continue;
    const std::string id = ast::item_id(ck->id, "check", ++n);
    const std::string title = text(ck->title, id);
    std::vector<StepStatement> stmts = expand_body(ck->body, imports_);
    const ast::Passes* passes = nullptr;
    for (const auto& s : stmts)
      if (const auto* p = std::get_if<ast::Passes>(s.stmt)) passes = p;
    bindings_.clear();
    Gate g = gate_of(stmts);
    bus_.emit(ev::StepStart{.step = qualified(id),
                            .section = ev::Section::Verify,
                            .title = title,
                            .destructive = g.destructive});
    const Millis started = now();
    const Millis every = ck->every ? duration_of(*ck->every) : kDefaultCheckEvery;
    BlockResult gate = pass_gate(g, id, title, stmts);
    // The polling window opens once the gate has passed, not while it asks.
    const Millis deadline = now() + (ck->within ? duration_of(*ck->within) : Millis(0));
    if (gate.end == BlockEnd::Ok && g.destructive) bus_.sync();
    const bool outer = std::exchange(write_ahead_, write_ahead_ || g.destructive);
    bool passed = false;
    int attempts = 0;
    BlockEnd end = gate.end;
    // `holds for D`: since when every poll has passed (none failed since).
    bool holding = false;
    Millis holding_since{0};
    // A duration from an answer never given: the check fails, saying so,
    // rather than poll with 0 (a `holds for` that would pass at once).
    std::string missing;
    for (const auto* d : {ck->within ? &*ck->within : nullptr, ck->every ? &*ck->every : nullptr,
                          ck->holds ? &*ck->holds : nullptr})
      if (missing.empty()) missing = unanswered(d);
    while (end == BlockEnd::Ok && missing.empty()) {
      ++attempts;
      const Millis tried = now();
      // Each attempt starts from a clean slate: a check passes on its own commands.
      block_all_ok_ = true;
      BlockResult r = exec(stmts, Mode::Inform, id, ev::Section::Verify, false);
      if (r.end != BlockEnd::Ok) {
        end = r.end;
        break;
      }
      if (passes) {
        passed = condition(*passes->cond, id);
      } else {
        passed = block_all_ok_;  // no `passes when`: its commands must succeed
      }
      if (ck->holds) {
        // One failing poll starts the streak again: stable means every poll.
        if (!passed) {
          holding = false;
        } else if (!holding) {
          holding = true;
          holding_since = tried;
        }
        passed = passed && now() - holding_since >= duration_of(*ck->holds);
      }
      // The last try is at the deadline itself, not one interval before it.
      if (passed || now() >= deadline) break;
      if (!ctx_.clock->sleep_until(std::min(now() + every, deadline), ctx_.cancel)) {
        end = BlockEnd::Interrupted;
        break;
      }
    }
    write_ahead_ = outer;
    if (gate.end == BlockEnd::Ok && g.destructive) bus_.sync();
    const ev::StepStatus status = end == BlockEnd::Interrupted ? ev::StepStatus::Interrupted
                                  : end == BlockEnd::Refused   ? ev::StepStatus::Refused
                                  : passed                     ? ev::StepStatus::Ok
                                                               : ev::StepStatus::Failed;
    set_step(id, {.result = passed                     ? StepResult::Ok
                            : end == BlockEnd::Ok      ? StepResult::Failed
                            : end == BlockEnd::Refused ? StepResult::Refused
                                                       : StepResult::None,
                  .ran = end != BlockEnd::Refused});
    ev::StepEnd step_end{.step = qualified(id),
                         .section = ev::Section::Verify,
                         .title = title,
                         .status = status,
                         .duration_ms = count(now() - started),
                         .attempts = attempts};
    if (!passed && end == BlockEnd::Ok)
      step_end.reason =
          ck->holds
              ? (holding ? "passing since " + format_duration(count(holding_since - started)) +
                               ", but not yet for " + duration_text(*ck->holds) + " when 'within " +
                               duration_text(*ck->within) + "' ended"
                         : "did not hold for " + duration_text(*ck->holds) + " within " +
                               duration_text(*ck->within))
          : ck->within ? "did not pass within " + duration_text(*ck->within)
                       : "did not pass";
    if (!missing.empty() && end == BlockEnd::Ok) step_end.reason = missing;
    const Millis at = bus_.emit(std::move(step_end));
    if (passed) step_succeeded(id, at);
    bus_.emit(
        ev::Check{.id = qualified(id), .title = title, .passed = passed, .attempts = attempts});
    if (end == BlockEnd::Interrupted || end == BlockEnd::Refused) {
      std::lock_guard lock(state_mu_);
      failed_step_ = id;
      return {end, gate.reason};
    }
    if (!passed) {
      std::lock_guard lock(state_mu_);
      failed_step_ = id;
      return {BlockEnd::Failed, "check '" + id + "' did not pass"};
    }
  }
  return {};
}

size_t Runner::undo_count() const {
  size_t n = 0;
  for (const auto& u : undo_stack_) n += u.called ? u.called->undo_count() : 1;
  return n;
}

bool Runner::run_undo_stack() {
  bool restored = true;
  // Walked over a copy: nothing an undo block runs may change what is walked.
  const std::vector<Undo> stack = undo_stack_;
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if (interrupted()) return false;
    if (it->called) {
      // A called runbook that resolved changed the system too: its undo
      // blocks run where its call step stands, under its own names.
      if (!it->called->run_undo_stack()) restored = false;
      continue;
    }
    const std::string id = it->step + ".undo";
    std::vector<StepStatement> stmts;
    if (it->use) {
      // An undo written in a template: its statements are the template's.
      for (const auto& s : it->undo->body->items)
        if (!std::holds_alternative<ast::Comment>(s)) stmts.push_back({&s, it->use, it->tmpl});
    } else {
      stmts = expand_body(*it->undo->body, imports_);
    }
    bindings_.clear();
    Gate g = gate_of(stmts);
    bus_.emit(ev::StepStart{.step = qualified(id),
                            .section = ev::Section::Undo,
                            .title = "undo " + it->step,
                            .destructive = g.destructive});
    const Millis started = now();
    BlockResult r;
    if (!it->targets.empty()) {
      // A step `on` targets is undone only where it ran.
      r = pass_gate(g, id, "undo " + it->step, stmts, &it->targets);
      if (r.end == BlockEnd::Ok) r = undo_on_targets(stmts, id, it->targets, g.destructive);
    } else {
      r = gated_exec(stmts, g, id, "undo " + it->step, Mode::Act, ev::Section::Undo, false,
                     nullptr);
    }
    ev::StepEnd step_end{.step = qualified(id),
                         .section = ev::Section::Undo,
                         .title = "undo " + it->step,
                         .status = r.end == BlockEnd::Ok        ? ev::StepStatus::Ok
                                   : r.end == BlockEnd::Refused ? ev::StepStatus::Refused
                                                                : ev::StepStatus::Failed,
                         .duration_ms = count(now() - started)};
    if (!r.reason.empty()) step_end.reason = r.reason;
    bus_.emit(std::move(step_end));
    if (r.end != BlockEnd::Ok) restored = false;
  }
  return restored;
}

bool Runner::run_failure_path() {
  bus_.emit(ev::Rollback{.failed_step = qualified(failed_step_), .undo = undo_count()});
  // Undo blocks of completed remediation steps, newest first.
  bool restored = run_undo_stack();
  if (interrupted()) return false;
  if (const auto* sec = section(ast::SectionKind::Rollback)) {
    bus_.emit(ev::SectionStart{ev::Section::Rollback});
    for (const auto& item : sec->items) {
      const auto* st = std::get_if<ast::Step>(&item);
      if (!st) continue;
      if (interrupted()) return false;
      BlockResult r = run_step(*st, ev::Section::Rollback, Mode::Act);
      // A rollback step that fails does not stop the others: restore what can be.
      if (r.end == BlockEnd::Failed || r.end == BlockEnd::Refused) restored = false;
      if (r.end == BlockEnd::Interrupted) return false;
    }
  }
  return restored;
}

void Runner::run_finally() {
  const auto* sec = section(ast::SectionKind::Finally);
  if (!sec || interrupted()) return;
  bus_.emit(ev::SectionStart{ev::Section::Finally});
  for (const auto& item : sec->items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st) continue;
    if (interrupted()) return;
    BlockResult r = run_step(*st, ev::Section::Finally, Mode::Act);
    if (r.end == BlockEnd::Interrupted) return;
    // Said where everyone sees it, as the outcome cannot say it: a freeze
    // not lifted or a token not revoked is left for a person.
    if (r.end == BlockEnd::Failed || r.end == BlockEnd::Refused)
      bus_.emit(
          ev::Warning{.message = "finally step '" + qualified(st->id.name) + "' " +
                                 (r.end == BlockEnd::Failed ? "failed" : "was refused") +
                                 (r.reason.empty() ? "" : " (" + r.reason + ")") +
                                 ": what it cleans up is left as it is; the run's outcome stands",
                      .step = qualified(st->id.name)});
  }
}

}  // namespace rbk::engine
