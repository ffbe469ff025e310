#include "interpreter/runtime/leftovers.hpp"

#include "interpreter/base/source.hpp"
#include "interpreter/runtime/proc_stat.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <thread>

namespace rbk {

namespace {

// A process's environment, NUL-separated NAME=VALUE entries ("" when it
// cannot be read: the process is gone, or belongs to another user).
std::string environment_of(int pid) {
  return read_regular_file("/proc/" + std::to_string(pid) + "/environ", size_t{16} << 20)
      .value_or(std::string());
}

// The parent of `pid` (0 when unknown).
int parent_of(int pid) {
  ProcStat st;
  return read_proc_stat(pid, st) ? st.ppid : 0;
}

// Gone, or a zombie (dead, waiting for its parent).
bool dead(int pid) {
  ProcStat st;
  return !read_proc_stat(pid, st) || st.state == 'Z' || st.state == 'X';
}

// Calls `each` with every process of this user but this one, its ancestors,
// its children (its spawner and supervisors, in process groups of their
// own, which carry its environment) and the members of its process group:
// those `rbk resume` never ends (a
// run's commands run as the user who ran rbk; another user's processes are
// never a dead run's, even to root).
template <class F>
void for_each_other_process(F&& each) {
  const uid_t me = ::geteuid();
  std::set<int> spared = {static_cast<int>(::getpid())};
  for (int p = ::getppid(); p > 1 && spared.insert(p).second;) p = parent_of(p);
  const pid_t own_group = ::getpgrp();
  DIR* proc = ::opendir("/proc");
  if (!proc) return;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 1 || *end != '\0' || spared.count(static_cast<int>(pid))) continue;
    if (::getpgid(static_cast<pid_t>(pid)) == own_group) continue;
    if (parent_of(static_cast<int>(pid)) == static_cast<int>(::getpid())) continue;
    struct stat st {};
    if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0 || st.st_uid != me) continue;
    each(static_cast<int>(pid));
  }
  ::closedir(proc);
}

}  // namespace

std::string boot_id() {
  std::string id = read_regular_file("/proc/sys/kernel/random/boot_id", 256).value_or("");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

uint64_t start_ticks(int pid) {
  ProcStat st;
  return read_proc_stat(pid, st) ? st.start_ticks : 0;
}

uint64_t ticks_per_second() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? static_cast<uint64_t>(hz) : 100;
}

std::vector<int> recorded_group_members(int pgid, uint64_t leader_start, const std::string& boot,
                                        uint64_t alive_until) {
  std::vector<int> found;
  if (pgid <= 1 || boot.empty() || boot != boot_id()) return found;
  bool another = false, leader = false, from_then = false;
  for_each_other_process([&](int pid) {
    ProcStat st;
    if (!read_proc_stat(pid, st) || st.pgrp != pgid) return;
    // The leader is the first of its group: one that started another time,
    // or a member older than the leader, means the number was given again.
    if ((pid == pgid && st.start_ticks != leader_start) || st.start_ticks < leader_start)
      another = true;
    leader = leader || pid == pgid;
    from_then = from_then || st.start_ticks <= alive_until;
    found.push_back(pid);
  });
  // The leader gone, the number may have gone to a new group since: ours
  // has a member from while the run was alive (its group was never empty).
  if (another || (!leader && !from_then)) found.clear();
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<int> processes_with_env(const std::string& name, const std::string& value) {
  const std::string wanted = name + "=" + value;
  std::vector<int> found;
  for_each_other_process([&](int pid) {
    // NUL-separated NAME=VALUE entries; readable for our own processes only.
    const std::string env = environment_of(pid);
    for (size_t at = 0; at < env.size();) {
      size_t nul = env.find('\0', at);
      if (nul == std::string::npos) nul = env.size();
      if (env.compare(at, nul - at, wanted) == 0) {
        found.push_back(pid);
        break;
      }
      at = nul + 1;
    }
  });
  std::sort(found.begin(), found.end());
  return found;
}

EndedLeftovers end_leftovers(const std::vector<int>& pids, std::chrono::milliseconds grace) {
  EndedLeftovers out;
  out.pids = pids;
  const pid_t own_group = ::getpgrp();
  auto signal_all = [&](int sig) {
    for (int pid : pids) {
      const pid_t group = ::getpgid(pid);
      if (group > 1 && group != own_group) {
        ::kill(-group, sig);
        if (sig == SIGTERM) ::kill(-group, SIGCONT);  // a stopped group cannot act on TERM
      }
      ::kill(pid, sig);
      if (sig == SIGTERM) ::kill(pid, SIGCONT);
    }
  };
  auto all_dead = [&] { return std::all_of(pids.begin(), pids.end(), dead); };
  signal_all(SIGTERM);
  // Not our children: there is nothing to wait on but /proc.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!all_dead() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!all_dead()) {
    out.killed = true;
    signal_all(SIGKILL);
    const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!all_dead() && std::chrono::steady_clock::now() < bound)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return out;
}

}  // namespace rbk
