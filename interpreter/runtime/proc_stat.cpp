#include "interpreter/runtime/proc_stat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace rbk {

namespace {

// Appends the decimal digits of `v` at `p`; returns the end.
char* put_number(char* p, long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0) *p++ = digits[--n];
  return p;
}

// Appends `s` at `p`; returns the end.
char* put_text(char* p, const char* s) {
  while (*s) *p++ = *s++;
  return p;
}

}  // namespace

void proc_path(char (&buf)[96], pid_t pid, pid_t tid, const char* rest) {
  char* p = put_number(put_text(buf, "/proc/"), pid);
  if (tid > 0) p = put_number(put_text(p, "/task/"), tid);
  *put_text(p, rest) = '\0';
}

bool read_proc_stat(pid_t pid, ProcStat& st) {
  char path[96];
  proc_path(path, pid, 0, "/stat");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf - 1)) == -1 && errno == EINTR) {
  }
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
  // starttime …"; the
  // command name may hold spaces and ')'.
  const char* p = buf + n;
  while (p > buf && *p != ')') --p;
  if (*p != ')' || p[1] != ' ' || !p[2]) return false;
  st.state = p[2];
  p += 3;
  long fields[19];
  for (long& field : fields) {
    while (*p == ' ') ++p;
    bool negative = *p == '-';
    if (negative) ++p;
    if (*p < '0' || *p > '9') return false;
    long v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    field = negative ? -v : v;
  }
  st.ppid = static_cast<pid_t>(fields[0]);
  st.pgrp = static_cast<pid_t>(fields[1]);
  st.threads = fields[16];
  st.start_ticks = static_cast<unsigned long long>(fields[18]);
  return true;
}

}  // namespace rbk
