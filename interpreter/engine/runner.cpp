// The Runner's run from run_start to run_end, with captures declared and
// secrets read before the first event.
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
#include "interpreter/engine/secret_sources.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

using nlohmann::json;

void Runner::declare_captures() {
  // Every capture exists from the start, empty until its step runs: a
  // capture of a step that was skipped reads as empty, not as unknown.
  std::function<void(const ast::Body&)> walk = [&](const ast::Body& body) {
    for (const auto& s : expand_body(body, imports_)) {
      if (const auto* r = std::get_if<ast::Run>(s.stmt); r && r->capture)
        captures_.emplace(r->capture->name, CaptureData{});
      if (const auto* a = std::get_if<ast::Ask>(s.stmt))
        answers_.emplace(a->decl->name.name, Value{});
      if (const auto* u = std::get_if<ast::Undo>(s.stmt); u && u->body) walk(*u->body);
    }
  };
  for (const auto& item : rb_.items) {
    const auto* sec = std::get_if<ast::Section>(&item);
    if (!sec) continue;
    for (const auto& si : sec->items) {
      if (const auto* st = std::get_if<ast::Step>(&si)) walk(st->body);
      if (const auto* sg = std::get_if<ast::Signal>(&si)) walk(sg->body);
      if (const auto* ck = std::get_if<ast::Check>(&si)) walk(ck->body);
    }
  }
}

std::vector<std::string> Runner::secret_sources() {
  return engine::secret_sources(*req_.doc, *ctx_.modules, ctx_.find_runbook);
}

Outcome Runner::resolve_secrets(std::string& error, std::vector<ev::Body>& events) {
  for (const auto& item : rb_.items) {
    const auto* s = std::get_if<ast::Secret>(&item);
    if (!s) continue;
    std::string value;
    if (ctx_.secret_values) {
      auto it = ctx_.secret_values->find(s->name.name);
      if (it != ctx_.secret_values->end()) value = it->second;
    } else if (s->source == ast::SecretSource::Env) {
      std::string var = ast::secret_env_var(*s);
      const char* v = std::getenv(var.c_str());
      if (!v) {
        events.push_back(ev::Warning{.message = "secret " + s->name.name + ": $" + var +
                                                " is not set; commands get it empty"});
      }
      value = v ? v : "";
    } else {
      // A secret's command runs before anything else and without a gate, so
      // it must only read: one that looks destructive, or that rbk cannot
      // analyse, stops the run (`rbk check` reports it first).
      CommandVerdict v = ctx_.patterns->judge(s->command->text);
      if (!v.read_only()) {
        error = "secret " + s->name.name + ": its command " +
                (v.destructive ? "looks destructive (" + v.destructive->pattern->why + ")"
                               : "cannot be analysed (" + v.unanalysable->why + ")") +
                "; a secret's command must only read the secret";
        return Outcome::Error;
      }
      CommandSpec spec;
      spec.script = s->command->text;
      spec.unset_env = bus_.secret_sources();
      spec.timeout = ctx_.config->policy.default_timeout;
      spec.grace = ctx_.config->policy.grace;
      const std::string step = "secret " + s->name.name;
      uint64_t seq = ++*seq_;
      // Recorded after run_start (see run()): nothing is written before
      // every secret is known, so nothing is written unmasked.
      events.push_back(ev::CommandStart{.step = qualified(step),
                                        .seq = seq,
                                        .command = s->command->text,
                                        .timeout_ms = count(spec.timeout),
                                        .attempt = 1});
      CommandResult r = ctx_.runner->run(spec, nullptr);  // its output is the secret: never kept
      ev::CommandEnd end = command_end(qualified(step), seq, r);
      end.output = ev::Text("not recorded: it is a secret");
      events.push_back(std::move(end));
      if (r.cancelled || interrupted()) return Outcome::Interrupted;
      if (!r.ok()) {
        error = "secret " + s->name.name + ": its command failed (" +
                describe_failure(r, spec.timeout) + ")";
        return Outcome::Error;
      }
      value = r.out.text;
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    }
    bus_.add_secret(value);
    secrets_.emplace_back(s->name.name, value);
  }
  return Outcome::Resolved;
}

