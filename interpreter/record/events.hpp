// The event stream of a run. The engine reports everything that happens as
// an Event, one typed struct per kind (namespace ev); the run record stores
// each as one JSON line (event_json.hpp, the one place that writes and reads
// them), the terminal renders them, `--json` prints them, and fixtures are
// recorded from them. docs/record.md documents every event and field.
// Longer than most files: every event is here, in one variant, so that a
// new one is documented, masked and validated in one place.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/runtime/command.hpp"
#include "interpreter/runtime/operator.hpp"

namespace rbk {

/// The run record's format (`format` in run_start; docs/record.md). Raised
/// when a field is removed or changes meaning; new events and fields do not.
inline constexpr int kRecordFormat = 1;

/// How a run ended.
enum class Outcome {
  Resolved,       // verification passed (or nothing needed doing)
  NotFiring,      // no alert signal fired; nothing was done
  Failed,         // a step or check failed; undo and rollback ran and succeeded
  NotRestored,    // failed, and the system was not restored: rollback failed, or `on failure abort`
  Refused,        // stopped at a gate that was refused or not approved
  Interrupted,    // Ctrl-C, SIGTERM, SIGHUP or SIGQUIT
  Error,          // could not start (e.g. a secret command failed)
  RecordFailed,   // the run record could not be written: stopped at once
  Parked,         // started by an alert (rbk serve), it waits at a gate for a person: resumable
  AlertResolved,  // its alert resolved while it waited at a gate: nothing was approved or run
  Shadow,  // a route in shadow mode: diagnosis ran, remediation was recorded as would_run only
};
/// "resolved", "not_firing", "failed", "not_restored", "refused", "interrupted", "error",
/// "record_failed", "parked", "alert_resolved", "shadow".
constexpr EnumNames<Outcome, 11> enum_names(Outcome) {
  return {{"resolved", "not_firing", "failed", "not_restored", "refused", "interrupted", "error",
           "record_failed", "parked", "alert_resolved", "shadow"}};
}
/// The outcome's name, as the record writes it.
const char* outcome_name(Outcome o);
/// The process exit code for an outcome (documented in docs/cli.md):
/// 0 resolved / not firing, 1 failed (rolled back), 2 error, 3 not restored,
/// 4 refused, 5 the record could not be written, 130 interrupted.
int exit_code_for(Outcome o);

/// "done", "skip", "fail".
constexpr EnumNames<ManualAnswer, 3> enum_names(ManualAnswer) {
  return {{"done", "skip", "fail"}};
}

namespace ev {

/// Text that can carry a secret or a redaction-pattern match: command text
/// or output, a parameter or capture value, a message, a prompt, a reason.
/// Every field of this type is masked before any sink sees the event;
/// fields of other types (names from the runbook, rbk's own words, numbers)
/// never are. A new field that can carry such text must be a Text.
struct Text {
  std::string value{};
  Text() = default;
  Text(std::string v) : value(std::move(v)) {}  // NOLINT: implicit, as a string is one
  Text(const char* v) : value(v) {}             // NOLINT
  bool empty() const { return value.empty(); }
  bool operator==(const Text&) const = default;
};

/// A parameter's value as JSON (string, number, boolean, list): masked as
/// Text is, in every string it holds.
struct JsonValue {
  nlohmann::json value{};
  bool operator==(const JsonValue&) const = default;
};

/// A field that is always written, as null when it has no value (an
/// std::optional field is left out instead).
template <class T>
struct OrNull {
  std::optional<T> value{};
  bool operator==(const OrNull&) const = default;
};

/// The section a step belongs to ("undo" for an undo block).
enum class Section { Alert, Diagnose, Causes, Remediate, Verify, Rollback, Undo, Finally };
constexpr EnumNames<Section, 8> enum_names(Section) {
  return {{"alert", "diagnose", "causes", "remediate", "verify", "rollback", "undo", "finally"}};
}

/// How a step, signal, check or undo block ended.
enum class StepStatus { Ok, Failed, Skipped, Refused, Interrupted };
constexpr EnumNames<StepStatus, 5> enum_names(StepStatus) {
  return {{"ok", "failed", "skipped", "refused", "interrupted"}};
}

/// What a gate asks: y/N, or a value typed back.
enum class GateKind { Confirm, Typed };
constexpr EnumNames<GateKind, 2> enum_names(GateKind) {
  return {{"confirm", "typed"}};
}

/// How an approval was given: on the terminal, `--approve STEP`, `--yes`.
/// How a gate was passed: on the terminal, by --approve or --yes, or, for a
/// run started by an alert, by `rbk approve` through rbk serve's Unix
/// socket or HTTP, or automatically inside a route's limits.
enum class Via { Tty, Approve, Yes, Socket, Http, Auto };
constexpr EnumNames<Via, 6> enum_names(Via) {
  return {{"tty", "approve", "yes", "socket", "http", "auto"}};
}

/// What became of the command that was running when a run died, at its resume.
enum class InFlight { RunAgain, Done, Failed };
constexpr EnumNames<InFlight, 3> enum_names(InFlight) {
  return {{"run_again", "done", "failed"}};
}

/// What fired an escalation: a rule of the escalate section, or a step.
enum class Trigger { Start, After, Failure, Success, Step, Interrupted, Every };
constexpr EnumNames<Trigger, 7> enum_names(Trigger) {
  return {{"start", "after", "failure", "success", "step", "interrupted", "every"}};
}

/// A page or a notification.
enum class NoticeKind { Page, Notify };
constexpr EnumNames<NoticeKind, 2> enum_names(NoticeKind) {
  return {{"page", "notify"}};
}

// One struct per event type. `fields` names each field once, for writing,
// reading and masking (event_json.cpp, mask.cpp); std::optional fields are
// left out when empty.

/// What run_start and call_run_start say of the runbook that starts.
struct RunInfo {
  std::string run_id{};
  std::string runbook{};
  Text title{};
  std::string file{};
  std::string sha256{};
  std::string severity{};
  std::map<std::string, JsonValue> params{};
  std::vector<std::string> secrets{};  // names only
  std::string user{};
  OrNull<std::string> config{};  // the rbk.yaml in force; null for rbk's defaults
  std::string rbk_version{};
  /// The modules it imports (resolved path → sha256 of the text), when any.
  std::optional<std::map<std::string, std::string>> modules{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("run_id", s.run_id), f("runbook", s.runbook), f("title", s.title), f("file", s.file),
        f("sha256", s.sha256), f("severity", s.severity), f("params", s.params),
        f("secrets", s.secrets), f("user", s.user), f("config", s.config),
        f("rbk_version", s.rbk_version), f("modules", s.modules);
  }
};

/// The first line of every record.
struct RunStart : RunInfo {
  static constexpr std::string_view kType = "run_start";
  int format = kRecordFormat;
  /// The hosts `--target` narrowed every fan-out to (resolved ids; empty:
  /// not narrowed): a resume narrows the same way. Absent in records of an
  /// older rbk, whose resume then runs no step on targets.
  std::optional<std::vector<std::string>> targets{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("format", s.format);
    RunInfo::fields(s, f);
    f("targets", s.targets);
  }
};

/// A called runbook starts: run_start's fields but format.
struct CallRunStart : RunInfo {
  static constexpr std::string_view kType = "call_run_start";
};

/// What run_end and call_run_end say of the runbook that ends. After an
/// internal error only outcome, exit_code and message are set.
struct RunTotals {
  Outcome outcome = Outcome::Error;
  int exit_code = 2;
  std::optional<int64_t> duration_ms{};
  std::optional<std::string> failed_step{};
  std::optional<std::vector<std::string>> causes{};
  std::optional<int> steps_run{};
  std::optional<int> escalations{};
  std::optional<Text> message{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("outcome", s.outcome), f("exit_code", s.exit_code), f("duration_ms", s.duration_ms),
        f("failed_step", s.failed_step), f("causes", s.causes), f("steps_run", s.steps_run),
        f("escalations", s.escalations), f("message", s.message);
  }
};

/// The run is over: the last line of a complete record.
struct RunEnd : RunTotals {
  static constexpr std::string_view kType = "run_end";
};

/// A called runbook is over.
struct CallRunEnd : RunTotals {
  static constexpr std::string_view kType = "call_run_end";
  std::string runbook{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    RunTotals::fields(s, f);
    f("runbook", s.runbook);
  }
};

/// A section begins.
struct SectionStart {
  static constexpr std::string_view kType = "section";
  Section section = Section::Alert;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("section", s.section);
  }
};

/// An alert signal was evaluated.
struct Signal {
  static constexpr std::string_view kType = "signal";
  std::string id{};
  Text title{};
  bool firing = false;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("id", s.id), f("title", s.title), f("firing", s.firing);
  }
};

