// The spawner: a small process rbk forks once per run that starts each
// command's supervisor on rbk's behalf, so that rbk itself never forks per
// command. A fork of rbk copies its page tables and makes every page rbk
// writes afterwards a copy-on-write fault for as long as the supervisor
// lives; the spawner stays small and idle, so its forks are cheap.
//
// The supervisor it starts is rbk's own child (clone with CLONE_PARENT): rbk
// reaps it, signals it and sees its exit status exactly as when it forks the
// supervisor itself, and the supervisor's channel goes straight to rbk. If the
// spawner cannot be started, or dies, commands fall back to start_supervisor().
//
// A supervisor whose command ended with no process left (the common case)
// reports kReportIdle instead of exiting; rbk keeps it and sends it the next
// command on the same channel, so most commands cost no process but the
// shell. One that still has a process (a daemon released from the command's
// group) exits as before, which hands that process to init; so does one
// that got SIGTERM or lost rbk.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>
#include <vector>

#include "interpreter/runtime/supervisor.hpp"

namespace rbk {

/// Starts supervisors through one long-lived helper process. Thread-safe.
class Spawner {
 public:
  Spawner() = default;
  /// Ends the helper (it holds nothing of any command).
  ~Spawner();
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  /// As start_supervisor(); the helper is started on first use.
  Expected<SupervisorHandle, std::string> start(const SupervisorSpec& spec);

  /// Starts the helper now rather than at the first command: rbk is then
  /// smaller, and every fork of the helper costs in proportion to its memory.
  void prepare();

  /// Takes back a supervisor that reported kReportIdle, for a later command
  /// (or ends it, when enough are kept); `handle` is left empty.
  void give_back(SupervisorHandle& handle);

  /// The helper's pid, -1 before first use or after it failed (for tests).
  pid_t helper_pid() const;
  /// How many idle supervisors are kept (for tests).
  size_t idle_count() const;

 private:
  enum class State { NotStarted, Running, Failed };
  struct Idle {
    pid_t pid;
    UniqueFd channel;
  };
  static constexpr size_t kMaxIdle = 4;
  bool launch();
  void shut_down();

  mutable std::mutex mutex_;
  State state_ = State::NotStarted;
  pid_t pid_ = -1;
  UniqueFd socket_;
  std::vector<Idle> idle_;  // supervisors waiting for a command, newest last
};

}  // namespace rbk
