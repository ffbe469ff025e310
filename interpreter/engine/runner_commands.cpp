// The Runner's commands: the environment a command gets, running it with
// its output masked, captures, `run`, `until`, `call`, templates.
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
#include "interpreter/base/sha256.hpp"
#include "interpreter/engine/runner.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

using nlohmann::json;

/// Writes `text` to DIR/NAME (0600), making DIR (0700) when needed; the
/// caller made the top directory private.
Expected<void, std::string> write_private_file(const std::string& dir, const std::string& name,
                                               std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir + ": " + ec.message());
  const std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("cannot write " + path + ": " + std::strerror(errno));
  const int err = write_all(fd, text);
  ::close(fd);
  if (err != 0) return fail("cannot write " + path + ": " + std::strerror(err));
  return {};
}

std::optional<Value> RunbookScope::variable(const std::string& name) const {
  return r_.runbook_variable(name);
}
const CaptureData* RunbookScope::capture(const std::string& name) const {
  return r_.capture(name);
}
bool RunbookScope::cause(const std::string& id) const {
  return r_.cause(id);
}
bool RunbookScope::step_field(const std::string& id, const std::string& field) const {
  return r_.step_field(id, field);
}

const std::vector<std::string>* RunbookScope::severity_order() const {
  return r_.severity_order();
}
const TargetCaptures* RunbookScope::target_capture(const std::string& name) const {
  return r_.target_capture(name);
}

// ------------------------------------------------------------------ Runner

std::vector<std::pair<std::string, std::string>> Runner::command_env(
    ev::Section section, const std::string& step, std::vector<std::string>* too_big) const {
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& [name, v] : req_.params) env.emplace_back(name, to_display(v));
  for (const auto& [name, v] : secrets_) env.emplace_back(name, v);
  {
    std::lock_guard lock(state_mu_);
    // Newest first: when the captures together outgrow the environment, the
    // ones a later step most likely reads are the ones kept.
    size_t total = 0;
    for (auto it = capture_order_.rbegin(); it != capture_order_.rend(); ++it) {
      const CaptureData& c = captures_.at(*it);
      std::string v = c.value();
      v.erase(std::remove(v.begin(), v.end(), '\0'), v.end());  // NUL cannot be in the environment
      if (v.size() > kMaxCaptureInEnv || total + v.size() > kMaxCapturesInEnv) {
        if (too_big) too_big->push_back(*it);
        continue;
      }
      total += v.size();
      env.emplace_back(*it, std::move(v));
    }
  }
  {
    std::lock_guard lock(state_mu_);
    for (const auto& [name, v] : answers_) env.emplace_back(name, to_display(v));
  }
  // Messages as they read now; one that names a capture not made yet is left
  // out rather than handed over half-written.
  for (const auto& [name, m] : messages_) {
    bool complete = false;
    std::optional<Value> v = message_value(name, &complete);
    if (!v || !complete) continue;
    std::string text = to_display(*v);
    text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
    env.emplace_back(name, std::move(text));
  }
  if (!ctx_.capture_dir.empty()) env.emplace_back("RBK_CAPTURES", capture_dir());
  if (binding_)
    for (const auto& [name, v] : binding_->values) env.emplace_back(name, to_display(v));
  env.emplace_back("RBK_RUN_ID", ctx_.run_id);
  env.emplace_back("RBK_RUNBOOK", rb_.name.name);
  env.emplace_back("RBK_SEVERITY", severity_);
  env.emplace_back("RBK_SECTION", std::string(name_of(section)));
  env.emplace_back("RBK_STEP", step);
  env.emplace_back("RBK_RECORD_DIR", ctx_.record_dir);
  return env;
}