/// No alert signal fired and --force was not given.
struct NotFiring {
  static constexpr std::string_view kType = "not_firing";
  template <class S, class F>
  static void fields(S&, F&&) {}
};

/// A step, signal, check or undo block begins.
struct StepStart {
  static constexpr std::string_view kType = "step_start";
  std::string step{};
  Section section = Section::Diagnose;
  Text title{};
  bool destructive = false;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("section", s.section), f("title", s.title),
        f("destructive", s.destructive);
  }
};

/// A command is about to start. `line` and `env` are not set for a secret's command.
struct CommandStart {
  static constexpr std::string_view kType = "command_start";
  std::string step{};
  uint64_t seq = 0;
  Text command{};
  std::optional<int> line{};
  int64_t timeout_ms = 0;
  int attempt = 1;
  std::optional<std::vector<std::string>> env{};  // names only
  std::optional<std::string> target{};            // a step `on` targets: the host it runs on
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("seq", s.seq), f("command", s.command), f("line", s.line),
        f("timeout_ms", s.timeout_ms), f("attempt", s.attempt), f("env", s.env),
        f("target", s.target);
  }
};

/// The command's process group, once it has run kStartReportDelayMs (a
/// shorter command has none recorded): what `rbk resume` ends if the run
/// died and the group outlived it, even when its processes cleared their
/// environment (RBK_RUN_ID is how the others are found).
struct CommandGroup {
  static constexpr std::string_view kType = "command_group";
  std::string step{};
  uint64_t seq = 0;
  int pgid = 0;  // the shell's pid, which leads the group
  /// When the leader started, in clock ticks since boot (/proc/PID/stat):
  /// a group of the same number later is another one.
  uint64_t leader_start = 0;
  std::string boot_id{};                // the kernel's; after a reboot the group is gone
  std::optional<std::string> target{};  // as in its command_start
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("seq", s.seq), f("pgid", s.pgid), f("leader_start", s.leader_start),
        f("boot_id", s.boot_id), f("target", s.target);
  }
};

