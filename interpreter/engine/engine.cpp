#include "interpreter/engine/engine.hpp"

#include "interpreter/base/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "interpreter/base/format_str.hpp"

#include "interpreter/engine/notifier.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Resolved:
      return "resolved";
    case Outcome::NotFiring:
      return "not_firing";
    case Outcome::Failed:
      return "failed";
    case Outcome::NotRestored:
      return "not_restored";
    case Outcome::Refused:
      return "refused";
    case Outcome::Interrupted:
      return "interrupted";
    case Outcome::Error:
      return "error";
    case Outcome::RecordFailed:
      return "record_failed";
  }
  return "error";
}

int exit_code_for(Outcome o) {
  switch (o) {
    case Outcome::Resolved:
    case Outcome::NotFiring:
      return 0;
    case Outcome::Failed:
      return 1;
    case Outcome::Error:
      return 2;
    case Outcome::NotRestored:
      return 3;
    case Outcome::Refused:
      return 4;
    case Outcome::RecordFailed:
      return 5;
    case Outcome::Interrupted:
      return 130;
  }
  return 2;
}

namespace {

using nlohmann::json;

constexpr Millis kDefaultRetryEvery{5000};
constexpr Millis kDefaultUntilEvery{5000};
constexpr Millis kDefaultCheckEvery{10000};
constexpr Millis kNotifyTimeout{30000};
constexpr int kMaxCallDepth = 8;

int64_t count(Millis d) {
  return d.count();
}

/// True when shell text mentions `$name` or `${name…}` anywhere (quoted or
/// not): on the side of refusing a command that may read it.
bool mentions_variable(std::string_view script, std::string_view name) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = script.find(name); at != std::string_view::npos;
       at = script.find(name, at + 1)) {
    size_t end = at + name.size();
    if (end < script.size() && ident(script[end])) continue;
    if (at >= 1 && script[at - 1] == '$') return true;
    if (at >= 2 && script[at - 1] == '{' && script[at - 2] == '$') return true;
  }
  return false;
}

/// Writes `text` to DIR/NAME (0600), making DIR (0700) when needed; the
/// caller made the top directory private.
bool write_private_file(const std::string& dir, const std::string& name, std::string_view text,
                        std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  const std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  const int err = write_all(fd, text);
  if (err != 0) error = "cannot write " + path + ": " + std::strerror(err);
  ::close(fd);
  return err == 0;
}

/// Serialises, masks and stamps events for every sink. Shared by a run, the
/// runbooks it calls and the escalation timer thread.
class Bus {
 public:
  Bus(EngineContext& ctx, Masker& masker) : ctx_(ctx), masker_(masker) {}
  /// Adds a secret value (a called runbook's may arrive while a timer fires).
  void add_secret(const std::string& v) {
    std::unique_lock lock(mask_mu_);
    masker_.add_secret(v);
  }
  /// `text` with secrets and redaction patterns masked.
  std::string mask(std::string_view text) const {
    std::shared_lock lock(mask_mu_);
    return masker_.mask(text);
  }
  /// Releases what a stream masker can release of `chunk`, masked.
  std::string mask_chunk(StreamMasker& m, std::string_view chunk) const {
    std::shared_lock lock(mask_mu_);
    return m.push(chunk);
  }
  std::string mask_finish(StreamMasker& m) const {
    std::shared_lock lock(mask_mu_);
    return m.finish();
  }

  void emit(const std::string& type, json data) {
    Event e;
    e.type = type;
    {
      std::shared_lock lock(mask_mu_);
      e.data = masker_.mask(data);
    }
    // Stamped under the lock, so times never go backwards in the record.
    std::lock_guard lock(mu_);
    e.elapsed_ms = count(ctx_.clock->now() - start_);
    e.time = ctx_.clock->wall_time();
    for (auto* s : ctx_.sinks) s->event(e);
    check_sinks();
  }
  void output(uint64_t seq, Stream stream, std::string_view masked) {
    if (masked.empty()) return;
    std::lock_guard lock(mu_);
    for (auto* s : ctx_.sinks) s->output(seq, stream, masked);
    check_sinks();
  }
  void sync() {
    std::lock_guard lock(mu_);
    for (auto* s : ctx_.sinks) s->sync();
    check_sinks();
  }
  /// Why the record can no longer be written (empty while it can). Once set,
  /// the run is cancelled: no further command, gate or notification runs.
  std::string broken() const {
    std::lock_guard lock(broken_mu_);
    return broken_;
  }
  /// broken() is not empty; cheap enough to ask before every command.
  bool is_broken() const { return broken_flag_.load(); }
  void set_start(Millis t) { start_ = t; }
  Millis start() const { return start_; }
  const Masker& masker() const { return masker_; }
  /// The environment variables secrets are read from, in this runbook and
  /// the ones it calls: no command inherits them (see CommandSpec::unset_env).
  const std::vector<std::string>& secret_sources() const { return secret_sources_; }
  void set_secret_sources(std::vector<std::string> names) { secret_sources_ = std::move(names); }

 private:
  // Called under mu_ after every write. The first failure cancels the run:
  // the running command's process group is ended through the same token as
  // Ctrl-C, and every later command, gate and notification is refused.
  void check_sinks() {
    {
      std::lock_guard lock(broken_mu_);
      if (!broken_.empty()) return;
      for (auto* s : ctx_.sinks)
        if (std::string why = s->failure(); !why.empty()) {
          broken_ = std::move(why);
          break;
        }
      if (broken_.empty()) return;
    }
    broken_flag_.store(true);
    if (ctx_.cancel) ctx_.cancel->cancel();
  }

  EngineContext& ctx_;
  Masker& masker_;
  mutable std::shared_mutex mask_mu_;  // add_secret against concurrent masking
  std::mutex mu_;                      // one event or chunk at a time, in order
  Millis start_{0};
  std::vector<std::string> secret_sources_;  // set before the first command
  mutable std::mutex broken_mu_;
  std::string broken_;
  std::atomic<bool> broken_flag_{false};
};

/// Masks a command's output per stream and hands it to the bus.
class MaskingSink final : public OutputSink {
 public:
  MaskingSink(Bus& bus, uint64_t seq)
      : bus_(bus), seq_(seq), out_(bus.masker()), err_(bus.masker()) {}
  void on_output(Stream stream, std::string_view chunk) override {
    bus_.output(seq_, stream, bus_.mask_chunk(stream == Stream::Out ? out_ : err_, chunk));
  }
  void finish() {
    bus_.output(seq_, Stream::Out, bus_.mask_finish(out_));
    bus_.output(seq_, Stream::Err, bus_.mask_finish(err_));
  }

 private:
  Bus& bus_;
  uint64_t seq_;
  StreamMasker out_, err_;
};

/// What a step, signal or check did, for `step.ID.field` (set by name:
/// StepState{.ran = true, .ok = true}). Not one status: a failed step whose
/// gate passed also `ran`.
struct StepState {
  bool ran = false;
  bool ok = false;
  bool failed = false;
  bool skipped = false;
  bool refused = false;
};

/// How a block of statements ended.
enum class BlockEnd { Ok, Failed, Skipped, Refused, Interrupted };

struct BlockResult {
  BlockEnd end = BlockEnd::Ok;
  std::string reason;  // for the record: why it failed, was skipped or refused
  /// For a failed remediate step: what its `on failure` says happens next.
  ast::FailurePolicy then = ast::FailurePolicy::Rollback;
};

