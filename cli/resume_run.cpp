#include "cli/resume_run.hpp"

#include <algorithm>
#include <set>

#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "cli/tty_operator.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/leftovers.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/supervisor.hpp"

namespace rbk::cli {

namespace {

bool listed(const std::vector<std::string>& steps, const std::string& step) {
  return std::find(steps.begin(), steps.end(), step) != steps.end();
}

// A command of the dead run that outlived rbk and its supervisor (both
// killed) must not go on unwatched, nor run beside its own second run.
// Found by its recorded process group, and by RBK_RUN_ID for what left the
// group; ended before anything is decided, and recorded at once, so a
// resume refused after this (a changed runbook, an undecided command,
// commands in flight on targets) still leaves it in the record.
void end_leftovers_of(ResumeInput& in, const std::vector<Event>& events,
                      std::chrono::milliseconds grace) {
  ev::LeftoversEnded ended{.by = current_user()};
  std::set<int> left;
  const int64_t alive_ms = last_run_event_ms(events);
  for (const RecordedGroup& g : unended_groups(events)) {
    // When the run was last known alive, on the clock of the leader's start
    // (the group's line comes kStartReportDelayMs after it), one tick spare.
    const int64_t since_start =
        std::max(alive_ms, g.recorded_ms) - g.recorded_ms + kStartReportDelayMs;
    const uint64_t alive_until =
        g.group.leader_start + static_cast<uint64_t>(since_start) * ticks_per_second() / 1000 + 1;
    auto members =
        recorded_group_members(g.group.pgid, g.group.leader_start, g.group.boot_id, alive_until);
    if (members.empty()) continue;
    ended.groups.push_back(g.group.pgid);
    left.insert(members.begin(), members.end());
  }
  for (int pid : processes_with_env("RBK_RUN_ID", in.run_id)) left.insert(pid);
  if (left.empty()) return;
  std::string pids;
  for (int pid : left) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  write(stderr, "rbk: processes of the dead run are still running (pid " + pids +
                    "): ending them and their process groups\n");
  EndedLeftovers done = end_leftovers({left.begin(), left.end()}, grace);
  ended.pids = done.pids;
  ended.killed = done.killed;
  // Never before the record's last line: `t` does not go back.
  int64_t last_t = 0;
  for (const Event& e : events) last_t = std::max(last_t, e.elapsed_ms);
  Event e{.body = std::move(ended), .time = SystemClock().wall_time()};
  const std::string started = events.empty() ? "" : events.front().time;
  e.elapsed_ms = std::max(last_t, wall_since(started).value_or(Millis(0)).count());
  in.record->event(e);
  in.record->sync();
  if (!in.record->error().empty())
    write(stderr, "rbk: warning: cannot record the processes ended: " + in.record->error() + "\n");
}

}  // namespace

std::unique_ptr<ResumeInput> open_resume(const RunOptions& opts, int& code) {
  code = kExitUsage;
  auto project = open_workspace();
  if (!project) return nullptr;
  const Config& config = project->config();
  auto in = std::make_unique<ResumeInput>();
  if (!opts.run_id.empty()) {
    const std::string dir = named_run_dir(config, opts.run_id);
    if (dir.empty()) return nullptr;
    auto opened = RunRecord::reopen(dir);
    if (!opened) {
      write(stderr, "rbk: error: cannot resume " + opts.run_id + ": " + opened.error() + "\n");
      return nullptr;
    }
    in->record = std::move(*opened);
    in->run_id = opts.run_id;
  } else {
    // The newest run that did not end, or was interrupted, and that no rbk
    // is still writing.
    for (const RunSummary& run : list_runs(config.records_dir)) {
      // A run parked by rbk serve waits for `rbk approve`, which checks its
      // plan and policy; it is resumed by name only (rbk resume RUN_ID).
      if (!run.resumable || run.outcome == "parked") continue;
      auto opened = RunRecord::reopen(run.dir);
      if (!opened) continue;
      in->record = std::move(*opened);
      in->run_id = run.run_id;
      break;
    }
    if (!in->record) {
      write(stderr, "rbk: error: no run to resume in " + display_path(config.records_dir) +
                        ": every run there ended (or is still going)\n");
      return nullptr;
    }
  }
  std::vector<std::string> problems;
  std::vector<Event> events = read_events(in->record->dir(), problems, /*whole_lines_only=*/true);
  if (!problems.empty()) {
    write(stderr, "rbk: error: cannot resume " + in->run_id + ": its record is damaged (" +
                      problems.front() + ")\n");
    return nullptr;
  }
  for (const Event& e : events)
    if (const auto* alert = e.as<ev::AlertStart>(); alert && alert->shadow) in->shadow = true;
  end_leftovers_of(*in, events, config.policy.grace);
  auto state =
      ResumeState::from_record(std::move(events), in->record->dir(), config.policy.capture_limit);
  if (!state) {
    write(stderr, "rbk: error: cannot resume " + in->run_id + ": " + state.error() + "\n");
    return nullptr;
  }
  in->state = std::move(*state);
  const ev::RunStart& start = in->state->run_start();
  in->file = start.file;
  for (const auto& [name, value] : start.params)
    in->params.push_back(name + "=" + param_arg_text(value.value));
  in->state->resume_event().dropped_bytes = in->record->dropped_bytes();
  return in;
}

bool check_unchanged(const RunOptions& opts, ResumeState& state, const std::string& file,
                     const std::string& sha256, const std::map<std::string, std::string>& modules) {
  state.set_allow_changed(opts.allow_changed);
  std::vector<std::string> changed;
  const std::string& recorded = state.run_start().sha256;
  if (recorded != sha256)
    changed.push_back(display_path(file) + " (sha256 " + recorded.substr(0, 12) + "… then, " +
                      sha256.substr(0, 12) + "… now)");
  const auto then = state.run_start().modules.value_or(std::map<std::string, std::string>{});
  for (const auto& [path, digest] : then) {
    auto now = modules.find(path);
    if (now == modules.end())
      changed.push_back("module " + display_path(path) + " (no longer imported)");
    else if (now->second != digest)
      changed.push_back("module " + display_path(path) + " (sha256 " + digest.substr(0, 12) +
                        "… then, " + now->second.substr(0, 12) + "… now)");
  }
  for (const auto& [path, digest] : modules)
    if (!then.count(path)) changed.push_back("module " + display_path(path) + " (newly imported)");
  if (changed.empty()) return true;
  if (opts.allow_changed) {
    state.resume_event().runbook_changed = true;
    return true;
  }
  std::string what;
  for (const auto& c : changed) what += (what.empty() ? "" : ", ") + c;
  write(stderr, "rbk: error: changed since the run started: " + what +
                    "; the record was made by the runbook as it was. "
                    "--allow-changed resumes with the runbook as it is now\n");
  return false;
}

bool decide_in_flight(const RunOptions& opts, ResumeState& state, const TtyOperator& op) {
  const auto& flying = state.in_flight();
  if (!flying) return true;
  const std::string& step = flying->step;
  if (state.carried_over()) {
    // Decided by the resume before, which died before carrying it out: that
    // decision stands (part of it may have happened); a flag that says
    // otherwise is refused, not followed.
    const ev::InFlight decided = state.resume_event().decision.value_or(ev::InFlight::RunAgain);
    const char* what = decided == ev::InFlight::RunAgain ? "run it again"
                       : decided == ev::InFlight::Done   ? "count it as done"
                                                         : "count it as failed";
    if ((listed(opts.assume_done, step) && decided != ev::InFlight::Done) ||
        (listed(opts.assume_failed, step) && decided != ev::InFlight::Failed)) {
      write(stderr, "rbk: error: the resume before decided to " + std::string(what) +
                        " (the command of step " + step +
                        " that was running when the run died) and recorded it; that decision "
                        "stands: resume without --assume-done/--assume-failed " +
                        step + "\n");
      return false;
    }
    write(stderr, "rbk: the resume before decided to " + std::string(what) + " (`" +
                      flying->command + "` of step " + step +
                      ", running when the run died) but stopped before it did: carrying that "
                      "out\n");
    return true;
  }
  if (state.decide_without_asking(listed(opts.approve, step), listed(opts.assume_done, step),
                                  listed(opts.assume_failed, step)))
    return true;
  if (!op.interactive()) {
    write(stderr, "rbk: error: destructive step " + step + " was running when the run died: `" +
                      flying->command + "` started " + flying->started +
                      "; no result was recorded. Without a terminal a flag decides: --approve " +
                      step + " runs it again, --assume-done " + step +
                      " counts it as done, --assume-failed " + step +
                      " counts it as failed (undo and rollback follow)\n");
    return false;
  }
  // Asked on the terminal when the replay reaches it (TtyOperator::in_flight),
  // after the step's probe: only then are its parameters and captures rebuilt.
  return true;
}

}  // namespace rbk::cli
