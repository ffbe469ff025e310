// The per-command supervisor on its own, as rbk drives it: started on a
// command that escapes its process group every way we know, then stopped by a
// request, by end of file on its channel (what rbk's death looks like) or by
// SIGTERM, with and without /proc/PID/task/TID/children, forked by rbk itself
// or through the spawner. The only waits are for output and for the channel,
// each under a hang guard.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "interpreter/runtime/process_runner.hpp"
#include "interpreter/runtime/spawner.hpp"
#include "interpreter/runtime/supervisor.hpp"
#include "processes.hpp"
#include "test_support.hpp"

using namespace rbk;
using rbk::test::start_in;
using namespace std::chrono_literals;

namespace {

/// start_supervisor, as start_in (processes.hpp).
bool fork_supervisor(const SupervisorSpec& spec, SupervisorHandle& h, std::string& error) {
  auto started = rbk::start_supervisor(spec);
  if (!started) {
    error = started.error();
    return false;
  }
  h = std::move(*started);
  return true;
}

// A hang guard, not a measurement: only a bug makes a test wait this long.
constexpr int kHangGuardMs = 120'000;

// Reads `fd` (nonblocking) until `text` was seen; false at end of file or
// after the hang guard. What was read goes to `out` when given.
bool read_until(int fd, const std::string& text, std::string* out = nullptr) {
  std::string own;
  std::string& seen = out ? *out : own;
  while (seen.find(text) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kHangGuardMs) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return false;
    if (n > 0) seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

// Reaps the supervisor once it exited; on the hang guard, kills it and says so.
int reap_supervisor(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd p{fd, POLLIN, 0};
  if (fd < 0 || ::poll(&p, 1, kHangGuardMs) <= 0) {
    FAIL_CHECK("the supervisor did not exit");
    ::kill(pid, SIGKILL);
  }
  if (fd >= 0) ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Every report until the supervisor closes the channel or reports it is
// idle (a supervisor of the spawner's, clean after its command: the caller
// then closes the channel, which ends it), or the hang guard.
std::vector<SupervisorReport> reports_until_exit(int channel) {
  std::vector<SupervisorReport> reports;
  for (;;) {
    pollfd p{channel, POLLIN, 0};
    if (::poll(&p, 1, kHangGuardMs) <= 0) {
      FAIL_CHECK("the supervisor did not exit");
      return reports;
    }
    SupervisorReport r;
    ssize_t n = ::recv(channel, &r, sizeof r, 0);
    if (n <= 0) return reports;
    reports.push_back(r);
    if (r.kind == kReportIdle || (r.kind == kReportExited && r.idle)) return reports;
  }
}

// True when the reports end with the supervisor idle.
bool took_idle(const std::vector<SupervisorReport>& reports) {
  if (reports.empty()) return false;
  const SupervisorReport& last = reports.back();
  return last.kind == kReportIdle || (last.kind == kReportExited && last.idle);
}

}  // namespace

TEST_CASE("the supervisor ends every descendant when asked, when rbk is gone, on SIGTERM",
          "[supervisor][orphans]") {
  const std::string how = GENERATE(as<std::string>{}, "stop request", "end of file", "SIGTERM");
  // Without the children files, children are found by a scan of /proc.
  const bool scan = GENERATE(false, true);
  const bool through_spawner = GENERATE(false, true);
  INFO(how << (scan ? ", scanning /proc" : "") << (through_spawner ? ", through the spawner" : ""));
  Spawner spawner;
  test::TempDir tmp;
  std::string pid_file = (tmp.path / "pids").string();
  std::string script = test::escaping_children_script();
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::string pids = "PIDS=" + pid_file;
  char* envp[] = {path.data(), pids.data(), nullptr};
  SupervisorSpec spec;
  spec.script = script.c_str();
  spec.envp = envp;
  spec.grace = 200ms;
  spec.kill_window = kKillWindow;
  spec.scan_for_children = scan;
  SupervisorHandle h;
  std::string error;
  REQUIRE((through_spawner ? start_in(spawner, spec, h, error) : fork_supervisor(spec, h, error)));
  // The spawner was used, and is running, only when asked for.
  CHECK((spawner.helper_pid() > 0) == through_spawner);
  bool started = read_until(h.out.get(), "started");
  std::vector<int> started_pids = test::pids_in(test::read_file(pid_file));
  if (how == "stop request") {
    char stop = static_cast<char>(SupervisorRequest::Stop);
    CHECK(::send(h.channel.get(), &stop, 1, MSG_NOSIGNAL) == 1);
  } else if (how == "SIGTERM") {
    ::kill(h.pid, SIGTERM);
  }
  // With end of file, rbk's end is closed and there is nothing left to read.
  std::vector<SupervisorReport> reports;
  if (how == "end of file")
    h.channel.reset();
  else
    reports = reports_until_exit(h.channel.get());
  // Idle only when clean: every process ended, and no SIGTERM to it.
  CHECK(took_idle(reports) == (through_spawner && how == "stop request"));
  h.channel.reset();  // ends an idle supervisor
  int status = reap_supervisor(h.pid);
  CHECK(started);
  REQUIRE(started_pids.size() == test::kEscapingPids);
  CHECK(test::still_alive(started_pids) == "");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  if (how == "end of file") return;
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(std::count(started_pids.begin(), started_pids.end(), exited->pid) == 1);
  CHECK(exited->value == CLD_KILLED);
  CHECK(exited->status == SIGTERM);
  CHECK(exited->stopped == 1);
}

TEST_CASE("the supervisor does not keep another command's channel open", "[supervisor]") {
  // Two supervisors at once: closing the first one's channel must reach it
  // although the second was forked while that channel was open in rbk.
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  SupervisorSpec spec = test::supervisor_spec("echo started; sleep 3600", envp);
  const bool through_spawner = GENERATE(false, true);
  INFO((through_spawner ? "through the spawner" : "forked by rbk"));
  Spawner spawner;
  auto start = [&](SupervisorHandle& h, std::string& error) {
    return through_spawner ? start_in(spawner, spec, h, error) : fork_supervisor(spec, h, error);
  };
  SupervisorHandle first, second;
  std::string error;
  REQUIRE(start(first, error));
  REQUIRE(start(second, error));
  REQUIRE(read_until(second.out.get(), "started"));
  first.channel.reset();  // as if rbk had died, for the first command only
  reap_supervisor(first.pid);
  char stop = static_cast<char>(SupervisorRequest::Stop);
  CHECK(::send(second.channel.get(), &stop, 1, MSG_NOSIGNAL) == 1);
  std::vector<SupervisorReport> reports = reports_until_exit(second.channel.get());
  CHECK(took_idle(reports) == through_spawner);
  second.channel.reset();
  reap_supervisor(second.pid);
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(exited->stopped == 1);
}

TEST_CASE("no signal but SIGTERM ends a supervisor, and its shell starts with none blocked",
          "[supervisor]") {
  // Terminal signals and the like, sent to the supervisor itself, must
  // leave it running its command (it ignores them), and the shell must get
  // neither the supervisor's mask nor any of the dispositions it ignores.
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  SupervisorSpec spec = test::supervisor_spec(
      "grep -E '^Sig(Blk|Ign)' /proc/self/status; echo started; exec sleep 3600", envp);
  const bool through_spawner = GENERATE(false, true);
  INFO((through_spawner ? "through the spawner" : "forked by rbk"));
  Spawner spawner;
  SupervisorHandle h;
  std::string error;
  REQUIRE((through_spawner ? start_in(spawner, spec, h, error) : fork_supervisor(spec, h, error)));
  std::string seen;  // grep's two lines, then "started"
  read_until(h.out.get(), "started", &seen);
  CHECK(seen == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nstarted\n");
  for (int sig : {SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN,
                  SIGTTOU, SIGXCPU, SIGVTALRM, SIGRTMIN + 3})
    CHECK(::kill(h.pid, sig) == 0);
  // Still there to hear rbk: a stop request is served as usual.
  char stop = static_cast<char>(SupervisorRequest::Stop);
  CHECK(::send(h.channel.get(), &stop, 1, MSG_NOSIGNAL) == 1);
  std::vector<SupervisorReport> reports = reports_until_exit(h.channel.get());
  h.channel.reset();
  int status = reap_supervisor(h.pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(exited->stopped == 1);
  CHECK(exited->status == SIGTERM);
}

// Runs `script` under a supervisor with `backstop`, this test being an rbk
// that asks for nothing; the reports until the supervisor exits.
std::vector<SupervisorReport> unasked_with_backstop(const std::string& script,
                                                    std::chrono::milliseconds backstop) {
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  SupervisorSpec spec = test::supervisor_spec(script.c_str(), envp);
  spec.backstop = backstop;
  Spawner spawner;
  SupervisorHandle h;
  std::string error;
  REQUIRE(start_in(spawner, spec, h, error));
  std::vector<SupervisorReport> reports = reports_until_exit(h.channel.get());
  h.channel.reset();
  reap_supervisor(h.pid);
  return reports;
}

TEST_CASE("at the backstop the supervisor stops the command that rbk did not stop",
          "[supervisor]") {
  // rbk asks for nothing (as when its output is blocked, or it is stopped):
  // the supervisor ends the whole tree itself, and its report says why.
  // The command never ends on its own: any backstop comes first.
  std::vector<SupervisorReport> reports = unasked_with_backstop("sleep 3600 & sleep 3600", 300ms);
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(exited->deadline == 1);
  CHECK(exited->stopped == 1);
  CHECK(exited->value == CLD_KILLED);
  CHECK(exited->status == SIGTERM);
}

TEST_CASE(
    "past the backstop the supervisor stops what the shell left, when rbk does not release it",
    "[supervisor]") {
  // The shell ends at once, leaving a process in its group; rbk (this test)
  // never sends the Release that would end it. The backstop is where the
  // supervisor stops what is left, so the test lasts that long; 3 s leaves
  // a loaded machine's shell ample time to end on its own before it.
  rbk::test::TempDir tmp;
  const std::string pid_file = (tmp.path / "left.pid").string();
  std::vector<SupervisorReport> reports =
      unasked_with_backstop("sleep 3600 & echo $! > '" + pid_file + "'", 3s);
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(exited->clean == 0);
  CHECK(exited->deadline == 0);  // the shell had ended on its own
  // Not kept for another command: rbk's late Release would reach it.
  CHECK_FALSE(took_idle(reports));
  CHECK(test::still_alive(test::pids_in(test::read_file(pid_file))) == "");
}

TEST_CASE("a command still running reports its start and its shell's pid, which ends it too",
          "[supervisor]") {
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  SupervisorSpec spec = test::supervisor_spec("sleep 3600", envp);
  Spawner spawner;
  SupervisorHandle h;
  std::string error;
  REQUIRE(start_in(spawner, spec, h, error));
  // The command never ends on its own, so the start report must come.
  pollfd p{h.channel.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, kHangGuardMs) == 1);
  SupervisorReport started;
  REQUIRE(::recv(h.channel.get(), &started, sizeof started, 0) ==
          static_cast<ssize_t>(sizeof started));
  CHECK(started.kind == kReportStarted);
  REQUIRE(started.value > 0);
  CHECK(::getpgid(started.value) == started.value);  // the shell leads the command's group
  char stop = static_cast<char>(SupervisorRequest::Stop);
  CHECK(::send(h.channel.get(), &stop, 1, MSG_NOSIGNAL) == 1);
  std::vector<SupervisorReport> reports = reports_until_exit(h.channel.get());
  reports.insert(reports.begin(), started);
  auto exited = test::exit_report(reports);
  REQUIRE(exited);
  CHECK(exited->pid == started.value);
  CHECK(exited->stopped == 1);
  h.channel.reset();
  reap_supervisor(h.pid);
}