/// Whether non-zero exits are information (alert, diagnose, verify) or
/// failures (remediate, rollback, undo).
enum class Mode { Inform, Act };

/// A template's parameters, bound for one `use`: the names its statements see.
struct TemplateBinding {
  std::map<std::string, Value> values;
};

class Runner;

/// The runbook's own names, whatever template is running: what escalation
/// rules see (they may fire from the timer thread mid-template).
class RunbookScope final : public Scope {
 public:
  explicit RunbookScope(const Runner& r) : r_(r) {}
  std::optional<Value> variable(const std::string& name) const override;
  const CaptureData* capture(const std::string& name) const override;
  bool cause(const std::string& id) const override;
  bool step_field(const std::string& id, const std::string& field) const override;

 private:
  const Runner& r_;
};

/// Escalation rules: start, after-timers (a thread on the real clock; clock
/// listeners on a fake one, so virtual time fires them deterministically),
/// on failure and on success.
class Escalator {
 public:
  Escalator(Runner& run, EngineContext& ctx) : run_(run), ctx_(ctx) {}
  ~Escalator() { stop(); }
  void arm(std::vector<const ast::Escalation*> timers, Millis start);
  void stop();

 private:
  void fire_due(Millis now);

  Runner& run_;
  EngineContext& ctx_;
  std::vector<const ast::Escalation*> timers_;  // sorted by `after`
  size_t next_ = 0;
  Millis start_{0};
  std::mutex mu_;
  std::unique_ptr<Timer> timer_;  // last: stopped before the rest goes
};

/// One runbook's run. A `call` makes a nested Runner sharing the bus.
class Runner final : public Scope {
 public:
  Runner(EngineContext& ctx, Bus& bus, Notifier& notifier, const RunRequest& req, int depth,
         std::string prefix, std::vector<std::string> call_chain)
      : ctx_(ctx),
        bus_(bus),
        notifier_(notifier),
        req_(req),
        rb_(*req.doc->runbook()),
        depth_(depth),
        prefix_(std::move(prefix)),
        call_chain_(std::move(call_chain)) {}

  RunResult run();

  // Scope
  std::optional<Value> variable(const std::string& name) const override {
    if (binding_) {
      // A template sees its own parameters and the built-ins, nothing else.
      auto it = binding_->values.find(name);
      if (it != binding_->values.end()) return it->second;
      return builtin(name);
    }
    return runbook_variable(name);
  }
  std::optional<Value> builtin(const std::string& name) const {
    if (name == "severity") return Value::of_text(severity_);
    if (name == "runbook") return Value::of_text(rb_.name.name);
    if (name == "run_id") return Value::of_text(ctx_.run_id);
    if (name == "failed_step") return Value::of_text(failed_step_);
    return std::nullopt;
  }
  const CaptureData* capture(const std::string& name) const override {
    auto it = captures_.find(name);
    return it == captures_.end() ? nullptr : &it->second;
  }
  bool cause(const std::string& id) const override {
    auto it = causes_.find(id);
    return it != causes_.end() && it->second;
  }
  bool step_field(const std::string& id, const std::string& field) const override {
    auto it = steps_.find(id);
    if (it == steps_.end()) return false;
    const StepState& s = it->second;
    if (field == "ran") return s.ran;
    if (field == "ok") return s.ok;
    if (field == "failed") return s.failed;
    if (field == "skipped") return s.skipped;
    if (field == "refused") return s.refused;
    return false;
  }

  /// Fires one escalation rule (from the engine thread or the timer thread).
  void escalate(const ast::Escalation& rule);
  /// A parameter or built-in, ignoring any template binding.
  std::optional<Value> runbook_variable(const std::string& name) const {
    if (auto it = req_.params.find(name); it != req_.params.end()) return it->second;
    return builtin(name);
  }
  Bus& bus() { return bus_; }

 private:
  // ------------------------------------------------------------ helpers
  std::string qualified(const std::string& id) const { return prefix_ + id; }
  /// Ctrl-C and friends, or a record that can no longer be written.
  bool interrupted() const { return (ctx_.cancel && ctx_.cancel->cancelled()) || bus_.is_broken(); }
  Millis now() const { return ctx_.clock->now(); }

  void set_step(const std::string& id, StepState s) {
    std::lock_guard lock(state_mu_);
    steps_[id] = s;
  }

  /// Evaluates a condition; an error is reported and counts as false.
  bool condition(const ast::Expr& e, const std::string& where) {
    try {
      std::lock_guard lock(state_mu_);
      return evaluate_condition(e, *this);
    } catch (const EvalError& err) {
      warn(where, err);
      return false;
    }
  }
  /// A string with its ${…} parts evaluated. A part that cannot be evaluated
  /// stays as written (and is warned about); the others still show their
  /// values, so a prompt never hides the target it asks about.
  std::string text(const ast::StringLit& s, const std::string& where) {
    std::string out;
    std::vector<EvalError> errors;
    {
      std::lock_guard lock(state_mu_);
      out = interpolate(s, *this, &errors);
    }
    for (const auto& err : errors) warn(where, err);
    return out;
  }
  /// The rbk.yaml the run is under, null when none (rbk's defaults).
  json config_in_force() const {
    return ctx_.config->path.empty() ? json(nullptr) : json(ctx_.config->path);
  }
  std::string record_failure() const {
    return "the run record could not be written (" + bus_.broken() +
           "); rbk stopped and ran nothing more";
  }
  void warn(const std::string& where, const EvalError& err) {
    bus_.emit("warning",
              {{"step", qualified(where)}, {"message", err.span.where() + ": " + err.what()}});
  }

  /// What a command of `step` gets in its environment; the captures too
  /// large for it are named in `too_big` (they are only in capture_dir()).
  std::vector<std::pair<std::string, std::string>> command_env(
      const std::string& section, const std::string& step,
      std::vector<std::string>* too_big = nullptr) const;
  /// This runbook's folder of capture files (a called runbook has its own).
  std::string capture_dir() const {
    return prefix_.empty() ? ctx_.capture_dir : ctx_.capture_dir + "/" + prefix_;
  }
  /// Why `script` cannot run with the captures in `too_big` left out of its
  /// environment (it mentions one); empty when it can.
  std::string capture_too_big_for(const std::string& script,
                                  const std::vector<std::string>& too_big) const;
  CommandResult run_command(const ast::Shell& shell, Millis timeout, const std::string& step,
                            const std::string& section, int attempt, bool evidence);
  void store_capture(const std::string& name, const CommandResult& r);

  BlockResult exec(const std::vector<StepStatement>& stmts, Mode mode, const std::string& step,
                   const std::string& section, bool evidence);
  BlockResult exec_one(const StepStatement& s, Mode mode, const std::string& step,
                       const std::string& section, bool evidence);
  BlockResult exec_run(const ast::Run& r, Mode mode, const std::string& step,
                       const std::string& section, bool evidence);
  BlockResult exec_until(const ast::Until& u, Mode mode, const std::string& step,
                         const std::string& section);
  BlockResult exec_call(const ast::Call& c, const std::string& step);
  Gate gate_of(const std::vector<StepStatement>& stmts) const;
  /// Asks the gate of a step whose statements are `stmts` (their commands
  /// are shown, every line, before the question).
  BlockResult pass_gate(const Gate& g, const std::string& step, const std::string& title,
                        const std::vector<StepStatement>& stmts);
  BlockResult gated_exec(const std::vector<StepStatement>& stmts, const Gate& g,
                         const std::string& id, const std::string& title, Mode mode,
                         const std::string& section, bool evidence, bool* gate_passed);
  void bind_template(const StepStatement& s);

