#include "interpreter/report/report.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/base/format_str.hpp"
#include "interpreter/base/sha256.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

namespace {

using nlohmann::json;

// The first kEvidenceLines lines (at most kEvidenceBytes) of a recorded
// output file, and whether that was all of it: only its head is read. A
// missing file: nothing.
std::pair<std::string, bool> output_excerpt(const std::string& path) {
  std::string head;
  auto read = read_file_in_pieces(path, [&](std::string_view piece) {
    head.append(piece);
    return head.size() <= kEvidenceBytes;
  });
  if (!read) return {"", false};
  size_t end = 0;
  for (size_t lines = 0; end < head.size() && lines < kEvidenceLines; ++lines) {
    size_t nl = head.find('\n', end);
    end = nl == std::string::npos ? head.size() : nl + 1;
  }
  end = std::min(end, kEvidenceBytes);
  return {head.substr(0, end), end < head.size()};
}

// A timeline entry.
json timeline_entry(const Event& e, std::string kind, std::string text) {
  return {
      {"time", e.time}, {"t", e.elapsed_ms}, {"kind", std::move(kind)}, {"text", std::move(text)}};
}

// Sections whose commands change something (with any destructive step).
bool acting(ev::Section s) {
  return s == ev::Section::Remediate || s == ev::Section::Undo || s == ev::Section::Rollback ||
         s == ev::Section::Finally;
}

// What a resume ended of the dead run's processes.
std::string leftovers_text(const std::vector<int>& pids, bool killed) {
  std::string list;
  for (int pid : pids) list += (list.empty() ? "" : ", ") + std::to_string(pid);
  return "processes of the dead run still running, ended with their process groups (pid " + list +
         (killed ? "; some needed SIGKILL)" : ")");
}

// How a gate was passed, as the timeline says it after "approved".
std::string how_approved(std::optional<ev::Via> via) {
  if (!via) return "";
  switch (*via) {
    case ev::Via::Tty:
      return " on the terminal";
    case ev::Via::Approve:
      return " by --approve";
    case ev::Via::Yes:
      return " by --yes";
    case ev::Via::Socket:
      return " through rbk serve (rbk approve on its socket)";
    case ev::Via::Http:
      return " through rbk serve (over HTTP)";
    case ev::Via::Auto:
      return " automatically by rbk serve, inside its route's limits";
  }
  return "";
}

// Builds the data in one pass over the events.
class Drafter {
 public:
  explicit Drafter(const std::string& run_dir) : dir_(run_dir) {}

