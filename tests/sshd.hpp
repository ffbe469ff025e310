// Real OpenSSH servers (Debian's openssh-server) on 127.0.0.1 for the tests of
// rbk's SSH fan-out: each fleet has its own host key, client key,
// authorized_keys, known_hosts and client config in a throwaway directory, so
// a test talks to real sshd processes with host-key checking left strict.
// The "remote" machine is this one: a test proves that nothing it started on
// a host survived by looking for the process here (processes_with_marker).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "processes.hpp"
#include "test_support.hpp"

namespace rbk::test {

/// Runs `argv` (argv[0] searched in PATH) in a process group of its own, stdin
/// from /dev/null; its exit status and output. Throws Hung naming the command
/// when it outlives `guard` (its process group is killed first).
Exit run_bounded(const std::vector<std::string>& argv,
                 std::chrono::milliseconds guard = kHangGuard);

/// Live processes (not zombies), this one excepted, whose command line (its
/// arguments joined by spaces) contains `marker`.
std::vector<int> processes_with_marker(const std::string& marker);

/// `n` sshd servers on 127.0.0.1, each on a free port with a config of its
/// own, sharing one host key and one client key (ed25519, no passphrase).
/// Logins go to the current user (root in CI: PermitRootLogin
/// prohibit-password), with HOME set to the fleet's own empty home().
/// Construction FAILs the test, naming the server and quoting its log, when a
/// server does not start; it never skips.
///
/// Ending servers (stop(i), the destructor): each listener is stopped with
/// SIGSTOP so that it accepts nothing more, then every process of its sessions
/// is frozen with SIGSTOP and killed with SIGKILL, then the listener gets
/// SIGTERM (SIGKILL if it outlives a bound) and is reaped. A session's
/// processes are found two ways, until a scan of /proc finds none it has not
/// frozen: descendants of the listener (per-connection sshd processes and what
/// they run, though they call setsid), and processes whose environment holds
/// the server's marker RBK_TEST_SSHD=DIR/sshd-I, which sshd sets in every
/// session (SetEnv) and which processes that left the tree (setsid -f,
/// double-forked daemons) inherit. A marker naming the server's file in this
/// fleet's directory, not SSH_CONNECTION's port, so that a port reused by
/// another test's server after stop(i) never makes this fleet kill that
/// test's sessions. Only a process that both left the tree and cleared its
/// environment escapes.
class SshdFleet {
 public:
  /// Starts `n` servers and waits until each accepts connections.
  explicit SshdFleet(int n);
  /// Ends every server still running and every process of their sessions.
  ~SshdFleet();
  SshdFleet(const SshdFleet&) = delete;
  SshdFleet& operator=(const SshdFleet&) = delete;

  /// Server i's TCP port on 127.0.0.1.
  int port(int i) const;
  /// Server i's listener process (sshd -D), a child of this one; -1 once stopped.
  pid_t pid(int i) const;
  /// The number of servers.
  int size() const;
  /// The client config for `ssh -F`: the fleet's key, known_hosts and user.
  std::string ssh_config() const;
  /// The known_hosts file: one `[127.0.0.1]:PORT ssh-ed25519 …` line a server.
  std::string known_hosts() const;
  /// The fleet's throwaway directory (removed by the destructor).
  std::string dir() const;
  /// HOME in every session: an empty directory of the fleet's, so that the
  /// user's dotfiles (~/.bashrc, which bash sources for ssh commands) and
  /// ~/.ssh/rc stay out of the tests. Sessions still start in the real home.
  std::string home() const;
  /// The user the servers log in (the effective user of this process).
  std::string user() const;
  /// Server i's log so far (LogLevel VERBOSE, and anything sshd printed).
  std::string log(int i) const;
  /// `ssh -F CONFIG -p PORT 127.0.0.1 COMMAND`: server i running `command`.
  std::vector<std::string> ssh_argv(int i, const std::string& command) const;
  /// Live processes of server i's sessions now, found as stop(i) finds them.
  std::vector<int> session_processes(int i) const;
  /// Ends server i and its sessions (see above): its port then refuses
  /// connections, as an unreachable host's would. Stopping twice is harmless.
  void stop(int i);

 private:
  struct Server {
    int port = 0;
    pid_t pid = -1;  // -1 once stopped
    std::string config, log, marker;
  };
  /// Writes server i's sshd_config on a fresh port and starts it; true once
  /// it accepts connections, false when sshd exited because another process
  /// took the port first (the caller tries another). FAILs otherwise.
  bool start(int i);
  /// Ends the given servers and their sessions (the class comment says how).
  void shut_down(const std::vector<int>& which);
  const Server& at(int i) const;

  TempDir tmp_;
  std::string user_, host_key_, client_key_, authorized_keys_, known_hosts_, ssh_config_, home_;
  std::vector<Server> servers_;
};

}  // namespace rbk::test
