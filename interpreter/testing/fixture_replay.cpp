#include "interpreter/testing/fixture_replay.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include <re2/re2.h>

#include "interpreter/base/diff.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/engine/resume.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/ssh.hpp"
#include "interpreter/runtime/value.hpp"
#include "interpreter/testing/fixture_expect.hpp"

namespace rbk {

namespace {

using json = nlohmann::json;

/// What the run did so far, shared by the scripted runner, operator and sink.
struct CaseLog {
  CancelToken* cancel = nullptr;
  std::vector<Event> events;
  std::string transcript;          // what a person would have read: output, notes, prompts…
  std::string command_step;        // the step of the command about to run
  std::string asking_step;         // the step of the gate or manual step about to ask
  std::vector<std::string> fatal;  // the fixture could not answer: the case stops
  /// `interrupt:`: rbk "died" (nothing more it does reaches a sink), and
  /// whether it did already (a resumed run's command runs on).
  bool dead = false;
  bool died = false;
  /// What each command wrote, by seq: a resume reads recorded output here.
  std::map<uint64_t, std::pair<std::string, std::string>> outputs;

  /// `interrupt:`: rbk dies as by SIGKILL while the command runs.
  void die() {
    dead = died = true;
    if (cancel) cancel->cancel();  // the engine unwinds; nothing of it is kept
  }

  /// Ends the case: the run is cancelled and `why` is its failure.
  void stop(std::string why) {
    fatal.push_back(std::move(why));
    if (cancel) cancel->cancel();
  }
};

/// Appends the text a person reads in an event (a prompt, a note or manual
/// instruction, a message, a reason), a line each.
void append_texts(const Event& e, std::string& out) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        T::fields(b, [&](std::string_view key, const auto& v) {
          if (key != "prompt" && key != "text" && key != "message" && key != "reason") return;
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, ev::Text>) {
            if (!v.empty()) out += v.value + "\n";
          } else if constexpr (std::is_same_v<V, std::optional<ev::Text>>) {
            if (v && !v->empty()) out += v->value + "\n";
          }
        });
      },
      e.body);
}

/// Keeps the events and the transcript, and tells the others which step is
/// about to run a command or ask a question.
class CaseSink final : public EventSink {
 public:
  explicit CaseSink(CaseLog& log) : log_(log) {}
  void event(const Event& e) override {
    if (log_.dead) return;
    log_.events.push_back(e);
    if (const auto* start = e.as<ev::CommandStart>()) log_.command_step = start->step;
    if (e.as<ev::CommandEnd>()) {
      // A command's whole stdout, then its stderr: the masker holds back a
      // stream's last bytes until the end, so arrival order would split lines.
      log_.transcript += out_ + err_;
      out_.clear();
      err_.clear();
    }
    if (const auto* start = e.as<ev::StepStart>()) log_.asking_step = start->step;
    if (const auto* gate = e.as<ev::Gate>()) log_.asking_step = gate->step;
    append_texts(e, log_.transcript);
  }
  void output(uint64_t seq, Stream stream, std::string_view chunk) override {
    if (log_.dead) return;
    (stream == Stream::Out ? out_ : err_).append(chunk);
    auto& kept = log_.outputs[seq];
    (stream == Stream::Out ? kept.first : kept.second).append(chunk);
  }

 private:
  CaseLog& log_;
  std::string out_, err_;  // the running command's output so far
};

/// Passes events and output on to `to` until rbk "dies" (`interrupt:`).
class UntilDeath final : public EventSink {
 public:
  UntilDeath(const CaseLog& log, EventSink& to) : log_(log), to_(to) {}
  void event(const Event& e) override {
    if (!log_.dead) to_.event(e);
  }
  void output(uint64_t seq, Stream stream, std::string_view chunk) override {
    if (!log_.dead) to_.output(seq, stream, chunk);
  }
  void sync() override { to_.sync(); }
  std::string failure() const override { return to_.failure(); }

 private:
  const CaseLog& log_;
  EventSink& to_;
};

