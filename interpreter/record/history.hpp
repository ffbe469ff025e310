// Reading past runs back from the records directory (`rbk history`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/record/events.hpp"

namespace rbk {

/// What `rbk history` shows of one run, read from its events.jsonl.
struct RunSummary {
  std::string run_id;
  std::string dir;  // absolute
  std::string runbook;
  std::string started;  // ISO 8601 UTC, from run_start
  std::string user;
  std::string outcome;  // run_end's outcome; "running" or "unfinished" without one
  std::optional<int> exit_code;
  int64_t duration_ms = 0;  // run_end's, else the last event's elapsed time
  std::string failed_step;
  /// It has not ended and an rbk is writing it now (outcome "running").
  bool live = false;
  /// It did not end, or was interrupted, and no rbk is writing it: `rbk
  /// resume` can continue it.
  bool resumable = false;
  /// For a resumable run: the step it stopped in (empty when between steps).
  std::string stopped_at;
  std::vector<std::string> problems;  // e.g. "line 14 is not valid JSON (truncated write?)"
  /// The only problem is the last line, cut short when the run died while
  /// writing it: `rbk resume` drops that line and goes on.
  bool only_cut_line = false;
};

/// Every run under `records_dir`, newest first. A missing directory is an
/// empty list; an unreadable or damaged record is listed with its problems
/// (never dropped, never a crash).
std::vector<RunSummary> list_runs(const std::string& records_dir);

/// The directory of the newest run that an rbk is writing now under
/// `records_dir` (run ids sort by start time), or "" when none is going.
/// Reads no record: only the runs' locks.
std::string newest_live_run(const std::string& records_dir);

/// Reads one run's events: every valid line, typed; damaged lines (not JSON,
/// or an event with a field missing or of the wrong type) are reported in
/// `problems`, events of a type this rbk does not know are skipped.
/// `whole_lines_only`: a last line without its newline is passed over
/// (`rbk resume` cuts it off before it writes on).
std::vector<Event> read_events(const std::string& run_dir, std::vector<std::string>& problems,
                               bool whole_lines_only = false);

}  // namespace rbk