  void add(const Event& e) {
    if (const auto* x = e.as<ev::RunStart>()) return start(e, *x);
    if (const auto* x = e.as<ev::TimelineNote>()) {
      data_["notes"].push_back({{"time", e.time}, {"by", x->by}, {"text", x->text.value}});
      return timeline(timeline_entry(e, "note", x->text.value), x->by);
    }
    if (const auto* x = e.as<ev::Resume>()) return resumed(e, *x);
    if (const auto* x = e.as<ev::LeftoversEnded>())  // while the run was down
      return timeline(timeline_entry(e, "resume", leftovers_text(x->pids, x->killed)), x->by);
    if (const auto* x = e.as<ev::AlertUpdate>())  // rbk serve's, like a note: may follow run_end
      return timeline(timeline_entry(e, "alert", "alert " + x->status + ": " + x->message.value));
    last_ = &e;
    if (const auto* x = e.as<ev::AlertStart>()) {
      json labels = json::object();
      for (const auto& [k, v] : x->labels) labels[k] = v.value;
      data_["alert"] = {{"route", x->route},
                        {"fingerprint", x->fingerprint},
                        {"starts_at", x->starts_at},
                        {"labels", labels}};
      const std::string name =
          labels.contains("alertname") ? labels["alertname"].get<std::string>() : x->fingerprint;
      return timeline(timeline_entry(
          e, "alert",
          "alert " + name + " fired; rbk serve's route " + x->route + " started the run"));
    }
    if (const auto* x = e.as<ev::Parked>())
      return timeline(timeline_entry(e, "parked",
                                     "waiting at step " + x->step + " for a person (rbk approve)"));
    if (const auto* x = e.as<ev::ApprovalVoid>())
      return timeline(
          timeline_entry(e, "parked", "approval of " + x->step + " void: " + x->reason.value),
          x->by);
    if (const auto* x = e.as<ev::WouldRun>()) {
      json commands = json::array();
      for (const auto& c : x->commands) commands.push_back(c.value);
      data_["would_run"].push_back({{"step", x->step},
                                    {"section", name_of(x->section)},
                                    {"destructive", x->destructive},
                                    {"commands", commands}});
      return timeline(
          timeline_entry(e, "would_run", "shadow mode: step " + x->step + " would have run"));
    }
    if (const auto* x = e.as<ev::Signal>())
      return timeline(timeline_entry(e, "signal",
                                     "alert signal " + x->id + (x->firing ? " firing" : " quiet") +
                                         (x->title.empty() ? "" : ": " + x->title.value)));
    if (e.as<ev::NotFiring>())
      return timeline(timeline_entry(e, "signal", "no alert signal fired: nothing was done"));
    if (const auto* x = e.as<ev::StepStart>()) {
      steps_[x->step] = {x->section, x->destructive};
      return;
    }
    if (const auto* x = e.as<ev::CommandStart>()) {
      commands_[x->seq] = {x->step, x->command.value, e.time};
      return;
    }
    if (const auto* x = e.as<ev::CommandEnd>()) return command_end(*x);
    if (const auto* x = e.as<ev::StepEnd>()) return step_end(e, *x);
    if (const auto* x = e.as<ev::Gate>()) {
      gates_[x->step] = x->prompt.empty() ? x->reason.value : x->prompt.value;
      return;
    }
    if (const auto* x = e.as<ev::Answer>()) return answer(e, *x);
    if (const auto* x = e.as<ev::Manual>()) {
      const std::string said =
          x->answer.value ? std::string(name_of(*x->answer.value)) : std::string("no answer");
      return timeline(
          timeline_entry(e, "manual",
                         "manual step " + x->step + ": " + x->text.value + " → " + said),
          x->by);
    }
    if (const auto* x = e.as<ev::Ask>())
      return timeline(
          timeline_entry(e, "ask",
                         "asked " + x->name + " (" + x->question.value + ") → " +
                             (x->answer.value ? x->answer.value->value : std::string("no answer")) +
                             (x->reason ? ", refused: " + x->reason->value : std::string())),
          x->by);
    if (const auto* x = e.as<ev::Note>())
      return timeline(timeline_entry(e, "step_note", x->step + ": " + x->text.value));
    if (const auto* x = e.as<ev::Cause>()) {
      json values = json::object();
      for (const auto& [name, value] : x->values.value_or(std::map<std::string, ev::Text>{}))
        values[name] = value.value;
      const std::string found = cause_values_text(values);
      data_["causes"].push_back(
          {{"id", x->id}, {"title", x->title.value}, {"matched", x->matched}, {"values", values}});
      if (x->matched)
        timeline(timeline_entry(e, "cause",
                                "cause " + x->id + " matched" +
                                    (x->title.empty() ? "" : ": " + x->title.value) +
                                    (found.empty() ? "" : " (" + found + ")")));
      return;
    }
    if (const auto* x = e.as<ev::SeverityDecided>()) {
      std::string causes;
      for (const auto& c : x->causes) causes += (causes.empty() ? "" : ", ") + c;
      // The run's severity is the decided one; a called runbook's stays its own.
      if (!causes.empty() && causes.find('/') == std::string::npos) data_["severity"] = x->to;
      return timeline(timeline_entry(e, "severity",
                                     "severity " +
                                         (x->from.empty() ? std::string("(none)") : x->from) +
                                         " → " + x->to + ", decided by " + causes));
    }
    if (const auto* x = e.as<ev::Check>())
      return timeline(timeline_entry(
          e, "check",
          format_str("check {} {} after {} attempt{}", x->id, x->passed ? "passed" : "failed",
                     x->attempts, x->attempts == 1 ? "" : "s")));
    if (const auto* x = e.as<ev::Rollback>()) {
      data_["rollback"] = {{"failed_step", x->failed_step}, {"undo", x->undo}};
      return timeline(
          timeline_entry(e, "rollback",
                         format_str("remediation failed at {}: {} undo block{}, then the rollback "
                                    "section",
                                    x->failed_step, x->undo, x->undo == 1 ? "" : "s")));
    }
    if (const auto* x = e.as<ev::Escalation>()) return escalation(e, *x);
    if (const auto* x = e.as<ev::CallStart>())
      return timeline(timeline_entry(e, "call", x->step + " calls runbook " + x->runbook));
    if (const auto* x = e.as<ev::CallEnd>())
      return timeline(timeline_entry(
          e, "call",
          "runbook " + x->runbook + " returned to " + x->step + ": " + outcome_name(x->outcome)));
    if (const auto* x = e.as<ev::Warning>())
      return timeline(timeline_entry(e, "warning", "warning: " + x->message.value));
    if (const auto* x = e.as<ev::RunEnd>()) return run_end(e, *x);
  }

