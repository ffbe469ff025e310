#include "interpreter/testing/fixture_replay.hpp"

#include <algorithm>
#include <functional>

#include <re2/re2.h>

#include "interpreter/base/diff.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/value.hpp"

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
  void output(uint64_t, Stream stream, std::string_view chunk) override {
    (stream == Stream::Out ? out_ : err_).append(chunk);
  }

 private:
  CaseLog& log_;
  std::string out_, err_;  // the running command's output so far
};

/// Answers commands from the case's entries; never starts a process.
class ScriptedRunner final : public CommandRunner {
 public:
  ScriptedRunner(const Fixture& f, const FixtureCase& c, FakeClock& clock, CaseLog& log)
      : fixture_(f), case_(c), clock_(clock), log_(log), uses_(c.commands.size(), 0) {}

  CommandResult run(const CommandSpec& spec, OutputSink* sink) override {
    CommandResult r;
    for (const auto& [k, v] : spec.env)
      if (k == "RBK_KIND") {  // a notification: rbk test never sends one
        r.exit_code = 0;
        return r;
      }
    const std::string step = log_.command_step;
    const std::string text(trim(spec.script));
    const CommandEntry* entry = nullptr;
    size_t index = 0;
    for (; index < case_.commands.size(); ++index) {
      const CommandEntry& e = case_.commands[index];
      if (!e.step.empty() && e.step != step) continue;
      if (e.command && *e.command != text) continue;
      if (e.re && !RE2::PartialMatch(spec.script, *e.re)) continue;
      entry = &e;
      break;
    }
    if (!entry) {
      log_.stop(unmatched(step, text));
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
  std::string unmatched(const std::string& step, const std::string& text) const {
    std::string shown = text;  // continuation lines indented like the first
    for (size_t at = shown.find('\n'); at != std::string::npos; at = shown.find('\n', at + 6))
      shown.replace(at, 1, "\n     ");
    std::string msg =
        "no fixture entry matches the command of step '" + step + "':\n    `" + shown + "`";
    // The closest entry: one for the same step first, then the nearest text.
    const CommandEntry* best = nullptr;
    size_t best_score = SIZE_MAX;
    for (const auto& e : case_.commands) {
      // Same step first, then the nearest step name, then the nearest text.
      std::string target = e.command ? *e.command : e.regex;
      size_t score = target.empty() ? 0 : edit_distance(text, target);
      if (!e.step.empty() && e.step != step) score += 100000 + 1000 * edit_distance(e.step, step);
      if (score < best_score) best = &e, best_score = score;
    }
    if (best)
      msg += "\n  closest entry: " + best->describe();
    else
      msg += "\n  the case has no commands entries";
    return msg + "\n  add an entry for it (step: " + step +
           ", command or match); rbk test never runs a "
           "real command";
  }

  const Fixture& fixture_;
  const FixtureCase& case_;
  FakeClock& clock_;
  CaseLog& log_;
  std::vector<size_t> uses_;
};

/// Answers gates and manual steps from the case's answers.
class ScriptedOperator final : public Operator {
 public:
  ScriptedOperator(const Fixture& f, const FixtureCase& c, FakeClock& clock, CaseLog& log)
      : fixture_(f), case_(c), clock_(clock), log_(log), used_(c.answers.size(), false) {}

  bool interactive() const override { return case_.terminal; }
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
    return k == Answer::Kind::Confirm ? "confirm" : k == Answer::Kind::Typed ? "typed" : "manual";
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
};

/// What the run did, in the shapes expectations are written in.
struct Actual {
  std::vector<std::string> causes, steps, ran, skipped, refused, failed, gates, undo, rollback;
  struct Esc {
    std::string role, rule, kind;
    Millis at;
  };
  std::vector<Esc> escalations;
  std::vector<std::string> trace;
};

Actual actual_of(const std::vector<Event>& events, const RunResult& result) {
  Actual a;
  for (const auto& e : events) {
    if (const auto* end = e.as<ev::StepEnd>()) {
      const std::string& id = end->step;
      const std::string status(name_of(end->status));
      const std::string reason = end->reason.value_or(ev::Text()).value;
      a.steps.push_back(id + " " + status);
      a.trace.push_back("step " + id + " " + status + (reason.empty() ? "" : " (" + reason + ")"));
      if (end->status == ev::StepStatus::Skipped)
        a.skipped.push_back(id);
      else if (end->status == ev::StepStatus::Refused)
        a.refused.push_back(id);
      else
        a.ran.push_back(id);
      if (end->status == ev::StepStatus::Failed) a.failed.push_back(id);
      const bool acted =
          end->status != ev::StepStatus::Skipped && end->status != ev::StepStatus::Refused;
      if (end->section == ev::Section::Undo && acted) {
        const std::string suffix = ".undo";
        a.undo.push_back(id.size() > suffix.size() && id.ends_with(suffix)
                             ? id.substr(0, id.size() - suffix.size())
                             : id);
      }
      if (end->section == ev::Section::Rollback && acted) a.rollback.push_back(id);
    } else if (const auto* c = e.as<ev::Cause>()) {
      if (c->matched) a.causes.push_back(c->id);
      a.trace.push_back("cause " + c->id + (c->matched ? " matched" : " not matched"));
    } else if (const auto* sig = e.as<ev::Signal>()) {
      a.trace.push_back("signal " + sig->id + (sig->firing ? " firing" : " not firing"));
    } else if (const auto* gate = e.as<ev::Gate>()) {
      a.gates.push_back(gate->step);
    } else if (const auto* ans = e.as<ev::Answer>()) {
      a.trace.push_back("gate " + ans->step + " " + std::string(name_of(ans->kind)) + ": " +
                        (ans->passed
                             ? "passed via " + std::string(ans->via ? name_of(*ans->via) : "")
                             : "refused (" + ans->reason.value_or(ev::Text()).value + ")"));
    } else if (const auto* m = e.as<ev::Manual>()) {
      a.trace.push_back("manual " + m->step + ": " +
                        (m->answer.value ? std::string(name_of(*m->answer.value)) : "no answer"));
    } else if (const auto* esc = e.as<ev::Escalation>()) {
      Actual::Esc x{esc->role, escalation_rule(*esc), std::string(name_of(esc->kind)),
                    Millis(e.elapsed_ms)};
      a.trace.push_back("escalation " + x.kind + " " + x.role + " (" + x.rule + ") at " +
                        format_duration(e.elapsed_ms));
      a.escalations.push_back(std::move(x));
    } else if (const auto* rb = e.as<ev::Rollback>()) {
      a.trace.push_back("rollback after " + rb->failed_step);
    }
  }
  a.trace.push_back(std::string("end ") + outcome_name(result.outcome) + " (exit " +
                    std::to_string(result.exit_code) + ")");
  return a;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

/// A diff of two lists, one item per line, headed "--- expected / +++ actual".
std::string list_diff(const std::vector<std::string>& expected,
                      const std::vector<std::string>& actual) {
  std::string d = unified_diff(join_lines(expected), join_lines(actual), "x");
  // unified_diff names files; here the two sides are the expectation and the run.
  size_t body = d.find('\n', d.find('\n') + 1);
  std::string out = "    --- expected\n    +++ actual\n";
  std::string rest = body == std::string::npos ? "" : d.substr(body + 1);
  for (size_t at = 0; at < rest.size();) {
    size_t eol = rest.find('\n', at);
    if (eol == std::string::npos) eol = rest.size();
    out += "    " + rest.substr(at, eol - at) + "\n";
    at = eol + 1;
  }
  return out;
}

void compare_list(const char* what, const std::optional<std::vector<std::string>>& expected,
                  const std::vector<std::string>& actual, std::vector<std::string>& failures) {
  if (!expected || *expected == actual) return;
  std::string d = list_diff(*expected, actual);
  d.pop_back();  // the failure is one block; describe_failures ends the line
  failures.push_back(std::string(what) + " differ:\n" + d);
}

/// An escalation of the run, showing only the fields `like` states (all without one).
std::string render_escalation(const Actual::Esc& a, const ExpectedEscalation* like) {
  std::string s = (!like || like->kind) ? a.kind + " " + a.role : a.role;
  if (!like || like->rule) s += " (" + a.rule + ")";
  if (!like || like->at) s += " at " + format_duration(a.at.count());
  return s;
}

std::string render_escalation(const ExpectedEscalation& e) {
  std::string s = (e.kind ? *e.kind + " " : std::string()) + e.role;
  if (e.rule) s += " (" + *e.rule + ")";
  if (e.at) s += " at " + format_duration(e.at->count());
  return s;
}

std::vector<std::string> compare(const Expectation& x, const RunResult& result, const Actual& a,
                                 const std::string& transcript) {
  std::vector<std::string> failures;
  const std::string got = std::string(outcome_name(result.outcome)) + " (exit " +
                          std::to_string(result.exit_code) +
                          (result.failed_step.empty() ? "" : ", at " + result.failed_step) + ")";
  if (x.outcome && *x.outcome != outcome_name(result.outcome))
    failures.push_back("outcome: expected " + *x.outcome + ", got " + got);
  if (x.exit && *x.exit != result.exit_code)
    failures.push_back("exit: expected " + std::to_string(*x.exit) + ", got " + got);
  compare_list("causes", x.causes, a.causes, failures);
  compare_list("steps", x.steps, a.steps, failures);
  compare_list("ran", x.ran, a.ran, failures);
  compare_list("skipped", x.skipped, a.skipped, failures);
  compare_list("refused", x.refused, a.refused, failures);
  compare_list("failed", x.failed, a.failed, failures);
  compare_list("gates", x.gates, a.gates, failures);
  compare_list("undo", x.undo, a.undo, failures);
  compare_list("rollback", x.rollback, a.rollback, failures);
  if (x.escalations) {
    std::vector<std::string> want, have;
    bool same = x.escalations->size() == a.escalations.size();
    for (size_t i = 0; i < std::max(x.escalations->size(), a.escalations.size()); ++i) {
      const ExpectedEscalation* e = i < x.escalations->size() ? &(*x.escalations)[i] : nullptr;
      if (e) want.push_back(render_escalation(*e));
      if (i < a.escalations.size()) {
        const Actual::Esc& h = a.escalations[i];
        have.push_back(render_escalation(h, e));
        if (e && (h.role != e->role || (e->rule && *e->rule != h.rule) ||
                  (e->kind && *e->kind != h.kind) || (e->at && *e->at != h.at)))
          same = false;
      }
    }
    if (!same) {
      std::string d = list_diff(want, have);
      d.pop_back();
      failures.push_back("escalations differ:\n" + d);
    }
  }
  for (const auto& s : x.output)
    if (transcript.find(s) == std::string::npos)
      failures.push_back("the output does not contain \"" + s + "\"");
  for (const auto& s : x.not_output)
    if (transcript.find(s) != std::string::npos)
      failures.push_back("the output contains \"" + s + "\", which it must not");
  return failures;
}

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

Diagnostics check_fixture(const Fixture& f, const ast::Document& doc) {
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
  for (const auto& r : f.refs) {
    const std::vector<std::string>* known = nullptr;
    const char* what = "";
    switch (r.kind) {
      case FixtureRef::Kind::Step: {
        size_t slash = r.name.find('/');
        if (slash != std::string::npos) {
          if (!called.count(r.name.substr(0, slash)))
            out.push_back(error_at(at(r.pos),
                                   "runbook '" + rb->name.name + "' calls no runbook '" +
                                       r.name.substr(0, slash) + "'",
                                   "steps of a called runbook are named CALLED/STEP"));
          continue;
        }
        known = &step_list;
        what = "step";
        break;
      }
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
    }
    if (std::find(known->begin(), known->end(), r.name) != known->end()) continue;
    std::string hint = did_you_mean(r.name, *known);
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
    Config config = *target.config;
    config.page_command.clear();  // nothing is ever sent from a test
    config.notify_command.clear();

    EngineContext ctx;
    ctx.runner = &runner;
    ctx.op = &op;
    ctx.clock = &clock;
    ctx.sinks = {&sink};
    if (record) ctx.sinks.push_back(record);
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
