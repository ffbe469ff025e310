// One runbook's run, inside the engine: the Runner (sections, steps, gates,
// commands, `call`, escalations, secrets), the scope expressions see, and the
// escalation timers. Internal to the engine; engine.hpp is its interface.
// The Runner's members are defined by concern: runner.cpp (the run, secrets,
// captures), runner_commands.cpp, runner_steps.cpp (gates and steps),
// runner_sections.cpp, runner_targets.cpp (steps `on` targets), escalation.cpp.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/engine/bus.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/engine/notifier.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

using nlohmann::json;

inline constexpr Millis kDefaultRetryEvery{5000};
inline constexpr Millis kDefaultUntilEvery{5000};
inline constexpr Millis kDefaultCheckEvery{10000};
inline constexpr Millis kNotifyTimeout{30000};
/// Answers to one `ask` that are not of its type before the step is refused.
inline constexpr int kAskAttempts = 5;

/// Writes `text` to DIR/NAME (0600), making DIR (0700) when needed; the
/// caller made the top directory private.
Expected<void, std::string> write_private_file(const std::string& dir, const std::string& name,
                                               std::string_view text);

/// The command_end event of a finished command: what every command's has
/// (a step's command adds its output files and counts).
ev::CommandEnd command_end(std::string step, uint64_t seq, const CommandResult& r);

/// The command_end of a step's command: command_end's fields, its output
/// files and counts, their hashes when it was `watched` to its end here.
ev::CommandEnd step_command_end(std::string step, uint64_t seq, const CommandResult& r,
                                const MaskingSink& sink, bool watched, bool evidence);

/// A command's result as a capture reads it.
CaptureData capture_of(const CommandResult& r);

/// One line on why a command failed, for a reason or a notification's `how`.
std::string describe_failure(const CommandResult& r, Millis timeout);

/// What a step, signal or check came to, for `step.ID.ok|failed|skipped|refused`:
/// at most one of them holds (None: none does, e.g. a signal or check that
/// was interrupted).
enum class StepResult { None, Ok, Failed, Skipped, Refused };
constexpr EnumNames<StepResult, 5> enum_names(StepResult) {
  return {{"none", "ok", "failed", "skipped", "refused"}};
}

/// What a step, signal or check did, for `step.ID.field`. `ran` (its
/// commands started) is apart from the result: a failed step whose gate
/// passed also ran, one refused at its gate did not.
struct StepState {
  StepResult result = StepResult::None;
  bool ran = false;
};

/// How a block of statements ended.
enum class BlockEnd { Ok, Failed, Skipped, Refused, Interrupted };

struct BlockResult {
  BlockEnd end = BlockEnd::Ok;
  std::string reason;  // for the record: why it failed, was skipped or refused
  /// For a failed remediate step: what its `on failure` says happens next.
  ast::FailurePolicy then = ast::FailurePolicy::Rollback;
  /// Failed in an `until` after the block's commands succeeded: they changed
  /// the system, so the step's undo applies as if it had completed.
  bool changed = false;
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
  const std::vector<std::string>* severity_order() const override;
  const TargetCaptures* target_capture(const std::string& name) const override;

 private:
  const Runner& r_;
};

/// Escalation rules: start, after-timers and cadences (a thread on the real
/// clock; clock listeners on a fake one, so virtual time fires them
/// deterministically), on failure and on success.
class Escalator {
 public:
  Escalator(Runner& run, EngineContext& ctx) : run_(run), ctx_(ctx) {}
  ~Escalator() { stop(); }
  /// Arms the `after` and `every` rules, counted from `start`.
  void arm(const std::vector<const ast::Escalation*>& timers, Millis start);
  /// Step `id` succeeded `at` (since the start): arms the rules `after D
  /// from step id`, once each.
  void step_succeeded(const std::string& id, Millis at);
  void stop();

  /// How far a cadence without `for` is scheduled: longer than any run.
  static constexpr Millis kCadenceHorizon{7LL * 24 * 3600 * 1000};

