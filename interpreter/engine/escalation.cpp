// Escalation: the `after` timers on the run's clock, the rules fired at
// start, failure and success, and delivering a page or notification.
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

// ------------------------------------------------------------------ Escalator

void Escalator::arm(const std::vector<const ast::Escalation*>& timers, Millis start) {
  start_ = start;
  for (const auto* t : timers) {
    if (t->after && t->from_step) from_step_.push_back(t);
    if (t->after && !t->from_step) dues_.push_back({run_.duration_of(*t->after), t});
    if (!t->every) continue;
    // Every D: at D, 2D, … up to its `for` (or past any run's end). A
    // parameter's cadence under a minute is refused, as rbk check refuses
    // a literal one: it would flood the people it reaches.
    const Millis step = run_.duration_of(*t->every);
    if (step < Millis(60'000)) {
      run_.bus().emit(ev::Warning{.message = "'every " + t->every->text + "' is " +
                                             format_duration(step.count()) +
                                             ", under a minute: the rule does not fire"});
      continue;
    }
    // Never past any run's end, whatever `for` says (`for 1000d`).
    const Millis last =
        std::min(t->lasting ? run_.duration_of(*t->lasting) : kCadenceHorizon, kCadenceHorizon);
    if (last < step)
      run_.bus().emit(ev::Warning{.message = "'every " + t->every->text + " for " +
                                             (t->lasting ? t->lasting->text : std::string()) +
                                             "' ends before its first firing: the rule does not "
                                             "fire"});
    for (Millis at = step; at <= last; at += step) dues_.push_back({at, t});
  }
  // Rules due at once fire in the order written.
  std::stable_sort(dues_.begin(), dues_.end(),
                   [](const Due& a, const Due& b) { return a.at < b.at; });
  if (dues_.empty()) return;
  std::vector<Millis> dues;
  for (const auto& d : dues_) dues.push_back(start_ + d.at);
  timer_ = ctx_.clock->schedule(std::move(dues), [this](Millis now) {
    try {
      fire_due(now);
    } catch (const std::exception& e) {
      // A timer must not take the run down; say it in the record instead.
      run_.bus().emit(ev::Warning{.message = std::string("escalation timer: ") + e.what()});
    }
  });
}

void Escalator::fire_due(Millis now) {
  while (true) {
    Due due{};
    {
      std::lock_guard lock(mu_);
      if (next_ >= dues_.size() || start_ + dues_[next_].at > now) return;
      due = dues_[next_++];
      // Several firings of one cadence past at once (a resumed run that was
      // down, a machine that slept): the newest one says it all.
      if (due.rule->trigger == ast::Trigger::Every) {
        bool newer = false;
        for (size_t i = next_; i < dues_.size() && start_ + dues_[i].at <= now; ++i)
          newer = newer || dues_[i].rule == due.rule;
        if (newer) continue;
      }
    }
    run_.escalate(*due.rule, due.at);
  }
}

void Escalator::step_succeeded(const std::string& id, Millis at) {
  std::vector<const ast::Escalation*> armed;
  {
    std::lock_guard lock(mu_);
    for (auto it = from_step_.begin(); it != from_step_.end();) {
      if ((*it)->from_step->name == id) {
        armed.push_back(*it);
        it = from_step_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // `at` is on the record's clock, from the top-level run's start (a called
  // runbook's own rules count from its start, but a step's end is stamped
  // from the run's).
  const Millis origin = run_.bus().start();
  for (const auto* rule : armed) {
    const Millis due = at + run_.duration_of(*rule->after);
    // The clock may call more often than its dues: fire once, when due.
    auto fired = std::make_shared<std::atomic<bool>>(false);
    auto timer = ctx_.clock->schedule({origin + due}, [this, rule, due, origin, fired](Millis now) {
      if (now < origin + due || fired->exchange(true)) return;
      try {
        run_.escalate(*rule, due);
      } catch (const std::exception& e) {
        run_.bus().emit(ev::Warning{.message = std::string("escalation timer: ") + e.what()});
      }
    });
    std::lock_guard lock(mu_);
    step_timers_.push_back(std::move(timer));
  }
}

void Escalator::stop() {
  std::vector<std::unique_ptr<Timer>> timers;
  {
    std::lock_guard lock(mu_);
    from_step_.clear();
    timers.swap(step_timers_);
  }
  timers.clear();
  timer_.reset();
}

void Runner::escalate(const ast::Escalation& rule, std::optional<Millis> at) {
  deliver(rule.action, &rule, "", at);
}

void Runner::deliver(const ast::Notify& n, const ast::Escalation* rule, const std::string& step,
                     std::optional<Millis> at) {
  // An escalation rule's trigger, or "step" for a page/notify in a step.
  const std::string trigger = rule ? ast::trigger_name(rule->trigger) : "step";
  // Rules are evaluated in the runbook's names (never a template's): the
  // timer thread may fire one while a template's statement runs.
  RunbookScope scope(*this);
  const std::string where = step.empty() ? "escalate:" + trigger : step;
  std::string message;
  std::string severity;  // read under the lock: the causes may change it meanwhile
  std::optional<EvalError> error;
  // `page commander`, commander a name: its value is the role. A parameter
  // (in a template's statement, on the run's thread, the template's), else
  // an answer or a capture of the runbook.
  std::string role = n.role.name;
  std::string role_from;  // "parameter 'commander'", …; empty for a literal role
  int64_t after_ms = 0;   // an `after` rule's delay, read under the lock (an answer may give it)
  {
    std::lock_guard lock(state_mu_);
    severity = severity_;
    if (rule && rule->after) after_ms = duration_of(*rule->after).count();
    const bool in_template = !rule && binding_;  // a template sees its own names only
    const std::map<std::string, Value>& names = in_template ? binding_->values : req_.params;
    if (auto given = names.find(n.role.name); given != names.end()) {
      role = to_display(given->second);
      role_from = "parameter '" + n.role.name + "'";
    } else if (auto a = answers_.find(n.role.name); !in_template && a != answers_.end()) {
      role = to_display(a->second);
      role_from = "answer '" + n.role.name + "'";
    }
    if (n.when) {
      auto holds = evaluate_condition(*n.when, scope);
      if (holds && !*holds) return;
      if (!holds) error = holds.error();
    }
    if (n.message && !error) {
      auto text = interpolate(*n.message, scope);
      if (text)
        message = std::move(*text);
      else
        error = text.error();
    }
    if (message.empty() && !error) {
      std::string what = !rule ? "step " + step : "started";
      if (rule && rule->trigger == ast::Trigger::After)
        what = "still running after " + duration_text(*rule->after);
      if (rule && rule->from_step)
        what =
            "still running " + duration_text(*rule->after) + " after step " + rule->from_step->name;
      if (rule && rule->trigger == ast::Trigger::Every && at)
        what = "still running after " + format_duration(at->count());
      if (rule && rule->trigger == ast::Trigger::OnFailure) what = "failed at " + failed_step_;
      if (rule && rule->trigger == ast::Trigger::OnSuccess) what = "resolved";
      message = format_str("{} ({}) {}: run {}", rb_.name.name, severity_, what, ctx_.run_id);
    }
  }
  if (error) {
    warn(where, *error);
    return;
  }
  message = bus_.mask(message);  // notification systems are not the place for secrets
  if (!role_from.empty() && role.empty()) {
    // The question was never asked (its step was skipped): a page must not
    // be lost, so the runbook's owner is reached instead, and the record
    // says so. Without an owner, the warning is all there is.
    std::string owner;
    for (const auto& item : rb_.items)
      if (const auto* m = std::get_if<ast::Meta>(&item);
          m && m->kind == ast::MetaKind::Owner && m->word)
        owner = m->word->name;
    const std::string verb = n.page ? "page" : "notify";
    bus_.emit(ev::Warning{
        .message = "the role to " + verb + " comes from " + role_from + ", which was not given: " +
                   (owner.empty() ? std::string("not sent (the runbook has no owner)")
                                  : "sent to the runbook's owner, " + owner),
        .step = where});
    if (owner.empty()) return;
    role = owner;
  }
  if (!role_from.empty() && !ctx_.config->roles.empty() && !ctx_.config->roles.count(role))
    bus_.emit(ev::Warning{.message = "role '" + role + "' (" + role_from +
                                     ") is not defined in rbk.yaml: no name or contact for it",
                          .step = where});
  const auto& roles = ctx_.config->roles;
  auto it = roles.find(role);
  const std::string& command = n.page ? ctx_.config->page_command : ctx_.config->notify_command;
  ev::Escalation event{
      // The record's triggers are the runbook's, by name, and "step".
      .trigger = enum_names(ev::Trigger{}).parse(trigger).value_or(ev::Trigger::Step),
      .kind = n.page ? ev::NoticeKind::Page : ev::NoticeKind::Notify,
      .role = role,
      .message = message};
  if (!step.empty()) event.step = qualified(step);
  if (rule && rule->after) event.after_ms = after_ms;
  if (rule && rule->from_step) event.from_step = qualified(rule->from_step->name);
  if (rule && rule->trigger == ast::Trigger::Every && at) event.after_ms = at->count();
  if (rule && depth_ > 0) event.runbook = rb_.name.name;
  if (it != roles.end()) {
    event.name = it->second.name;
    event.contact = it->second.contact;
  }
  ++escalations_;
  // Resuming: delivered before the run died, not sent twice; and a replay
  // that diverged from its record sends nothing at all.
  if (ctx_.resume && ctx_.resume->diverged()) return;
  if (ctx_.resume && event.trigger == ev::Trigger::Interrupted) {
    // One page per death: as the resume begins, for the death it resumes
    // from unless that one was told; any later one is a new interruption.
    if (telling_death_ && ctx_.resume->death_told(event)) return;
  } else if (ctx_.resume && ctx_.resume->already_delivered(event)) {
    return;
  }
  if (command.empty() || bus_.is_broken()) {
    event.delivered = false;
    event.how = command.empty() ? "no notification command configured"
                                : "not sent: the run record cannot be written";
    bus_.emit(std::move(event));
    return;
  }
  CommandSpec spec;
  spec.script = command;
  spec.env = {{"RBK_ROLE", role},
              {"RBK_CONTACT", it != roles.end() ? it->second.contact : ""},
              {"RBK_MESSAGE", message},
              {"RBK_RUNBOOK", rb_.name.name},
              {"RBK_RUN_ID", ctx_.run_id},
              {"RBK_SEVERITY", severity},
              {"RBK_KIND", n.page ? "page" : "notify"},
              {"RBK_RECORD_DIR", ctx_.record_dir}};
  spec.unset_env = bus_.secret_sources();  // a notifier gets no secret at all
  spec.timeout = kNotifyTimeout;
  spec.grace = ctx_.config->policy.grace;
  // Its event is written when the command has ended, whether delivered
  // or not; the run goes on meanwhile (see Notifier).
  // A run that was interrupted still notifies (`on interrupted`): through a
  // runner its cancel token does not stop, when the CLI gives one.
  CommandRunner* runner = ctx_.notify_runner ? ctx_.notify_runner : ctx_.runner;
  notifier_.post([&bus = bus_, runner, spec = std::move(spec), event = std::move(event)]() mutable {
    CommandResult r = runner->run(spec, nullptr);
    event.delivered = r.ok();
    event.how = r.ok() ? "notification command"
                       : "notification command failed: " + describe_failure(r, kNotifyTimeout);
    bus.emit(std::move(event));
  });
}

void Runner::fire_rules(ast::Trigger trigger) {
  const ast::Section* sec = section(ast::SectionKind::Escalate);
  // A called runbook's rules hold while it runs, as when it runs alone.
  if (!sec) return;
  for (const auto& item : sec->items)
    if (const auto* e = std::get_if<ast::Escalation>(&item); e && e->trigger == trigger)
      escalate(*e);
}

}  // namespace rbk::engine
