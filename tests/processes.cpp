#include "processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "interpreter/runtime/process_runner.hpp"
#include "test_support.hpp"

namespace rbk::test {

namespace {

using Clock = std::chrono::steady_clock;

// The child's own alarm outlasts the parent's guard: it only matters when
// the test binary itself died and left rbk behind.
constexpr unsigned kOrphanAlarmSeconds = std::chrono::seconds(kHangGuard).count() + 60;

std::string command_line(const std::string& dir, const std::vector<std::string>& args) {
  std::string line = "rbk";
  for (const auto& a : args) line += " " + a;
  return "`" + line + "` in " + dir;
}

std::string guard_text() {
  return std::to_string(kHangGuard.count()) + " minutes";
}

/// Kills every process of the session rbk leads (its commands run in
/// process groups of their own, inside that session), so none outlives it.
void kill_session(pid_t sid) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // Fields after the command's closing parenthesis: state ppid pgrp session.
    const std::string stat = read_file("/proc/" + name + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    int ppid = 0, pgrp = 0, session = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) ==
            4 &&
        session == sid)
      ::kill(std::stoi(name), SIGKILL);
  }
}

/// Kills a hung rbk and everything it started, and reports what hung.
[[noreturn]] void hung(pid_t pid, const std::string& what, const std::string& output) {
  kill_session(pid);
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  throw Hung("hung: " + what + " (killed); its output so far:\n" + output);
}

[[noreturn]] void exec_rbk(const std::string& dir, const std::vector<std::string>& args,
                           const std::vector<std::string>& env) {
  if (chdir(dir.c_str()) != 0) _exit(126);
  setenv("NO_COLOR", "1", 1);
  for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> argv;
  std::string bin = rbk_binary();
  argv.push_back(bin.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

Exit decode(int status) {
  Exit e;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

}  // namespace

std::string escaping_children_script() {
  // perl is in every Debian (perl-base, with POSIX); `setsid -f` is util-linux.
  return R"sh(setsid sleep 3600 & echo $! >> "$PIDS"
setsid -f sh -c 'echo $$ >> "$PIDS"; exec sleep 3600'
perl -MPOSIX -e 'fork and exit; POSIX::setsid(); fork and exit;
  open my $f, ">>", $ENV{PIDS}; print $f "$$\n"; close $f; exec "sleep", "3600"'
perl -e 'setpgrp(0, 0); open my $f, ">>", $ENV{PIDS}; print $f "$$\n"; close $f;
  exec "sleep", "3600"' &
setsid sh -c 'trap "" TERM; sleep 3600 & echo $! >> "$PIDS"; wait' & echo $! >> "$PIDS"
sleep 3600 & echo $! >> "$PIDS"
echo $$ >> "$PIDS"
while [ "$(wc -l < "$PIDS")" -lt 8 ]; do sleep 0.01; done
echo started
wait
)sh";
}

std::vector<int> pids_in(const std::string& text) {
  std::vector<int> pids;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    if (std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c); }))
      pids.push_back(std::stoi(word));
  }
  return pids;
}

std::string still_alive(const std::vector<int>& pids, std::chrono::seconds bound) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (!std::all_of(pids.begin(), pids.end(), dead) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string alive;
  for (int pid : pids) {
    if (dead(pid)) continue;
    std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    alive += "pid " + std::to_string(pid) + " (" + comm + ") still alive after " +
             std::to_string(bound.count()) + " s; ";
    ::kill(pid, SIGKILL);
  }
  return alive;
}

namespace {

// In a forked child: rbk in a new session (no controlling terminal, so
// /dev/tty cannot be opened), stdin from /dev/null, stdout and stderr to
// `out` and `err`.
[[noreturn]] void detached_child(int out, int err, const std::string& dir,
                                 const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  setsid();
  int in = open("/dev/null", O_RDONLY);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  alarm(kOrphanAlarmSeconds);
  exec_rbk(dir, args, env);
}

}  // namespace

Exit run_detached(const std::string& dir, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, std::chrono::milliseconds guard) {
  char out_tmpl[] = "/tmp/rbk-run-out-XXXXXX";
  char err_tmpl[] = "/tmp/rbk-run-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  pid_t pid = fork();
  if (pid == 0) detached_child(out_fd, err_fd, dir, args, env);
  close(out_fd);
  close(err_fd);
  int status = 0;
  const bool exited = reap_until(pid, Clock::now() + guard, status);
  Exit e = decode(status);
  e.out = read_file(out_tmpl);
  e.err = read_file(err_tmpl);
  std::filesystem::remove(out_tmpl);
  std::filesystem::remove(err_tmpl);
  if (!exited)
    hung(pid,
         command_line(dir, args) + " did not exit within " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(guard).count()) + " s",
         e.out + e.err);
  return e;
}

pid_t start_detached(const std::string& dir, const std::vector<std::string>& args, int out) {
  int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) detached_child(out, null_fd, dir, args, {});
  ::close(null_fd);
  return pid;
}