  json finish() {
    unended_actions();
    json& s = data_["stretches"];
    if (!s.empty() && last_) s.back()["to"] = last_->time;
    if (!ended_) {
      data_["outcome"] = "unfinished";
      if (last_) data_["duration_ms"] = last_->elapsed_ms;
    }
    return std::move(data_);
  }

 private:
  struct StepInfo {
    ev::Section section = ev::Section::Diagnose;
    bool destructive = false;
  };
  struct CommandInfo {
    std::string step, command, started;
  };

  void timeline(json item, const std::string& by = "") {
    if (!by.empty()) item["by"] = by;
    data_["timeline"].push_back(std::move(item));
  }

  void start(const Event& e, const ev::RunStart& x) {
    last_ = &e;
    data_ = {{"report_format", kReportFormat},
             {"run_id", x.run_id},
             {"runbook", x.runbook},
             {"title", x.title.value},
             {"severity", x.severity},
             {"file", x.file},
             {"sha256", x.sha256},
             {"user", x.user},
             {"started", e.time},
             {"ended", nullptr},
             {"duration_ms", 0},
             {"outcome", "unfinished"},
             {"exit_code", nullptr},
             {"failed_step", nullptr},
             {"stretches", json::array({{{"from", e.time}, {"to", e.time}, {"by", x.user}}})},
             {"gaps", json::array()},
             {"causes", json::array()},
             {"timeline", json::array()},
             {"evidence", json::array()},
             {"actions", json::array()},
             {"rolled_back", json::array()},
             {"would_run", json::array()},
             {"alert", nullptr},
             {"rollback", nullptr},
             {"notes", json::array()}};
    json params = json::object();
    for (const auto& [k, v] : x.params) params[k] = v.value;
    data_["params"] = std::move(params);
    timeline(timeline_entry(e, "start",
                            "run of " + x.runbook + " started" +
                                (x.severity.empty() ? "" : " (" + x.severity + ")")),
             x.user);
  }

