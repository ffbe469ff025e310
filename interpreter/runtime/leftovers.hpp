// Processes a dead run left behind. Every command of a run carries
// RBK_RUN_ID in its environment; when rbk and the supervisor of a command
// were both killed, that command can outlive them. `rbk resume` finds such
// processes by their environment and ends them before the run goes on, so a
// command never runs again beside its first run.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace rbk {

/// The pids of this user's processes whose environment holds NAME=VALUE,
/// lowest first; never this process, its ancestors or its process group.
std::vector<int> processes_with_env(const std::string& name, const std::string& value);

/// What end_leftovers did.
struct EndedLeftovers {
  std::vector<int> pids;  // the processes found, all gone now
  bool killed = false;    // some outlived SIGTERM and `grace`: SIGKILL ended them
};

/// Ends each process of `pids` and its process group: SIGTERM (and SIGCONT,
/// for a stopped one), then SIGKILL to whatever is left after `grace`.
EndedLeftovers end_leftovers(const std::vector<int>& pids, std::chrono::milliseconds grace);

}  // namespace rbk
