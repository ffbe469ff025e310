// The SSH test harness (tests/sshd.hpp) against real OpenSSH servers: they
// answer commands with host keys checked, an unknown host key is refused,
// a stopped server refuses connections and its sessions end, and a fleet
// leaves no process behind, not even one that left its session's tree.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "processes.hpp"
#include "sshd.hpp"
#include "test_support.hpp"

namespace {

using namespace rbk::test;

/// Starts `argv` in its own process group with no input and its output
/// discarded, without waiting: a client whose session the test ends.
pid_t in_background(const std::vector<std::string>& argv) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  REQUIRE(null_fd >= 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execvp(cargs[0], cargs.data());
    _exit(127);
  }
  ::close(null_fd);
  REQUIRE(pid > 0);
  ::setpgid(pid, pid);
  return pid;
}

/// Waits (a hang guard, polling) until our child `pid` ends; its exit status.
int exit_of(pid_t pid) {
  const std::string alive = still_alive({pid}, kHangGuard);
  INFO(alive);
  CHECK(alive.empty());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Polls `ready` until it holds; false after kHangGuard, only a hang guard.
template <class F>
bool eventually(F ready) {
  for (auto until = std::chrono::steady_clock::now() + kHangGuard;
       std::chrono::steady_clock::now() < until;) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("SshdFleet: three servers each run a command over ssh, host keys checked", "[sshd]") {
  SshdFleet fleet(3);
  REQUIRE(fleet.size() == 3);
  CHECK(fleet.port(0) != fleet.port(1));
  CHECK(fleet.port(1) != fleet.port(2));
  const std::string hosts = read_file(fleet.known_hosts());
  const std::string config = read_file(fleet.ssh_config());
  CHECK(contains(config, "StrictHostKeyChecking yes"));
  for (int i = 0; i < fleet.size(); ++i) {
    CHECK(contains(hosts, "[127.0.0.1]:" + std::to_string(fleet.port(i)) + " ssh-ed25519 "));
    // Expanded by the remote shell: the command really ran there.
    Exit e = run_bounded(fleet.ssh_argv(i, "echo hello-$((1+1))"));
    INFO("server " << i << ": " << e.err << "\nits log:\n" << fleet.log(i));
    CHECK(e.code == 0);
    CHECK(e.out == "hello-2\n");
    CHECK(contains(fleet.log(i), "Accepted publickey for " + fleet.user()));
  }
  // The user's dotfiles stay out: the session's HOME is the fleet's.
  Exit home = run_bounded(fleet.ssh_argv(0, "echo \"$HOME\""));
  CHECK(home.out == fleet.home() + "\n");
}

TEST_CASE("SshdFleet: a host key missing from known_hosts is refused, never accepted", "[sshd]") {
  SshdFleet fleet(1);
  // The fleet's client config, with an empty known_hosts instead of its own.
  const std::string empty = fleet.dir() + "/empty_known_hosts";
  write_file(empty, "");
  std::string config = read_file(fleet.ssh_config());
  const size_t at = config.find(fleet.known_hosts());
  REQUIRE(at != std::string::npos);
  config.replace(at, fleet.known_hosts().size(), empty);
  const std::string strict = fleet.dir() + "/strict_ssh_config";
  write_file(strict, config);

  Exit e = run_bounded(
      {"ssh", "-F", strict, "-p", std::to_string(fleet.port(0)), "127.0.0.1", "echo reached"});
  INFO(e.out << e.err);
  CHECK(e.code == 255);
  CHECK(contains(e.err, "Host key verification failed"));
  CHECK(!contains(e.out, "reached"));
  // Nothing was learnt: the empty file stays empty.
  CHECK(read_file(empty).empty());
}

TEST_CASE("SshdFleet: a stopped server refuses connections and its sessions end", "[sshd]") {
  SshdFleet fleet(2);
  // A session that would outlast the test, found here by its command line.
  const std::string mark = "rbk-sshd-stop-" + std::to_string(::getpid());
  const pid_t client = in_background(fleet.ssh_argv(1, "sleep 3600; : " + mark));
  // The client's own command line holds the mark too: only the remote side's.
  auto remote = [&] {
    std::vector<int> pids = processes_with_marker(mark);
    pids.erase(std::remove(pids.begin(), pids.end(), client), pids.end());
    return pids;
  };
  REQUIRE(eventually([&] { return !remote().empty(); }));
  const std::vector<int> sessions = fleet.session_processes(1);
  for (int pid : remote()) CHECK(std::count(sessions.begin(), sessions.end(), pid) == 1);

  fleet.stop(1);
  CHECK(fleet.pid(1) == -1);
  CHECK(still_alive(sessions) == "");
  // The connection went with the server: the client fails as ssh does.
  CHECK(exit_of(client) == 255);
  CHECK(processes_with_marker(mark).empty());

  Exit refused = run_bounded(fleet.ssh_argv(1, "echo reached"));
  INFO(refused.err);
  CHECK(refused.code == 255);
  CHECK(contains(refused.err, "Connection refused"));

  // The other server is untouched.
  Exit other = run_bounded(fleet.ssh_argv(0, "echo still-here"));
  INFO(other.err);
  CHECK(other.out == "still-here\n");
  fleet.stop(1);  // twice: nothing to do
}

TEST_CASE("SshdFleet: its destructor leaves no sshd and no process of a session", "[sshd]") {
  std::vector<int> listeners, remote;
  pid_t client = -1;
  std::string dir;
  {
    SshdFleet fleet(2);
    dir = fleet.dir();
    for (int i = 0; i < fleet.size(); ++i) listeners.push_back(fleet.pid(i));
    // A session whose processes leave its tree every way processes.hpp
    // knows (setsid, setsid -f, a double-forked daemon, setpgid, TERM
    // ignored): each one's pid goes to `pids`.
    write_file(dir + "/escape.sh", escaping_children_script());
    client = in_background(fleet.ssh_argv(0, "PIDS=" + dir + "/pids sh " + dir + "/escape.sh"));
    REQUIRE(eventually([&] {
      return static_cast<int>(pids_in(read_file(dir + "/pids")).size()) == kEscapingPids;
    }));
    remote = pids_in(read_file(dir + "/pids"));
    // The fleet finds each of them, in its tree or not.
    const std::vector<int> sessions = fleet.session_processes(0);
    for (int pid : remote) {
      INFO("pid " << pid);
      CHECK(std::count(sessions.begin(), sessions.end(), pid) == 1);
    }
    remote.insert(remote.end(), sessions.begin(), sessions.end());
  }
  CHECK(still_alive(listeners) == "");
  CHECK(still_alive(remote) == "");
  CHECK(exit_of(client) == 255);
  // No listener (its command line names its config there), no session.
  CHECK(processes_with_marker(dir).empty());
  CHECK(!std::filesystem::exists(dir));
}