  void resumed(const Event& e, const ev::Resume& x) {
    json& s = data_["stretches"];
    if (!s.empty() && last_) s.back()["to"] = last_->time;
    s.push_back({{"from", e.time}, {"to", e.time}, {"by", x.by}});
    data_["gaps"].push_back(
        {{"from", last_ ? last_->time : e.time}, {"to", e.time}, {"down_ms", x.down_ms}});
    std::string text = "run resumed after " + format_duration(x.down_ms) + " down";
    if (x.step && x.decision)
      text += "; " + *x.step + " was running when it stopped: " +
              (*x.decision == ev::InFlight::RunAgain ? "run again"
               : *x.decision == ev::InFlight::Done   ? "counted as done"
                                                     : "counted as failed");
    if (x.probe)
      text += " after its check `" + x.probe->value + "` " +
              (!x.probe_passed   ? std::string("was not run")
               : *x.probe_passed ? "passed"
                                 : "did not pass") +
              (x.probe_result ? " (" + x.probe_result->value + ")" : "");
    if (x.runbook_changed) text += " (the runbook had changed: --allow-changed)";
    if (x.leftovers)
      text += "; " + leftovers_text(*x.leftovers, x.leftovers_killed.value_or(false));
    ended_ = false;
    data_["ended"] = nullptr;
    last_ = &e;
    timeline(timeline_entry(e, "resume", text), x.by);
  }

  void command_end(const ev::CommandEnd& x) {
    auto c = commands_.find(x.seq);
    if (c == commands_.end()) return;  // a secret's command, or a cut record
    if (x.evidence && x.stdout_file) {
      auto [text, more] = output_excerpt(dir_ + "/" + *x.stdout_file);
      data_["evidence"].push_back(
          {{"step", x.step},
           {"command", c->second.command},
           {"file", *x.stdout_file},
           {"sha256", x.stdout_sha256 ? json(*x.stdout_sha256) : json(nullptr)},
           {"bytes", x.stdout_bytes.value_or(0)},
           {"excerpt", text},
           {"trimmed", more}});
    }
    add_action(c->second, &x);
    commands_.erase(c);
  }

  // Commands that changed something and never ended in the record: the run
  // died while they ran (a resume ran them again under a new number, or
  // nobody resumed it), or is still running them. What they did is not
  // known: the reviewers must be told they ran. In time order with the rest.
  void unended_actions() {
    for (const auto& [seq, c] : commands_) add_action(c, nullptr);
    json& actions = data_["actions"];
    std::stable_sort(actions.begin(), actions.end(), [](const json& a, const json& b) {
      return a["started"].get<std::string>() < b["started"].get<std::string>();
    });
  }

  // An action, when `c` changed something (its step destructive, or in a
  // section that acts): how it ended, or, with no `end` in the record, that
  // its result is unknown; the note says why it did not start, or that a
  // resume counted it without a result.
  void add_action(const CommandInfo& c, const ev::CommandEnd* end) {
    auto s = steps_.find(c.step);
    const StepInfo info = s == steps_.end() ? StepInfo{} : s->second;
    if (!info.destructive && !acting(info.section)) return;
    json action = {{"step", c.step},
                   {"section", name_of(info.section)},
                   {"command", c.command},
                   {"started", c.started},
                   {"exit", end ? json(end->exit) : json(nullptr)},
                   {"ok", end && end->ok},
                   {"timed_out", end && end->timed_out},
                   {"cancelled", end && end->cancelled},
                   {"duration_ms", end ? json(end->duration_ms) : json(nullptr)}};
    if (!end)
      action["note"] = "no result in the record: the run died while it ran, or is still running";
    else if (end->error)
      action["note"] = end->error->value;
    data_["actions"].push_back(std::move(action));
  }

  void step_end(const Event& e, const ev::StepEnd& x) {
    const std::string status(name_of(x.status));
    std::string text = format_str("{} {} {} ({})", name_of(x.section), x.step, status,
                                  format_duration(x.duration_ms));
    if (!x.title.empty()) text += ": " + x.title.value;
    if (x.reason && !x.reason->empty()) text += " — " + x.reason->value;
    if (x.section == ev::Section::Undo || x.section == ev::Section::Rollback)
      data_["rolled_back"].push_back(
          {{"step", x.step}, {"section", name_of(x.section)}, {"status", status}});
    timeline(timeline_entry(e, "step", text));
  }