/// Answers commands from the case's entries; never starts a process.
class ScriptedRunner final : public CommandRunner {
 public:
  ScriptedRunner(const Fixture& f, const FixtureCase& c, FakeClock& clock, CaseLog& log)
      : fixture_(f), case_(c), clock_(clock), log_(log), uses_(c.commands.size(), 0) {}

  CommandResult run(const CommandSpec& spec, OutputSink* sink) override {
    return answer(spec, sink, "");
  }

  /// The result of the first entry that matches the command, run on `host`
  /// ("" for this machine); an entry with a `target` matches only there.
  CommandResult answer(const CommandSpec& spec, OutputSink* sink, const std::string& host) {
    CommandResult r;
    for (const auto& [k, v] : spec.env)
      if (k == "RBK_KIND") {  // a notification: rbk test never sends one
        r.exit_code = 0;
        return r;
      }
    const std::string step = log_.command_step;
    const std::string text(trim(spec.script));
    if (case_.interrupt && !log_.died && step == case_.interrupt->step) {
      log_.die();  // its command_start is written; its result never will be
      r.cancelled = true;
      return r;
    }
    const CommandEntry* entry = nullptr;
    size_t index = 0;
    for (; index < case_.commands.size(); ++index) {
      const CommandEntry& e = case_.commands[index];
      if (!e.step.empty() && e.step != step) continue;
      if (!e.target.empty() && e.target != host) continue;
      if (e.command && *e.command != text) continue;
      if (e.re && !RE2::PartialMatch(spec.script, *e.re)) continue;
      entry = &e;
      break;
    }
    if (!entry) {
      log_.stop(unmatched(step, text, host));
      r.cancelled = true;
      return r;
    }
    const ScriptedResult& s = entry->results[std::min(uses_[index]++, entry->results.size() - 1)];
    if (sink && !s.out.empty()) sink->on_output(Stream::Out, s.out);
    if (sink && !s.err.empty()) sink->on_output(Stream::Err, s.err);
    Millis takes = s.timed_out ? spec.timeout : s.duration.value_or(fixture_.command_time);
    // A command cannot outlast its deadline: a real run would stop it there.
    const bool timed_out = s.timed_out || takes > spec.timeout;
    if (takes > spec.timeout) takes = spec.timeout;
    clock_.advance(takes);
    r.duration = takes;
    r.out.text = s.out;
    r.out.total_bytes = s.out.size();
    r.err.text = s.err;
    r.err.total_bytes = s.err.size();
    if (timed_out)
      r.timed_out = true;
    else
      r.exit_code = s.exit;
    return r;
  }

 private:
  std::string unmatched(const std::string& step, const std::string& text,
                        const std::string& host) const {
    std::string shown = text;  // continuation lines indented like the first
    for (size_t at = shown.find('\n'); at != std::string::npos; at = shown.find('\n', at + 6))
      shown.replace(at, 1, "\n     ");
    std::string msg = "no fixture entry matches the command of step '" + step + "'" +
                      (host.empty() ? "" : " on target '" + host + "'") + ":\n    `" + shown + "`";
    // The closest entry: one for the same step first, then the nearest text.
    const CommandEntry* best = nullptr;
    size_t best_score = SIZE_MAX;
    for (const auto& e : case_.commands) {
      // Same step first, then the nearest step name, then the nearest text.
      std::string target = e.command ? *e.command : e.regex;
      size_t score = target.empty() ? 0 : edit_distance(text, target);
      if (!e.step.empty() && e.step != step) score += 100000 + 1000 * edit_distance(e.step, step);
      if (!e.target.empty() && e.target != host) score += 50000;
      if (score < best_score) best = &e, best_score = score;
    }
    if (best)
      msg += "\n  closest entry: " + best->describe();
    else
      msg += "\n  the case has no commands entries";
    return msg + "\n  add an entry for it (step: " + step +
           (host.empty() ? "" : ", target: " + host) +
           ", command or match); rbk test never runs a "
           "real command";
  }

