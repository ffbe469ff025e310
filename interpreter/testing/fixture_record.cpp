#include "interpreter/testing/fixture_record.hpp"

#include <yaml-cpp/yaml.h>

#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

void FixtureRecorder::event(const Event& e) {
  target_statuses_.add(e);
  if (const auto* start = e.as<ev::RunStart>()) {
    for (const auto& [name, v] : start->params) params_[name] = v.value;
    secrets_ = start->secrets;
    run_id_ = start->run_id;
    started_ = e.time;
  } else if (e.as<ev::StepStart>() || e.as<ev::Gate>()) {
    asked_at_ = e.elapsed_ms;
  } else if (const auto* start_cmd = e.as<ev::CommandStart>()) {
    const std::string& step_id = start_cmd->step;
    const std::string& command = start_cmd->command.value;
    if (step_id.rfind("secret ", 0) == 0)
      return;  // never replayed: rbk test takes secrets as given
    const std::string target = start_cmd->target.value_or("");
    size_t i = 0;
    while (i < entries_.size() && (entries_[i].step != step_id || entries_[i].command != command ||
                                   entries_[i].target != target))
      ++i;
    if (i == entries_.size()) entries_.push_back({step_id, command, target, {}});
    running_.emplace(start_cmd->seq, Running{i, OutputCapture(how_.capture_limit),
                                             OutputCapture(how_.capture_limit)});
  } else if (const auto* end = e.as<ev::CommandEnd>()) {
    auto it = running_.find(end->seq);
    if (it == running_.end()) return;
    Result r;
    r.out = it->second.out.finish().text;
    r.err = it->second.err.finish().text;
    r.exit = end->exit;
    r.timed_out = end->timed_out;
    r.duration_ms = end->duration_ms;
    const bool spawn_failed = end->spawn_failed.value_or(false);
    if (end->cancelled)
      unreplayable_.push_back("the command of step '" + end->step +
                              "' was interrupted; the fixture cannot replay an interruption");
    else if (spawn_failed)
      unreplayable_.push_back("the command of step '" + end->step + "' could not start (" +
                              end->error.value_or(ev::Text()).value + "); recorded as exit 127");
    if (spawn_failed) r.exit = 127;
    entries_[it->second.entry].results.push_back(std::move(r));
    running_.erase(it);
  } else if (const auto* a = e.as<ev::Answer>()) {
    if (a->via == ev::Via::Approve || a->via == ev::Via::Yes) return;  // the case's flags say it
    if (!a->answer || !a->answer->value) {
      if (a->reason.value_or(ev::Text()).value != "interrupted" && how_.terminal)
        unreplayable_.push_back("the gate of step '" + a->step +
                                "' got no answer; a fixture answers every question");
      return;
    }
    answers_.push_back({a->step, a->kind == ev::GateKind::Typed ? "typed" : "confirm",
                        a->answer->value->value, e.elapsed_ms - asked_at_});
    asked_at_ = e.elapsed_ms;
  } else if (const auto* m = e.as<ev::Manual>()) {
    if (m->via != ev::Via::Tty || !m->answer.value) return;
    answers_.push_back(
        {m->step, "manual", std::string(name_of(*m->answer.value)), e.elapsed_ms - asked_at_});
    asked_at_ = e.elapsed_ms;
  } else if (const auto* q = e.as<ev::Ask>()) {
    // As the record has it (masked): a fixture is a file people commit.
    if (q->via == ev::AskVia::Flag && q->answer.value)
      flag_answers_[q->step.find('/') == std::string::npos
                        ? q->name
                        : q->step.substr(0, q->step.rfind('/') + 1) + q->name] =
          q->answer.value->value;
    if (q->via != ev::AskVia::Tty || !q->answer.value) return;
    answers_.push_back({q->step, "ask", q->answer.value->value, e.elapsed_ms - asked_at_});
    asked_at_ = e.elapsed_ms;  // the next question's time counts from this answer
  } else if (const auto* step_end = e.as<ev::StepEnd>()) {
    steps_.push_back(step_end->step + " " + std::string(name_of(step_end->status)));
  } else if (const auto* c = e.as<ev::Cause>()) {
    if (c->matched) causes_.push_back(c->id);
  } else if (const auto* esc = e.as<ev::Escalation>()) {
    escalations_.push_back({esc->role, escalation_rule(*esc)});
  } else if (const auto* run_end = e.as<ev::RunEnd>()) {
    outcome_ = outcome_name(run_end->outcome);
    exit_code_ = run_end->exit_code;
  }
}