  void answer(const Event& e, const ev::Answer& x) {
    auto g = gates_.find(x.step);
    std::string text = "gate on " + x.step;
    if (g != gates_.end() && !g->second.empty()) text += " (\"" + g->second + "\")";
    if (x.passed)
      text += ": approved" + how_approved(x.via);
    else
      text += ": not approved" + (x.reason ? " (" + x.reason->value + ")" : std::string());
    timeline(timeline_entry(e, "gate", text), x.by);
  }

  void escalation(const Event& e, const ev::Escalation& x) {
    std::string who = x.role;
    if (x.name && !x.name->empty()) who += " (" + x.name->value + ")";
    std::string text = std::string(x.kind == ev::NoticeKind::Page ? "paged " : "notified ") + who +
                       ": " + x.message.value +
                       (x.delivered ? "" : " — not delivered: " + x.how.value);
    timeline(timeline_entry(e, "escalation", text));
  }

  void run_end(const Event& e, const ev::RunEnd& x) {
    ended_ = true;
    data_["ended"] = e.time;
    data_["outcome"] = outcome_name(x.outcome);
    data_["exit_code"] = x.exit_code;
    data_["failed_step"] =
        x.failed_step && !x.failed_step->empty() ? json(*x.failed_step) : json(nullptr);
    data_["duration_ms"] = x.duration_ms.value_or(e.elapsed_ms);
    std::string text = std::string("run ended: ") + outcome_name(x.outcome) +
                       format_str(" (exit {})", x.exit_code);
    if (x.message && !x.message->empty()) text += " — " + x.message->value;
    timeline(timeline_entry(e, "end", text));
  }

  std::string dir_;
  json data_ = json::object();
  const Event* last_ = nullptr;  // the run's last event so far (not a note)
  bool ended_ = false;
  std::map<std::string, StepInfo> steps_;
  std::map<uint64_t, CommandInfo> commands_;
  std::map<std::string, std::string> gates_;  // step → its last gate's prompt
};

// The SHA-256 of a regular file, read in pieces (output can be gigabytes).
Expected<std::string, std::string> file_sha256(const std::string& path) {
  Sha256 digest;
  auto read = read_file_in_pieces(path, [&](std::string_view piece) {
    digest.update(piece);
    return true;
  });
  if (!read) return fail(read.error());
  return digest.hex();
}

}  // namespace

std::string cause_values_text(const json& values) {
  std::string out;
  if (!values.is_object()) return out;
  for (const auto& [name, value] : values.items()) {
    // One line: a value over several lines (a command's output) is quoted
    // with its line breaks escaped.
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.find_first_of("\n\r\t") != std::string::npos) shown = json(shown).dump();
    out += (out.empty() ? "" : ", ") + name + " = " + shown;
  }
  return out;
}

json report_data(const std::vector<Event>& events, const std::string& run_dir) {
  Drafter d(run_dir);
  for (const Event& e : events) d.add(e);
  return d.finish();
}

VerifyResult verify_outputs(const std::vector<Event>& events, const std::string& run_dir) {
  VerifyResult r;
  for (const Event& e : events) {
    const auto* end = e.as<ev::CommandEnd>();
    if (!end) continue;
    auto check = [&](const std::optional<std::string>& file, const std::optional<std::string>& sha,
                     std::optional<uint64_t> bytes) {
      if (!file) return;
      if (!sha) {
        if (bytes.value_or(0) > 0) ++r.unverifiable;
        return;
      }
      ++r.checked;
      auto now = file_sha256(run_dir + "/" + *file);
      if (!now) {
        r.problems.push_back(*file + " is gone or unreadable (" + now.error() + ")");
        return;
      }
      if (*now != *sha)
        r.problems.push_back(*file + " changed since the run (sha256 " + sha->substr(0, 12) +
                             "… recorded, " + now->substr(0, 12) + "… now)");
    };
    check(end->stdout_file, end->stdout_sha256, end->stdout_bytes);
    check(end->stderr_file, end->stderr_sha256, end->stderr_bytes);
  }
  return r;
}

}  // namespace rbk
