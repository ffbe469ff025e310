// The real CommandRunner: runs `/bin/sh -c script` under a per-command
// supervisor process (interpreter/supervisor.hpp), started by the runner's
// spawner and reused for the next command when it is clean
// (interpreter/spawner.hpp).
//
// Subprocess discipline (the reasons are in process_runner.cpp and
// supervisor.cpp):
// - the shell gets its own process group, stdin from /dev/null, stdout and
//   stderr as pipes, an empty signal mask, default signal dispositions and no
//   file descriptors but 0, 1 and 2;
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

#include "interpreter/command.hpp"
#include "interpreter/spawner.hpp"

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

/// Keeps a bounded head and tail of one stream and counts everything.
class OutputCapture {
 public:
  /// Keeps at most `limit` bytes: the first limit/2 and the last limit - limit/2.
  explicit OutputCapture(size_t limit);
  /// Adds a chunk; memory stays bounded by the limit whatever the total.
  void append(std::string_view chunk);
  /// The kept text, with a marker line where bytes were cut.
  Captured finish() const;

 private:
  size_t head_limit_;
  size_t tail_limit_;
  std::string head_;
  std::string tail_;       // ring buffer of tail_limit_ bytes once full
  size_t tail_start_ = 0;  // index of the oldest byte in tail_ when full
  uint64_t total_ = 0;
};

/// The marker put between head and tail: "\n… [rbk: N bytes cut] …\n".
std::string cut_marker(uint64_t bytes_cut);

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
