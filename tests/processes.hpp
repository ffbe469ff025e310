// Running the rbk binary the way users do: in a directory of its own, either
// without a controlling terminal (as in CI and cron) or on a real
// pseudo-terminal, so prompts on /dev/tty are answered by the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/runtime/spawner.hpp"
#include "test_support.hpp"

namespace rbk::test {

/// How a process ended: its exit status, or the signal that killed it.
struct Exit {
  int code = -1;   // exit status; -1 when killed
  int signal = 0;  // the killing signal, 0 when it exited
  std::string out, err;
};

/// Runs `rbk ARGS…` in `dir` in a new session (no controlling terminal),
/// stdin from /dev/null, with NO_COLOR and extra `env` ("NAME=value").
/// Throws Hung (naming the command) when rbk outlives `guard`; only the
/// test of that message passes a shorter one than kHangGuard.
Exit run_detached(const std::string& dir, const std::vector<std::string>& args,
                  const std::vector<std::string>& env = {},
                  std::chrono::milliseconds guard = kHangGuard);

/// Starts `rbk ARGS…` in `dir` as run_detached does, but returns at once:
/// its stdout is `out` (the caller's, e.g. a pipe it does not read yet),
/// its stderr /dev/null. The caller reaps the pid.
pid_t start_detached(const std::string& dir, const std::vector<std::string>& args, int out);

/// Like run_detached, with rbk's stdout read as it comes: once `lines`
/// lines have appeared there (with --json, events: the record has them
/// already), rbk gets `sig`. It may have gone further by then, or ended.
Exit run_signalled_after(const std::string& dir, const std::vector<std::string>& args, size_t lines,
                         int sig);

/// Like run_signalled_after, rbk getting `sig` once `ready` (given rbk's
/// stdout so far) is true: asked as output comes and every 20 ms, so it may
/// also wait for what rbk started (a process in /proc). An rbk that ends
/// before `ready` holds is not signalled; the caller sees how it ended.
/// `whole_group`: `sig` goes to rbk's whole process group, as a shell's
/// `kill -- -PGID` or `timeout -s KILL` sends it.
Exit run_signalled_when(const std::string& dir, const std::vector<std::string>& args,
                        const std::function<bool(const std::string& out)>& ready, int sig,
                        bool whole_group = false);

/// Shell lines that start, beside a plain background child of the shell,
/// processes that leave the command's process group every way we know: a
/// `setsid` child, `setsid -f` (its parent exits at once), a double-forked
/// daemon, a child that calls setpgid, and a TERM-ignoring shell in a new
/// session with a TERM-ignoring child. Each one's pid, and the shell's own,
/// goes to the file named by $PIDS (kEscapingPids lines); once all are there
/// it prints "started" and waits for its children.
std::string escaping_children_script();
/// Spawner::start, with the handle in `h` and the reason in `error`: the
/// tests check both sides of a start.
bool start_in(Spawner& spawner, const SupervisorSpec& spec, SupervisorHandle& h,
              std::string& error);

/// What a supervisor needs for `script` with environment `envp`: a 200 ms
/// grace and rbk's kill window.
SupervisorSpec supervisor_spec(const char* script, char* const* envp);

/// The number of pids escaping_children_script() writes.
inline constexpr int kEscapingPids = 8;

/// Milliseconds left until `deadline`, 0 once it passed (a poll timeout).
int ms_until(std::chrono::steady_clock::time_point deadline);

/// Waits for our child `pid` to exit until `deadline` and reaps it into
/// `status`; false when it is still running then.
bool reap_until(pid_t pid, std::chrono::steady_clock::time_point deadline, int& status);

/// The whitespace-separated whole numbers in `text` (pids in a file).
std::vector<int> pids_in(const std::string& text);

/// Waits until every process in `pids` is dead (gone, or a zombie), polling;
/// `bound` is only a hang guard. Returns "" when all died, else names each one
/// still alive (pid and command name) and kills it, so that a failing test
/// leaves nothing behind.
std::string still_alive(const std::vector<int>& pids,
                        std::chrono::seconds bound = std::chrono::minutes(2));

/// rbk on a pseudo-terminal: the test reads what it prints and types answers.
/// A session that outlives kHangGuard (test_support.hpp) throws Hung naming
/// the command and what the test was waiting for.
class PtySession {
 public:
  PtySession(const std::string& dir, const std::vector<std::string>& args,
             const std::vector<std::string>& env = {});
  ~PtySession();
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  /// Reads until `text` appears after the previous match; false at end of
  /// output.
  bool expect(const std::string& text);
  /// Types `text` (add "\n" for Enter).
  void send(const std::string& text);
  /// Sends a signal to rbk.
  void kill(int sig);
  /// Reads to the end and waits for rbk to exit.
  Exit wait();
  /// Everything printed so far.
  const std::string& output() const { return out_; }

 private:
  /// Reads what is there; false at end of output; throws Hung at the deadline.
  bool read_some(const std::string& waiting_for);
  std::string command_;  // for the message when it hangs
  std::chrono::steady_clock::time_point deadline_;
  int master_ = -1;
  int pid_ = -1;
  std::string out_;
  size_t matched_ = 0;
};

/// The exit report among one command's supervisor reports (an idle report
/// after it taken off): it must be the last, after at most a start report
/// for the same shell, which comes only when the shell ran for
/// kStartReportDelayMs, so a test cannot count on either. nullopt when the
/// reports are not that.
std::optional<SupervisorReport> exit_report(std::vector<SupervisorReport> reports);

}  // namespace rbk::test