  const Fixture& fixture_;
  const FixtureCase& case_;
  FakeClock& clock_;
  CaseLog& log_;
  std::vector<size_t> uses_;
};

/// Answers the commands of steps `on` targets from the same entries, one
/// host after another (so that a case replays in one order).
class ScriptedTargets final : public TargetRunner {
 public:
  explicit ScriptedTargets(ScriptedRunner& runner) : runner_(runner) {}
  CommandResult run_on(const Host& host, const CommandSpec& spec, OutputSink* sink) override {
    return runner_.answer(spec, sink, host.id);
  }

 private:
  ScriptedRunner& runner_;
};

/// Answers gates and manual steps from the case's answers.
class ScriptedOperator final : public Operator {
 public:
  ScriptedOperator(const Fixture& f, const FixtureCase& c, FakeClock& clock, CaseLog& log)
      : fixture_(f),
        case_(c),
        clock_(clock),
        log_(log),
        used_(c.answers.size(), false),
        terminal_(c.terminal) {}

  bool interactive() const override { return terminal_; }
  /// The resume has its own terminal, or none (`resume.terminal`).
  void set_terminal(bool terminal) { terminal_ = terminal; }
  std::string user() const override { return "rbk-test"; }
  std::optional<bool> confirm(const std::string& question) override {
    const Answer* a = take(Answer::Kind::Confirm, "a y/N question", question);
    if (!a) return std::nullopt;
    return a->yes;
  }
  std::optional<std::string> typed(const std::string& question, const std::string&) override {
    const Answer* a = take(Answer::Kind::Typed, "for a typed value", question);
    if (!a) return std::nullopt;
    return a->typed;
  }
  std::optional<ManualAnswer> manual(const std::string& instruction) override {
    const Answer* a = take(Answer::Kind::Manual, "to do a manual step", instruction);
    if (!a) return std::nullopt;
    return a->manual;
  }
  std::optional<std::string> ask(const std::string& question, const std::string& retry) override {
    if (!retry.empty()) log_.transcript += retry + "; try again.\n";
    const Answer* a = take(Answer::Kind::Ask, "a question", question);
    if (!a) return std::nullopt;
    return a->typed;
  }
  std::optional<InFlightAnswer> in_flight(const InFlightQuestion& q) override {
    log_.transcript += describe(q);
    if (!case_.interrupt || !case_.interrupt->in_flight) {
      log_.stop(
          "step '" + q.step +
          "' is destructive and was running when the run died; the case does not say "
          "what the operator decides\n  add: resume: {in_flight: run_again|done|failed|stop}");
      return std::nullopt;
    }
    return *case_.interrupt->in_flight;
  }

  /// Answers the run never asked for.
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < used_.size(); ++i)
      if (!used_[i])
        out.push_back("the answer for step '" + case_.answers[i].step + "' (line " +
                      std::to_string(case_.answers[i].pos.line) + ") was never asked for");
    return out;
  }

 private:
  static const char* kind_name(Answer::Kind k) {
    return k == Answer::Kind::Confirm ? "confirm"
           : k == Answer::Kind::Typed ? "typed"
           : k == Answer::Kind::Ask   ? "ask"
                                      : "manual";
  }

  const Answer* take(Answer::Kind kind, const char* what, const std::string& question) {
    const std::string& step = log_.asking_step;
    for (size_t i = 0; i < case_.answers.size(); ++i) {
      const Answer& a = case_.answers[i];
      if (used_[i] || a.step != step) continue;
      used_[i] = true;
      if (a.kind != kind) {
        log_.stop("step '" + step + "' asks " + what + ", but its answer (line " +
                  std::to_string(a.pos.line) + ") is '" + kind_name(a.kind) + "'");
        return nullptr;
      }
      clock_.advance(a.after.count() > 0 ? a.after : fixture_.answer_time);
      return &a;
    }
    log_.stop("step '" + step + "' asks " + what + " and the case has no answer for it:\n    " +
              question + "\n  add: answers: [{step: " + step + ", " + kind_name(kind) + ": …}]");
    return nullptr;
  }

  const Fixture& fixture_;
  const FixtureCase& case_;
  FakeClock& clock_;
  CaseLog& log_;
  std::vector<bool> used_;
  bool terminal_;
};

