// The command runner interface: every shell command the engine runs goes
// through a CommandRunner, so a dry-run or fixture runner can stand in for the
// real one (interpreter/runtime/process_runner.hpp) without the engine knowing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rbk {

/// What to run and under which limits.
struct CommandSpec {
  /// Run as `/bin/sh -c script`; never built from values (they go in `env`).
  std::string script;
  /// Added to the parent's environment, replacing variables of the same name
  /// (a later entry wins over an earlier one). Parameters, captures and
  /// secrets reach commands only this way: values are never put in `script`.
  std::vector<std::pair<std::string, std::string>> env;
  /// Names removed from the inherited environment before `env` is laid over
  /// it: the variables secrets are read from, so that a command sees only
  /// the secrets its runbook declares (as `env` entries), never the sources.
  std::vector<std::string> unset_env;
  /// Deadline from the start; must be positive. There is deliberately no
  /// "no timeout": a command with a zero or negative one is not started.
  std::chrono::milliseconds timeout{0};
  /// After TERM, how long the command's processes get before KILL.
  std::chrono::milliseconds grace{5000};
  /// Bytes of output kept per stream (head and tail); the rest is counted.
  size_t capture_limit = size_t{1} << 20;
  /// Directory to run in; empty means the caller's working directory.
  std::string working_dir;
  /// The shell's standard input. Set: stdin is a pipe that rbk feeds with
  /// these bytes (any bytes, NUL included) as the shell reads them, never
  /// blocking the loop that reads the output and keeps the deadline; the pipe
  /// stays open, without end of file, until the shell has exited (or a
  /// timeout or cancel stops it), and is closed then: a program that treats
  /// end of file as "rbk is gone" (a remote side behind ssh) keeps running
  /// while the command does. A shell that exits without reading it all is not
  /// an error; the rest is dropped. Unset: stdin is /dev/null.
  std::optional<std::string> input;
};

/// Which output stream a chunk came from.
enum class Stream { Out, Err };

/// Receives output live, as it arrives, in arrival order per stream.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  /// Called on the thread that called run(); must not call back into the runner.
  virtual void on_output(Stream stream, std::string_view chunk) = 0;
  /// Called with the shell's pid (also its process group id) once it has
  /// run for kStartReportDelayMs, on the same thread; not for a command
  /// that ended sooner. By default nothing.
  virtual void on_started(int /*pid*/) {}
};

/// One stream's output as kept: the first and last capture_limit/2 bytes.
struct Captured {
  /// Head, then "\n… [rbk: N bytes cut] …\n", then tail when cut; else all of it.
  std::string text;
  /// True when bytes were cut from the middle.
  bool truncated = false;
  /// Everything the command wrote to this stream, kept or not.
  uint64_t total_bytes = 0;
};

/// How a command ended. Exit status, death by signal, timeout, cancellation
/// and failure to start are told apart.
struct CommandResult {
  /// The exit status when the shell exited; -1 when killed or never started.
  int exit_code = -1;
  /// The signal that killed the shell, 0 when it exited.
  int signal = 0;
  /// The deadline passed and every process of the command was stopped.
  bool timed_out = false;
  /// The run was cancelled (Ctrl-C, SIGTERM, …) and every process stopped;
  /// also set, with nothing run, when the token was cancelled before the start.
  bool cancelled = false;
  /// The command never started (bad spec, missing working directory, …).
  bool spawn_failed = false;
  /// Why it did not start, or a note on something that went wrong around it;
  /// never contains environment values.
  std::string error;
  /// Captured stdout and stderr.
  Captured out, err;
  /// The shell's pid, which is also its process group id; 0 when it never
  /// started.
  int pid = 0;
  /// From start to the moment nothing of the command was left.
  std::chrono::milliseconds duration{0};

  /// The command ran to completion and exited 0.
  bool ok() const {
    return exit_code == 0 && signal == 0 && !timed_out && !cancelled && !spawn_failed;
  }
};

/// Cancels running commands from another thread or a signal handler. Sticky:
/// once cancelled, every run (current and later) is stopped until reset().
/// One token can serve several runners. Defined in process_runner.cpp, which
/// keeps the system headers out of this interface.
class CancelToken {
 public:
  /// Throws std::system_error when no eventfd can be created.
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  /// Async-signal-safe: sets the flag and wakes every runner waiting on fd().
  void cancel() noexcept;
  /// True once cancel() was called (and reset() was not called since).
  bool cancelled() const noexcept { return flag_.load(); }
  /// Re-arms the token, e.g. after the engine has handled the cancellation.
  void reset() noexcept;
  /// Readable while cancelled; runners wait on it (never read it).
  int fd() const noexcept { return fd_; }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free, "cancel() must be signal-safe");
  std::atomic<bool> flag_{false};
  int fd_ = -1;
};

/// Runs shell commands. Implementations never throw out of run().
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs the command to its end (exit, timeout or cancel) and returns how it
  /// ended; `sink` (may be null) sees the output live.
  virtual CommandResult run(const CommandSpec& spec, OutputSink* sink) = 0;
};

}  // namespace rbk