/// A command is over, and nothing of it is left running.
struct CommandEnd {
  static constexpr std::string_view kType = "command_end";
  std::string step{};
  uint64_t seq = 0;
  int exit = -1;
  int signal = 0;
  bool timed_out = false;
  bool cancelled = false;
  bool ok = false;
  int64_t duration_ms = 0;
  std::optional<bool> spawn_failed{};  // not for a secret's command, as the four below
  std::optional<Text> error{};
  std::optional<uint64_t> stdout_bytes{};
  std::optional<uint64_t> stderr_bytes{};
  std::optional<std::string> stdout_file{};
  std::optional<std::string> stderr_file{};
  /// The SHA-256 of each output file as written (masked), when the stream
  /// wrote anything: `rbk report --verify` finds a file changed since.
  std::optional<std::string> stdout_sha256{};
  std::optional<std::string> stderr_sha256{};
  std::optional<bool> evidence{};
  std::optional<Text> output{};         // only for a secret's command: why it is not recorded
  std::optional<std::string> target{};  // as in its command_start
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("seq", s.seq), f("exit", s.exit), f("signal", s.signal),
        f("timed_out", s.timed_out), f("cancelled", s.cancelled), f("ok", s.ok),
        f("duration_ms", s.duration_ms), f("spawn_failed", s.spawn_failed), f("error", s.error),
        f("stdout_bytes", s.stdout_bytes), f("stderr_bytes", s.stderr_bytes),
        f("stdout_file", s.stdout_file), f("stderr_file", s.stderr_file),
        f("stdout_sha256", s.stdout_sha256), f("stderr_sha256", s.stderr_sha256),
        f("evidence", s.evidence), f("output", s.output), f("target", s.target);
  }
};

