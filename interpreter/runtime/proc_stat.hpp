// What rbk reads of a process in /proc: the supervisor, which runs in a
// forked copy of rbk and may not allocate, and `rbk resume`, which looks for
// the processes a dead run left. So everything here is async-signal-safe:
// system calls, fixed buffers and the stack only.
#pragma once

#include <sys/types.h>

namespace rbk {

/// A process's line of /proc/<pid>/stat, the fields rbk uses.
struct ProcStat {
  char state = 0;  // 'Z' (zombie) and 'X' (dead) are gone but for the reaping
  pid_t ppid = 0, pgrp = 0;
  long threads = 1;
  unsigned long long start_ticks = 0;  // when it started, in clock ticks since boot
};

/// "/proc/<pid><rest>", or "/proc/<pid>/task/<tid><rest>" when tid > 0.
void proc_path(char (&buf)[96], pid_t pid, pid_t tid, const char* rest);

/// Reads /proc/<pid>/stat; false when the process is gone or it cannot be read.
bool read_proc_stat(pid_t pid, ProcStat& st);

}  // namespace rbk