/// Every step id the fixture may name in the runbook: steps, signals and
/// checks (with their generated ids), "ID.undo", and "RUNBOOK/…" for calls.
std::set<std::string> step_ids(const ast::Runbook& rb, std::set<std::string>& called) {
  std::set<std::string> ids;
  std::function<void(const ast::Body&)> calls = [&](const ast::Body& body) {
    for (const auto& s : body.items) {
      if (const auto* c = std::get_if<ast::Call>(&s)) called.insert(c->runbook.name);
      if (const auto* u = std::get_if<ast::Undo>(&s); u && u->body) calls(*u->body);
    }
  };
  for (const auto& item : rb.items) {
    const auto* sec = std::get_if<ast::Section>(&item);
    if (!sec) continue;
    size_t signals = 0, checks = 0;
    for (const auto& si : sec->items) {
      if (const auto* st = std::get_if<ast::Step>(&si)) {
        ids.insert(st->id.name);
        ids.insert(st->id.name + ".undo");
        calls(st->body);
      } else if (const auto* sg = std::get_if<ast::Signal>(&si)) {
        ++signals;
        ids.insert(ast::item_id(sg->id, "signal", signals));
      } else if (const auto* ck = std::get_if<ast::Check>(&si)) {
        ++checks;
        ids.insert(ast::item_id(ck->id, "check", checks));
      }
    }
  }
  return ids;
}

}  // namespace

Diagnostics check_fixture(const Fixture& f, const ast::Document& doc,
                          const Targets* config_targets) {
  Diagnostics out;
  const ast::Runbook* rb = doc.runbook();
  if (!rb || !f.file) return out;
  auto at = [&](const FixturePos& p) { return Span::of(*f.file, p.offset, p.offset + p.length); };
  std::set<std::string> called;
  const std::set<std::string> steps = step_ids(*rb, called);
  std::vector<std::string> causes, params, secrets;
  for (const auto& item : rb->items) {
    if (const auto* p = std::get_if<ast::Param>(&item)) params.push_back(p->name.name);
    if (const auto* s = std::get_if<ast::Secret>(&item)) secrets.push_back(s->name.name);
    if (const auto* sec = std::get_if<ast::Section>(&item))
      for (const auto& si : sec->items)
        if (const auto* c = std::get_if<ast::Cause>(&si)) causes.push_back(c->id.name);
  }
  const std::vector<std::string> step_list(steps.begin(), steps.end());
  const std::vector<std::string> questions = ast::question_names(*rb);
  const Targets* targets = f.targets ? &*f.targets : config_targets;
  std::vector<std::string> hosts;
  if (targets) hosts = targets->names();
  for (const auto& r : f.refs) {
    const std::vector<std::string>* known = nullptr;
    const char* what = "";
    // A called runbook's steps and causes are named CALLED/ID (as its
    // events are): the runbook must call CALLED.
    const size_t slash = r.name.find('/');
    const bool of_callee = slash != std::string::npos &&
                           (r.kind == FixtureRef::Kind::Step || r.kind == FixtureRef::Kind::Cause ||
                            r.kind == FixtureRef::Kind::Question);
    if (of_callee) {
      if (!called.count(r.name.substr(0, slash)))
        out.push_back(error_at(
            at(r.pos),
            "runbook '" + rb->name.name + "' calls no runbook '" + r.name.substr(0, slash) + "'",
            r.kind == FixtureRef::Kind::Step ? "steps of a called runbook are named CALLED/STEP"
            : r.kind == FixtureRef::Kind::Cause
                ? "causes of a called runbook are named CALLED/CAUSE"
                : "questions of a called runbook are named CALLED/NAME"));
      continue;
    }
    switch (r.kind) {
      case FixtureRef::Kind::Step:
        known = &step_list;
        what = "step";
        break;
      case FixtureRef::Kind::Cause:
        known = &causes;
        what = "cause";
        break;
      case FixtureRef::Kind::Param:
        known = &params;
        what = "parameter";
        break;
      case FixtureRef::Kind::Secret:
        known = &secrets;
        what = "secret";
        break;
      case FixtureRef::Kind::Question:
        known = &questions;
        what = "question";
        break;
      case FixtureRef::Kind::Target:
        if (!targets) continue;
        // `target:` of a case may name a group; everything else names a host.
        if (targets->resolve(r.name)) continue;
        known = &hosts;
        what = "target";
        break;
    }
    if (std::find(known->begin(), known->end(), r.name) != known->end()) continue;
    std::string hint = did_you_mean(r.name, *known);
    if (r.kind == FixtureRef::Kind::Target) {
      out.push_back(error_at(at(r.pos),
                             "unknown host or group '" + r.name + "' (" +
                                 (f.targets ? "the fixture's targets" : "rbk.yaml's targets") + ")",
                             !hint.empty()   ? hint
                             : hosts.empty() ? "known: none"
                                             : "known: " + join(hosts)));
      continue;
    }
    out.push_back(error_at(
        at(r.pos),
        std::string("runbook '") + rb->name.name + "' has no " + what + " '" + r.name + "'", hint));
  }
  // Each case's parameters convert to their types; required ones are given.
  for (const auto& c : f.cases) {
    std::vector<ParamArg> args;
    for (const auto& [k, v] : c.params)
      if (std::find(params.begin(), params.end(), k) != params.end()) args.push_back({k, v});
    BoundParams b = bind_params(*rb, args);
    for (const auto& e : b.errors)
      out.push_back(error_at(at(c.pos), "case '" + c.name + "': " + e));
    for (const ast::Param* p : b.missing)
      out.push_back(error_at(
          at(c.pos),
          "case '" + c.name + "' does not give the required parameter '" + p->name.name + "'",
          "add params: {" + p->name.name + ": …} to the case or the fixture"));
  }
  return out;
}

