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
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>

#include "interpreter/supervisor.hpp"

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
  bool start(const SupervisorSpec& spec, SupervisorHandle& out, std::string& error);

  /// Starts the helper now rather than at the first command: rbk is then
  /// smaller, and every fork of the helper costs in proportion to its memory.
  void prepare();

  /// The helper's pid, -1 before first use or after it failed (for tests).
  pid_t helper_pid() const;

 private:
  enum class State { NotStarted, Running, Failed };
  bool launch();
  void shut_down();

  mutable std::mutex mutex_;
  State state_ = State::NotStarted;
  pid_t pid_ = -1;
  UniqueFd socket_;
};

}  // namespace rbk