/// A step must be approved before it runs.
struct Gate {
  static constexpr std::string_view kType = "gate";
  std::string step{};
  GateKind kind = GateKind::Confirm;
  Text prompt{};
  Text reason{};
  bool destructive = false;
  Text expected{};
  std::vector<Text> commands{};
  std::optional<std::vector<std::string>> targets{};  // a batch's gate: the hosts it covers
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("kind", s.kind), f("prompt", s.prompt), f("reason", s.reason),
        f("destructive", s.destructive), f("expected", s.expected), f("commands", s.commands),
        f("targets", s.targets);
  }
};

/// How a gate was answered.
struct Answer {
  static constexpr std::string_view kType = "answer";
  std::string step{};
  GateKind kind = GateKind::Confirm;
  std::string by{};
  bool passed = false;
  std::optional<Via> via{};                           // when passed
  std::optional<Text> reason{};                       // when not passed
  std::optional<OrNull<Text>> answer{};               // when asked or approved; null: no answer
  std::optional<std::vector<std::string>> targets{};  // a batch's gate: the hosts it covers
  /// Where an approval through rbk serve came from ("unix socket, uid 1000").
  std::optional<std::string> from{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("kind", s.kind), f("by", s.by), f("passed", s.passed), f("via", s.via),
        f("reason", s.reason), f("answer", s.answer), f("targets", s.targets), f("from", s.from);
  }
};

/// A manual instruction was shown and answered (null: no answer).
struct Manual {
  static constexpr std::string_view kType = "manual";
  std::string step{};
  Text text{};
  std::string by{};
  OrNull<ManualAnswer> answer{};
  std::optional<Via> via{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("text", s.text), f("by", s.by), f("answer", s.answer), f("via", s.via);
  }
};

/// How an `ask` was answered: typed at the terminal, or given with --answer.
enum class AskVia { Tty, Flag };
constexpr EnumNames<AskVia, 2> enum_names(AskVia) {
  return {{"tty", "answer"}};
}

/// An `ask`: the question, and the operator's answer (null: none came).
struct Ask {
  static constexpr std::string_view kType = "ask";
  std::string step{};
  std::string name{};
  Text question{};
  std::string type{};  // as written: "duration", "enum(a, b)", "string matches /…/"
  std::string by{};
  OrNull<Text> answer{};
  std::optional<AskVia> via{};
  std::optional<int> attempts{};  // answers it took (the ones that were not a TYPE are refused)
  std::optional<Text> reason{};   // why no answer was taken: none came, or the last was no TYPE
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("name", s.name), f("question", s.question), f("answer_type", s.type),
        f("by", s.by), f("answer", s.answer), f("via", s.via), f("attempts", s.attempts),
        f("reason", s.reason);
  }
};

/// A note of a step, its ${…} evaluated.
struct Note {
  static constexpr std::string_view kType = "note";
  std::string step{};
  Text text{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("text", s.text);
  }
};

/// A step, signal, check or undo block is over.
struct StepEnd {
  static constexpr std::string_view kType = "step_end";
  std::string step{};
  Section section = Section::Diagnose;
  Text title{};
  StepStatus status = StepStatus::Ok;
  int64_t duration_ms = 0;
  std::optional<Text> reason{};
  std::optional<int> attempts{};  // verify only
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("section", s.section), f("title", s.title), f("status", s.status),
        f("duration_ms", s.duration_ms), f("reason", s.reason), f("attempts", s.attempts);
  }
};

/// A cause was evaluated.
struct Cause {
  static constexpr std::string_view kType = "cause";
  std::string id{};
  Text title{};
  bool matched = false;
  /// The values its condition read, by how the condition names them
  /// (`conns`, `health.exit`), as shown: what the diagnosis found.
  std::optional<std::map<std::string, Text>> values{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("id", s.id), f("title", s.title), f("matched", s.matched), f("values", s.values);
  }
};