  /// Runs a step of diagnose, remediate or rollback; returns its end.
  BlockResult run_step(const ast::Step& st, const std::string& section, Mode mode);
  enum class Alert { Firing, Quiet, Refused, Interrupted };
  Alert run_alert(const ast::Section& sec);
  BlockResult run_diagnose(const ast::Section& sec);
  void run_causes(const ast::Section& sec);
  BlockResult run_remediate(const ast::Section& sec);
  BlockResult run_verify(const ast::Section& sec);
  bool run_failure_path();
  void fire_rules(ast::Trigger trigger);
  void deliver(const ast::Notify& n, const ast::Escalation* rule, const std::string& step);
  void declare_captures();
  /// Reads every secret (environment or command) before anything is
  /// recorded; the events it would have emitted are returned in `events`.
  Outcome resolve_secrets(std::string& error,
                          std::vector<std::pair<std::string, nlohmann::json>>& events);
  /// The environment variables the secrets of this runbook, and of the
  /// runbooks it calls (as far as they can be found), are read from.
  std::vector<std::string> secret_sources();

  const ast::Section* section(ast::SectionKind k) const {
    for (const auto& item : rb_.items)
      if (const auto* s = std::get_if<ast::Section>(&item); s && s->kind == k) return s;
    return nullptr;
  }

  EngineContext& ctx_;
  Bus& bus_;
  Notifier& notifier_;  // runs notification commands (shared with called runbooks)
  const RunRequest& req_;
  const ast::Runbook& rb_;
  int depth_;
  std::string prefix_;
  std::vector<std::string> call_chain_;
  Imports imports_;
  std::string severity_;
  std::string gate_severity_;       // the severity gates are decided with (see run())
  std::string inherited_severity_;  // the caller's gate severity, for a called runbook

  mutable std::mutex state_mu_;  // what the timer thread reads: captures, steps, causes
  std::map<std::string, CaptureData> captures_;
  std::vector<std::string> capture_order_;  // names in the order they were made
  std::map<std::string, bool> causes_;
  std::map<std::string, StepState> steps_;
  std::string failed_step_;
  std::vector<std::pair<std::string, std::string>> secrets_;  // name, value
  const TemplateBinding* binding_ = nullptr;                  // set while a template runs
  std::map<const ast::Use*, TemplateBinding> bindings_;

  struct Undo {
    std::string step;
    const ast::Undo* undo;
    const ast::Use* use;
    const ast::Template* tmpl;
  };
  std::vector<Undo> undo_stack_;
  int steps_run_ = 0;
  std::atomic<int> escalations_{0};
  uint64_t* seq_ = nullptr;  // shared command counter (owned by the top-level run)
  uint64_t own_seq_ = 0;
  bool block_all_ok_ = true;  // every command of the current signal/check exited 0

 public:
  void share_seq(uint64_t* seq) { seq_ = seq; }
  void inherit_severity(const std::string& s) { inherited_severity_ = s; }
};

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

// ------------------------------------------------------------------ Escalator

void Escalator::arm(std::vector<const ast::Escalation*> timers, Millis start) {
  std::sort(timers.begin(), timers.end(),
            [](const auto* a, const auto* b) { return a->after->ms < b->after->ms; });
  timers_ = std::move(timers);
  start_ = start;
  if (timers_.empty()) return;
  std::vector<Millis> dues;
  for (const auto* t : timers_) dues.push_back(start_ + Millis(t->after->ms));
  timer_ = ctx_.clock->schedule(std::move(dues), [this](Millis now) {
    try {
      fire_due(now);
    } catch (const std::exception& e) {
      // A timer must not take the run down; say it in the record instead.
      run_.bus().emit("warning", {{"message", std::string("escalation timer: ") + e.what()}});
    }
  });
}

void Escalator::fire_due(Millis now) {
  while (true) {
    const ast::Escalation* rule = nullptr;
    {
      std::lock_guard lock(mu_);
      if (next_ >= timers_.size() || start_ + Millis(timers_[next_]->after->ms) > now) return;
      rule = timers_[next_++];
    }
    run_.escalate(*rule);
  }
}

void Escalator::stop() {
  timer_.reset();
}

// ------------------------------------------------------------------ Runner

std::vector<std::pair<std::string, std::string>> Runner::command_env(
    const std::string& section, const std::string& step, std::vector<std::string>* too_big) const {
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
  if (!ctx_.capture_dir.empty()) env.emplace_back("RBK_CAPTURES", capture_dir());
  if (binding_)
    for (const auto& [name, v] : binding_->values) env.emplace_back(name, to_display(v));
  env.emplace_back("RBK_RUN_ID", ctx_.run_id);
  env.emplace_back("RBK_RUNBOOK", rb_.name.name);
  env.emplace_back("RBK_SEVERITY", severity_);
  env.emplace_back("RBK_SECTION", section);
  env.emplace_back("RBK_STEP", step);
  env.emplace_back("RBK_RECORD_DIR", ctx_.record_dir);
  return env;
}

