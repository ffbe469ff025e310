// The real CommandRunner: runs `/bin/sh -c script` under a per-command
// supervisor process (interpreter/runtime/supervisor.hpp), started by the runner's
// spawner and reused for the next command when it is clean
// (interpreter/runtime/spawner.hpp).
//
// Subprocess discipline (the reasons are in process_runner.cpp and
// supervisor.cpp):
// - the shell gets its own process group, stdin from /dev/null (or a pipe
//   fed with spec.input, open until the shell exits), stdout and stderr as
//   pipes, an empty signal mask, default signal dispositions and no file
//   descriptors but 0, 1 and 2;
// - the supervisor is the child subreaper of everything the command starts:
//   a process that leaves the group (setsid, setpgid, a double fork) is still
//   found, by walking /proc/<pid>/task/<tid>/children from the supervisor
//   down (a cost in proportion to the command's own processes, never a scan
//   of every process on the machine);
// - on timeout, cancel or rbk's death (end of file on the supervisor's
//   channel) every descendant of the command gets TERM (and CONT, so stopped
//   ones can act on it), then KILL once `grace` has passed, in sweeps until
//   none is left, or at once when none is left alive;
// - when the shell exits on its own, the output pipes get a short drain
//   window (kDrainWindow), then what is left in the command's process group
//   is stopped the same way, while processes that left the group on purpose
//   (daemons: `redis-server --daemonize yes`, `nginx`) are released;
// - the shell is reaped only after the last signal to its group, so its
//   process group ID cannot be reused by an unrelated group meanwhile.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "interpreter/runtime/command.hpp"
#include "interpreter/runtime/output_capture.hpp"
#include "interpreter/runtime/spawner.hpp"

namespace rbk {

/// How long output pipes may stay open after the shell exited before the
/// processes still holding them are stopped.
inline constexpr std::chrono::milliseconds kDrainWindow{250};

/// After the supervisor is done, how long to wait for the pipes to close
/// before giving up on them (only a released daemon can hold them then).
inline constexpr std::chrono::milliseconds kPipeCloseWindow{2000};

/// After KILL, how long the supervisor waits for the processes to go before
/// giving up on them (only an unkillable process, in the kernel, stays).
inline constexpr std::chrono::milliseconds kKillWindow{2000};

/// Runs commands as child processes, one supervisor per command, started
/// through one spawner per runner. Safe to use from several threads at once:
/// each run() is independent.
class ProcessRunner final : public CommandRunner {
 public:
  /// `cancel` (may be null) stops running commands when cancelled.
  explicit ProcessRunner(CancelToken* cancel = nullptr) : cancel_(cancel) {}
  /// Starts the helper that starts commands' supervisors now (see Spawner).
  void prepare() { spawner_.prepare(); }
  /// Never throws; failures come back as spawn_failed / error.
  CommandResult run(const CommandSpec& spec, OutputSink* sink) override;

 private:
  CancelToken* cancel_;
  Spawner spawner_;
};

}  // namespace rbk