/// The causes decided the run's severity: the most severe of the matched
/// causes that name one (`cause … severity sev1 when …`).
struct SeverityDecided {
  static constexpr std::string_view kType = "severity";
  std::string from{};                 // the severity until now (the runbook's own; may be empty)
  std::string to{};                   // the severity from now on
  std::vector<std::string> causes{};  // the matched causes that named a severity, in order
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("from", s.from), f("to", s.to), f("causes", s.causes);
  }
};

/// A verify check is over.
struct Check {
  static constexpr std::string_view kType = "check";
  std::string id{};
  Text title{};
  bool passed = false;
  int attempts = 0;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("id", s.id), f("title", s.title), f("passed", s.passed), f("attempts", s.attempts);
  }
};

/// The failure path begins: undo blocks, then the rollback section.
struct Rollback {
  static constexpr std::string_view kType = "rollback";
  std::string failed_step{};
  uint64_t undo = 0;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("failed_step", s.failed_step), f("undo", s.undo);
  }
};

/// A page or notification, once its command has ended.
struct Escalation {
  static constexpr std::string_view kType = "escalation";
  Trigger trigger = Trigger::Start;
  NoticeKind kind = NoticeKind::Notify;
  std::string role{};
  Text message{};
  std::optional<std::string> step{};       // trigger step
  std::optional<int64_t> after_ms{};       // trigger after
  std::optional<std::string> from_step{};  // `after D from step X`: X
  std::optional<std::string> runbook{};    // a called runbook's rule: its name
  std::optional<Text> name{};              // the role's, when rbk.yaml defines it
  std::optional<Text> contact{};
  bool delivered = false;
  Text how{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("trigger", s.trigger), f("kind", s.kind), f("role", s.role), f("message", s.message),
        f("step", s.step), f("after_ms", s.after_ms), f("from_step", s.from_step),
        f("runbook", s.runbook), f("name", s.name), f("contact", s.contact),
        f("delivered", s.delivered), f("how", s.how);
  }
};

/// A step calls a runbook.
struct CallStart {
  static constexpr std::string_view kType = "call_start";
  std::string step{};
  std::string runbook{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("runbook", s.runbook);
  }
};

/// A called runbook returned to its caller.
struct CallEnd {
  static constexpr std::string_view kType = "call_end";
  std::string step{};
  std::string runbook{};
  Outcome outcome = Outcome::Error;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("runbook", s.runbook), f("outcome", s.outcome);
  }
};

/// A step `on` targets starts a batch: the hosts it runs on (at most
/// `parallel` at once), after the batch's gate.
struct BatchStart {
  static constexpr std::string_view kType = "batch_start";
  std::string step{};
  int batch = 1;  // from 1
  int batches = 1;
  std::vector<std::string> targets{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("batch", s.batch), f("batches", s.batches), f("targets", s.targets);
  }
};

/// A batch is over: where the step succeeded and where it failed.
struct BatchEnd {
  static constexpr std::string_view kType = "batch_end";
  std::string step{};
  int batch = 1;
  std::vector<std::string> ok{};
  std::vector<std::string> failed{};
  /// More targets failed than `max_fail` allows: no further batch starts.
  bool stopped = false;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("batch", s.batch), f("ok", s.ok), f("failed", s.failed),
        f("stopped", s.stopped);
  }
};

/// Something the operator should know that does not stop the run.
struct Warning {
  static constexpr std::string_view kType = "warning";
  Text message{};
  std::optional<std::string> step{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("message", s.message), f("step", s.step);
  }
};