namespace {

/// After the case's run "died" (`interrupt:`): the resume, as `rbk resume`
/// would begin it from the record the dead run left (the case's events so
/// far, their output kept in memory), after `resume.after` of downtime.
/// Null when it stops before the engine starts, `result` then saying how.
std::unique_ptr<ResumeState> resume_case(const FixtureCase& c, const Config& config,
                                         FakeClock& clock, CaseLog& log, ScriptedOperator& op,
                                         RunResult& result) {
  log.dead = false;
  auto state = ResumeState::from_record(log.events, "", config.policy.capture_limit);
  if (!state) {
    log.fatal.push_back("the record the run left cannot be resumed: " + state.error());
    return nullptr;
  }
  clock.advance(c.interrupt->down);
  (*state)->use_clock(clock, clock.now());  // the fake clock's zero is the run's start
  (*state)->set_outputs([&log](uint64_t seq, Stream stream) {
    auto it = log.outputs.find(seq);
    if (it == log.outputs.end()) return std::string();
    return stream == Stream::Out ? it->second.first : it->second.second;
  });
  (*state)->resume_event().by = op.user();
  op.set_terminal(c.interrupt->terminal.value_or(c.terminal));
  // Decided before the engine starts, as `rbk resume` decides; with no
  // terminal nothing else can decide (refused, exit 4).
  if (const auto& flying = (*state)->in_flight()) {
    if (!(*state)->decide_without_asking(c.approve.count(flying->step) > 0, false, false) &&
        !op.interactive()) {
      result = RunResult{};
      result.outcome = Outcome::Refused;
      result.exit_code = 4;
      result.failed_step = flying->step;
      return nullptr;
    }
  }
  return std::move(*state);
}

}  // namespace