CommandResult Runner::run_command(const ast::Shell& shell, Millis timeout, const std::string& step,
                                  const std::string& section, int attempt, bool evidence) {
  const Policy& policy = ctx_.config->policy;
  CommandSpec spec;
  spec.script = shell.text;
  std::vector<std::string> too_big;
  spec.env = command_env(section, step, &too_big);
  spec.unset_env = bus_.secret_sources();
  spec.timeout = timeout;
  spec.grace = policy.grace;
  spec.capture_limit = policy.capture_limit;
  uint64_t seq = ++*seq_;
  json names = json::array();
  for (const auto& [n, v] : spec.env) names.push_back(n);
  bus_.emit("command_start", {{"step", qualified(step)},
                              {"seq", seq},
                              {"command", shell.text},
                              {"line", shell.first_line},
                              {"timeout_ms", count(timeout)},
                              {"attempt", attempt},
                              {"env", names}});
  MaskingSink sink(bus_, seq);
  CommandResult r;
  std::string unreadable = capture_too_big_for(shell.text, too_big);
  if (bus_.is_broken()) {
    // Nothing runs that the record could not keep (this start included).
    r.cancelled = true;
    r.error = "not started: the run record cannot be written";
  } else if (!unreadable.empty()) {
    // It would read an empty value where its author expects the capture.
    r.spawn_failed = true;
    r.error = unreadable;
  } else {
    r = ctx_.runner->run(spec, &sink);
  }
  sink.finish();
  if (!r.ok()) block_all_ok_ = false;
  json end = {{"step", qualified(step)},
              {"seq", seq},
              {"exit", r.exit_code},
              {"signal", r.signal},
              {"timed_out", r.timed_out},
              {"cancelled", r.cancelled},
              {"spawn_failed", r.spawn_failed},
              {"ok", r.ok()},
              {"duration_ms", count(r.duration)},
              {"stdout_bytes", r.out.total_bytes},
              {"stderr_bytes", r.err.total_bytes},
              {"stdout_file", output_file(seq, Stream::Out)},
              {"stderr_file", output_file(seq, Stream::Err)}};
  if (!r.error.empty()) end["error"] = r.error;
  if (evidence) end["evidence"] = true;
  bus_.emit("command_end", std::move(end));
  return r;
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

void Runner::store_capture(const std::string& name, const CommandResult& r) {
  CaptureData c;
  c.ran = true;
  c.stdout_text = r.out.text;
  c.stderr_text = r.err.text;
  c.exit_code = r.exit_code;
  c.ok = r.ok();
  c.timed_out = r.timed_out;
  c.duration_ms = count(r.duration);
  if (!ctx_.capture_dir.empty()) {
    std::string error;
    if (!write_private_file(capture_dir(), name, c.value(), error))
      bus_.emit("warning", {{"message", "capture " + name + ": " + error}});
  }
  std::lock_guard lock(state_mu_);
  if (!captures_[name].ran) capture_order_.push_back(name);
  captures_[name] = std::move(c);
}

std::string describe_failure(const CommandResult& r, Millis timeout) {
  if (r.spawn_failed) return "could not start: " + r.error;
  if (r.cancelled) return "interrupted";
  if (r.timed_out) return "timed out after " + format_duration(count(timeout));
  if (r.signal) return format_str("killed by signal {}", r.signal);
  return format_str("exit {}", r.exit_code);
}

BlockResult Runner::exec_run(const ast::Run& r, Mode mode, const std::string& step,
                             const std::string& section, bool evidence) {
  Millis timeout = r.timeout ? Millis(r.timeout->ms) : ctx_.config->policy.default_timeout;
  int attempts = 1 + static_cast<int>(r.retry.value_or(0));
  Millis every = r.retry_every ? Millis(r.retry_every->ms) : kDefaultRetryEvery;
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
                               const std::string& section) {
  const Millis deadline = now() + Millis(u.within.ms);
  const Millis every = u.every ? Millis(u.every->ms) : kDefaultUntilEvery;
  for (int attempt = 1;; ++attempt) {
    Millis left = std::max(deadline - now(), Millis(1000));
    CommandResult res = run_command(u.shell, std::min(left, ctx_.config->policy.default_timeout),
                                    step, section, attempt, false);
    if (res.cancelled || interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    if (res.ok()) return {};
    // The last try is at the deadline itself, not one interval before it.
    if (now() >= deadline) {
      std::string why = "not ready within " + u.within.text + " (" + std::to_string(attempt) +
                        (attempt == 1 ? " try" : " tries") + ")";
      if (mode == Mode::Inform) {
        bus_.emit("warning", {{"step", qualified(step)}, {"message", why}});
        return {};
      }
      return {BlockEnd::Failed, why};
    }
    if (!ctx_.clock->sleep_until(std::min(now() + every, deadline), ctx_.cancel))
      return {BlockEnd::Interrupted, "interrupted"};
  }
}

BlockResult Runner::exec_call(const ast::Call& c, const std::string& step) {
  const std::string& name = c.runbook.name;
  if (depth_ + 1 > kMaxCallDepth) return {BlockEnd::Failed, "calls nested too deeply"};
  if (std::find(call_chain_.begin(), call_chain_.end(), name) != call_chain_.end())
    return {BlockEnd::Failed, "'" + name + "' is already running in this call chain"};
  std::string error;
  const ast::Document* doc = ctx_.find_runbook ? ctx_.find_runbook(name, error) : nullptr;
  if (!doc || !doc->runbook())
    return {BlockEnd::Failed, "cannot call '" + name + "': " +
                                  (error.empty() ? std::string("runbook not found") : error)};
  RunRequest sub;
  sub.doc = doc;
  sub.file = doc->source ? doc->source->path() : name;
  // Arguments are evaluated here, in the caller; defaults fill the rest.
  std::vector<const ast::Param*> declared = declared_params(*doc->runbook());
  for (const auto& a : c.args) {
    // Only declared parameters, converted to their types: an argument can
    // neither set PATH nor smuggle a value past an enum.
    auto p = std::find_if(declared.begin(), declared.end(),
                          [&](const ast::Param* d) { return d->name.name == a.name.name; });
    if (p == declared.end())
      return {BlockEnd::Failed, "'" + name + "' has no parameter '" + a.name.name + "'"};
    Value v;
    try {
      std::lock_guard lock(state_mu_);
      v = evaluate(*a.value, *this);
    } catch (const EvalError& err) {
      return {BlockEnd::Failed, err.span.where() + ": " + err.what()};
    }
    std::string why;
    if (v.kind != ValueKind::List && !convert_param(**p, to_display(v), v, why))
      return {BlockEnd::Failed, "'" + name + "' parameter '" + a.name.name + "': " + why};
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
  Runner callee(ctx_, bus_, notifier_, sub, depth_ + 1, prefix_ + name + "/", chain);
  callee.share_seq(seq_);
  callee.inherit_severity(gate_severity_);
  bus_.emit("call_start", {{"step", qualified(step)}, {"runbook", name}});
  RunResult r = callee.run();
  bus_.emit("call_end",
            {{"step", qualified(step)}, {"runbook", name}, {"outcome", outcome_name(r.outcome)}});
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
      try {
        std::lock_guard lock(state_mu_);
        b.values[a.name.name] = evaluate(*a.value, *this);
      } catch (const EvalError& err) {
        warn(s.use->name.name, err);
      }
    }
    for (const auto& p : s.tmpl->params)
      if (!b.values.count(p.name.name) && p.default_value) b.values[p.name.name] = default_value(p);
    it = bindings_.emplace(s.use, std::move(b)).first;
  }
  binding_ = &it->second;
}

BlockResult Runner::exec_one(const StepStatement& s, Mode mode, const std::string& step,
                             const std::string& section, bool evidence) {
  bind_template(s);
  if (const auto* r = std::get_if<ast::Run>(s.stmt))
    return exec_run(*r, mode, step, section, evidence);
  if (const auto* u = std::get_if<ast::Until>(s.stmt)) return exec_until(*u, mode, step, section);
  if (const auto* n = std::get_if<ast::Note>(s.stmt)) {
    bus_.emit("note", {{"step", qualified(step)}, {"text", text(n->text, step)}});
    return {};
  }
  if (const auto* m = std::get_if<ast::Manual>(s.stmt)) {
    std::string instruction = bus_.mask(text(m->text, step));
    json ev = {{"step", qualified(step)}, {"text", instruction}, {"by", ctx_.op->user()}};
    std::optional<ManualAnswer> a;
    if (ctx_.approve.count(qualified(step))) {
      a = ManualAnswer::Done;
      ev["via"] = "approve";
    } else if (ctx_.op->interactive()) {
      a = ctx_.op->manual(instruction);
      ev["via"] = "tty";
    }
    if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    if (!a) {
      ev["answer"] = nullptr;
      bus_.emit("manual", std::move(ev));
      return {BlockEnd::Refused,
              ctx_.op->interactive()
                  ? "no answer to the manual step"
                  : "manual step without a terminal; approve it with --approve " + qualified(step) +
                        " once it is done"};
    }
    static constexpr const char* kAnswers[] = {"done", "skip", "fail"};
    ev["answer"] = kAnswers[static_cast<int>(*a)];
    bus_.emit("manual", std::move(ev));
    if (*a == ManualAnswer::Skip) return {BlockEnd::Skipped, "skipped by the operator"};
    if (*a == ManualAnswer::Fail) return {BlockEnd::Failed, "failed by the operator"};
    return {};
  }
  if (const auto* c = std::get_if<ast::Call>(s.stmt)) return exec_call(*c, step);
  if (const auto* n = std::get_if<ast::Notify>(s.stmt)) {
    deliver(*n, nullptr, step);
    return {};
  }
  return {};  // markers: destructive, evidence, confirm (the gate), on failure, undo, …
}

BlockResult Runner::exec(const std::vector<StepStatement>& stmts, Mode mode,
                         const std::string& step, const std::string& section, bool evidence) {
  for (const auto& s : stmts) {
    if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    BlockResult r = exec_one(s, mode, step, section, evidence);
    binding_ = nullptr;
    if (r.end != BlockEnd::Ok) return r;
  }
  return {};
}

Gate Runner::gate_of(const std::vector<StepStatement>& stmts) const {
  return gate_for(stmts, gate_severity_, ctx_.config->policy, *ctx_.patterns);
}

BlockResult Runner::gated_exec(const std::vector<StepStatement>& stmts, const Gate& g,
                               const std::string& id, const std::string& title, Mode mode,
                               const std::string& section, bool evidence, bool* gate_passed) {
  BlockResult r = pass_gate(g, id, title, stmts);
  if (gate_passed) *gate_passed = r.end == BlockEnd::Ok;
  if (r.end != BlockEnd::Ok) return r;
  if (g.destructive) bus_.sync();  // the record says what is about to happen, on disk
  r = exec(stmts, mode, id, section, evidence);
  if (g.destructive) bus_.sync();
  return r;
}

BlockResult Runner::pass_gate(const Gate& g, const std::string& step, const std::string& title,
                              const std::vector<StepStatement>& stmts) {
  if (g.kind == GateKind::None) return {};
  // A run that is stopping (Ctrl-C, or a record that cannot be written) asks nothing more.
  if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
  const std::string id = qualified(step);
  const char* kind = g.kind == GateKind::Typed ? "typed" : "confirm";
  std::string question;
  std::string expected;
  if (g.confirm_at) bind_template(*g.confirm_at);
  if (g.confirm && g.confirm->prompt) question = text(*g.confirm->prompt, step);
  if (g.kind == GateKind::Typed) {
    if (g.confirm && g.confirm->typed) {
      try {
        std::lock_guard lock(state_mu_);
        expected = to_display(evaluate(*g.confirm->typed, *this));
      } catch (const EvalError& err) {
        warn(step, err);
      }
    }
    // The policy's typed gate (no value named): the operator types the step id.
    if (expected.empty() && !(g.confirm && g.confirm->typed)) expected = step;
  }
  const bool empty_value = g.kind == GateKind::Typed && expected.empty();
  // The gate's binding was made before the step's statements ran: drop it,
  // so the statements bind the template with the values they will see.
  binding_ = nullptr;
  bindings_.clear();
  if (question.empty())
    question = "Run step '" + step + "'" + (title.empty() ? "" : " (" + title + ")") + "?";
  // The operator's terminal is not the record: mask what the prompt shows.
  question = bus_.mask(question);
  json commands = json::array();  // what passing the gate lets run, exactly
  for (const auto& s : stmts) {
    if (const auto* r = std::get_if<ast::Run>(s.stmt)) commands.push_back(r->shell.text);
    if (const auto* u = std::get_if<ast::Until>(s.stmt)) commands.push_back(u->shell.text);
  }
  bus_.emit("gate", {{"step", id},
                     {"kind", kind},
                     {"prompt", question},
                     {"reason", g.reason},
                     {"destructive", g.destructive},
                     {"expected", expected},
                     {"commands", std::move(commands)}});
  json answer = {{"step", id}, {"kind", kind}, {"by", ctx_.op->user()}};
  auto refuse = [&](const std::string& why) {
    answer["passed"] = false;
    answer["reason"] = why;
    bus_.emit("answer", answer);
    return BlockResult{BlockEnd::Refused, why};
  };
  auto pass = [&](const char* via) {
    answer["passed"] = true;
    answer["via"] = via;
    bus_.emit("answer", answer);
    return BlockResult{};
  };
  auto interrupt = [&] {
    answer["passed"] = false;
    answer["reason"] = "interrupted";
    bus_.emit("answer", answer);
    return BlockResult{BlockEnd::Interrupted, "interrupted"};
  };
  if (interrupted()) return interrupt();  // e.g. the gate event could not be recorded
  if (ctx_.approve.count(id)) {
    answer["answer"] = "approved on the command line";
    if (!ctx_.config->policy.allow_non_interactive_approval && !ctx_.op->interactive())
      return refuse("rbk.yaml's policy does not allow --approve without a terminal");
    return pass("approve");
  }
  // A typed value names the target; an empty one names none (it could not
  // be evaluated, or comes from a command that has not run yet), so there is
  // nothing the operator could check by typing it. Only an approval of the
  // step by name passes such a gate.
  if (empty_value)
    return refuse(
        "the value to type is empty, so it names no target; approve the step by name "
        "with --approve " +
        id + " if it should run");
  if (bus_.mask(expected) != expected)
    return refuse("the value to type contains a secret; approve the step with --approve " + id);
  // --yes answers y/N questions on a terminal. Without one it passes only
  // the `confirm` of a step that is not destructive, and only when the policy
  // allows approval without a terminal: a destructive step is approved by
  // name (--approve STEP) or not at all.
  const bool allowed = ctx_.config->policy.allow_non_interactive_approval;
  if (ctx_.yes && g.kind == GateKind::Confirm &&
      (ctx_.op->interactive() || (!g.destructive && allowed))) {
    answer["answer"] = "yes";
    return pass("yes");
  }
  if (!ctx_.op->interactive()) {
    std::string why = "no terminal to ask; approve it with --approve " + id;
    if (!allowed)
      why = "no terminal to ask, and rbk.yaml's policy allows no approval without one";
    else if (ctx_.yes && g.kind == GateKind::Typed)
      why += " (--yes never passes a typed confirmation)";
    else if (ctx_.yes)
      why += " (without a terminal --yes never passes a destructive step)";
    return refuse(why);
  }
  if (g.kind == GateKind::Confirm) {
    std::optional<bool> yes = ctx_.op->confirm(question);
    if (interrupted()) return interrupt();
    answer["answer"] = yes ? (*yes ? "yes" : "no") : json(nullptr);
    if (!yes || !*yes) return refuse(yes ? "answered no" : "no answer");
    return pass("tty");
  }
  std::optional<std::string> typed = ctx_.op->typed(question, expected);
  if (interrupted()) return interrupt();
  answer["answer"] = typed ? json(*typed) : json(nullptr);
  if (!typed) return refuse("no answer");
  if (*typed != expected) return refuse("typed '" + *typed + "', not '" + expected + "'");
  return pass("tty");
}

BlockResult Runner::run_step(const ast::Step& st, const std::string& section, Mode mode) {
  const std::string& id = st.id.name;
  const std::string title = st.title ? text(*st.title, id) : "";
  if (st.when && !condition(*st.when, id)) {
    set_step(id, {.skipped = true});
    bus_.emit("step_end", {{"step", qualified(id)},
                           {"section", section},
                           {"title", title},
                           {"status", "skipped"},
                           {"duration_ms", 0},
                           {"reason", "when " + std::string(st.when->span.text()) + " is false"}});
    return {BlockEnd::Skipped, ""};
  }
  std::vector<StepStatement> stmts = expand_body(st.body, imports_);
  bindings_.clear();  // each step binds its templates afresh
  Gate g = gate_of(stmts);
  bool evidence = std::any_of(stmts.begin(), stmts.end(), [](const StepStatement& s) {
    return std::holds_alternative<ast::Evidence>(*s.stmt);
  });
  const Millis started = now();
  bus_.emit("step_start", {{"step", qualified(id)},
                           {"section", section},
                           {"title", title},
                           {"destructive", g.destructive}});
  bool gate_passed = false;
  BlockResult r = gated_exec(stmts, g, id, title, mode, section, evidence, &gate_passed);
  if (gate_passed) ++steps_run_;
  StepState s;
  const char* status = "ok";
  switch (r.end) {
    case BlockEnd::Ok:
      s = {.ran = true, .ok = true};
      break;
    case BlockEnd::Failed:
    case BlockEnd::Interrupted:
      s = {.ran = gate_passed, .failed = true};
      status = r.end == BlockEnd::Failed ? "failed" : "interrupted";
      break;
    case BlockEnd::Skipped:
      s = {.ran = true, .skipped = true};
      status = "skipped";
      break;
    case BlockEnd::Refused:
      s = {.refused = true};
      status = "refused";
      break;
  }
  set_step(id, s);
  json end = {{"step", qualified(id)},
              {"section", section},
              {"title", title},
              {"status", status},
              {"duration_ms", count(now() - started)}};
  if (!r.reason.empty()) end["reason"] = r.reason;
  bus_.emit("step_end", std::move(end));
  if (r.end == BlockEnd::Ok && mode == Mode::Act) {
    for (const auto& st2 : stmts)
      if (const auto* u = std::get_if<ast::Undo>(st2.stmt))
        undo_stack_.push_back({id, u, st2.use, st2.tmpl});
  }
  return r;
}

Runner::Alert Runner::run_alert(const ast::Section& sec) {
  bus_.emit("section", {{"section", "alert"}});
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
    bus_.emit("step_start", {{"step", qualified(id)},
                             {"section", "alert"},
                             {"title", title},
                             {"destructive", g.destructive}});
    const Millis started = now();
    block_all_ok_ = true;
    BlockResult r = gated_exec(stmts, g, id, title, Mode::Inform, "alert", false, nullptr);
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
    set_step(id, {.ran = true, .ok = r.end == BlockEnd::Ok, .refused = r.end == BlockEnd::Refused});
    bus_.emit("step_end", {{"step", qualified(id)},
                           {"section", "alert"},
                           {"title", title},
                           {"status", r.end == BlockEnd::Refused ? "refused" : "ok"},
                           {"duration_ms", count(now() - started)}});
    if (r.end == BlockEnd::Interrupted) return Alert::Interrupted;
    if (r.end == BlockEnd::Refused) {
      // A refused gate stops the run here, as in every other section.
      std::lock_guard lock(state_mu_);
      failed_step_ = id;
      return Alert::Refused;
    }
    bus_.emit("signal", {{"id", qualified(id)}, {"title", title}, {"firing", firing}});
    any_firing = any_firing || firing;
  }
  return any_firing ? Alert::Firing : Alert::Quiet;
}