/// `rbk resume` continues the run: everything before this line is what the
/// run did before it died, replayed (not repeated) up to here.
struct Resume {
  static constexpr std::string_view kType = "resume";
  std::string by{};
  int64_t down_ms = 0;  // from the last event before it to this one
  /// An incomplete last line the death left, dropped (the event it began
  /// was never whole).
  int64_t dropped_bytes = 0;
  bool runbook_changed = false;        // --allow-changed let a changed runbook go on
  std::optional<std::string> step{};   // the step whose command was running
  std::optional<uint64_t> seq{};       // that command's
  std::optional<Text> command{};       // its text
  std::optional<InFlight> decision{};  // what the operator decided for it
  std::optional<Via> via{};            // on the terminal, or by a flag
  /// The step's verify probe (or `until` check), run before the question.
  std::optional<Text> probe{};
  std::optional<Text> probe_result{};  // "exit 0", or how it failed, with its last lines
  std::optional<bool> probe_passed{};  // it exited 0
  /// Written by rbk before leftovers_ended existed: processes of the dead
  /// run ended before the resume went on. Read, never written now.
  std::optional<std::vector<int>> leftovers{};
  std::optional<bool> leftovers_killed{};  // some needed SIGKILL
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("by", s.by), f("down_ms", s.down_ms), f("dropped_bytes", s.dropped_bytes),
        f("runbook_changed", s.runbook_changed), f("step", s.step), f("seq", s.seq),
        f("command", s.command), f("decision", s.decision), f("via", s.via), f("probe", s.probe),
        f("probe_result", s.probe_result), f("probe_passed", s.probe_passed),
        f("leftovers", s.leftovers), f("leftovers_killed", s.leftovers_killed);
  }
};

/// Processes of a dead run that outlived it, ended by `rbk resume` before
/// anything else (TERM, the policy's grace, KILL): written as soon as they
/// are ended, so a resume that is then refused (a changed runbook, an
/// undecided destructive command) still records it.
struct LeftoversEnded {
  static constexpr std::string_view kType = "leftovers_ended";
  std::string by{};         // who ran `rbk resume`
  std::vector<int> pids{};  // the processes found, each with its process group
  /// The command groups the record names (command_group) that were still
  /// there, by pgid.
  std::vector<int> groups{};
  bool killed = false;  // some needed SIGKILL
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("by", s.by), f("pids", s.pids), f("groups", s.groups), f("killed", s.killed);
  }
};

/// A person's note on the incident's timeline (`rbk note`): written into
/// the record by another rbk process, while the run goes on or after it
/// ended; not part of what the run did (a resume's replay passes over it).
struct TimelineNote {
  static constexpr std::string_view kType = "timeline_note";
  std::string by{};  // who wrote it (user, and sudo's original user)
  Text text{};       // masked by the project's redaction patterns
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("by", s.by), f("text", s.text);
  }
};

/// The alert that started the run (`rbk serve`), right after run_start.
struct AlertStart {
  static constexpr std::string_view kType = "alert";
  std::string route{};        // the rbk.yaml route that took it
  std::string fingerprint{};  // Alertmanager's, of the alert's labels
  std::string status{};       // "firing"
  std::string starts_at{};
  std::map<std::string, Text> labels{};
  std::map<std::string, Text> annotations{};
  Text generator_url{};
  bool shadow = false;  // the route's shadow mode: remediation is only recorded (would_run)
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("route", s.route), f("fingerprint", s.fingerprint), f("status", s.status),
        f("starts_at", s.starts_at), f("labels", s.labels), f("annotations", s.annotations),
        f("generator_url", s.generator_url), f("shadow", s.shadow);
  }
};

/// Alertmanager sent the run's alert again (`rbk serve` writes it into the
/// run's record, like a note): a re-send or a group update that joined the
/// run, or its resolution. Not what the run did: a resume passes over it.
struct AlertUpdate {
  static constexpr std::string_view kType = "alert_update";
  std::string fingerprint{};
  std::string status{};  // "firing" or "resolved"
  std::optional<std::string> ends_at{};
  Text message{};  // what rbk serve did with it
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("fingerprint", s.fingerprint), f("status", s.status), f("ends_at", s.ends_at),
        f("message", s.message);
  }
};

/// A step that remains in a parked run's plan, with its commands as written.
struct PlannedStep {
  std::string step{};
  Text title{};
  bool destructive = false;
  std::vector<Text> commands{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("title", s.title), f("destructive", s.destructive),
        f("commands", s.commands);
  }
};

