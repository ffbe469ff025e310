#include "interpreter/runtime/leftovers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>
#include <thread>

namespace rbk {

namespace {

// The whole of a small /proc file ("" when it cannot be read: the process
// is gone, or belongs to another user).
std::string read_proc(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The parent of `pid` from /proc/PID/stat (0 when unknown). The command
// name is in parentheses and may hold anything: the fields after the last ')'.
int parent_of(int pid) {
  const std::string stat = read_proc("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  char state = 0;
  int ppid = 0;
  if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return 0;
  return ppid;
}

// Gone, or a zombie (dead, waiting for its parent).
bool dead(int pid) {
  const std::string stat = read_proc("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (stat.empty() || close == std::string::npos) return true;
  char state = 0;
  return std::sscanf(stat.c_str() + close + 1, " %c", &state) == 1 &&
         (state == 'Z' || state == 'X');
}

}  // namespace

std::vector<int> processes_with_env(const std::string& name, const std::string& value) {
  std::set<int> spared = {static_cast<int>(::getpid())};
  for (int p = ::getppid(); p > 1 && spared.insert(p).second;) p = parent_of(p);
  const pid_t own_group = ::getpgrp();
  const std::string wanted = name + "=" + value;
  std::vector<int> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 1 || *end != '\0' || spared.count(static_cast<int>(pid))) continue;
    if (::getpgid(static_cast<pid_t>(pid)) == own_group) continue;
    // NUL-separated NAME=VALUE entries; readable for our own processes only.
    const std::string env = read_proc("/proc/" + std::to_string(pid) + "/environ");
    for (size_t at = 0; at < env.size();) {
      size_t nul = env.find('\0', at);
      if (nul == std::string::npos) nul = env.size();
      if (env.compare(at, nul - at, wanted) == 0) {
        found.push_back(static_cast<int>(pid));
        break;
      }
      at = nul + 1;
    }
  }
  ::closedir(proc);
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
