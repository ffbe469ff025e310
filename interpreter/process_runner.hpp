// The real CommandRunner: runs `/bin/sh -c script` as a child process.
//
// Subprocess discipline (the reasons are in process_runner.cpp):
// - the shell gets its own process group, stdin from /dev/null, stdout and
//   stderr as pipes, an empty signal mask, default signal dispositions and no
//   file descriptors but 0, 1 and 2;
// - on timeout or cancel the whole group gets TERM (and CONT, so stopped
//   members can act on it), then KILL once `grace` has passed or at once when
//   no live member is left;
// - nothing outlives its command: when the shell exits, the output pipes get
//   a short drain window (kDrainWindow), then anything left in the group is
//   stopped the same way (TERM, grace, KILL). To leave a service running, a
//   command must hand it to the service manager (systemctl, systemd-run) or
//   detach it into a new session (setsid): processes that leave the group are
//   not tracked;
// - the shell is reaped only after the last KILL, so its process group ID
//   cannot be reused by an unrelated group while rbk still signals it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "interpreter/command.hpp"

namespace rbk {

/// How long output pipes may stay open after the shell exited before the
/// processes still holding them are stopped.
inline constexpr std::chrono::milliseconds kDrainWindow{250};

/// After the final KILL, how long to wait for the pipes to close before
/// giving up on them (only a process outside the group can hold them then).
inline constexpr std::chrono::milliseconds kPipeCloseWindow{2000};

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

/// Runs commands as child processes (Boost.Process v2 + asio). Safe to use
/// from several threads at once: each run() is independent.
class ProcessRunner final : public CommandRunner {
 public:
  /// `cancel` (may be null) stops running commands when cancelled.
  explicit ProcessRunner(CancelToken* cancel = nullptr) : cancel_(cancel) {}
  /// Never throws; failures come back as spawn_failed / error.
  CommandResult run(const CommandSpec& spec, OutputSink* sink) override;

 private:
  CancelToken* cancel_;
};

}  // namespace rbk
