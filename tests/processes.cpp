#include "processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace rbk::test {

namespace {

// A hang guard, not a measurement: only a bug makes a test wait this long.
constexpr int kHangGuardMs = 120'000;

[[noreturn]] void exec_rbk(const std::string& dir, const std::vector<std::string>& args,
                           const std::vector<std::string>& env) {
  if (chdir(dir.c_str()) != 0) _exit(126);
  setenv("NO_COLOR", "1", 1);
  for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> argv;
  std::string bin = RBK_BINARY;
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
  return R"sh(setsid sleep 1000 & echo $! >> "$PIDS"
setsid -f sh -c 'echo $$ >> "$PIDS"; exec sleep 1000'
perl -MPOSIX -e 'fork and exit; POSIX::setsid(); fork and exit;
  open my $f, ">>", $ENV{PIDS}; print $f "$$\n"; close $f; exec "sleep", "1000"'
perl -e 'setpgrp(0, 0); open my $f, ">>", $ENV{PIDS}; print $f "$$\n"; close $f;
  exec "sleep", "1000"' &
setsid sh -c 'trap "" TERM; sleep 1000 & echo $! >> "$PIDS"; wait' & echo $! >> "$PIDS"
sleep 1000 & echo $! >> "$PIDS"
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

Exit run_detached(const std::string& dir, const std::vector<std::string>& args,
                  const std::vector<std::string>& env) {
  char out_tmpl[] = "/tmp/rbk-run-out-XXXXXX";
  char err_tmpl[] = "/tmp/rbk-run-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();  // no controlling terminal: /dev/tty cannot be opened
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    alarm(kHangGuardMs / 1000);
    exec_rbk(dir, args, env);
  }
  close(out_fd);
  close(err_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Exit e = decode(status);
  e.out = read_file(out_tmpl);
  e.err = read_file(err_tmpl);
  std::filesystem::remove(out_tmpl);
  std::filesystem::remove(err_tmpl);
  return e;
}

PtySession::PtySession(const std::string& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env) {
  winsize ws{};
  ws.ws_row = 50;
  ws.ws_col = 200;
  pid_ = forkpty(&master_, nullptr, nullptr, &ws);
  if (pid_ == 0) {
    alarm(kHangGuardMs / 1000);
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

bool PtySession::read_some(int timeout_ms) {
  pollfd p{master_, POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r <= 0) return false;
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
    if (!read_some(kHangGuardMs)) return false;
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
  while (read_some(kHangGuardMs)) {
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  Exit e = decode(status);
  e.out = out_;
  return e;
}

}  // namespace rbk::test
