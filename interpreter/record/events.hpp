// The event stream of a run. The engine reports everything that happens as
// an Event; the run record stores each as one JSON line, the terminal renders
// them, `--json` prints them, and (later) fixtures are recorded from them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "interpreter/runtime/command.hpp"

namespace rbk {

/// The run record's format (`format` in run_start; docs/record.md). Raised
/// when a field is removed or changes meaning; new events and fields do not.
inline constexpr int kRecordFormat = 1;

/// One thing that happened. `data` holds the type's fields (see below); the
/// engine masks secrets and redaction patterns in it before any sink sees it.
///
/// Types and their fields:
///   run_start     run_id, runbook, file, sha256, severity, title, params{}, user, host,
///                 rbk_version, parent (set for a `call`ed runbook's events)
///   section       section
///   signal        id, title, firing
///   not_firing    (no fields): no alert signal fired
///   step_start    step, section, title, destructive
///   command_start step, seq, command, timeout_ms, attempt, env[] (names only)
///   command_end   step, seq, exit, signal, timed_out, cancelled, spawn_failed, error,
///                 duration_ms, stdout_bytes, stderr_bytes, stdout_file, stderr_file
///   gate          step, kind (confirm|typed|destructive), prompt, reason
///   answer        step, kind, answer, passed, by (user), via (tty|approve|yes)
///   manual        step, text, answer (done|skip|fail), by
///   note          step, text
///   step_end      step, section, status (ok|failed|skipped|refused), duration_ms, reason
///   cause         id, title, matched
///   check         id, title, passed, attempts
///   rollback      reason, failed_step
///   escalation    trigger (start|after|failure|success), kind (page|notify), role,
///                 message, after_ms, delivered, how
///   warning       message
///   run_end       outcome, exit_code, duration_ms, failed_step, causes[]
struct Event {
  std::string type;
  nlohmann::json data = nlohmann::json::object();
  int64_t elapsed_ms = 0;  // since the run started, on the engine's clock
  std::string time;        // wall-clock time, ISO 8601 UTC with milliseconds
};

/// The record's file for one command's full output, relative to the run's
/// directory: "output/0007.stdout" / "output/0007.stderr".
std::string output_file(uint64_t seq, Stream stream);

/// The rule an escalation event fired by, as a person writes it: "start",
/// "after 10m", "on failure", "on success" or "step ID" (a page/notify in a
/// step). Fixtures record and compare escalations by it.
std::string escalation_rule(const nlohmann::json& escalation);

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
