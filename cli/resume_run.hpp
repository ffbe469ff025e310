// `rbk resume`: finding the run, opening its record, and deciding what
// becomes of the command that was running when it died. The run itself is
// `rbk run`'s (cmd_run.cpp), with the record replayed first.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/tty_operator.hpp"
#include "interpreter/engine/resume.hpp"
#include "interpreter/record/record.hpp"

namespace rbk::cli {

/// A run opened for resuming: its record (locked, an incomplete last line
/// cut off) and what the record says.
struct ResumeInput {
  std::string run_id;
  std::unique_ptr<RunRecord> record;
  std::unique_ptr<ResumeState> state;
  std::string file;                 // the runbook, as run_start names it
  std::vector<std::string> params;  // run_start's parameters, as -p NAME=VALUE
  /// Started by an alert on a route in shadow mode: resumed, it stays in
  /// shadow mode (its remediation is only recorded), whoever resumes it.
  bool shadow = false;
};

/// Opens the run `opts.run_id` (or the newest one that can be resumed).
/// nullptr after printing why; `code` is then the exit code.
std::unique_ptr<ResumeInput> open_resume(const RunOptions& opts, int& code);

/// Decides what becomes of the command that was running (see
/// ResumeState::decide): a non-destructive one runs again; a destructive
/// one as a flag says, or, left undecided, as the operator answers when the
/// replay reaches it (TtyOperator::in_flight). False after printing why
/// when nothing can decide it: no flag and no terminal (exit 4).
bool decide_in_flight(const RunOptions& opts, ResumeState& state, const TtyOperator& op);

/// Refuses a runbook whose text, or that of a module it imports, changed
/// since the run started, unless --allow-changed (then recorded). False
/// after printing why. (A called runbook is compared when the replay
/// reaches its call: ResumeState.)
bool check_unchanged(const RunOptions& opts, ResumeState& state, const std::string& file,
                     const std::string& sha256, const std::map<std::string, std::string>& modules);

}  // namespace rbk::cli