BlockResult Runner::run_diagnose(const ast::Section& sec) {
  bus_.emit("section", {{"section", "diagnose"}});
  for (const auto& item : sec.items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st) continue;
    BlockResult r = run_step(*st, "diagnose", Mode::Inform);
    if (r.end == BlockEnd::Interrupted || r.end == BlockEnd::Refused) {
      std::lock_guard lock(state_mu_);
      failed_step_ = st->id.name;
      return r;
    }
  }
  return {};
}

void Runner::run_causes(const ast::Section& sec) {
  bus_.emit("section", {{"section", "causes"}});
  for (const auto& item : sec.items) {
    const auto* c = std::get_if<ast::Cause>(&item);
    if (!c) continue;
    bool matched = c->when && condition(*c->when, c->id.name);
    {
      std::lock_guard lock(state_mu_);
      causes_[c->id.name] = matched;
    }
    bus_.emit("cause", {{"id", qualified(c->id.name)},
                        {"title", text(c->title, c->id.name)},
                        {"matched", matched}});
  }
}

BlockResult Runner::run_remediate(const ast::Section& sec) {
  bus_.emit("section", {{"section", "remediate"}});
  for (const auto& item : sec.items) {
    const auto* st = std::get_if<ast::Step>(&item);
    if (!st) continue;
    BlockResult r = run_step(*st, "remediate", Mode::Act);
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
  bus_.emit("section", {{"section", "verify"}});
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
    bus_.emit("step_start", {{"step", qualified(id)},
                             {"section", "verify"},
                             {"title", title},
                             {"destructive", g.destructive}});
    const Millis started = now();
    const Millis every = ck->every ? Millis(ck->every->ms) : kDefaultCheckEvery;
    BlockResult gate = pass_gate(g, id, title, stmts);
    // The polling window opens once the gate has passed, not while it asks.
    const Millis deadline = now() + Millis(ck->within ? ck->within->ms : 0);
    if (gate.end == BlockEnd::Ok && g.destructive) bus_.sync();
    bool passed = false;
    int attempts = 0;
    BlockEnd end = gate.end;
    while (end == BlockEnd::Ok) {
      ++attempts;
      // Each attempt starts from a clean slate: a check passes on its own commands.
      block_all_ok_ = true;
      BlockResult r = exec(stmts, Mode::Inform, id, "verify", false);
      if (r.end != BlockEnd::Ok) {
        end = r.end;
        break;
      }
      if (passes) {
        passed = condition(*passes->cond, id);
      } else {
        passed = block_all_ok_;  // no `passes when`: its commands must succeed
      }
      // The last try is at the deadline itself, not one interval before it.
      if (passed || now() >= deadline) break;
      if (!ctx_.clock->sleep_until(std::min(now() + every, deadline), ctx_.cancel)) {
        end = BlockEnd::Interrupted;
        break;
      }
    }
    if (gate.end == BlockEnd::Ok && g.destructive) bus_.sync();
    const char* status = end == BlockEnd::Interrupted ? "interrupted"
                         : end == BlockEnd::Refused   ? "refused"
                         : passed                     ? "ok"
                                                      : "failed";
    set_step(id, {.ran = end != BlockEnd::Refused,
                  .ok = passed,
                  .failed = !passed && end == BlockEnd::Ok,
                  .refused = end == BlockEnd::Refused});
    json ev = {{"step", qualified(id)},
               {"section", "verify"},
               {"title", title},
               {"status", status},
               {"duration_ms", count(now() - started)},
               {"attempts", attempts}};
    if (!passed && end == BlockEnd::Ok)
      ev["reason"] = ck->within ? "did not pass within " + ck->within->text : "did not pass";
    bus_.emit("step_end", std::move(ev));
    bus_.emit(
        "check",
        {{"id", qualified(id)}, {"title", title}, {"passed", passed}, {"attempts", attempts}});
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

bool Runner::run_failure_path() {
  bool restored = true;
  bus_.emit("rollback", {{"failed_step", qualified(failed_step_)}, {"undo", undo_stack_.size()}});
  // Undo blocks of completed remediation steps, newest first.
  for (auto it = undo_stack_.rbegin(); it != undo_stack_.rend(); ++it) {
    if (interrupted()) return false;
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
    bus_.emit("step_start", {{"step", qualified(id)},
                             {"section", "undo"},
                             {"title", "undo " + it->step},
                             {"destructive", g.destructive}});
    const Millis started = now();
    BlockResult r = gated_exec(stmts, g, id, "undo " + it->step, Mode::Act, "undo", false, nullptr);
    const char* status = r.end == BlockEnd::Ok        ? "ok"
                         : r.end == BlockEnd::Refused ? "refused"
                                                      : "failed";
    json ev = {{"step", qualified(id)},
               {"section", "undo"},
               {"title", "undo " + it->step},
               {"status", status},
               {"duration_ms", count(now() - started)}};
    if (!r.reason.empty()) ev["reason"] = r.reason;
    bus_.emit("step_end", std::move(ev));
    if (r.end != BlockEnd::Ok) restored = false;
  }
  if (const auto* sec = section(ast::SectionKind::Rollback)) {
    bus_.emit("section", {{"section", "rollback"}});
    for (const auto& item : sec->items) {
      const auto* st = std::get_if<ast::Step>(&item);
      if (!st) continue;
      if (interrupted()) return false;
      BlockResult r = run_step(*st, "rollback", Mode::Act);
      // A rollback step that fails does not stop the others: restore what can be.
      if (r.end == BlockEnd::Failed || r.end == BlockEnd::Refused) restored = false;
      if (r.end == BlockEnd::Interrupted) return false;
    }
  }
  return restored;
}

void Runner::escalate(const ast::Escalation& rule) {
  deliver(rule.action, &rule, "");
}

void Runner::deliver(const ast::Notify& n, const ast::Escalation* rule, const std::string& step) {
  // An escalation rule's trigger, or "step" for a page/notify in a step.
  const std::string trigger = rule ? ast::trigger_name(rule->trigger) : "step";
  // Rules are evaluated in the runbook's names (never a template's): the
  // timer thread may fire one while a template's statement runs.
  RunbookScope scope(*this);
  const std::string where = step.empty() ? "escalate:" + trigger : step;
  std::string message;
  try {
    std::lock_guard lock(state_mu_);
    if (n.when && !evaluate_condition(*n.when, scope)) return;
    if (n.message) message = interpolate(*n.message, scope);
    if (message.empty()) {
      std::string what = !rule ? "step " + step : "started";
      if (rule && rule->trigger == ast::Trigger::After)
        what = "still running after " + rule->after->text;
      if (rule && rule->trigger == ast::Trigger::OnFailure) what = "failed at " + failed_step_;
      if (rule && rule->trigger == ast::Trigger::OnSuccess) what = "resolved";
      message = format_str("{} ({}) {}: run {}", rb_.name.name, severity_, what, ctx_.run_id);
    }
  } catch (const EvalError& err) {
    warn(where, err);
    return;
  }
  message = bus_.mask(message);  // notification systems are not the place for secrets
  const std::string& role = n.role.name;
  const auto& roles = ctx_.config->roles;
  auto it = roles.find(role);
  const std::string& command = n.page ? ctx_.config->page_command : ctx_.config->notify_command;
  json ev = {{"trigger", trigger},
             {"kind", n.page ? "page" : "notify"},
             {"role", role},
             {"message", message}};
  if (!step.empty()) ev["step"] = qualified(step);
  if (rule && rule->after) ev["after_ms"] = rule->after->ms;
  if (it != roles.end()) {
    ev["name"] = it->second.name;
    ev["contact"] = it->second.contact;
  }
  ++escalations_;
  if (command.empty() || bus_.is_broken()) {
    ev["delivered"] = false;
    ev["how"] = command.empty() ? "no notification command configured"
                                : "not sent: the run record cannot be written";
    bus_.emit("escalation", std::move(ev));
    return;
  }
  CommandSpec spec;
  spec.script = command;
  spec.env = {{"RBK_ROLE", role},
              {"RBK_CONTACT", it != roles.end() ? it->second.contact : ""},
              {"RBK_MESSAGE", message},
              {"RBK_RUNBOOK", rb_.name.name},
              {"RBK_RUN_ID", ctx_.run_id},
              {"RBK_SEVERITY", severity_},
              {"RBK_KIND", n.page ? "page" : "notify"},
              {"RBK_RECORD_DIR", ctx_.record_dir}};
  spec.unset_env = bus_.secret_sources();  // a notifier gets no secret at all
  spec.timeout = kNotifyTimeout;
  spec.grace = ctx_.config->policy.grace;
  // Its event is written when the command has ended, whether delivered
  // or not; the run goes on meanwhile (see Notifier).
  notifier_.post(
      [&bus = bus_, runner = ctx_.runner, spec = std::move(spec), ev = std::move(ev)]() mutable {
        CommandResult r = runner->run(spec, nullptr);
        ev["delivered"] = r.ok();
        ev["how"] = r.ok() ? "notification command"
                           : "notification command failed: " + describe_failure(r, kNotifyTimeout);
        bus.emit("escalation", std::move(ev));
      });
}

void Runner::fire_rules(ast::Trigger trigger) {
  const ast::Section* sec = section(ast::SectionKind::Escalate);
  if (!sec || depth_ > 0) return;  // a called runbook's escalation is its caller's
  for (const auto& item : sec->items)
    if (const auto* e = std::get_if<ast::Escalation>(&item); e && e->trigger == trigger)
      escalate(*e);
}

void Runner::declare_captures() {
  // Every capture exists from the start, empty until its step runs: a
  // capture of a step that was skipped reads as empty, not as unknown.
  std::function<void(const ast::Body&)> walk = [&](const ast::Body& body) {
    for (const auto& s : expand_body(body, imports_)) {
      if (const auto* r = std::get_if<ast::Run>(s.stmt); r && r->capture)
        captures_.emplace(r->capture->name, CaptureData{});
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
  std::vector<std::string> names;
  std::set<std::string> visited;
  std::function<void(const ast::Document&)> walk_doc = [&](const ast::Document& doc) {
    const ast::Runbook* rb = doc.runbook();
    if (!rb || !visited.insert(rb->name.name).second) return;
    for (const auto& item : rb->items)
      if (const auto* s = std::get_if<ast::Secret>(&item); s && s->source == ast::SecretSource::Env)
        names.push_back(ast::secret_env_var(*s));
    if (!ctx_.find_runbook) return;
    std::vector<std::string> ignored;  // a missing module is reported when the runbook runs
    Imports imports = resolve_imports(doc, *ctx_.modules, ignored);
    std::function<void(const ast::Body&)> walk_body = [&](const ast::Body& body) {
      for (const auto& s : expand_body(body, imports)) {
        if (const auto* c = std::get_if<ast::Call>(s.stmt)) {
          std::string error;  // a runbook not found fails its `call` step later
          if (const ast::Document* callee = ctx_.find_runbook(c->runbook.name, error))
            walk_doc(*callee);
        }
        if (const auto* u = std::get_if<ast::Undo>(s.stmt); u && u->body) walk_body(*u->body);
      }
    };
    for (const auto& item : rb->items) {
      const auto* sec = std::get_if<ast::Section>(&item);
      if (!sec) continue;
      for (const auto& si : sec->items) {
        if (const auto* st = std::get_if<ast::Step>(&si)) walk_body(st->body);
        if (const auto* sg = std::get_if<ast::Signal>(&si)) walk_body(sg->body);
        if (const auto* ck = std::get_if<ast::Check>(&si)) walk_body(ck->body);
      }
    }
  };
  walk_doc(*req_.doc);
  return names;
}

Outcome Runner::resolve_secrets(std::string& error,
                                std::vector<std::pair<std::string, json>>& events) {
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
        events.emplace_back("warning", json{{"message", "secret " + s->name.name + ": $" + var +
                                                            " is not set; commands get it empty"}});
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
      events.emplace_back("command_start", json{{"step", qualified(step)},
                                                {"seq", seq},
                                                {"command", s->command->text},
                                                {"timeout_ms", count(spec.timeout)},
                                                {"attempt", 1}});
      CommandResult r = ctx_.runner->run(spec, nullptr);  // its output is the secret: never kept
      events.emplace_back("command_end", json{{"step", qualified(step)},
                                              {"seq", seq},
                                              {"exit", r.exit_code},
                                              {"signal", r.signal},
                                              {"timed_out", r.timed_out},
                                              {"cancelled", r.cancelled},
                                              {"ok", r.ok()},
                                              {"duration_ms", count(r.duration)},
                                              {"output", "not recorded: it is a secret"}});
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
  for (const auto& item : rb_.items)
    if (const auto* m = std::get_if<ast::Meta>(&item); m && m->kind == ast::MetaKind::Severity)
      severity_ = m->word ? m->word->name : "";
  std::vector<std::string> import_errors;
  imports_ = resolve_imports(*req_.doc, *ctx_.modules, import_errors);
  auto finish = [&](Outcome o) {
    // Every notification's outcome is in the record before its end.
    if (depth_ == 0) notifier_.drain();
    if (bus_.is_broken()) o = Outcome::RecordFailed;
    result.outcome = o;
    result.exit_code = exit_code_for(o);
    result.failed_step = failed_step_.empty() ? "" : qualified(failed_step_);
    result.steps_run = steps_run_;
    result.escalations = escalations_;
    for (const auto& [id, m] : causes_)
      if (m) result.causes.push_back(qualified(id));
    json causes = json::array();
    for (const auto& c : result.causes) causes.push_back(c);
    json end = {{"outcome", outcome_name(o)},
                {"exit_code", result.exit_code},
                {"duration_ms", count(now() - bus_.start())},
                {"failed_step", result.failed_step},
                {"causes", causes},
                {"steps_run", result.steps_run},
                {"escalations", result.escalations}};
    if (depth_ > 0) end["runbook"] = rb_.name.name;
    if (o == Outcome::RecordFailed) result.message = record_failure();
    if (!result.message.empty()) end["message"] = result.message;
    bus_.emit(depth_ > 0 ? "call_run_end" : "run_end", std::move(end));
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
  const auto& typed_for = ctx_.config->policy.typed_confirm_for;
  // A called runbook is held to its caller's stricter gates, not only its own.
  const bool inherit =
      std::find(typed_for.begin(), typed_for.end(), inherited_severity_) != typed_for.end();
  gate_severity_ = inherit ? inherited_severity_ : severity_;
  json params = json::object();
  for (const auto& [name, v] : req_.params) params[name] = to_json(v);
  json secrets = json::array();
  for (const auto& item : rb_.items)
    if (const auto* sec = std::get_if<ast::Secret>(&item)) secrets.push_back(sec->name.name);
  std::string title;
  for (const auto& item : rb_.items)
    if (const auto* m = std::get_if<ast::Meta>(&item); m && m->kind == ast::MetaKind::Title)
      title = m->text ? m->text->plain() : "";
  // Secrets first: the masker must know every one of them before the first
  // event (run_start holds the parameters, which may contain one).
  if (depth_ == 0) bus_.set_secret_sources(secret_sources());
  std::vector<std::pair<std::string, json>> secret_events;
  const Outcome secrets_read = resolve_secrets(result.message, secret_events);
  json start = {{"run_id", ctx_.run_id},
                {"runbook", rb_.name.name},
                {"title", title},
                {"file", req_.file},
                {"sha256", req_.sha256},
                {"severity", severity_},
                {"params", params},
                {"secrets", secrets},
                {"user", ctx_.op->user()},
                {"config", config_in_force()},
                {"rbk_version", RBK_VERSION}};
  // The record's format version: once, at the top of the record (a called
  // runbook's call_run_start is inside the same record).
  if (depth_ == 0) start["format"] = kRecordFormat;
  bus_.emit(depth_ > 0 ? "call_run_start" : "run_start", std::move(start));
  for (auto& [type, data] : secret_events) bus_.emit(type, std::move(data));
  for (const auto& e : import_errors) bus_.emit("warning", {{"message", e}});
  if (secrets_read != Outcome::Resolved) return finish(secrets_read);

  if (const auto* sec = section(ast::SectionKind::Alert)) {
    Alert alert = run_alert(*sec);
    if (alert == Alert::Interrupted || interrupted()) return finish(Outcome::Interrupted);
    if (alert == Alert::Refused) return finish(Outcome::Refused);
    if (alert == Alert::Quiet) {
      if (!ctx_.force) {
        bus_.emit("not_firing", json::object());
        return finish(Outcome::NotFiring);
      }
      bus_.emit("warning", {{"message", "no alert signal is firing; going on (--force)"}});
    }
  }

  // The alert is real (or there is none): tell people, arm the timers.
  Escalator escalator(*this, ctx_);
  if (depth_ == 0) {
    fire_rules(ast::Trigger::Start);
    std::vector<const ast::Escalation*> timers;
    if (const auto* sec = section(ast::SectionKind::Escalate))
      for (const auto& item : sec->items)
        if (const auto* e = std::get_if<ast::Escalation>(&item);
            e && e->trigger == ast::Trigger::After && e->after)
          timers.push_back(e);
    escalator.arm(std::move(timers), bus_.start());
  }

  auto fail = [&](Outcome o) {
    escalator.stop();
    if (o != Outcome::Interrupted && o != Outcome::Refused) fire_rules(ast::Trigger::OnFailure);
    return finish(interrupted() ? Outcome::Interrupted : o);
  };

  if (const auto* sec = section(ast::SectionKind::Diagnose)) {
    BlockResult d = run_diagnose(*sec);
    if (d.end == BlockEnd::Refused) return fail(Outcome::Refused);
  }
  if (interrupted()) return fail(Outcome::Interrupted);
  if (const auto* sec = section(ast::SectionKind::Causes)) run_causes(*sec);

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
  return finish(interrupted() ? Outcome::Interrupted : Outcome::Resolved);
}

}  // namespace

RunResult run_runbook(EngineContext& ctx, const RunRequest& req) {
  RunResult r;
  if (!req.doc || !req.doc->runbook()) {
    r.message = "not a runbook";
    return r;
  }
  Masker masker({}, ctx.config->redact);
  Bus bus(ctx, masker);
  // Inline in virtual time, where the record's order must not depend on threads.
  Notifier notifier(ctx.clock->is_virtual());
  try {
    Runner runner(ctx, bus, notifier, req, 0, "", {});
    return runner.run();
  } catch (const std::exception& e) {
    // A bug must not take the record with it: the record still ends, and the
    // caller reports the message.
    r.message = std::string("internal error: ") + e.what();
  }
  try {
    notifier.drain();
    bus.emit("run_end", {{"outcome", outcome_name(Outcome::Error)},
                         {"exit_code", r.exit_code},
                         {"message", r.message}});
    bus.sync();
  } catch (const std::exception&) {  // nothing more can be done; the CLI says why
  }
  return r;
}

}  // namespace rbk