CommandResult Runner::run_command(const ast::Shell& shell, Millis timeout, const std::string& step,
                                  ev::Section section, int attempt, bool evidence) {
  std::vector<std::string> too_big;
  CommandSpec spec = command_spec(shell.text, timeout, section, step, too_big);
  uint64_t seq = ++*seq_;
  std::vector<std::string> names;
  for (const auto& [n, v] : spec.env) names.push_back(n);
  ev::CommandStart start{.step = qualified(step),
                         .seq = seq,
                         .command = shell.text,
                         .line = shell.first_line,
                         .timeout_ms = count(timeout),
                         .attempt = attempt,
                         .env = std::move(names)};
  if (ctx_.resume) settle_in_flight(start, section, step);
  bus_.emit(start);
  if (write_ahead_) bus_.sync();  // on disk before the process exists
  std::optional<CommandResult> resumed;
  if (ctx_.resume) {
    resumed = resumed_result(start, section, step);
    seq = start.seq;
  }
  MaskingSink sink(bus_, seq, qualified(step), std::nullopt);
  CommandResult r;
  std::string unreadable = capture_too_big_for(shell.text, too_big);
  if (unreadable.empty()) unreadable = ungated_by_values(shell.text, spec.env, write_ahead_);
  if (resumed) {
    r = std::move(*resumed);
  } else if (!refused_start(unreadable, r)) {
    r = ctx_.runner->run(spec, &sink);
  }
  sink.finish();
  if (!r.ok()) block_all_ok_ = false;
  ev::CommandEnd end = step_command_end(qualified(step), seq, r, sink, !resumed, evidence);
  bus_.emit(std::move(end));
  if (write_ahead_) bus_.sync();  // on disk before anything else happens
  return r;
}

bool Runner::refused_start(const std::string& unreadable, CommandResult& r) const {
  if (bus_.is_broken()) {
    // Nothing runs that the record could not keep (this start included).
    r.cancelled = true;
    r.error = "not started: the run record cannot be written";
    return true;
  }
  if (!unreadable.empty()) {
    // It would read an empty value where its author expects the capture.
    r.spawn_failed = true;
    r.error = unreadable;
    return true;
  }
  return false;
}

ev::CommandEnd step_command_end(std::string step, uint64_t seq, const CommandResult& r,
                                const MaskingSink& sink, bool watched, bool evidence) {
  ev::CommandEnd end = command_end(std::move(step), seq, r);
  end.spawn_failed = r.spawn_failed;
  end.stdout_bytes = r.out.total_bytes;
  end.stderr_bytes = r.err.total_bytes;
  end.stdout_file = output_file(seq, Stream::Out);
  end.stderr_file = output_file(seq, Stream::Err);
  if (watched) {
    // A command counted done or failed on resume was not watched to its
    // end here: its files hold what the dead run kept, unhashed.
    end.stdout_sha256 = sink.sha256(Stream::Out);
    end.stderr_sha256 = sink.sha256(Stream::Err);
  }
  if (!r.error.empty()) end.error = r.error;
  if (evidence) end.evidence = true;
  return end;
}

CommandSpec Runner::command_spec(const std::string& script, Millis timeout, ev::Section section,
                                 const std::string& step, std::vector<std::string>& too_big) const {
  const Policy& policy = ctx_.config->policy;
  CommandSpec spec;
  spec.script = script;
  spec.env = command_env(section, step, &too_big);
  spec.unset_env = bus_.secret_sources();
  spec.timeout = timeout;
  spec.grace = policy.grace;
  spec.capture_limit = policy.capture_limit;
  return spec;
}

std::string Runner::capture_too_big_for(const std::string& script,
                                        const std::vector<std::string>& too_big) const {
  for (const auto& name : too_big) {
    if (!mentions_variable(script, name)) continue;
    size_t size;
    {
      std::lock_guard lock(state_mu_);
      size = captures_.at(name).value().size();
    }
    std::string why = format_str(
        "capture '{}' ({} KiB) is too large for the environment (over {} KiB for one "
        "capture, {} KiB for all)",
        name, (size + 1023) / 1024, kMaxCaptureInEnv / 1024, kMaxCapturesInEnv / 1024);
    if (ctx_.capture_dir.empty()) return why;
    return why + "; read it from the file \"$RBK_CAPTURES/" + name + "\"";
  }
  return {};
}

CaptureData capture_of(const CommandResult& r) {
  CaptureData c;
  c.ran = true;
  c.stdout_text = r.out.text;
  c.stderr_text = r.err.text;
  c.exit_code = r.exit_code;
  c.ok = r.ok();
  c.timed_out = r.timed_out;
  c.duration_ms = count(r.duration);
  return c;
}

void Runner::store_capture(const std::string& name, const CommandResult& r) {
  CaptureData c = capture_of(r);
  if (!ctx_.capture_dir.empty()) {
    if (auto written = write_private_file(capture_dir(), name, c.value()); !written)
      bus_.emit(ev::Warning{.message = "capture " + name + ": " + written.error()});
  }
  std::lock_guard lock(state_mu_);
  if (!captures_[name].ran) capture_order_.push_back(name);
  captures_[name] = std::move(c);
}

