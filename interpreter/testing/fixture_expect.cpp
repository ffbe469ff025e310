#include "interpreter/testing/fixture_expect.hpp"

#include <algorithm>

#include "interpreter/base/diff.hpp"
#include "interpreter/base/format_str.hpp"
#include "interpreter/base/names.hpp"

namespace rbk {

namespace {

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

}  // namespace

void TargetStatuses::add(const Event& e) {
  if (const auto* start = e.as<ev::BatchStart>()) {
    batch_[start->step] = start->targets;
  } else if (const auto* end = e.as<ev::BatchEnd>()) {
    for (const auto& host : batch_[end->step]) {
      const bool ok = std::find(end->ok.begin(), end->ok.end(), host) != end->ok.end();
      const bool failed =
          std::find(end->failed.begin(), end->failed.end(), host) != end->failed.end();
      if (ok || failed) lines_.push_back(end->step + " " + host + (ok ? " ok" : " failed"));
    }
  } else if (const auto* cmd = e.as<ev::CommandEnd>(); cmd && cmd->target) {
    if (!cmd->step.ends_with(".undo")) return;  // a step's own: its batch_end says
    auto [it, fresh] = undo_.try_emplace({cmd->step, *cmd->target}, lines_.size());
    if (fresh) lines_.push_back(cmd->step + " " + *cmd->target + " ok");
    if (!cmd->ok) lines_[it->second] = cmd->step + " " + *cmd->target + " failed";
  }
}

Actual actual_of(const std::vector<Event>& events, const RunResult& result) {
  Actual a;
  TargetStatuses targets;
  for (const auto& e : events) {
    targets.add(e);
    if (const auto* start = e.as<ev::BatchStart>())
      a.trace.push_back(format_str("batch {} of {} of {}: {}", start->batch, start->batches,
                                   start->step, join(start->targets, " ")));
    if (const auto* end = e.as<ev::BatchEnd>())
      a.trace.push_back(format_str("batch {} of {}: ok [{}] failed [{}]{}", end->batch, end->step,
                                   join(end->ok, " "), join(end->failed, " "),
                                   end->stopped ? ", max_fail exceeded" : ""));
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
    } else if (const auto* rs = e.as<ev::RunStart>()) {
      a.severity = rs->severity;
    } else if (const auto* sv = e.as<ev::SeverityDecided>()) {
      // A called runbook's own decision is not the run's.
      if (sv->causes.empty() || sv->causes[0].find('/') == std::string::npos) a.severity = sv->to;
      a.trace.push_back("severity " + sv->from + " -> " + sv->to);
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
    } else if (const auto* w = e.as<ev::Warning>()) {
      a.trace.push_back("warning: " + (w->step ? *w->step + ": " : std::string()) +
                        w->message.value);
    } else if (const auto* rb = e.as<ev::Rollback>()) {
      a.trace.push_back("rollback after " + rb->failed_step);
    } else if (const auto* re = e.as<ev::Resume>()) {
      std::string line = "resumed after " + format_duration(re->down_ms);
      if (re->step && re->decision)
        line += ": " + *re->step + "'s command " +
                (*re->decision == ev::InFlight::RunAgain
                     ? std::string("runs again")
                     : "counted " + std::string(name_of(*re->decision)));
      if (re->probe_passed)
        line += *re->probe_passed ? " (its check passes)" : " (its check fails)";
      a.trace.push_back(line);
    }
  }
  a.targets = targets.lines();
  a.trace.push_back(std::string("end ") + outcome_name(result.outcome) + " (exit " +
                    std::to_string(result.exit_code) + ")");
  return a;
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
  if (x.severity && *x.severity != a.severity)
    failures.push_back("severity: expected " + *x.severity + ", got " +
                       (a.severity.empty() ? "none" : a.severity));
  compare_list("causes", x.causes, a.causes, failures);
  compare_list("steps", x.steps, a.steps, failures);
  compare_list("ran", x.ran, a.ran, failures);
  compare_list("skipped", x.skipped, a.skipped, failures);
  compare_list("refused", x.refused, a.refused, failures);
  compare_list("failed", x.failed, a.failed, failures);
  compare_list("gates", x.gates, a.gates, failures);
  compare_list("undo", x.undo, a.undo, failures);
  compare_list("rollback", x.rollback, a.rollback, failures);
  compare_list("targets", x.targets, a.targets, failures);
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

}  // namespace rbk