 private:
  /// One firing of a rule: `at` from the start (an `every` rule has many).
  struct Due {
    Millis at;
    const ast::Escalation* rule;
  };
  void fire_due(Millis now);

  Runner& run_;
  EngineContext& ctx_;
  std::vector<Due> dues_;  // sorted by `at`
  size_t next_ = 0;
  Millis start_{0};
  std::mutex mu_;
  std::vector<const ast::Escalation*> from_step_;  // `after D from step X`, not yet armed
  // Last: stopped before the rest goes.
  std::vector<std::unique_ptr<Timer>> step_timers_;
  std::unique_ptr<Timer> timer_;
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
    if (name == "batch" || name == "batch_size") {
      std::vector<Value> hosts;
      for (const auto& h : batch_) hosts.push_back(Value::of_text(h));
      return name == "batch" ? Value::of_list(std::move(hosts))
                             : Value::of_number(static_cast<double>(batch_.size()));
    }
    if (name == "record_dir") return Value::of_text(ctx_.record_dir);
    if (name == "now") return Value::of_text(now_text());
    if (name == "causes") {
      std::vector<Value> matched;
      for (const auto& id : matched_causes_) matched.push_back(Value::of_text(id));
      return Value::of_list(std::move(matched));
    }
    return std::nullopt;
  }
  /// `now`: the wall-clock time, ISO 8601 UTC to the second.
  std::string now_text() const;
  /// A `message`'s text with its `${…}` evaluated in the runbook's names; a
  /// part that cannot be evaluated yet (a capture not made) is kept as written
  /// and `complete` set false.
  std::optional<Value> message_value(const std::string& name, bool* complete = nullptr) const;
  const CaptureData* capture(const std::string& name) const override {
    auto it = captures_.find(name);
    return it == captures_.end() ? nullptr : &it->second;
  }
  const TargetCaptures* target_capture(const std::string& name) const override {
    auto it = target_captures_.find(name);
    return it == target_captures_.end() ? nullptr : &it->second;
  }
  bool cause(const std::string& id) const override {
    auto it = causes_.find(id);
    return it != causes_.end() && it->second;
  }
  const std::vector<std::string>* severity_order() const override {
    return &ctx_.config->severity_order;
  }
  bool step_field(const std::string& id, const std::string& field) const override {
    auto it = steps_.find(id);
    if (it == steps_.end()) return false;
    const StepState& s = it->second;
    if (field == "ran") return s.ran;
    auto result = enum_names(StepResult{}).parse(field);
    return result && *result != StepResult::None && *result == s.result;
  }

  /// A duration as this run sees it: a literal, or its parameter's value
  /// (`timeout wait`, `after grace`; docs/language.md#durations). Inside a
  /// template (`binding`, on the run's thread only) the names are the
  /// template's own parameters, as for its expressions.
  Millis duration_of(const ast::Duration& d, const TemplateBinding* binding = nullptr) const {
    if (!d.param) return Millis(d.ms);
    const std::map<std::string, Value>& names = binding ? binding->values : req_.params;
    const Value* v = nullptr;
    if (auto it = names.find(*d.param); it != names.end())
      v = &it->second;
    else if (auto a = answers_.find(*d.param); !binding && a != answers_.end())
      v = &a->second;  // `ask eta … : duration`: empty (0) while its step has not asked
    return Millis(duration_ms(d, v));
  }
  /// Why `d` has no value, when it names an answer its step never asked
  /// for (the step was skipped or not reached); else empty. A statement
  /// then fails with that reason rather than run with 0.
  std::string unanswered(const ast::Duration* d) const;
  /// How a duration reads in a message: as written, or a parameter's value.
  std::string duration_text(const ast::Duration& d,
                            const TemplateBinding* binding = nullptr) const {
    return d.param ? format_duration(duration_of(d, binding).count()) : d.text;
  }

  /// Fires one escalation rule (from the engine thread or the timer thread).
  /// `at`: for a timed rule, how long after the start it is due.
  void escalate(const ast::Escalation& rule, std::optional<Millis> at = std::nullopt);
  /// A step, signal or check `id` ended well `at` (since the start): the
  /// rules counted from it start counting.
  void step_succeeded(const std::string& id, Millis at) {
    if (escalator_)
      escalator_->step_succeeded(id, at);
    else
      early_successes_.emplace_back(id, at);  // a signal, before the timers are armed
  }
  /// A parameter or built-in, ignoring any template binding.
  std::optional<Value> runbook_variable(const std::string& name) const {
    if (auto it = req_.params.find(name); it != req_.params.end()) return it->second;
    if (auto it = answers_.find(name); it != answers_.end()) return it->second;
    if (auto m = message_value(name)) return m;
    return builtin(name);
  }
  Bus& bus() { return bus_; }

 private:
  // ------------------------------------------------------------ helpers
  std::string qualified(const std::string& id) const { return prefix_ + id; }
  /// Ctrl-C and friends, or a record that can no longer be written.
  bool interrupted() const {
    return (ctx_.cancel && ctx_.cancel->cancelled()) || bus_.is_broken() || bus_.parked();
  }
  Millis now() const { return ctx_.clock->now(); }

  void set_step(const std::string& id, StepState s) {
    std::lock_guard lock(state_mu_);
    steps_[id] = s;
  }

  /// Evaluates a condition; an error is reported and counts as false.
  bool condition(const ast::Expr& e, const std::string& where) {
    Eval<bool> holds = false;
    {
      std::lock_guard lock(state_mu_);
      holds = evaluate_condition(e, *this);
    }
    if (holds) return *holds;
    warn(where, holds.error());
    return false;
  }
  /// A string with its ${…} parts evaluated. A part that cannot be evaluated
  /// stays as written (and is warned about); the others still show their
  /// values, so a prompt never hides the target it asks about.
  std::string text(const ast::StringLit& s, const std::string& where) {
    std::string out;
    std::vector<EvalError> errors;
    {
      std::lock_guard lock(state_mu_);
      out = *interpolate(s, *this, &errors);  // with `errors`, never a failure
    }
    for (const auto& err : errors) warn(where, err);
    return out;
  }
  /// The rbk.yaml the run is under, null when none (rbk's defaults).
  ev::OrNull<std::string> config_in_force() const {
    if (ctx_.config->path.empty()) return {};
    return {ctx_.config->path};
  }
  std::string record_failure() const {
    return "the run record could not be written (" + bus_.broken() +
           "); rbk stopped and ran nothing more";
  }
  void warn(const std::string& where, const EvalError& err) {
    bus_.emit(
        ev::Warning{.message = err.span.where() + ": " + err.what(), .step = qualified(where)});
  }

  /// What a command of `step` gets in its environment; the captures too
  /// large for it are named in `too_big` (they are only in capture_dir()).
  std::vector<std::pair<std::string, std::string>> command_env(
      ev::Section section, const std::string& step,
      std::vector<std::string>* too_big = nullptr) const;
  /// This runbook's folder of capture files (a called runbook has its own).
  std::string capture_dir() const {
    return prefix_.empty() ? ctx_.capture_dir : ctx_.capture_dir + "/" + prefix_;
  }
  /// Why `script` cannot run with the captures in `too_big` left out of its
  /// environment (it mentions one); empty when it can.
  std::string capture_too_big_for(const std::string& script,
                                  const std::vector<std::string>& too_big) const;
  /// A command that must not start: the record is broken, or it reads a
  /// capture too big for its environment (`unreadable`, the reason). Then
  /// `r` says so and true; else false.
  bool refused_start(const std::string& unreadable, CommandResult& r) const;
  /// A `run`'s deadline: its timeout, or the policy's default when it has
  /// none (or a parameter gives none).
  Millis deadline_of(const ast::Run& r) const;
  CommandResult run_command(const ast::Shell& shell, Millis timeout, const std::string& step,
                            ev::Section section, int attempt, bool evidence);
  /// Resuming (ctx_.resume set), for the command whose `start` was just
  /// emitted: its result from the record, or as decided for the one that
  /// was in flight; nullopt when it runs. A command run again gets the next
  /// number: `start` is renumbered and emitted again.
  std::optional<CommandResult> resumed_result(ev::CommandStart& start, ev::Section section,
                                              const std::string& step);
  /// Resuming, just before `start` is emitted: when it is the destructive
  /// command that was in flight and nobody decided about it yet, runs the
  /// step's probe and asks the operator (the run's state is rebuilt by now,
  /// so the probe sees the parameters and captures the command saw).
  void settle_in_flight(const ev::CommandStart& start, ev::Section section,
                        const std::string& step);
  /// The step's `verify` probe, else its `until` check; null when none.
  const StepStatement* probe_of_step() const;
  /// Runs the probe once, unless it looks destructive or cannot see a
  /// capture it reads, and puts what it said in `q` (masked).
  void run_probe(const StepStatement& probe, ev::Section section, const std::string& step,
                 InFlightQuestion& q);
  /// What a command of `step` runs with (`too_big`: see command_env).
  CommandSpec command_spec(const std::string& script, Millis timeout, ev::Section section,
                           const std::string& step, std::vector<std::string>& too_big) const;
  void store_capture(const std::string& name, const CommandResult& r);

  BlockResult exec(const std::vector<StepStatement>& stmts, Mode mode, const std::string& step,
                   ev::Section section, bool evidence);
  BlockResult exec_one(const StepStatement& s, Mode mode, const std::string& step,
                       ev::Section section, bool evidence);
  BlockResult exec_run(const ast::Run& r, Mode mode, const std::string& step, ev::Section section,
                       bool evidence);
  BlockResult exec_until(const ast::Until& u, Mode mode, const std::string& step,
                         ev::Section section);
  BlockResult exec_call(const ast::Call& c, Mode mode, ev::Section section,
                        const std::string& step);
  /// The gate of a step, from its text and the values its commands read now.
  Gate gate_of(const std::vector<StepStatement>& stmts) const;
  /// What a command's variables hold, from its environment: all but the
  /// secrets (which never choose a verb, and stay out of every message)
  /// and rbk's own RBK_* variables.
  ShellValues shell_values(const std::vector<std::pair<std::string, std::string>>& env) const;
  /// Why `script`, about to run with `env` outside any passed destructive
  /// gate, must not: its values make it destructive (a capture its own step
  /// made after the gate was decided). Empty when it may run.
  std::string ungated_by_values(const std::string& script,
                                const std::vector<std::pair<std::string, std::string>>& env,
                                bool gate_passed) const;
  /// The steps after `step` in the runbook, with their commands as written,
  /// then in a called runbook its callers' after the call: the plan a
  /// parked gate shows (runner_park.cpp).
  std::vector<ev::PlannedStep> remaining_after(const std::string& step) const;
  /// What runs after `call` in `step` (the step's later statements, then the
  /// steps after it): the plan of what a called runbook's caller does next.
  std::vector<ev::PlannedStep> remaining_after_call(const std::string& step,
                                                    const ast::Call& call) const;
  /// What an approval of a parked gate is bound to: the runbook and its
  /// modules, the parameters, the gate (`p`, without its hash) and the plan.
  std::string plan_hash(const ev::Parked& p) const;
  /// A decision made outside the run for the gate of `p.step` (rbk serve),
  /// used once: passes or refuses through `pass`/`refuse` (nullopt when
  /// there is none, or it is void, recorded: the gate parks again).
  std::optional<BlockResult> decided_gate(const ev::Parked& p, ev::Answer& answer,
                                          const std::function<BlockResult(ev::Via)>& pass,
                                          const std::function<BlockResult(std::string)>& refuse);
  /// Shadow mode: records each step of `sec` that would run (its `when`
  /// holding) as would_run, and runs none of them.
  void run_shadow(const ast::Section& sec, ev::Section which);
  /// Parks the run at the gate `p` (rbk serve): recorded, and the run unwinds
  /// as if interrupted, to end `parked`.
  BlockResult park(ev::Parked p, ev::Answer& answer);
  /// Asks the gate of a step whose statements are `stmts` (their commands
  /// are shown, every line, before the question).
  BlockResult pass_gate(const Gate& g, const std::string& step, const std::string& title,
                        const std::vector<StepStatement>& stmts,
                        const std::vector<std::string>* targets = nullptr);

  // ------------------------------------------------------------ targets
  // (runner_targets.cpp)
  /// One host's part of a step `on` targets.
  struct TargetRun {
    std::string host;
    bool ran = false;  // a command started there
    bool ok = false;
    std::string reason;                                         // why it failed there
    std::vector<std::pair<std::string, CaptureData>> captures;  // by capture name
    /// Replaying: where it stopped (statement, attempt) because its recorded
    /// commands were used up while another host's remained; it goes on from
    /// there once the whole batch has replayed.
    std::optional<std::pair<size_t, int>> deferred{};
  };
  /// The hosts `on` names now (rbk.yaml's targets, narrowed by --target),
  /// each once; or why they cannot be known.
  Expected<std::vector<const Host*>, std::string> resolve_on(const ast::On& on);
  /// A step `on` targets: in batches, each behind its own gate, a batch's
  /// hosts at most `parallel` at once; stops starting batches once more
  /// targets failed than `max_fail`. `ran_on` gets the hosts where it ran.
  BlockResult run_on_targets(const ast::On& on, const std::vector<StepStatement>& stmts,
                             const Gate& g, const std::string& id, const std::string& title,
                             Mode mode, ev::Section section, bool evidence, bool* gate_passed,
                             std::vector<std::string>& ran_on);
  /// Runs the commands of `stmts` on `host` in order, until one fails
  /// (from a worker thread when several run at once); with `carried` (a
  /// deferred TargetRun), goes on from where it stopped. `may_defer`: a
  /// batch's first pass, which may defer the host (TargetRun::deferred).
  TargetRun exec_on_target(const Host& host, const std::vector<StepStatement>& stmts, Mode mode,
                           const std::string& step, ev::Section section, bool evidence,
                           bool write_ahead, std::optional<TargetRun> carried = std::nullopt,
                           bool may_defer = false);
  /// One command on `host`, with this target's own earlier captures (`own`).
  CommandResult run_remote(const Host& host, const ast::Shell& shell, Millis timeout,
                           const std::string& step, ev::Section section, int attempt, bool evidence,
                           bool write_ahead,
                           const std::vector<std::pair<std::string, CaptureData>>& own);
  /// A completed step's undo block (`stmts`, as step `id`), on the hosts
  /// where the step ran, one after another, newest first; `gated`: its
  /// gate was a destructive one, and passed.
  BlockResult undo_on_targets(const std::vector<StepStatement>& stmts, const std::string& id,
                              const std::vector<std::string>& hosts, bool gated);
  BlockResult gated_exec(const std::vector<StepStatement>& stmts, const Gate& g,
                         const std::string& id, const std::string& title, Mode mode,
                         ev::Section section, bool evidence, bool* gate_passed);
  void bind_template(const StepStatement& s);

  /// Runs a step of diagnose, remediate or rollback; returns its end.
  BlockResult run_step(const ast::Step& st, ev::Section section, Mode mode);
  enum class Alert { Firing, Quiet, Refused, Interrupted };
  Alert run_alert(const ast::Section& sec);
  BlockResult run_diagnose(const ast::Section& sec);
  /// `ask NAME "…" : TYPE`: the answer from the record (resuming), from
  /// --answer, or from the operator, checked against its type.
  BlockResult exec_ask(const ast::Ask& a, const std::string& step);
  /// After the causes: the run's severity as the matched causes decide it.
  void decide_severity(const ast::Section& sec);
  void run_causes(const ast::Section& sec);
  /// What a cause's condition read, by its source text, for the record.
  std::map<std::string, ev::Text> cause_values(const ast::Expr& cond) const;
  BlockResult run_remediate(const ast::Section& sec);
  BlockResult run_verify(const ast::Section& sec);
  bool run_failure_path();
  /// The finally section, last, whatever the outcome but an interruption:
  /// every step runs; one that fails or is refused is a warning, not the
  /// run's outcome.
  void run_finally();
  /// Runs the undo blocks of the completed steps, newest first (a resolved
  /// `call`'s in their turn); false when one did not end ok.
  bool run_undo_stack();
  /// How many undo blocks run_undo_stack() would run.
  size_t undo_count() const;
  void fire_rules(ast::Trigger trigger);
  void deliver(const ast::Notify& n, const ast::Escalation* rule, const std::string& step,
               std::optional<Millis> at = std::nullopt);
  void declare_captures();
  /// Reads every secret (environment or command) before anything is
  /// recorded; the events it would have emitted are returned in `events`.
  Outcome resolve_secrets(std::string& error, std::vector<ev::Body>& events);
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
  Escalator* escalator_ = nullptr;                               // while run() has one
  std::vector<std::pair<std::string, Millis>> early_successes_;  // before it had one
  std::map<std::string, const ast::Message*> messages_;
  std::string severity_;
  std::string gate_severity_;       // the severity gates are decided with (see run())
  std::string inherited_severity_;  // the caller's gate severity, for a called runbook

  mutable std::mutex state_mu_;  // what the timer thread reads: captures, steps, causes
  std::map<std::string, CaptureData> captures_;
  std::map<std::string, TargetCaptures> target_captures_;  // captures of steps `on` targets
  std::mutex seq_mu_;  // the command counter, when a step's targets run at once
  std::vector<std::string> capture_order_;  // names in the order they were made
  std::map<std::string, bool> causes_;
  std::vector<std::string> matched_causes_;  // in the order they were evaluated
  std::map<std::string, Value> answers_;     // `ask` answers (Empty until answered)
  std::map<std::string, StepState> steps_;
  std::string failed_step_;
  /// The hosts the gate being asked covers (`batch`, `batch_size`), set by
  /// pass_gate for its own evaluations; empty outside a gate on targets.
  std::vector<std::string> batch_;
  std::vector<std::pair<std::string, std::string>> secrets_;  // name, value
  const TemplateBinding* binding_ = nullptr;                  // set while a template runs
  const std::vector<StepStatement>* stmts_ = nullptr;         // the block exec() runs
  std::map<const ast::Use*, TemplateBinding> bindings_;

  struct Undo {
    std::string step;
    const ast::Undo* undo = nullptr;
    const ast::Use* use = nullptr;
    const ast::Template* tmpl = nullptr;
    Runner* called = nullptr;          // a `call` that resolved: its undo stack, in its turn
    std::vector<std::string> targets;  // a step `on` targets: the hosts where it ran
  };
  std::vector<Undo> undo_stack_;
  /// A called runbook that resolved with undo blocks, kept (with what it
  /// ran with) so that its undo blocks run if this run fails later.
  struct CalledRun {
    RunRequest req;
    std::unique_ptr<Runner> runner;
  };
  std::vector<std::unique_ptr<CalledRun>> called_runs_;
  int steps_run_ = 0;
  std::atomic<int> escalations_{0};
  uint64_t* seq_ = nullptr;  // shared command counter (owned by the top-level run)
  uint64_t own_seq_ = 0;
  bool block_all_ok_ = true;  // every command of the current signal/check exited 0
  /// Inside a destructive step, check or undo block whose gate passed: each
  /// command's start is on disk before it runs, and its end before anything
  /// else happens (the write-ahead `rbk resume` relies on).
  bool write_ahead_ = false;
  /// A called runbook: the caller's steps after the call (and its caller's
  /// after that), the end of every plan a gate in it shows.
  std::vector<ev::PlannedStep> after_call_;
  /// The `on interrupted` rules fire for the death a resume begins from
  /// (told once per death: ResumeState::death_told).
  std::atomic<bool> telling_death_{false};

 public:
  void share_seq(uint64_t* seq) { seq_ = seq; }
  void inherit_severity(const std::string& s) { inherited_severity_ = s; }
  /// A called runbook: what its caller runs after the call.
  void continue_with(std::vector<ev::PlannedStep> after) { after_call_ = std::move(after); }
};

}  // namespace rbk::engine