CaseReport run_case(const Fixture& f, const FixtureCase& c, const FixtureTarget& target,
                    ModuleLoader& modules, EventSink* record) {
  CaseReport report;
  report.name = c.name;
  report.pos = c.pos;
  try {
    CaseLog log;
    CancelToken cancel;
    log.cancel = &cancel;
    FakeClock clock;
    ScriptedRunner runner(f, c, clock, log);
    ScriptedOperator op(f, c, clock, log);
    CaseSink sink(log);
    ScriptedTargets targets(runner);
    Config config = *target.config;
    config.page_command.clear();  // nothing is ever sent from a test
    config.notify_command.clear();
    if (f.targets) config.targets = *f.targets;

    EngineContext ctx;
    ctx.runner = &runner;
    ctx.op = &op;
    ctx.clock = &clock;
    ctx.sinks = {&sink};
    std::optional<UntilDeath> kept;  // a real record of the case, cut where rbk "died"
    if (record) ctx.sinks.push_back(&kept.emplace(log, *record));
    ctx.cancel = &cancel;
    ctx.config = &config;
    ctx.patterns = target.patterns;
    ctx.modules = &modules;
    ctx.find_runbook = target.find_runbook;
    ctx.run_id = "rbk-test";
    ctx.record_dir = "";
    ctx.force = c.force;
    ctx.yes = c.yes;
    ctx.approve = c.approve;
    ctx.targets = &targets;
    for (const auto& name : c.target_filter)
      if (auto ids = config.targets.resolve(name))
        ctx.target_filter.insert(ids->begin(), ids->end());
    ctx.answers = c.answer_flags;
    ctx.secret_values = &f.secrets;

    RunRequest req;
    req.doc = target.doc;
    req.file = target.file;
    req.sha256 = target.sha256;
    std::vector<ParamArg> args;
    for (const auto& [k, v] : c.params) args.push_back({k, v});
    BoundParams bound = bind_params(*target.doc->runbook(), args);
    for (const auto& e : bound.errors) report.failures.push_back("parameters: " + e);
    for (const ast::Param* p : bound.missing)
      report.failures.push_back("parameters: '" + p->name.name + "' is required and not given");
    if (!report.failures.empty()) return report;
    req.params = bound.values;

    RunResult result = run_runbook(ctx, req);
    CancelToken resumed_cancel;  // the first run's was cancelled when it "died"
    std::unique_ptr<ResumeState> resume;
    if (c.interrupt && log.fatal.empty()) {
      log.cancel = ctx.cancel = &resumed_cancel;
      if (!log.died) {
        report.failures.push_back("interrupt: step '" + c.interrupt->step +
                                  "' never ran a command, so the run did not die there");
        return report;
      }
      resume = resume_case(c, config, clock, log, op, result);
      if (resume) {
        ctx.resume = resume.get();
        ctx.clock = &resume->clock();
        result = run_runbook(ctx, req);
        if (resume->stopped()) {
          // As `rbk resume` when the operator stops at the question: exit 4.
          result.outcome = Outcome::Refused;
          result.exit_code = 4;
        } else if (!resume->divergence().empty() && log.fatal.empty()) {
          report.failures.push_back("the resume could not follow the record: " +
                                    resume->divergence());
          return report;
        }
      }
    }
    Actual actual = actual_of(log.events, result);
    report.trace = actual.trace;
    report.outcome = outcome_name(result.outcome);
    report.exit_code = result.exit_code;
    report.virtual_time = clock.now();
    if (!log.fatal.empty()) {
      report.failures = log.fatal;  // the run stopped early: its expectations say nothing
      return report;
    }
    report.failures = compare(c.expect, result, actual, log.transcript);
    for (auto& u : op.unused()) report.failures.push_back(std::move(u));
    report.passed = report.failures.empty();
  } catch (const std::exception& e) {
    report.failures.push_back(std::string("internal error while running the case: ") + e.what());
  }
  return report;
}

std::string describe_failures(const CaseReport& r) {
  std::string out;
  for (const auto& f : r.failures) out += "  " + f + "\n";
  if (!r.trace.empty()) {
    out += "  the run:\n";
    for (const auto& t : r.trace) out += "    " + t + "\n";
  }
  return out;
}

}  // namespace rbk
