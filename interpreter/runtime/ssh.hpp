// Running a step's command on a host over SSH, with the OpenSSH client the
// fleet already trusts: no agent of rbk's on the hosts.
//
// Values never become shell source on either side. The local `ssh` is
// started by a constant script that reads the host, port, user and options
// from its environment; the remote side gets the constant command
// `exec /bin/sh -s` and reads, on its standard input, a script that exports
// each variable with one quoting function (shell_quote) and then runs the
// step's literal text as `/bin/sh -c LITERAL`, in a session of its own
// (setsid) so that it can be ended as a whole. The local stdin stays open
// while the command runs (CommandSpec::input): when rbk ends the local ssh
// (a deadline, Ctrl-C) the remote side sees end of file and ends the
// command's process group (TERM, the grace period, KILL). One multiplexed
// connection per host serves the whole run (ControlMaster, its socket in a
// private directory removed at the end).
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/runtime/command.hpp"

namespace rbk {

/// `text` as one single-quoted POSIX shell word: `'` becomes `'\''`. Any
/// bytes but NUL (which no environment or argument can hold) come through
/// unchanged; nothing in it is expanded.
std::string shell_quote(std::string_view text);

/// The script the remote `/bin/sh -s` reads: exports `env` (names that are
/// not identifiers are left out), runs `script` as `/bin/sh -c` in a new
/// session with stdin from /dev/null, ends its process group when stdin
/// reaches end of file (TERM, `grace`, KILL), ends what is left in that
/// group when the command exits on its own (the same way), and exits with
/// the command's status.
std::string remote_script(const std::vector<std::pair<std::string, std::string>>& env,
                          std::string_view script, std::chrono::milliseconds grace);

/// One run's SSH connections: the private directory of their control
/// sockets, and the hosts used, so that their master connections are closed
/// at the end.
class SshSession {
 public:
  explicit SshSession(SshSettings settings) : settings_(std::move(settings)) {}
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  /// The local command that runs `script` with `env` on `host`: `base`
  /// (deadline, grace, limits, variables to unset) with its script, stdin
  /// and environment replaced. Fails when the private directory cannot be made.
  Expected<CommandSpec, std::string> command(
      const Host& host, std::string_view script,
      const std::vector<std::pair<std::string, std::string>>& env, CommandSpec base);
  /// Closes the master connection of every host used and removes the
  /// directory. Idempotent. Each master is asked over its control socket;
  /// when any does not answer yes, every host used gets `ssh -O exit`
  /// (through `runner`, several at once: it must allow concurrent runs).
  void close(CommandRunner& runner);
  /// The directory of the control sockets; empty until the first command.
  const std::string& control_dir() const { return dir_; }

  /// What `ssh` exits with when it could not connect or lost the connection.
  static constexpr int kSshFailure = 255;
  /// How long one master may take to answer, and all of them together;
  /// past either, every host used gets `ssh -O exit`.
  static constexpr std::chrono::milliseconds kMuxTimeout{2000}, kMuxBudget{5000};

 private:
  /// Asks every master in the directory to end (ssh_mux); true when all said yes.
  bool terminate_masters() const;
  /// The local script's environment for `host` (RBK_SSH_*).
  std::vector<std::pair<std::string, std::string>> ssh_env(const Host& host) const;

  SshSettings settings_;
  std::string dir_;
  std::vector<Host> used_;
};

/// Runs a step's commands on targets: over SSH for real, scripted in tests.
class TargetRunner {
 public:
  virtual ~TargetRunner() = default;
  /// Runs `spec` (a step's literal script and its variables, as for a
  /// local command) on `host`; never throws.
  virtual CommandResult run_on(const Host& host, const CommandSpec& spec, OutputSink* sink) = 0;
  /// Whether run_on may be called from several threads at once.
  virtual bool concurrent() const { return false; }
  /// The run is over: connections are closed.
  virtual void finish() {}
};

/// True when `r` (from SshRunner) shows that the command never started on
/// the host: ssh could not connect or log in. A timeout or cancel is not
/// that, nor a connection lost midway.
bool never_connected(const CommandResult& r);

/// The real TargetRunner: the OpenSSH client, started through `local`.
class SshRunner final : public TargetRunner {
 public:
  SshRunner(CommandRunner& local, const SshSettings& settings)
      : local_(local), session_(settings) {}
  ~SshRunner() override { finish(); }
  CommandResult run_on(const Host& host, const CommandSpec& spec, OutputSink* sink) override;
  bool concurrent() const override { return true; }
  void finish() override;

 private:
  CommandRunner& local_;
  std::mutex mu_;  // the session's directory and list of hosts
  SshSession session_;
};

}  // namespace rbk