ev::CommandEnd command_end(std::string step, uint64_t seq, const CommandResult& r) {
  return {.step = std::move(step),
          .seq = seq,
          .exit = r.exit_code,
          .signal = r.signal,
          .timed_out = r.timed_out,
          .cancelled = r.cancelled,
          .ok = r.ok(),
          .duration_ms = count(r.duration)};
}

std::string describe_failure(const CommandResult& r, Millis timeout) {
  if (r.spawn_failed) return "could not start: " + r.error;
  if (r.cancelled) return "interrupted";
  if (r.timed_out) return "timed out after " + format_duration(count(timeout));
  if (r.signal) return format_str("killed by signal {}", r.signal);
  return format_str("exit {}", r.exit_code);
}

Millis Runner::deadline_of(const ast::Run& r) const {
  Millis timeout =
      r.timeout ? duration_of(*r.timeout, binding_) : ctx_.config->policy.default_timeout;
  // A parameter that gives no duration leaves the command its default
  // deadline, never none.
  return timeout > Millis(0) ? timeout : ctx_.config->policy.default_timeout;
}

BlockResult Runner::exec_run(const ast::Run& r, Mode mode, const std::string& step,
                             ev::Section section, bool evidence) {
  const Millis timeout = deadline_of(r);
  int attempts = 1 + static_cast<int>(r.retry.value_or(0));
  if (std::string missing = unanswered(r.retry_every ? &*r.retry_every : nullptr); !missing.empty())
    return {BlockEnd::Failed, missing};
  Millis every = r.retry_every ? duration_of(*r.retry_every, binding_) : kDefaultRetryEvery;
  for (int attempt = 1;; ++attempt) {
    CommandResult res = run_command(r.shell, timeout, step, section, attempt, evidence);
    if (r.capture) store_capture(r.capture->name, res);
    if (res.cancelled || interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    if (res.ok()) return {};
    if (mode == Mode::Inform) {
      // A non-zero exit is information here; a command that could not start
      // says nothing about the system, so its step fails (the run goes on).
      if (!res.spawn_failed) return {};
      return {BlockEnd::Failed, describe_failure(res, timeout)};
    }
    if (attempt >= attempts) return {BlockEnd::Failed, describe_failure(res, timeout)};
    if (!ctx_.clock->sleep_until(now() + every, ctx_.cancel))
      return {BlockEnd::Interrupted, "interrupted"};
  }
}

BlockResult Runner::exec_until(const ast::Until& u, Mode mode, const std::string& step,
                               ev::Section section) {
  for (const auto* d : {&u.within, u.every ? &*u.every : nullptr})
    if (std::string missing = unanswered(d); !missing.empty()) return {BlockEnd::Failed, missing};
  const Millis deadline = now() + duration_of(u.within, binding_);
  const Millis every = u.every ? duration_of(*u.every, binding_) : kDefaultUntilEvery;
  for (int attempt = 1;; ++attempt) {
    Millis left = std::max(deadline - now(), Millis(1000));
    CommandResult res = run_command(u.shell, std::min(left, ctx_.config->policy.default_timeout),
                                    step, section, attempt, false);
    if (res.cancelled || interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    if (res.ok()) return {};
    // The last try is at the deadline itself, not one interval before it.
    if (now() >= deadline) {
      std::string why = "not ready within " + duration_text(u.within, binding_) + " (" +
                        std::to_string(attempt) + (attempt == 1 ? " try" : " tries") + ")";
      if (mode == Mode::Inform) {
        bus_.emit(ev::Warning{.message = why, .step = qualified(step)});
        return {};
      }
      return {BlockEnd::Failed, why};
    }
    if (!ctx_.clock->sleep_until(std::min(now() + every, deadline), ctx_.cancel))
      return {BlockEnd::Interrupted, "interrupted"};
  }
}

BlockResult Runner::exec_call(const ast::Call& c, Mode mode, ev::Section section,
                              const std::string& step) {
  const std::string& name = c.runbook.name;
  if (depth_ + 1 > kMaxCallDepth) return {BlockEnd::Failed, "calls nested too deeply"};
  if (std::find(call_chain_.begin(), call_chain_.end(), name) != call_chain_.end())
    return {BlockEnd::Failed, "'" + name + "' is already running in this call chain"};
  auto found = ctx_.find_runbook ? ctx_.find_runbook(name)
                                 : Expected<const ast::Document*, std::string>(nullptr);
  const ast::Document* doc = found ? *found : nullptr;
  if (!doc || !doc->runbook())
    return {BlockEnd::Failed, "cannot call '" + name + "': " +
                                  (found || found.error().empty() ? std::string("runbook not found")
                                                                  : found.error())};
  // On the heap: a callee that resolves with undo blocks is kept, with
  // what it ran with, until this run ends (see run_undo_stack).
  auto called = std::make_unique<CalledRun>();
  RunRequest& sub = called->req;
  sub.doc = doc;
  sub.file = doc->source ? doc->source->path() : name;
  // What resume compares to know the called runbook did not change.
  sub.sha256 = doc->source ? sha256_hex(doc->source->text()) : "";
  // Arguments are evaluated here, in the caller; defaults fill the rest.
  std::vector<const ast::Param*> declared = declared_params(*doc->runbook());
  for (const auto& a : c.args) {
    // Only declared parameters, converted to their types: an argument can
    // neither set PATH nor smuggle a value past an enum.
    auto p = std::find_if(declared.begin(), declared.end(),
                          [&](const ast::Param* d) { return d->name.name == a.name.name; });
    if (p == declared.end())
      return {BlockEnd::Failed, "'" + name + "' has no parameter '" + a.name.name + "'"};
    Eval<Value> evaluated = Value{};
    {
      std::lock_guard lock(state_mu_);
      evaluated = evaluate(*a.value, *this);
    }
    if (!evaluated)
      return {BlockEnd::Failed, evaluated.error().span.where() + ": " + evaluated.error().what()};
    Value v = std::move(*evaluated);
    if (v.kind != ValueKind::List) {
      auto converted = convert_param(**p, to_display(v));
      if (!converted)
        return {BlockEnd::Failed,
                "'" + name + "' parameter '" + a.name.name + "': " + converted.error()};
      v = std::move(*converted);
    }
    sub.params[a.name.name] = std::move(v);
  }
  for (const auto& item : doc->runbook()->items) {
    const auto* p = std::get_if<ast::Param>(&item);
    if (!p || sub.params.count(p->name.name)) continue;
    if (!p->default_value)
      return {BlockEnd::Failed,
              "'" + name + "' needs parameter '" + p->name.name + "': add it to 'with'"};
    sub.params[p->name.name] = default_value(*p);
  }
  std::vector<std::string> chain = call_chain_;
  chain.push_back(rb_.name.name);
  called->runner =
      std::make_unique<Runner>(ctx_, bus_, notifier_, sub, depth_ + 1, prefix_ + name + "/", chain);
  Runner& callee = *called->runner;
  callee.share_seq(seq_);
  callee.inherit_severity(gate_severity_);
  if (ctx_.park_at_gates) callee.continue_with(remaining_after_call(step, c));
  bus_.emit(ev::CallStart{.step = qualified(step), .runbook = name});
  RunResult r = callee.run();
  bus_.emit(ev::CallEnd{.step = qualified(step), .runbook = name, .outcome = r.outcome});
  // The summary counts what the called runbook did, as part of this run.
  steps_run_ += r.steps_run;
  escalations_ += r.escalations;
  // What it changed is undone if this run fails later, like a step's undo
  // (a callee that failed has run its own undo and rollback already).
  // Only a remediation step's call: undo blocks, rollback and finally come
  // after the undo stack has been run, or never lead to it.
  if (r.outcome == Outcome::Resolved && mode == Mode::Act && section == ev::Section::Remediate &&
      callee.undo_count() > 0) {
    undo_stack_.push_back({.step = step, .called = &callee, .targets = {}});
    called_runs_.push_back(std::move(called));
  }
  switch (r.outcome) {
    case Outcome::Resolved:
    case Outcome::NotFiring:
      return {};
    case Outcome::Interrupted:
      return {BlockEnd::Interrupted, "interrupted"};
    case Outcome::Refused:
      return {BlockEnd::Refused, "'" + name + "' stopped at a gate"};
    default:
      return {BlockEnd::Failed, "'" + name + "' " + outcome_name(r.outcome) +
                                    (r.failed_step.empty() ? "" : " at " + r.failed_step)};
  }
}

void Runner::bind_template(const StepStatement& s) {
  if (!s.use) {
    binding_ = nullptr;
    return;
  }
  auto it = bindings_.find(s.use);
  if (it == bindings_.end()) {
    // Bind once per use, in the caller's names: arguments, then defaults.
    TemplateBinding b;
    binding_ = nullptr;
    for (const auto& a : s.use->args) {
      Eval<Value> v = Value{};
      {
        std::lock_guard lock(state_mu_);
        v = evaluate(*a.value, *this);
      }
      if (v)
        b.values[a.name.name] = std::move(*v);
      else
        warn(s.use->name.name, v.error());
    }
    for (const auto& p : s.tmpl->params)
      if (!b.values.count(p.name.name) && p.default_value) b.values[p.name.name] = default_value(p);
    it = bindings_.emplace(s.use, std::move(b)).first;
  }
  binding_ = &it->second;
}

BlockResult Runner::exec_one(const StepStatement& s, Mode mode, const std::string& step,
                             ev::Section section, bool evidence) {
  bind_template(s);
  if (const auto* r = std::get_if<ast::Run>(s.stmt))
    return exec_run(*r, mode, step, section, evidence);
  if (const auto* u = std::get_if<ast::Until>(s.stmt)) return exec_until(*u, mode, step, section);
  if (const auto* n = std::get_if<ast::Note>(s.stmt)) {
    bus_.emit(ev::Note{.step = qualified(step), .text = text(n->text, step)});
    return {};
  }
  if (const auto* m = std::get_if<ast::Manual>(s.stmt)) {
    std::string instruction = bus_.mask(text(m->text, step));
    ev::Manual event{.step = qualified(step), .text = instruction, .by = ctx_.op->user()};
    std::optional<ManualAnswer> a;
    std::optional<ev::Manual> recorded;
    if (ctx_.resume) recorded = ctx_.resume->recorded_manual(qualified(step));
    if (recorded) {  // answered before the run died
      a = recorded->answer.value;
      event.via = recorded->via;
    } else if (ctx_.approve.count(qualified(step))) {
      a = ManualAnswer::Done;
      event.via = ev::Via::Approve;
    } else if (ctx_.op->interactive()) {
      a = ctx_.op->manual(instruction);
      event.via = ev::Via::Tty;
    }
    if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    event.answer.value = a;
    bus_.emit(std::move(event));
    if (!a) {
      return {BlockEnd::Refused,
              ctx_.op->interactive()
                  ? "no answer to the manual step"
                  : "manual step without a terminal; approve it with --approve " + qualified(step) +
                        " once it is done"};
    }
    if (*a == ManualAnswer::Skip) return {BlockEnd::Skipped, "skipped by the operator"};
    if (*a == ManualAnswer::Fail) return {BlockEnd::Failed, "failed by the operator"};
    return {};
  }
  if (const auto* a = std::get_if<ast::Ask>(s.stmt)) return exec_ask(*a, step);
  if (const auto* c = std::get_if<ast::Call>(s.stmt)) return exec_call(*c, mode, section, step);
  if (const auto* n = std::get_if<ast::Notify>(s.stmt)) {
    deliver(*n, nullptr, step);
    return {};
  }
  return {};  // markers: destructive, evidence, confirm (the gate), on failure, undo, …
}

BlockResult Runner::exec(const std::vector<StepStatement>& stmts, Mode mode,
                         const std::string& step, ev::Section section, bool evidence) {
  // The block a resume's probe is looked for in (probe_of_step); not left
  // pointing at this one once it is over.
  const auto* outer = std::exchange(stmts_, &stmts);
  struct Restore {
    const std::vector<StepStatement>*& at;
    const std::vector<StepStatement>* was;
    ~Restore() { at = was; }
  } restore{stmts_, outer};
  bool acted = false;  // a `run` of this block succeeded
  for (const auto& s : stmts) {
    if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    BlockResult r = exec_one(s, mode, step, section, evidence);
    binding_ = nullptr;
    if (r.end == BlockEnd::Ok && std::holds_alternative<ast::Run>(*s.stmt)) acted = true;
    if (r.end != BlockEnd::Ok) {
      r.changed = r.end == BlockEnd::Failed && acted && std::holds_alternative<ast::Until>(*s.stmt);
      return r;
    }
  }
  return {};
}

}  // namespace rbk::engine
