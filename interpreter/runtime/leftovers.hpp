// Processes a dead run left behind. Every command of a run carries
// RBK_RUN_ID in its environment; when rbk and the supervisor of a command
// were both killed, that command can outlive them. `rbk resume` finds such
// processes by their environment, and by the process group the record gives
// each command that ran long enough (a process that cleared its environment
// stays in it), and ends them before the run goes on, so a command never
// runs again beside its first run.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rbk {

/// The pids of this user's processes whose environment holds NAME=VALUE,
/// lowest first; never this process, its ancestors or its process group.
std::vector<int> processes_with_env(const std::string& name, const std::string& value);

/// The kernel's boot id ("" when it cannot be read).
std::string boot_id();

/// When `pid` started, in clock ticks since boot; 0 when it is gone.
uint64_t start_ticks(int pid);

/// The processes still in process group `pgid` (lowest first), when it is
/// the group a run recorded: the same boot; its leader, if still there,
/// started at `leader_start`; and no member started before it. With the
/// leader gone, some member must have started by `alive_until` (ticks since
/// boot: when the run was last known alive, its command running), for a
/// number the kernel gave to a new group since has only members that
/// started later: nothing of such a group is returned. Only this user's
/// processes; never this process, its ancestors or its group.
std::vector<int> recorded_group_members(int pgid, uint64_t leader_start, const std::string& boot,
                                        uint64_t alive_until);

/// Clock ticks per second, as /proc/PID/stat counts a start time.
uint64_t ticks_per_second();

/// What end_leftovers did.
struct EndedLeftovers {
  std::vector<int> pids;  // the processes found, all gone now
  bool killed = false;    // some outlived SIGTERM and `grace`: SIGKILL ended them
};

/// Ends each process of `pids` and its process group: SIGTERM (and SIGCONT,
/// for a stopped one), then SIGKILL to whatever is left after `grace`.
EndedLeftovers end_leftovers(const std::vector<int>& pids, std::chrono::milliseconds grace);

}  // namespace rbk