/// A gate nothing here may answer parked a run started by an alert: the
/// run ends (`parked`) and waits, durably, for `rbk approve` or `rbk deny`,
/// which see this plan. An approval names `plan_hash`; when the gate comes
/// again with another plan, the approval is void.
struct Parked {
  static constexpr std::string_view kType = "parked";
  std::string step{};
  GateKind kind = GateKind::Confirm;
  Text prompt{};
  bool destructive = false;
  Text expected{};  // what a typed gate wants typed
  std::vector<Text> commands{};
  std::optional<std::vector<std::string>> targets{};
  std::vector<PlannedStep> remaining{};  // the steps after it that may run
  std::string plan_hash{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("kind", s.kind), f("prompt", s.prompt), f("destructive", s.destructive),
        f("expected", s.expected), f("commands", s.commands), f("targets", s.targets),
        f("remaining", s.remaining), f("plan_hash", s.plan_hash);
  }
};

/// An approval given for a parked gate no longer holds (the plan it named
/// changed, or the typed value is wrong): the gate parks again.
struct ApprovalVoid {
  static constexpr std::string_view kType = "approval_void";
  std::string step{};
  std::string by{};
  Text reason{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("by", s.by), f("reason", s.reason);
  }
};

/// Shadow mode (a route's `shadow: true`): a step that would have run, with
/// its exact commands, and did not.
struct WouldRun {
  static constexpr std::string_view kType = "would_run";
  std::string step{};
  Section section = Section::Remediate;
  Text title{};
  bool destructive = false;
  std::vector<Text> commands{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("section", s.section), f("title", s.title),
        f("destructive", s.destructive), f("commands", s.commands);
  }
};

/// Any event.
using Body =
    std::variant<RunStart, CallRunStart, RunEnd, CallRunEnd, SectionStart, Signal, NotFiring,
                 StepStart, CommandStart, CommandGroup, CommandEnd, Gate, Answer, Manual, Ask, Note,
                 StepEnd, Cause, SeverityDecided, Check, Rollback, Escalation, CallStart, CallEnd,
                 BatchStart, BatchEnd, Warning, Resume, LeftoversEnded, TimelineNote, AlertStart,
                 AlertUpdate, Parked, ApprovalVoid, WouldRun>;

}  // namespace ev

/// One thing that happened: its typed body, and when.
struct Event {
  ev::Body body{};
  int64_t elapsed_ms = 0;  // since the run started, on the engine's clock
  std::string time{};      // wall-clock time, ISO 8601 UTC with milliseconds

  /// The type's name as the record writes it ("step_end").
  std::string_view type() const {
    return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::kType; }, body);
  }
  /// The body when it is a T, else nullptr.
  template <class T>
  const T* as() const {
    return std::get_if<T>(&body);
  }
};

/// The record's file for one command's full output, relative to the run's
/// directory: "output/0007.stdout" / "output/0007.stderr".
std::string output_file(uint64_t seq, Stream stream);

/// The rule an escalation event fired by, as a person writes it: "start",
/// "after 10m", "on failure", "on success" or "step ID" (a page/notify in a
/// step), "every at 30m" (one firing of a cadence); a called runbook's rule
/// is "CALLED/start", "CALLED/after 5m"….
/// Fixtures record and compare escalations by it.
std::string escalation_rule(const ev::Escalation& escalation);

/// Receives a run's events. The engine serialises all calls (sinks need no
/// locking of their own) and has already masked everything it passes.
class EventSink {
 public:
  virtual ~EventSink() = default;
  /// One event, in order.
  virtual void event(const Event& e) = 0;
  /// Live output of command `seq`, in arrival order per stream.
  virtual void output(uint64_t seq, Stream stream, std::string_view chunk) {
    (void)seq, (void)stream, (void)chunk;
  }
  /// Makes everything so far durable (called before and after a destructive step).
  virtual void sync() {}
  /// Why this sink can no longer keep what it is given; empty while it can.
  /// Only the run record fails this way: a run whose record cannot be
  /// written stops (the record is the incident's audit trail).
  virtual std::string failure() const { return {}; }
};

}  // namespace rbk