RunResult Runner::run() {
  RunResult result;
  if (!seq_) seq_ = &own_seq_;
  for (const auto& item : rb_.items) {
    if (const auto* m = std::get_if<ast::Meta>(&item); m && m->kind == ast::MetaKind::Severity)
      severity_ = m->word ? m->word->name : "";
    if (const auto* msg = std::get_if<ast::Message>(&item)) messages_[msg->name.name] = msg;
  }
  std::vector<std::string> import_errors;
  imports_ = resolve_imports(*req_.doc, *ctx_.modules, import_errors);
  const Millis started = now();  // a called runbook's duration counts from its own start
  auto finish = [&](Outcome o) {
    // Every notification's outcome is in the record before its end.
    if (depth_ == 0) notifier_.drain();
    // A parked gate unwinds the run as an interruption does; the alert's
    // resolution refuses the gate it waited at.
    if (bus_.parked() && o == Outcome::Interrupted) o = Outcome::Parked;
    if (bus_.alert_resolved() && o == Outcome::Refused) o = Outcome::AlertResolved;
    if (bus_.is_broken()) o = Outcome::RecordFailed;
    result.outcome = o;
    result.exit_code = exit_code_for(o);
    result.failed_step = failed_step_.empty() ? "" : qualified(failed_step_);
    result.steps_run = steps_run_;
    result.escalations = escalations_;
    for (const auto& [id, m] : causes_)
      if (m) result.causes.push_back(qualified(id));
    ev::RunTotals end{.outcome = o,
                      .exit_code = result.exit_code,
                      .duration_ms = count(now() - (depth_ == 0 ? bus_.start() : started)),
                      .failed_step = result.failed_step,
                      .causes = result.causes,
                      .steps_run = result.steps_run,
                      .escalations = result.escalations};
    if (o == Outcome::RecordFailed) result.message = record_failure();
    if (!result.message.empty()) end.message = result.message;
    if (depth_ > 0)
      bus_.emit(ev::CallRunEnd{{end}, rb_.name.name});
    else
      bus_.emit(ev::RunEnd{{end}});
    bus_.sync();
    if (depth_ == 0 && bus_.is_broken() && result.outcome != Outcome::RecordFailed) {
      // The last event or the final sync failed: the run is over, but its
      // record is not whole, and the exit code must say so.
      result.outcome = Outcome::RecordFailed;
      result.exit_code = exit_code_for(result.outcome);
      result.message = record_failure();
    }
    return result;
  };

  if (depth_ == 0) bus_.set_start(now());
  declare_captures();
  // A called runbook is held to its caller's stricter gates, not only its own.
  gate_severity_ = called_gate_severity(inherited_severity_, severity_, ctx_.config->policy);
  ev::RunInfo info;
  for (const auto& [name, v] : req_.params) info.params[name] = {to_json(v)};
  for (const auto& item : rb_.items)
    if (const auto* sec = std::get_if<ast::Secret>(&item)) info.secrets.push_back(sec->name.name);
  for (const auto& item : rb_.items)
    if (const auto* m = std::get_if<ast::Meta>(&item); m && m->kind == ast::MetaKind::Title)
      info.title = m->text ? m->text->plain() : "";
  // Secrets first: the masker must know every one of them before the first
  // event (run_start holds the parameters, which may contain one).
  if (depth_ == 0) bus_.set_secret_sources(secret_sources());
  std::vector<ev::Body> secret_events;
  const Outcome secrets_read = resolve_secrets(result.message, secret_events);
  info.run_id = ctx_.run_id;
  info.runbook = rb_.name.name;
  info.file = req_.file;
  info.sha256 = req_.sha256;
  if (!req_.modules.empty()) info.modules = req_.modules;
  info.severity = severity_;
  info.user = ctx_.op->user();
  info.config = config_in_force();
  info.rbk_version = RBK_VERSION;
  // The record's format version: once, at the top of the record (a called
  // runbook's call_run_start is inside the same record).
  if (depth_ > 0)
    bus_.emit(ev::CallRunStart{std::move(info)});
  else {
    ev::RunStart start{std::move(info)};
    // Always, empty for none: a record without it (an older rbk's) does not
    // say whether the run was narrowed, and its resume runs on no host.
    start.targets = std::vector<std::string>(ctx_.target_filter.begin(), ctx_.target_filter.end());
    bus_.emit(std::move(start));
  }
  if (depth_ == 0 && ctx_.alert) bus_.emit(*ctx_.alert);
  for (auto& e : secret_events) bus_.emit(std::move(e));
  for (const auto& e : import_errors) bus_.emit(ev::Warning{.message = e});
  if (secrets_read != Outcome::Resolved) return finish(secrets_read);

  if (const auto* sec = section(ast::SectionKind::Alert)) {
    Alert alert = run_alert(*sec);
    if (alert == Alert::Interrupted || interrupted()) return finish(Outcome::Interrupted);
    if (alert == Alert::Refused) return finish(Outcome::Refused);
    if (alert == Alert::Quiet) {
      if (!ctx_.force) {
        bus_.emit(ev::NotFiring{});
        return finish(Outcome::NotFiring);
      }
      bus_.emit(ev::Warning{.message = "no alert signal is firing; going on (--force)"});
    }
  }

  // The alert is real (or there is none): tell people, arm the timers.
  // A called runbook's rules too: its `after` counts from its own start and
  // stops when it ends (docs/language.md#call).
  Escalator escalator(*this, ctx_);
  escalator_ = &escalator;
  struct Forget {
    Escalator*& e;
    ~Forget() { e = nullptr; }
  } forget{escalator_};
  // Shadow mode pages nobody: people handle the incident; the run only shows
  // what automation would have done.
  if (!ctx_.shadow) fire_rules(ast::Trigger::Start);
  if (!ctx_.shadow) {
    std::vector<const ast::Escalation*> timers;
    if (const auto* sec = section(ast::SectionKind::Escalate))
      for (const auto& item : sec->items)
        if (const auto* e = std::get_if<ast::Escalation>(&item);
            e && (e->trigger == ast::Trigger::After || e->trigger == ast::Trigger::Every))
          timers.push_back(e);
    escalator.arm(timers, depth_ == 0 ? bus_.start() : started);
    for (const auto& [id, at] : std::exchange(early_successes_, {}))
      escalator.step_succeeded(id, at);
  }

  // Resuming: the run died or was interrupted, and someone must know (a rule
  // the run already delivered is not sent again: see ResumeState).
  if (depth_ == 0 && ctx_.resume && !ctx_.resume->parked()) {
    telling_death_ = true;
    fire_rules(ast::Trigger::OnInterrupted);
    telling_death_ = false;
  }

  // The end rules go out before `finally`: a page about a failure waits for
  // no cleanup. Ctrl-C skips `finally` (rbk resume runs it); a cleanup that
  // Ctrl-C cuts short leaves the run interrupted, so a resume finishes it.
  auto fail = [&](Outcome o) {
    escalator.stop();
    const bool stopped = o == Outcome::Interrupted || interrupted();
    // A parked run did not die: it waits for a person, who is told by rbk serve.
    // Shadow mode pages nobody and runs no cleanup: `finally` is recorded as
    // what would have run (a diagnosis gate denied, or its alert resolved).
    if (stopped && !bus_.is_broken() && !bus_.parked() && !ctx_.shadow)
      fire_rules(ast::Trigger::OnInterrupted);
    if (!stopped && o != Outcome::Refused && !ctx_.shadow) fire_rules(ast::Trigger::OnFailure);
    if (!stopped && ctx_.shadow) {
      if (const auto* sec = section(ast::SectionKind::Finally))
        run_shadow(*sec, ev::Section::Finally);
    } else if (!stopped) {
      run_finally();
    }
    return finish(stopped || interrupted() ? Outcome::Interrupted : o);
  };

  if (const auto* sec = section(ast::SectionKind::Diagnose)) {
    BlockResult d = run_diagnose(*sec);
    if (d.end == BlockEnd::Refused) return fail(Outcome::Refused);
  }
  if (interrupted()) return fail(Outcome::Interrupted);
  if (const auto* sec = section(ast::SectionKind::Causes)) run_causes(*sec);
  if (ctx_.shadow) {
    escalator.stop();
    if (const auto* sec = section(ast::SectionKind::Remediate))
      run_shadow(*sec, ev::Section::Remediate);
    if (const auto* sec = section(ast::SectionKind::Finally))
      run_shadow(*sec, ev::Section::Finally);
    return finish(interrupted() ? Outcome::Interrupted : Outcome::Shadow);
  }

  BlockResult r;
  if (const auto* sec = section(ast::SectionKind::Remediate)) r = run_remediate(*sec);
  if (r.end == BlockEnd::Interrupted || interrupted()) return fail(Outcome::Interrupted);
  if (r.end == BlockEnd::Refused) return fail(Outcome::Refused);
  if (r.end == BlockEnd::Failed && r.then == ast::FailurePolicy::Abort)
    return fail(Outcome::NotRestored);
  if (r.end == BlockEnd::Ok) {
    if (const auto* sec = section(ast::SectionKind::Verify)) r = run_verify(*sec);
    if (r.end == BlockEnd::Interrupted || interrupted()) return fail(Outcome::Interrupted);
    if (r.end == BlockEnd::Refused) return fail(Outcome::Refused);
  }
  if (r.end == BlockEnd::Failed) {
    bool restored = run_failure_path();
    if (interrupted()) return fail(Outcome::Interrupted);
    return fail(restored ? Outcome::Failed : Outcome::NotRestored);
  }
  escalator.stop();
  fire_rules(ast::Trigger::OnSuccess);
  run_finally();
  return finish(interrupted() ? Outcome::Interrupted : Outcome::Resolved);
}

}  // namespace rbk::engine
