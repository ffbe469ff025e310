// Ending an OpenSSH master over its control socket (runtime/ssh_mux): a real
// master, started by the real ssh client against a real sshd, ends when
// asked; a socket that is not a master, or is silent, is a plain "no"; and
// then the run's session falls back on `ssh -O exit` for every host. Also
// the script a host's `/bin/sh -s` reads (remote_script), run here by a
// local `/bin/sh -s`: what it leaves behind when its input ends, and when
// the command exits on its own.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "interpreter/runtime/ssh.hpp"
#include "interpreter/runtime/ssh_mux.hpp"
#include "interpreter/runtime/supervisor.hpp"  // UniqueFd
#include "processes.hpp"
#include "sshd.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace rbk::test;
using std::chrono::milliseconds;

/// A Unix socket listening at `path` (backlog only: nothing accepts).
rbk::UniqueFd listening_at(const std::string& path) {
  rbk::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof addr.sun_path);
  path.copy(addr.sun_path, path.size());
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 4) == 0);
  return fd;
}

/// terminate_master() of the socket `path` that `listener` listens on, whose
/// peer accepts once, writes `answer`, then end of file (and reads what the
/// client sends until it closes).
bool asked_of_peer(const rbk::UniqueFd& listener, const std::string& path,
                   const std::string& answer) {
  std::thread peer([&] {
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 120'000) != 1) return;  // a hang guard: the client never came
    int conn = ::accept(listener.get(), nullptr, nullptr);
    if (conn < 0) return;
    (void)!::write(conn, answer.data(), answer.size());
    ::shutdown(conn, SHUT_WR);  // all it says, and end of file after it
    char drain[64];
    while (::read(conn, drain, sizeof drain) > 0) {
    }
    ::close(conn);
  });
  const bool yes = rbk::terminate_master(path, milliseconds(30'000));
  peer.join();
  return yes;
}

}  // namespace

TEST_CASE("a real ssh master ends when asked over its control socket", "[sshd]") {
  SshdFleet fleet(1);
  TempDir tmp;
  const std::string socket = (tmp.path / "master.sock").string();
  // The master as rbk's commands make it: the first connection, kept in the
  // background by ControlPersist once its command is done.
  Exit first = run_bounded({"ssh", "-F", fleet.ssh_config(), "-p", std::to_string(fleet.port(0)),
                            "-o", "ControlMaster=auto", "-o", "ControlPath=" + socket, "-o",
                            "ControlPersist=300", "127.0.0.1", "true"});
  INFO(first.err << "\nsshd's log:\n" << fleet.log(0));
  REQUIRE(first.code == 0);
  // Its title names the socket ("ssh: PATH [mux]").
  const std::vector<int> masters = processes_with_marker(socket);
  REQUIRE(masters.size() == 1);
  REQUIRE(fs::exists(socket));

  CHECK(rbk::terminate_master(socket, milliseconds(30'000)));
  CHECK(still_alive(masters) == "");
  CHECK_FALSE(fs::exists(socket));  // the master removes it as it ends
  // Nothing listens now.
  CHECK_FALSE(rbk::terminate_master(socket, milliseconds(30'000)));
}

TEST_CASE("a socket that is not a master gets no answer taken for yes", "[sshd]") {
  TempDir tmp;
  const std::string path = (tmp.path / "peer.sock").string();
  SECTION("no socket at all, or a path too long for one") {
    CHECK_FALSE(rbk::terminate_master((tmp.path / "none.sock").string(), milliseconds(1000)));
    CHECK_FALSE(
        rbk::terminate_master((tmp.path / std::string(200, 'x')).string(), milliseconds(1000)));
    CHECK_FALSE(rbk::terminate_master("", milliseconds(1000)));
  }
  SECTION("a socket nothing answers on: bounded by the timeout") {
    rbk::UniqueFd silent = listening_at(path);
    CHECK_FALSE(rbk::terminate_master(path, milliseconds(100)));
  }
  SECTION("a master that ends before its OK: its hello, then closed") {
    rbk::UniqueFd peer = listening_at(path);
    CHECK(asked_of_peer(peer, path, std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x04", 12)));
  }
  SECTION("a socket that answers something else") {
    rbk::UniqueFd peer = listening_at(path);
    for (std::string answer :
         {std::string("HTTP/1.1 400 Bad Request\r\n\r\n"),
          // A hello of another version, then an OK that would be ours.
          std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x03\0\0\0\x08\x80\0\0\x01\0\0\0\x01", 24),
          // The right hello, then a refusal (MUX_S_PERMISSION_DENIED).
          std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x04\0\0\0\x0c\x80\0\0\x02\0\0\0\x01\0\0\0\0", 28),
          // The right hello, then a length no answer has.
          std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x04\xff\xff\xff\xff", 16),
          // The right hello, then an answer cut short.
          std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x04\0\0\0\x08\x80", 17),
          // Closed before a hello.
          std::string(),
          // The right hello, then an OK to another request.
          std::string("\0\0\0\x08\0\0\0\x01\0\0\0\x04\0\0\0\x08\x80\0\0\x01\0\0\0\x02", 24)}) {
      CAPTURE(answer);
      CHECK_FALSE(asked_of_peer(peer, path, answer));
    }
  }
}

namespace {

/// Records the scripts it is asked to run; runs nothing.
struct ScriptsSeen final : rbk::CommandRunner {
  std::mutex mu;
  std::vector<std::string> scripts;
  rbk::CommandResult run(const rbk::CommandSpec& spec, rbk::OutputSink*) override {
    std::lock_guard lock(mu);
    scripts.push_back(spec.script);
    return {};
  }
};

}  // namespace

TEST_CASE(
    "when a socket in the run's directory is no master that ended, every host gets ssh -O exit",
    "[ssh]") {
  rbk::SshSession session(rbk::SshSettings{});
  rbk::Host web1, web2;
  web1.id = "web-1", web1.address = "127.0.0.1";
  web2.id = "web-2", web2.address = "127.0.0.2";
  REQUIRE(session.command(web1, "true", {}, rbk::CommandSpec{}));
  REQUIRE(session.command(web2, "true", {}, rbk::CommandSpec{}));
  const std::string dir = session.control_dir();
  REQUIRE(fs::is_directory(dir));
  ScriptsSeen runner;
  SECTION("no socket at all: nothing is started") {
    session.close(runner);
    CHECK(runner.scripts.empty());
  }
  SECTION("a socket nothing listens on any more: both hosts' ssh -O exit") {
    {
      rbk::UniqueFd gone = listening_at(dir + "/stale");
    }  // closed, its file left: connecting is refused
    session.close(runner);
    REQUIRE(runner.scripts.size() == 2);
    for (const std::string& script : runner.scripts)
      CHECK(script.find("-O exit") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir));
  session.close(runner);  // idempotent
}

namespace {

/// How long a remote-script test waits for a line, an exit or a process to
/// go before calling it hung: a hang guard, never a measurement.
constexpr std::chrono::seconds kScriptGuard{30};

/// `/bin/sh -s` reading remote_script()'s text from a pipe the test holds,
/// as a host's shell reads it from ssh: closing the pipe is the host seeing
/// rbk's ssh end. Its stdout is a pipe the test reads. Every pid it is told
/// of, and the shell, get SIGKILL at scope exit, so a failing test leaves
/// nothing behind.
///
/// With `keep_zombies`, the shell runs under a process of the test's that is
/// a subreaper and never reaps what is orphaned below it: the host's PID 1 in
/// a container without an init, whatever this machine's PID 1 does. A
/// leftover that dies stays a zombie in the job's group.
class HostShell {
 public:
  explicit HostShell(const std::string& script, bool keep_zombies = false) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // An orphaned shell ends with the test's hang guard at the latest.
      ::alarm(std::chrono::seconds(kHangGuard).count() + 60);
      if (keep_zombies) {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        const pid_t shell = ::fork();
        if (shell < 0) ::_exit(127);
        if (shell > 0) {
          // Holding no end of the pipes: the shell's input ends when the
          // test closes it.
          for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
          int status = 0;
          while (::waitpid(shell, &status, 0) < 0 && errno == EINTR) {
          }
          ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        // Killed with the reaper (the test's clean-up kills that one).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        ::alarm(std::chrono::seconds(kHangGuard).count() + 60);
      }
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::execl("/bin/sh", "sh", "-s", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    input_.reset(in[1]);
    output_.reset(out[0]);
    // The whole script fits in the pipe: written before it is read.
    REQUIRE(::write(input_.get(), script.data(), script.size()) ==
            static_cast<ssize_t>(script.size()));
  }
  ~HostShell() {
    for (int pid : others_) ::kill(pid, SIGKILL);
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  HostShell(const HostShell&) = delete;
  HostShell& operator=(const HostShell&) = delete;

  /// The next line of its output, without the newline; throws Hung when
  /// none comes within kScriptGuard.
  std::string read_line() {
    const auto deadline = std::chrono::steady_clock::now() + kScriptGuard;
    size_t eol;
    while ((eol = out_.find('\n')) == std::string::npos) {
      pollfd p{output_.get(), POLLIN, 0};
      if (::poll(&p, 1, ms_until(deadline)) == 0)
        throw Hung("the remote script printed no line within 30 s; so far: " + out_);
      char buf[256];
      const ssize_t n = ::read(output_.get(), buf, sizeof buf);
      if (n == 0) throw Hung("the remote script's output ended before a line: " + out_);
      if (n > 0) out_.append(buf, static_cast<size_t>(n));
    }
    std::string line = out_.substr(0, eol);
    out_.erase(0, eol + 1);
    return line;
  }
  /// Kills `pids` too at scope exit (what the command started).
  void track(const std::vector<int>& pids) {
    others_.insert(others_.end(), pids.begin(), pids.end());
  }
  /// End of file on the shell's input: rbk's ssh ended.
  void close_input() { input_.reset(); }
  /// The shell's wait status; throws Hung when it outlives kScriptGuard.
  int wait_exit() {
    int status = 0;
    if (!reap_until(pid_, std::chrono::steady_clock::now() + kScriptGuard, status))
      throw Hung("the remote script's /bin/sh -s did not exit within 30 s");
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  rbk::UniqueFd input_, output_;
  std::string out_;
  std::vector<int> others_;
};

/// The pids a command prints on its first line ("$$ $!": its shell and the
/// process it left), tracked by `sh` for the clean-up.
std::vector<int> started_by(HostShell& sh) {
  std::vector<int> pids = pids_in(sh.read_line());
  sh.track(pids);
  return pids;
}

}  // namespace

TEST_CASE("after its input ends, the remote script ends a process of the group that ignores TERM",
          "[ssh]") {
  std::string command;
  int signal = 0;  // what ends the command's shell
  SECTION("the command's shell dies on TERM, its child ignores it") {
    command = "(trap '' TERM; exec sleep 300) & echo $$ $!; wait";
    signal = SIGTERM;
  }
  SECTION("the command's shell ignores TERM too") {
    command = "trap '' TERM; sleep 300 & echo $$ $!; wait";
    signal = SIGKILL;
  }
  HostShell sh(rbk::remote_script({}, command, milliseconds(1000)));
  const std::vector<int> pids = started_by(sh);
  REQUIRE(pids.size() == 2);
  REQUIRE_FALSE(dead(pids[1]));
  sh.close_input();
  // The sleep ignores TERM: only the KILL after the grace period ends it.
  CHECK(still_alive(pids, kScriptGuard) == "");
  const int status = sh.wait_exit();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + signal);  // the command's status, as a shell reports it
}

// The command in `sh` says its shell's pid and its leftover's, and exits
// with `code`: the script exits with it, and neither process is left.
void exits_leaving_nothing(HostShell& sh, int code) {
  const std::vector<int> pids = started_by(sh);
  REQUIRE(pids.size() == 2);
  const int status = sh.wait_exit();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == code);
  CHECK(still_alive(pids, kScriptGuard) == "");
}

TEST_CASE("a remote command that exits on its own leaves nothing in its group, and its status",
          "[ssh]") {
  std::string command;
  SECTION("a leftover that ends on TERM") {
    command = "sleep 301 >/dev/null 2>&1 & echo $$ $!; exit 7";
  }
  SECTION("a leftover that ignores TERM") {
    command = "(trap '' TERM; exec sleep 301) >/dev/null 2>&1 & echo $$ $!; exit 7";
  }
  // Its input stays open: the command ended, not the connection.
  HostShell sh(rbk::remote_script({}, command, milliseconds(1000)));
  exits_leaving_nothing(sh, 7);
}

// A leftover that died is a zombie until its parent reaps it; orphaned, that
// parent is the host's PID 1, which in a container without an init may never
// do so (HostShell's keep_zombies stands for it). kill -0 counts zombies: the script must
// not, or every such leftover costs the whole grace period. With a grace of
// 60 s, outliving the 30 s hang guard is that wait.
TEST_CASE("a remote command's leftovers that are gone cost no grace period", "[ssh]") {
  const milliseconds long_grace(60'000);
  SECTION("a child that has ended already: true &") {
    HostShell sh(rbk::remote_script({}, "true & echo $$ $!; exit 5", long_grace), true);
    sh.track(started_by(sh));
    const int status = sh.wait_exit();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 5);
  }
  SECTION("a leftover that ends on TERM, once the command exited") {
    HostShell sh(
        rbk::remote_script({}, "sleep 302 >/dev/null 2>&1 & echo $$ $!; exit 7", long_grace), true);
    exits_leaving_nothing(sh, 7);
  }
  SECTION("the command and its child end on TERM, once the input ended") {
    HostShell sh(rbk::remote_script({}, "sleep 303 & echo $$ $!; wait", long_grace), true);
    const std::vector<int> pids = started_by(sh);
    REQUIRE(pids.size() == 2);
    sh.close_input();
    const int status = sh.wait_exit();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(still_alive(pids, kScriptGuard) == "");
  }
}

// Once the main script's `wait` reaped the job, the job's pid may belong to
// any new process: the watcher signals it only until it hears (USR1) that it
// was reaped, and with a process group watches and KILLs only the group.
// Reuse cannot be forced, so: the text of the watcher, and the stop function
// run on a live process standing for a reused pid.
TEST_CASE("the remote script never signals the job's pid once it is reaped", "[ssh]") {
  const std::string script = rbk::remote_script({}, "true", milliseconds(1000));
  const size_t watch = script.find("(\n  while IFS= read");
  const size_t watch_end = script.find(") <&3", watch);
  REQUIRE(watch != std::string::npos);
  REQUIRE(watch_end != std::string::npos);
  const std::string watcher = script.substr(watch, watch_end - watch);
  CHECK(watcher.find("trap '__rbk_reaped=1' USR1") != std::string::npos);
  // With a group: the bare pid only once, the loop on the group alone.
  CHECK(watcher.find("__rbk_stop \"$__rbk_group\"") != std::string::npos);
  CHECK(watcher.find("__rbk_stop -\"$__rbk_job\" \"$__rbk_job\"") == std::string::npos);
  // The main script tells the watcher as soon as `wait` returned.
  const size_t reaped = script.find("__rbk_status=$?\nkill -s USR1 \"$__rbk_watch\"");
  CHECK(reaped != std::string::npos);

  // The functions, run with __rbk_reaped set on a pid that is now someone
  // else's (a sleep of the test's): neither signalled nor waited for.
  const size_t functions = script.find("__rbk_live() {");
  REQUIRE(functions != std::string::npos);
  const std::string defs = script.substr(functions, watch - functions);
  pid_t other = ::fork();
  REQUIRE(other >= 0);
  if (other == 0) {
    ::alarm(std::chrono::seconds(kHangGuard).count() + 60);
    ::execl("/bin/sleep", "sleep", "300", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      int status;
      ::waitpid(pid, &status, 0);
    }
  } reap{other};
  const std::string pid = std::to_string(other);
  HostShell sh("{\n" + defs + "__rbk_reaped=1\n__rbk_stop " + pid + "\nif __rbk_alive " + pid +
               "; then echo alive; else echo skipped; fi\n" + "kill -s 0 " + pid +
               " && echo untouched\nexit 0\n}\n");
  CHECK(sh.read_line() == "skipped");
  CHECK(sh.read_line() == "untouched");
  const int status = sh.wait_exit();
  CHECK(WIFEXITED(status));
  CHECK_FALSE(dead(other));
}