void FixtureRecorder::output(uint64_t seq, Stream stream, std::string_view chunk) {
  auto it = running_.find(seq);
  if (it == running_.end()) return;
  (stream == Stream::Out ? it->second.out : it->second.err).append(chunk);
}

std::string FixtureRecorder::yaml() const {
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "runbook" << YAML::Value << how_.runbook;
  if (!params_.empty()) {
    y << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : params_.items())
      y << YAML::Key << k << YAML::Value << param_arg_text(v);
    y << YAML::EndMap;
  }
  if (!secrets_.empty()) {
    // The real values never reach the record; replay gives commands the mask.
    y << YAML::Key << "secrets" << YAML::Value << YAML::BeginMap;
    for (const auto& s : secrets_) y << YAML::Key << s << YAML::Value << "***";
    y << YAML::EndMap;
  }
  y << YAML::Key << "cases" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << "recorded run " + run_id_;
  if (!how_.terminal) y << YAML::Key << "terminal" << YAML::Value << false;
  if (!how_.approve.empty()) {
    y << YAML::Key << "approve" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& a : how_.approve) y << a;
    y << YAML::EndSeq;
  }
  if (!how_.targets.empty()) {
    y << YAML::Key << "target" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& t : how_.targets) y << t;
    y << YAML::EndSeq;
  }
  if (!flag_answers_.empty()) {
    y << YAML::Key << "answer" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [name, value] : flag_answers_) y << YAML::Key << name << YAML::Value << value;
    y << YAML::EndMap;
  }
  if (how_.yes) y << YAML::Key << "yes" << YAML::Value << true;
  if (how_.force) y << YAML::Key << "force" << YAML::Value << true;
  if (!entries_.empty()) {
    y << YAML::Key << "commands" << YAML::Value << YAML::BeginSeq;
    for (const auto& en : entries_) {
      if (en.results.empty()) continue;
      y << YAML::BeginMap;
      y << YAML::Key << "step" << YAML::Value << en.step;
      if (!en.target.empty()) y << YAML::Key << "target" << YAML::Value << en.target;
      y << YAML::Key << "command" << YAML::Value << en.command;
      y << YAML::Key << "results" << YAML::Value << YAML::BeginSeq;
      for (const auto& r : en.results) {
        y << YAML::BeginMap;
        if (!r.out.empty())
          y << YAML::Key << "stdout" << YAML::Value << YAML::DoubleQuoted << r.out;
        if (!r.err.empty())
          y << YAML::Key << "stderr" << YAML::Value << YAML::DoubleQuoted << r.err;
        if (r.timed_out)
          y << YAML::Key << "timed_out" << YAML::Value << true;
        else
          y << YAML::Key << "exit" << YAML::Value << r.exit;
        y << YAML::Key << "duration" << YAML::Value << format_duration(r.duration_ms);
        y << YAML::EndMap;
      }
      y << YAML::EndSeq << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  if (!answers_.empty()) {
    y << YAML::Key << "answers" << YAML::Value << YAML::BeginSeq;
    for (const auto& a : answers_) {
      y << YAML::Flow << YAML::BeginMap;
      y << YAML::Key << "step" << YAML::Value << a.step;
      y << YAML::Key << a.kind << YAML::Value << a.value;
      if (a.after_ms > 0) y << YAML::Key << "after" << YAML::Value << format_duration(a.after_ms);
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  y << YAML::Key << "expect" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "outcome" << YAML::Value << outcome_;
  y << YAML::Key << "exit" << YAML::Value << exit_code_;
  y << YAML::Key << "causes" << YAML::Value << YAML::Flow << causes_;
  y << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : steps_) y << s;
  y << YAML::EndSeq;
  if (!target_statuses_.lines().empty()) {
    y << YAML::Key << "targets" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : target_statuses_.lines()) y << s;
    y << YAML::EndSeq;
  }
  if (!escalations_.empty()) {
    y << YAML::Key << "escalations" << YAML::Value << YAML::BeginSeq;
    for (const auto& e : escalations_) {
      y << YAML::Flow << YAML::BeginMap;
      y << YAML::Key << "role" << YAML::Value << e.role;
      y << YAML::Key << "rule" << YAML::Value << e.rule;
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  y << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap;

  std::string head = "# Recorded by `rbk run --record-fixture` at " + started_ + " (run " +
                     run_id_ +
                     ").\n# Secrets and redaction patterns are masked. Replay: rbk test FILE\n";
  for (const auto& u : unreplayable_) head += "# note: " + u + "\n";
  return head + y.c_str() + "\n";
}

}  // namespace rbk
