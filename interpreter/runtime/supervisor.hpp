// The per-command supervisor: a small process, rbk's child, for every
// command (forked by rbk, or started by the spawner and then kept for the
// next command when nothing of its last one is left: spawner.hpp). It
// starts `/bin/sh -c script` in a new process group, is the child subreaper of
// everything the command starts (so an orphan that leaves the group still
// comes back to it), reports the shell's pid and wait status to rbk, and ends
// the command's processes when rbk asks, when rbk is gone, or at the backstop
// after the deadline when rbk did not ask (SupervisorSpec::backstop). It
// runs in a process group of its own, so that a signal to rbk's group does
// not end it with rbk.
//
// Two stop modes, chosen when a stop begins:
// - the whole tree (a deadline, a cancel, rbk's death or SIGTERM to the
//   supervisor while the shell still runs): every descendant, in the group or
//   not, gets TERM and CONT, then KILL after the grace period, in sweeps until
//   none is left;
// - the group only (the shell exited on its own): what is still in the
//   command's process group gets TERM, CONT, then KILL; what left the group
//   on purpose (a daemon) is released when the supervisor exits.
//
// Only rbk (process_runner.cpp) uses this interface; the supervisor's side is
// async-signal-safe code in supervisor.cpp, since it runs after fork() from a
// possibly multi-threaded rbk.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "interpreter/base/expected.hpp"

namespace rbk {

/// A descriptor closed on scope exit unless released.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  /// The descriptor, -1 when none.
  int get() const { return fd_; }
  /// Gives the descriptor up without closing it.
  int release() { return std::exchange(fd_, -1); }
  /// Closes the descriptor held (if any) and holds `fd`.
  void reset(int fd = -1);

 private:
  int fd_;
};

/// What rbk sends the supervisor on the channel, one byte per message. End of
/// file (rbk exited or was killed) is a stop request too.
enum class SupervisorRequest : char {
  /// Stop the whole tree if the shell still runs, else only the group.
  Stop = 'S',
  /// The shell exited and its output drained: stop the group, release the
  /// rest. Not sent after a clean exit report (SupervisorReport::clean).
  Release = 'R',
};

/// One report from the supervisor (one message on the channel).
struct SupervisorReport {
  /// What happened: kReportStarted, kReportSpawnFailed, kReportExited or
  /// kReportIdle.
  int32_t kind = 0;
  /// Started: the shell's pid (= its process group id); spawn failed: the
  /// errno; exited: the waitid() si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED).
  int32_t value = 0;
  /// Exited: the waitid() si_status (exit status or signal number).
  int32_t status = 0;
  /// Exited: 1 when the shell ended after a stop of the whole tree began
  /// (rather than on its own), else 0.
  int32_t stopped = 0;
  /// Exited: 1 when the shell ended on its own and nothing it started is
  /// left: the supervisor is done with the command without a Release
  /// (its exit follows at once unless `idle`); else 0, and rbk sends
  /// Release once the output is drained.
  int32_t clean = 0;
  /// Exited: the shell's pid. The start report comes only for a command
  /// still running kStartReportDelayMs after it started, so that a short one
  /// costs rbk one wake-up less.
  int32_t pid = 0;
  /// Exited with `clean`: 1 when the supervisor now waits for another
  /// command, as after kReportIdle (which is then not sent).
  int32_t idle = 0;
  /// Exited: 1 when the stop was the supervisor's own, at the backstop
  /// (SupervisorSpec::backstop): rbk had not asked in time.
  int32_t deadline = 0;
};

/// How long after starting the shell the supervisor sends kReportStarted,
/// unless the shell ended before (its exit report then carries the pid).
inline constexpr int kStartReportDelayMs = 20;

/// The shell started and still runs kStartReportDelayMs later.
inline constexpr int32_t kReportStarted = 'P';
/// The shell could not be started (working directory, exec).
inline constexpr int32_t kReportSpawnFailed = 'F';
/// The shell ended.
inline constexpr int32_t kReportExited = 'X';
/// The command is over and the supervisor is clean (no process left): it
/// waits on the channel for another command instead of exiting. Not sent
/// after an exit report with `idle`, which says the same.
inline constexpr int32_t kReportIdle = 'I';

/// What the supervisor needs to start the command.
struct SupervisorSpec {
  /// The shell script (`/bin/sh -c script`).
  const char* script = nullptr;
  /// The complete environment, null-terminated.
  char* const* envp = nullptr;
  /// Directory to run in; null means the caller's.
  const char* working_dir = nullptr;
  /// After TERM, how long the processes get before KILL.
  std::chrono::milliseconds grace{0};
  /// After KILL, how long the supervisor waits for the processes to go before
  /// it gives up on them (only an unkillable process takes that long).
  std::chrono::milliseconds kill_window{0};
  /// When rbk has not asked for a stop this long after the start (its
  /// deadline and a margin), the supervisor stops the whole tree on its own:
  /// the deadline holds while rbk cannot act (its output blocked by a
  /// terminal or pipe nobody reads, rbk stopped by Ctrl-Z). Zero: none.
  std::chrono::milliseconds backstop{0};
  /// Find children by scanning /proc, as on a kernel without
  /// /proc/PID/task/TID/children (the fallback; tests use it).
  bool scan_for_children = false;
  /// The shell's stdin is a pipe whose write end rbk gets (SupervisorHandle::in)
  /// instead of /dev/null.
  bool stdin_pipe = false;
};

/// A running supervisor, as rbk holds it. Every descriptor is close-on-exec.
struct SupervisorHandle {
  /// The supervisor's pid; rbk reaps it once `channel` reached end of file.
  pid_t pid = -1;
  /// rbk's end of the channel (a SOCK_SEQPACKET pair): requests out, reports
  /// in; end of file means the supervisor exited. Send with MSG_NOSIGNAL.
  UniqueFd channel;
  /// Read ends of the command's stdout and stderr (nonblocking).
  UniqueFd out, err;
  /// Write end of the shell's stdin (nonblocking) with SupervisorSpec::stdin_pipe,
  /// else none. Only rbk holds it: closing it is the shell's end of file.
  UniqueFd in;
};

/// Forks the supervisor, which starts the shell. Everything the child needs
/// is prepared here, before fork(). On failure, why, and nothing was started.
Expected<SupervisorHandle, std::string> start_supervisor(const SupervisorSpec& spec);

}  // namespace rbk