Exit run_signalled_after(const std::string& dir, const std::vector<std::string>& args, size_t lines,
                         int sig) {
  return run_signalled_when(
      dir, args,
      [lines](const std::string& out) {
        return static_cast<size_t>(std::count(out.begin(), out.end(), '\n')) >= lines;
      },
      sig);
}

Exit run_signalled_when(const std::string& dir, const std::vector<std::string>& args,
                        const std::function<bool(const std::string& out)>& ready, int sig,
                        bool whole_group) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  char err_tmpl[] = "/tmp/rbk-run-err-XXXXXX";
  int err_fd = mkstemp(err_tmpl);
  pid_t pid = fork();
  if (pid == 0) detached_child(out[1], err_fd, dir, args, {});
  ::close(out[1]);
  ::close(err_fd);
  Exit e;
  bool sent = false;
  auto signal_when_ready = [&] {
    if (!sent && ready(e.out)) {
      ::kill(whole_group ? -pid : pid, sig);  // a new session: the group's id is rbk's pid
      sent = true;
    }
  };
  signal_when_ready();
  const auto deadline = Clock::now() + kHangGuard;
  char buf[4096];
  while (true) {
    pollfd p{out[0], POLLIN, 0};
    // Until rbk is signalled, `ready` may wait for more than its output (a
    // process to appear in /proc): it is asked again every 20 ms.
    if (::poll(&p, 1, sent ? 1000 : 20) == 0) {
      if (Clock::now() > deadline) hung(pid, command_line(dir, args) + " did not end", e.out);
      signal_when_ready();
      continue;
    }
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    e.out.append(buf, static_cast<size_t>(n));
    signal_when_ready();
  }
  ::close(out[0]);
  int status = 0;
  if (!reap_until(pid, deadline, status))
    hung(pid, command_line(dir, args) + " did not exit", e.out);
  Exit done = decode(status);
  done.out = std::move(e.out);
  done.err = read_file(err_tmpl);
  std::filesystem::remove(err_tmpl);
  return done;
}

PtySession::PtySession(const std::string& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env)
    : command_(command_line(dir, args)), deadline_(Clock::now() + kHangGuard) {
  winsize ws{};
  ws.ws_row = 50;
  ws.ws_col = 200;
  pid_ = forkpty(&master_, nullptr, nullptr, &ws);
  if (pid_ == 0) {
    alarm(kOrphanAlarmSeconds);
    exec_rbk(dir, args, env);
  }
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  if (master_ >= 0) close(master_);
}

bool PtySession::read_some(const std::string& waiting_for) {
  pollfd p{master_, POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, ms_until(deadline_))) < 0 && errno == EINTR) {
  }
  if (r == 0) {
    const pid_t pid = pid_;
    pid_ = -1;
    hung(pid, command_ + " never printed " + waiting_for + " within " + guard_text(), out_);
  }
  if (r < 0) return false;
  char buf[4096];
  ssize_t n = read(master_, buf, sizeof buf);
  if (n <= 0) return false;  // EIO once the child side is closed
  out_.append(buf, static_cast<size_t>(n));
  return true;
}

bool PtySession::expect(const std::string& text) {
  while (true) {
    size_t at = out_.find(text, matched_);
    if (at != std::string::npos) {
      matched_ = at + text.size();
      return true;
    }
    if (!read_some("'" + text + "'")) return false;
  }
}

void PtySession::send(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(master_, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void PtySession::kill(int sig) {
  ::kill(pid_, sig);
}

Exit PtySession::wait() {
  while (read_some("the end of its output")) {
  }
  int status = 0;
  const pid_t pid = pid_;
  pid_ = -1;
  if (!reap_until(pid, deadline_, status))
    hung(pid, command_ + " did not exit within " + guard_text(), out_);
  Exit e = decode(status);
  e.out = out_;
  return e;
}

SupervisorSpec supervisor_spec(const char* script, char* const* envp) {
  SupervisorSpec spec;
  spec.script = script;
  spec.envp = envp;
  spec.grace = std::chrono::milliseconds(200);
  spec.kill_window = kKillWindow;
  return spec;
}

bool start_in(Spawner& spawner, const SupervisorSpec& spec, SupervisorHandle& h,
              std::string& error) {
  auto started = spawner.start(spec);
  if (!started) {
    error = started.error();
    return false;
  }
  h = std::move(*started);
  return true;
}

std::optional<SupervisorReport> exit_report(std::vector<SupervisorReport> reports) {
  if (!reports.empty() && reports.back().kind == kReportIdle) reports.pop_back();
  if (reports.empty() || reports.size() > 2 || reports.back().kind != kReportExited)
    return std::nullopt;
  const SupervisorReport& exited = reports.back();
  if (reports.size() == 2 && (reports[0].kind != kReportStarted || reports[0].value != exited.pid))
    return std::nullopt;
  return exited;
}

int ms_until(std::chrono::steady_clock::time_point deadline) {
  using std::chrono::steady_clock;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool reap_until(pid_t pid, std::chrono::steady_clock::time_point deadline, int& status) {
  // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, ms_until(deadline))) < 0 && errno == EINTR) {
    }
    close(fd);
    if (r == 0) return false;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return true;
  }
  // No pidfd (an old kernel): poll waitpid instead.
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace rbk::test
