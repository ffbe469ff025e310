// The spawner (interpreter/runtime/spawner.hpp): the supervisors it starts are rbk's
// own children, it holds no descriptor of any command, a large script and
// environment arrive whole, and when it is gone rbk starts the supervisor
// itself, never the command twice. The only waits are for the channel, under
// a hang guard.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/runtime/process_runner.hpp"
#include "interpreter/runtime/spawner.hpp"
#include "interpreter/runtime/supervisor.hpp"
#include "processes.hpp"
#include "test_support.hpp"

using namespace rbk;
using rbk::test::start_in;
using namespace std::chrono_literals;

namespace {

// A hang guard, not a measurement: only a bug makes a test wait this long.
constexpr int kHangGuardMs = 120'000;

// The parent pid of `pid`, from /proc/PID/stat; -1 when unreadable.
pid_t parent_of(pid_t pid) {
  std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  int ppid = -1;
  char state = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

// The descriptors `pid` holds, as the names of /proc/PID/fd's entries.
std::vector<std::string> descriptors_of(pid_t pid) {
  std::vector<std::string> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Outcome {
  std::vector<SupervisorReport> reports;
  std::string out;
  int status = -1;
  bool idle = false;  // it reported kReportIdle
};

// Reads the command's stdout and the supervisor's reports until the channel
// closes or the supervisor reports it is idle (asking for the release once
// the shell exited, as rbk does). An idle supervisor is given back to
// `keep`, or else ended by closing the channel; one that exited is reaped
// (rbk's child, whoever forked it).
Outcome finish(SupervisorHandle& h, Spawner* keep = nullptr) {
  Outcome o;
  while (h.channel.get() >= 0 || h.out.get() >= 0) {
    pollfd p[2] = {{h.channel.get(), POLLIN, 0}, {h.out.get(), POLLIN, 0}};
    if (::poll(p, 2, kHangGuardMs) <= 0) {
      FAIL_CHECK("the supervisor hung");
      ::kill(h.pid, SIGKILL);
      break;
    }
    if (p[0].revents) {
      SupervisorReport r;
      ssize_t n = ::recv(h.channel.get(), &r, sizeof r, 0);
      if (n == static_cast<ssize_t>(sizeof r)) {
        o.reports.push_back(r);
        char release = static_cast<char>(SupervisorRequest::Release);
        // As rbk does: a clean end needs no Release (the supervisor is done).
        if (r.kind == kReportExited && !r.clean) ::send(h.channel.get(), &release, 1, MSG_NOSIGNAL);
        if (r.kind == kReportIdle || (r.kind == kReportExited && r.idle)) {
          o.idle = true;
          if (keep) {
            // As rbk does, the output is read to its end first: the report
            // may come before the last bytes are read.
            while (h.out.get() >= 0) {
              pollfd out{h.out.get(), POLLIN, 0};
              char buf[65536];
              ssize_t got =
                  ::poll(&out, 1, kHangGuardMs) == 1 ? ::read(h.out.get(), buf, sizeof buf) : 0;
              if (got > 0)
                o.out.append(buf, static_cast<size_t>(got));
              else
                h.out.reset();
            }
            keep->give_back(h);  // empties the handle
            return o;
          }
          h.channel.reset();  // ends it
        }
      } else {
        h.channel.reset();
      }
    }
    if (p[1].revents) {
      char buf[65536];
      ssize_t n = ::read(h.out.get(), buf, sizeof buf);
      if (n > 0)
        o.out.append(buf, static_cast<size_t>(n));
      else if (n == 0)
        h.out.reset();
    }
  }
  ::waitpid(h.pid, &o.status, 0);
  return o;
}

// Sends `pid` SIGTERM; true once it has ended. One still there after the
// hang guard gets SIGKILL (the test fails, and leaves nothing behind).
bool ends_on_sigterm(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return false;
  ::kill(pid, SIGTERM);
  pollfd p{fd, POLLIN, 0};
  const bool ended = ::poll(&p, 1, kHangGuardMs) == 1;
  if (!ended) ::kill(pid, SIGKILL);
  ::close(fd);
  return ended;
}

// A command that appends a line to a file: the file says how often it ran.
struct Counting {
  test::TempDir tmp;
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[2] = {path.data(), nullptr};
  std::string counter = (tmp.path / "runs").string();
  std::string script = "echo ran >> '" + counter + "'";
  SupervisorSpec spec() { return test::supervisor_spec(script.c_str(), envp); }
};

}  // namespace

TEST_CASE("the spawner's supervisors are rbk's children, and it holds no command's descriptor",
          "[spawner][supervisor]") {
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  Spawner spawner;
  SupervisorHandle h;
  std::string error;
  REQUIRE(start_in(spawner, test::supervisor_spec("echo hello; sleep 3600", envp), h, error));
  const pid_t helper = spawner.helper_pid();
  REQUIRE(helper > 0);
  CHECK(parent_of(h.pid) == ::getpid());
  CHECK(parent_of(helper) == ::getpid());
  // stdin, stdout, stderr (/dev/null) and its channel to rbk: nothing else.
  CHECK(descriptors_of(helper) == std::vector<std::string>{"0", "1", "2", "3"});
  // Stopped once it has printed.
  std::string seen;
  while (seen.find('\n') == std::string::npos) {
    pollfd p{h.out.get(), POLLIN, 0};
    if (::poll(&p, 1, kHangGuardMs) <= 0) break;
    char buf[64];
    ssize_t n = ::read(h.out.get(), buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  CHECK(seen == "hello\n");
  char stop = static_cast<char>(SupervisorRequest::Stop);
  CHECK(::send(h.channel.get(), &stop, 1, MSG_NOSIGNAL) == 1);
  Outcome o = finish(h);
  auto exited = test::exit_report(o.reports);
  REQUIRE(exited);
  CHECK(exited->stopped == 1);
  CHECK(exited->idle == 0);  // stopped, so not clean on its own: idle is reported after
  CHECK(o.reports.back().kind == kReportIdle);
  CHECK(WIFEXITED(o.status));
}

TEST_CASE("a clean supervisor serves the next command, one with a process left does not",
          "[spawner][supervisor]") {
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), nullptr};
  Spawner spawner;
  std::string error;
  // The first command has a variable of its own and a working directory.
  test::TempDir dir;
  std::string own = "ONLY_FIRST=1";
  char* first_envp[] = {path.data(), own.data(), nullptr};
  SupervisorSpec first_spec = test::supervisor_spec("echo \"one $ONLY_FIRST\"; pwd", first_envp);
  const std::string first_dir = std::filesystem::canonical(dir.path).string();
  first_spec.working_dir = first_dir.c_str();
  SupervisorHandle first;
  REQUIRE(start_in(spawner, first_spec, first, error));
  const pid_t supervisor = first.pid;
  Outcome one = finish(first, &spawner);
  CHECK(one.out == "one 1\n" + first_dir + "\n");
  CHECK(one.idle);
  CHECK(spawner.idle_count() == 1);

  // The same process runs the next command, in its own fresh shell, with
  // nothing of the first: not its variable, not its directory.
  SupervisorHandle second;
  REQUIRE(start_in(spawner, test::supervisor_spec("echo \"two ${ONLY_FIRST-unset}\"; pwd", envp),
                   second, error));
  CHECK(second.pid == supervisor);
  CHECK(spawner.idle_count() == 0);
  Outcome two = finish(second, &spawner);
  CHECK(two.out == "two unset\n" + std::filesystem::current_path().string() + "\n");
  auto exited = test::exit_report(two.reports);
  REQUIRE(exited);
  CHECK(exited->status == 0);
  CHECK(exited->pid > 0);
  CHECK(exited->clean == 1);  // nothing left: done without a Release
  CHECK(exited->idle == 1);   // and idle: one report says both
  CHECK(two.reports.back().kind == kReportExited);
  CHECK(two.idle);

  // A daemon released from the command's group keeps the supervisor to
  // itself: it exits (handing the daemon to init) instead of going idle, so
  // no later command's stop can reach the daemon.
  // The daemon says its pid once it is in its own session (through a FIFO,
  // so the shell waits for it without polling).
  test::TempDir tmp;
  std::string fifo = (tmp.path / "pid").string();
  std::string daemon_script =
      "mkfifo '" + fifo + "'; setsid sh -c 'echo $$ > \"$0\"; exec sleep 3600' '" + fifo +
      "' < /dev/null > /dev/null 2>&1 & read -r pid < '" + fifo + "'; echo $pid";
  SupervisorHandle third;
  REQUIRE(start_in(spawner, test::supervisor_spec(daemon_script.c_str(), envp), third, error));
  CHECK(third.pid == supervisor);
  Outcome three = finish(third, &spawner);
  auto daemon_exit = test::exit_report(three.reports);
  REQUIRE(daemon_exit);
  CHECK(daemon_exit->clean == 0);  // the daemon is left: rbk drains, then releases
  CHECK_FALSE(three.idle);
  CHECK(WIFEXITED(three.status));
  CHECK(spawner.idle_count() == 0);
  const int daemon = std::atoi(three.out.c_str());
  REQUIRE(daemon > 0);
  CHECK(::kill(daemon, 0) == 0);  // released, alive
  ::kill(daemon, SIGKILL);
}

TEST_CASE("an idle supervisor that got SIGTERM is not used, and the command runs once",
          "[spawner]") {
  Counting c;
  Spawner spawner;
  std::string error;
  SupervisorHandle first;
  REQUIRE(start_in(spawner, c.spec(), first, error));
  const pid_t idle = first.pid;
  REQUIRE(finish(first, &spawner).idle);
  // Ended by the SIGTERM before the next command is asked for (a request
  // already waiting would be served first).
  CHECK(ends_on_sigterm(idle));
  SupervisorHandle second;
  REQUIRE(start_in(spawner, c.spec(), second, error));
  CHECK(second.pid != idle);
  // The ended one was reaped by the spawner's owner, not left a zombie.
  CHECK(::waitpid(idle, nullptr, WNOHANG) == -1);
  finish(second);
  CHECK(test::read_file(c.counter) == "ran\nran\n");
}

TEST_CASE("an idle supervisor still hears SIGTERM after a command run in a directory",
          "[spawner][supervisor]") {
  // The supervisor's first command has no directory, so the number a later
  // command's directory is moved onto was free when the supervisor set
  // itself up: its own signalfd must not be there, or that move replaces it
  // and SIGTERM (blocked, read from the signalfd) is never heard again.
  Counting c;
  Spawner spawner;
  std::string error;
  SupervisorHandle first;
  REQUIRE(start_in(spawner, c.spec(), first, error));
  const pid_t supervisor = first.pid;
  REQUIRE(finish(first, &spawner).idle);
  SupervisorSpec in_dir = c.spec();
  const std::string dir = c.tmp.path.string();
  in_dir.working_dir = dir.c_str();
  SupervisorHandle second;
  REQUIRE(start_in(spawner, in_dir, second, error));
  REQUIRE(second.pid == supervisor);
  REQUIRE(finish(second, &spawner).idle);
  CHECK(test::read_file(c.counter) == "ran\nran\n");
  CHECK(ends_on_sigterm(supervisor));
}

TEST_CASE("a script and an environment larger than one message arrive whole", "[spawner]") {
  // 100 KiB of script and of environment (exec takes at most 128 KiB per
  // string): several messages each.
  std::string big(100 * 1024, 'x');
  std::string var = "BIG=" + big;
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path.data(), var.data(), nullptr};
  std::string script = "# " + std::string(100 * 1024, 'y') + "\nprintf '%s' \"${#BIG}\"";
  Spawner spawner;
  SupervisorHandle h;
  std::string error;
  REQUIRE(start_in(spawner, test::supervisor_spec(script.c_str(), envp), h, error));
  CHECK(spawner.helper_pid() > 0);
  Outcome o = finish(h);
  CHECK(o.out == std::to_string(big.size()));
  auto exited = test::exit_report(o.reports);
  REQUIRE(exited);
  CHECK(exited->value == CLD_EXITED);
  CHECK(exited->status == 0);
  CHECK(o.idle);
}

TEST_CASE("when the spawner is gone, rbk starts the supervisor itself, once", "[spawner]") {
  Counting c;
  Spawner spawner;
  SupervisorHandle first;
  std::string error;
  REQUIRE(start_in(spawner, c.spec(), first, error));
  finish(first);
  const pid_t helper = spawner.helper_pid();
  REQUIRE(helper > 0);
  ::kill(helper, SIGKILL);
  int status = 0;
  CHECK(::waitpid(helper, &status, 0) == helper);  // reaped here, as its end is what is tested
  SupervisorHandle second;
  CHECK(start_in(spawner, c.spec(), second, error));
  CHECK(spawner.helper_pid() == -1);
  CHECK(parent_of(second.pid) == ::getpid());
  Outcome o = finish(second);
  CHECK(WIFEXITED(o.status));
  CHECK(test::read_file(c.counter) == "ran\nran\n");
}

TEST_CASE("a runner's spawner ends with the runner", "[spawner][runner]") {
  pid_t helper = -1;
  {
    auto runner = std::make_unique<ProcessRunner>();
    CommandSpec spec;
    spec.script = "true";
    spec.timeout = 10min;
    CHECK(runner->run(spec, nullptr).ok());
    // No accessor on the runner: the helper is the one child of ours named so.
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      pid_t pid = std::stoi(name);
      if (parent_of(pid) != ::getpid()) continue;
      std::string comm = test::read_file("/proc/" + name + "/comm");
      if (comm == "rbk-spawner\n") helper = pid;
    }
  }
  REQUIRE(helper > 0);
  // Reaped by the runner: it is no longer our child, alive or zombie.
  CHECK(::waitpid(helper, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

TEST_CASE("the spawner and an idle supervisor take requests of any size in turn",
          "[spawner][supervisor]") {
  // The spawner and an idle supervisor keep the memory of one request for
  // the next. Requests longer than what was kept, one too long to keep (over
  // 1 MiB) and short ones between must each reach their shell whole. An
  // idle supervisor's run is all served by the one supervisor: one that
  // crashed (a request written past its memory hits the page kept unmapped
  // after it) would be replaced, as rbk replaces it, and the output alone
  // would not show it.
  Spawner spawner;
  const std::string script =
      "n=0; for v in $(env | grep -o '^RBK_SIZED_[0-9]*'); do "
      "eval \"n=\\$((n + \\${#$v}))\"; done; echo \"$n $RBK_LAST\"";
  // Starts the command with `vars` variables of `bytes` bytes each.
  auto start_sized = [&](size_t vars, size_t bytes, SupervisorHandle& h) {
    std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                    "RBK_LAST=last-" + std::to_string(vars)};
    for (size_t i = 0; i < vars; ++i)
      env.push_back("RBK_SIZED_" + std::to_string(i) + "=" +
                    std::string(bytes, static_cast<char>('a' + i % 26)));
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string error;
    return start_in(spawner, test::supervisor_spec(script.c_str(), envp.data()), h, error);
  };
  auto expected = [](size_t vars, size_t bytes) {
    return std::to_string(vars * bytes) + " last-" + std::to_string(vars) + "\n";
  };
  // exec takes a quarter of the stack limit for arguments and environment:
  // the request over 1 MiB needs about 1.3 MB of it.
  rlimit stack{};
  ::getrlimit(RLIMIT_STACK, &stack);
  const size_t big_vars =
      stack.rlim_cur == RLIM_INFINITY || stack.rlim_cur / 4 > 1'400'000 ? 10 : 0;
  if (big_vars == 0) WARN("the stack limit is too low for a request over 1 MiB: not tried");

  SECTION("the spawner, for commands that all run at once") {
    const std::vector<std::pair<size_t, size_t>> sizes = {
        {1, 10}, {1, 100'000}, {1, 20}, {big_vars, 120'000}, {1, 30}};
    std::vector<SupervisorHandle> handles(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i)
      REQUIRE(start_sized(sizes[i].first, sizes[i].second, handles[i]));
    const pid_t helper = spawner.helper_pid();
    for (size_t i = 0; i < sizes.size(); ++i) {
      INFO(sizes[i].first << " variables of " << sizes[i].second << " bytes");
      CHECK(finish(handles[i], &spawner).out == expected(sizes[i].first, sizes[i].second));
    }
    CHECK(spawner.helper_pid() == helper);
  }
  SECTION("an idle supervisor, for one command after another") {
    const std::vector<std::pair<size_t, size_t>> sizes = {
        {1, 10}, {1, 100'000}, {1, 20}, {big_vars, 120'000}, {2, 30}, {1, 100'000}, {1, 40}};
    pid_t supervisor = -1;
    pid_t helper = -1;
    for (size_t round = 0; round < sizes.size(); ++round) {
      const auto [vars, bytes] = sizes[round];
      INFO(vars << " variables of " << bytes << " bytes");
      SupervisorHandle h;
      REQUIRE(start_sized(vars, bytes, h));
      if (round == 0) {
        helper = spawner.helper_pid();
        supervisor = h.pid;
      }
      CHECK(h.pid == supervisor);  // the first command's supervisor serves every later one
      Outcome o = finish(h, &spawner);
      CHECK(o.idle);
      CHECK(o.out == expected(vars, bytes));
    }
    CHECK(spawner.helper_pid() == helper);
    CHECK(spawner.idle_count() == 1);
  }
}
