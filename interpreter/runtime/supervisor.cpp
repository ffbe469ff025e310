// The per-command supervisor (see supervisor.hpp).
//
// rbk's side, prepare_command(), makes the command's descriptors; then
// start_supervisor() forks, or the spawner (spawner.cpp) clones, and the
// child's side, supervise_command(), moves them to fixed numbers (the
// posix_spawn objects, built once before any fork, name those) and supervises.
// It runs in a copy of a possibly multi-threaded rbk: another thread
// may have held a lock (malloc's, stdio's) at the moment of fork, so it uses
// only system calls, fixed buffers and the stack: no allocation, no stdio, no
// exceptions, and it leaves with _exit(). posix_spawn() starts the shell with
// a vfork-style clone, so the big parent is never copied twice.
//
// Longer than the project's usual file, on purpose: this is the whole life
// of one supervisor process (start, the wait loop, stopping the group and
// every descendant, reporting), code under the fork constraints above that is
// reviewed, attacked (bench/attack.py) and changed as one unit.
#include "interpreter/runtime/supervisor.hpp"
#include "interpreter/base/fd.hpp"

#include "interpreter/runtime/proc_stat.hpp"
#include "interpreter/runtime/supervisor_start.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

namespace rbk {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

// ===========================================================================
// The supervisor's side: async-signal-safe from here to start_supervisor().

using supervisor_detail::kChildChannel;
using supervisor_detail::kChildDir;
using supervisor_detail::kChildErr;
using supervisor_detail::kChildIn;
using supervisor_detail::kChildOut;

// What supervise() runs: the command, its descriptors at the fixed numbers
// (kChildIn… kChildChannel; the directory only when `has_dir`).
struct Plan {
  supervisor_detail::CommandPlan command;
  bool has_dir;
  bool reusable;  // may serve further commands (see supervise())
};

// After the shell's end is reported with processes left, how long the
// supervisor waits for rbk's Release before it stops the group itself (only
// with a backstop): rbk's drain window (250 ms) and the backstop's margin.
constexpr long kReleaseBackstopMs = 1250;

long now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long>(t.tv_sec) * 1000 + t.tv_nsec / 1'000'000;
}

// A whole decimal number, or -1.
long parse_number(const char* s) {
  if (*s < '0' || *s > '9') return -1;
  long v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > INT_MAX / 10) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

void send_report(int channel, const SupervisorReport& r) {
  if (channel < 0) return;
  // Lost when rbk is gone, which is fine: no one is left to read it.
  while (::send(channel, &r, sizeof r, MSG_NOSIGNAL) == -1 && errno == EINTR) {
  }
}

void send_report(int channel, int32_t kind, int32_t value) {
  send_report(channel, SupervisorReport{.kind = kind, .value = value});
}

// Calls f(pid) for each number in a file of space-separated pids.
template <typename F>
void for_each_pid_in(const char* path, F&& f) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[1024];
  long value = -1;  // digits read so far, -1 when none
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        value = (value < 0 ? 0 : value * 10) + (buf[i] - '0');
      } else if (value >= 0) {
        f(static_cast<pid_t>(value));
        value = -1;
      }
    }
  }
  if (value >= 0) f(static_cast<pid_t>(value));
  ::close(fd);
}

// Calls f(name) for each entry of a directory.
template <typename F>
void for_each_entry(const char* dir_path, F&& f) {
  int dir = ::open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(dirent64) char buf[4096];
  ssize_t n;
  while ((n = ::getdents64(dir, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buf + off);
      off += entry->d_reclen;
      f(entry->d_name);
    }
  }
  ::close(dir);
}

// /proc/<pid>/task/<tid>/children exists (CONFIG_PROC_CHILDREN), found once
// at the supervisor's start; and is used for the current command (unless it
// asks for the scan). Without it, children are found by their ppid.
bool g_children_files_exist = true;
bool g_children_files = true;

// Calls f(child) for each child of `parent` (which has `threads` threads:
// children belong to the thread that started them). Costs in proportion to
// the parent's threads and children, except in the fallback.
template <typename F>
void for_each_child(pid_t parent, long threads, F&& f) {
  char path[96];
  if (!g_children_files) {  // the fallback: a scan of every process
    for_each_entry("/proc", [&](const char* name) {
      long pid = parse_number(name);
      ProcStat st;
      if (pid > 0 && read_proc_stat(static_cast<pid_t>(pid), st) && st.ppid == parent)
        f(static_cast<pid_t>(pid));
    });
    return;
  }
  if (threads <= 1) {
    proc_path(path, parent, parent, "/children");
    for_each_pid_in(path, f);
    return;
  }
  proc_path(path, parent, 0, "/task");
  for_each_entry(path, [&](const char* name) {
    long tid = parse_number(name);
    if (tid <= 0) return;
    char children[96];
    proc_path(children, parent, static_cast<pid_t>(tid), "/children");
    for_each_pid_in(children, f);
  });
}

// The walk's to-do list. A static array is safe: only the supervisor, which
// is single-threaded and has its own copy of memory, ever uses it. When a
// tree is wider than this, the rest is reached in a later sweep (orphans of
// killed processes come back to the supervisor as its children).
struct Pending {
  pid_t pid;
  long threads;
};
constexpr size_t kMaxPending = 4096;
Pending g_pending[kMaxPending];

// Calls visit(pid, stat) for every descendant of `root`, parents before
// children. A pid is visited only while its parent is the process it was
// listed under, so a pid reused between the listing and the visit is skipped.
template <typename Visit>
void walk(pid_t root, Visit&& visit) {
  size_t top = 0;
  g_pending[top++] = {root, 1};
  while (top > 0) {
    Pending p = g_pending[--top];
    for_each_child(p.pid, p.threads, [&](pid_t child) {
      ProcStat st;
      if (!read_proc_stat(child, st) || st.ppid != p.pid) return;
      visit(child, st);
      if (top < kMaxPending) g_pending[top++] = {child, st.threads};
    });
  }
}

// Drains the signalfd; true when a SIGTERM was among what it held. One
// read takes all that is pending: fewer than fit means nothing is left.
bool read_signals(int signals) {
  bool term = false;
  signalfd_siginfo info[4]{};
  for (;;) {
    ssize_t n = ::read(signals, info, sizeof info);
    if (n <= 0) return term;
    size_t count = static_cast<size_t>(n) / sizeof info[0];
    for (size_t i = 0; i < count; ++i) term = term || info[i].ssi_signo == SIGTERM;
    if (count < std::size(info)) return term;
  }
}

// The supervisor's state; one per process, on its stack.
struct Supervisor {
  enum class Mode { Running, StopTree, StopGroup };
  enum class Stage { Term, Kill };

  pid_t self = 0;
  pid_t shell = 0;  // also the command's process group id
  int channel = -1;
  int signals = -1;  // signalfd: SIGCHLD, SIGTERM
  bool shell_exited = false;
  bool exit_reported = false;
  bool output_held = true;  // kChildOut and kChildErr still open here (see let_go_of_output)
  bool start_reported = false;
  long start_report_at = 0;   // when the start is reported if the shell still runs
  long backstop_at = 0;       // when the supervisor stops the tree unasked (0: never)
  long release_at = 0;        // … and, once the shell ended leaving some, the group (0: never)
  bool own_deadline = false;  // it did: the exit report says so
  // It stopped something without rbk asking (either backstop): rbk, when it
  // can act again, may still send the Stop or Release it was late with, and
  // that byte must not reach this supervisor as its next request.
  bool unasked = false;
  siginfo_t shell_end{};    // how the shell ended, once shell_exited
  bool terminated = false;  // a SIGTERM came: the supervisor is not reused
  Mode mode = Mode::Running;
  Stage stage = Stage::Term;
  long stage_end = 0;
  long grace_ms = 0, kill_window_ms = 0;

  // Reaps every child but the shell that has ended; true when one is left,
  // or when one was reaped: its own children became ours as it ended, maybe
  // after the list was read, so only a pass that reaps nothing is final.
  // The shell stays unreaped (a zombie once it exited) to the very end, so
  // that its pid, the group's id, cannot be given to another group while the
  // supervisor still signals the group.
  bool reap_others() {
    bool left = false;
    char path[96];
    proc_path(path, self, self, "/children");
    auto reap = [&](pid_t child) {
      if (child == shell) return;
      ::waitpid(child, nullptr, WNOHANG);
      left = true;  // alive, or reaped just now (see above)
    };
    if (g_children_files)
      for_each_pid_in(path, reap);
    else
      for_each_child(self, 1, reap);
    return left;
  }

  // Notices the shell's end, without reaping it.
  void check_shell() {
    if (shell_exited) return;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(shell), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != shell)
      return;
    shell_exited = true;
    shell_end = info;
  }

  // Reports the shell's end once. `clean`: nothing of the command is left,
  // so the supervisor is done with it without being asked; `idle`: and it
  // waits for another command (see SupervisorReport).
  void report_exit(bool clean, bool idle = false) {
    if (!shell_exited || exit_reported) return;
    exit_reported = true;
    send_report(channel, SupervisorReport{.kind = kReportExited,
                                          .value = shell_end.si_code,
                                          .status = shell_end.si_status,
                                          .stopped = mode == Mode::StopTree ? 1 : 0,
                                          .clean = clean ? 1 : 0,
                                          .pid = shell,
                                          .idle = idle ? 1 : 0,
                                          .deadline = own_deadline ? 1 : 0});
    let_go_of_output();
  }

  // Closes this process's copies of the output pipes' write ends. Held from
  // the spawn until the shell's end is reported, so that the shell's exit
  // alone does not end the pipes: rbk then wakes once, for the report, and
  // finds the end of file already there (the report is sent first), where it
  // used to wake for the end of file and sleep again until the report.
  void let_go_of_output() {
    if (!output_held) return;
    output_held = false;
    ::close(kChildOut);
    ::close(kChildErr);
  }

  // Reports the start of a shell that still runs once the delay has passed.
  void report_start_when_due() {
    if (start_reported || exit_reported || now_ms() < start_report_at) return;
    start_reported = true;
    send_report(channel, kReportStarted, shell);
  }

  // True while a live process (not a zombie) is in the command's group.
  bool group_alive() {
    bool alive = false;
    walk(self, [&](pid_t, const ProcStat& st) {
      if (st.pgrp == shell && st.state != 'Z' && st.state != 'X') alive = true;
    });
    return alive;
  }

  // Sends `sig` (and CONT after it when `cont`) to the group and, when the
  // whole tree is stopped, to every descendant. kill(-shell) is safe from
  // reuse: the shell is not reaped before the supervisor is done.
  void signal_all(int sig, bool cont) {
    ::kill(-shell, sig);
    if (cont) ::kill(-shell, SIGCONT);
    if (mode != Mode::StopTree) return;
    walk(self, [&](pid_t pid, const ProcStat& st) {
      if (st.pgrp == shell) return;  // reached above: a TERM handler runs once
      ::kill(pid, sig);
      if (cont) ::kill(pid, SIGCONT);
    });
  }

  // The first stop request wins: the whole tree while the shell runs, only
  // the group once it has exited (what left the group then is released).
  void begin_stop() {
    if (mode != Mode::Running) return;
    check_shell();
    report_exit(false);
    mode = shell_exited ? Mode::StopGroup : Mode::StopTree;
    if (mode == Mode::StopGroup && !group_alive()) return;  // the loop sees it is done
    if (grace_ms <= 0) return kill_all();
    signal_all(SIGTERM, true);
    stage = Stage::Term;
    stage_end = now_ms() + grace_ms;
  }

  void kill_all() {
    if (stage != Stage::Kill) {
      stage = Stage::Kill;
      stage_end = now_ms() + kill_window_ms;
    }
    signal_all(SIGKILL, false);
  }

  // True while something the current stop must end is left.
  bool anything_left(bool others) {
    return mode == Mode::StopTree ? others || !shell_exited : group_alive();
  }

  void on_signals() {
    if (read_signals(signals)) {
      terminated = true;
      begin_stop();
    }
  }

  void on_channel() {
    char request = 0;
    ssize_t n = ::recv(channel, &request, 1, MSG_DONTWAIT);
    if (n == 1) {
      if (request == static_cast<char>(SupervisorRequest::Stop) ||
          request == static_cast<char>(SupervisorRequest::Release))
        begin_stop();
      return;
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) return;
    ::close(channel);  // rbk is gone: end the command ourselves
    channel = -1;
    begin_stop();
  }

  // Until the command is over. True when it ended clean (the shell on its
  // own, nothing else left) and its exit is not reported yet: the caller
  // reports it, with whether the supervisor stays for another command.
  bool run() {
    long tick = 5;  // re-check interval while stopping: 5 ms doubling to 100 ms
    for (;;) {
      int timeout = -1;
      if (mode != Mode::Running) {
        timeout = static_cast<int>(std::clamp(stage_end - now_ms(), 0L, tick));
        tick = std::min(tick * 2, 100L);
      } else {
        // The nearest time still ahead: the start report and the backstop
        // while the shell runs, the release backstop once its end is
        // reported. One that is past or done must not count, or poll()
        // would return at once, every time (a spin).
        long until = -1;
        auto nearer = [&](long at) {
          if (at > 0 && (until < 0 || at < until)) until = at;
        };
        if (!start_reported && !exit_reported) nearer(start_report_at);
        if (!shell_exited) nearer(backstop_at);
        if (exit_reported) nearer(release_at);
        if (until >= 0) timeout = static_cast<int>(std::clamp(until - now_ms(), 0L, long{INT_MAX}));
      }
      pollfd fds[2] = {{signals, POLLIN, 0}, {channel, POLLIN, 0}};
      if (::poll(fds, channel >= 0 ? 2 : 1, timeout) > 0) {
        if (fds[0].revents) on_signals();
        if (channel >= 0 && fds[1].revents) on_channel();
      }
      // The shell's end first: its children are ours before its exit is
      // visible, so the list read after it holds them all.
      check_shell();
      bool others = reap_others();
      if (mode == Mode::Running && !shell_exited && backstop_at > 0 && now_ms() >= backstop_at) {
        // rbk did not ask in time: the deadline holds without it. Said in
        // the report only when the shell was still running (a stop of the
        // whole tree): one that ended just now already reported its end.
        begin_stop();
        own_deadline = mode == Mode::StopTree;
        unasked = true;
      }
      if (mode == Mode::Running && exit_reported && release_at > 0 && now_ms() >= release_at) {
        begin_stop();  // rbk did not release what the shell left: as its Release would
        unasked = true;
      }
      if (mode == Mode::Running) {
        // The shell ended on its own. With nothing else left (the common
        // case) there is nothing to stop: the command is over now, and rbk
        // need not ask for a release (one round trip less per command).
        // Decided once, when the end is first seen: once rbk was told to
        // drain and release, it will send that Release.
        if (shell_exited && !exit_reported) {
          if (!others) return true;
          report_exit(false);
          // rbk drains the output, then releases (its drain window: 250 ms).
          if (backstop_at > 0) release_at = std::max(backstop_at, now_ms() + kReleaseBackstopMs);
        }
        report_start_when_due();
        continue;
      }
      report_exit(false);
      if (!anything_left(others)) return false;
      long now = now_ms();
      if (stage == Stage::Kill && now >= stage_end) return false;  // unkillable: give up on it
      if (stage == Stage::Kill || now >= stage_end) kill_all();
    }
  }
};

// Closes every descriptor but those in `keep` (all above 2, or -1).
void close_all_but(int (&keep)[5]) {
  std::sort(std::begin(keep), std::end(keep));
  unsigned lo = 3;
  for (int fd : keep) {
    if (fd < 0) continue;
    if (static_cast<unsigned>(fd) > lo) ::close_range(lo, static_cast<unsigned>(fd) - 1, 0);
    lo = static_cast<unsigned>(fd) + 1;
  }
  if (::close_range(lo, ~0U, 0) == 0) return;
  rlimit files{};  // close_range() missing (Linux < 5.9): close one by one
  unsigned hi = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < (1u << 20)
                    ? static_cast<unsigned>(files.rlim_cur)
                    : 1u << 20;
  for (unsigned fd = 3; fd < hi; ++fd) {
    if (std::find(std::begin(keep), std::end(keep), static_cast<int>(fd)) == std::end(keep))
      ::close(static_cast<int>(fd));
  }
}

// Once per supervisor process: descriptors, names, signals. Returns the
// signalfd (SIGCHLD, SIGTERM), or -1.
int set_up_process(const Plan& plan) {
  // Descriptors first: a copy of another command's channel kept here would
  // hide rbk's death from that command's supervisor. Its own stdio becomes
  // /dev/null, so that it never holds rbk's terminal or output pipe.
  int keep[5] = {kChildChannel, kChildIn, kChildOut, kChildErr, plan.has_dir ? kChildDir : -1};
  close_all_but(keep);
  // Not a copy of the shell's stdin, which may be a pipe: a supervisor that
  // serves further commands would hold this one's open all its life.
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd >= 0 ? null_fd : kChildIn, fd);
  if (null_fd > 2) ::close(null_fd);

  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ::prctl(PR_SET_NAME, "rbk-supervise", 0, 0, 0);
  char own_children[96];
  proc_path(own_children, ::getpid(), ::getpid(), "/children");
  g_children_files_exist = ::access(own_children, R_OK) == 0;

  sigset_t wanted;
  ::sigemptyset(&wanted);
  ::sigaddset(&wanted, SIGCHLD);
  ::sigaddset(&wanted, SIGTERM);
  ::sigprocmask(SIG_SETMASK, &wanted, nullptr);  // rbk blocked everything around fork()
  int fd = ::signalfd(-1, &wanted, SFD_CLOEXEC | SFD_NONBLOCK);
  // Above the fixed numbers: kChildDir is free when this command has none,
  // and a later command's directory moved there would replace the signalfd
  // (SIGTERM, blocked, then never heard; poll() failing on it at once).
  if (fd >= 0 && fd <= kChildChannel) {
    int high = ::fcntl(fd, F_DUPFD_CLOEXEC, kChildChannel + 1);
    ::close(fd);
    fd = high;
  }
  return fd;
}

// Runs one command to its end. True when the supervisor is clean afterwards
// and may serve another: the shell reaped, no child at all left (a process
// released from the group keeps the supervisor to itself until it exits,
// which hands it to init), rbk still there, and no SIGTERM.
// `idle` is set when the exit report already told rbk that the supervisor
// waits for the next command.
bool run_command(const Plan& plan, int signals, bool& terminated, bool& idle) {
  g_children_files = g_children_files_exist && !plan.command.scan_for_children;
  Supervisor s;
  s.terminated = terminated;
  s.self = ::getpid();
  s.channel = kChildChannel;
  s.signals = signals;
  s.grace_ms = plan.command.grace_ms;
  s.kill_window_ms = plan.command.kill_window_ms;
  // The shell's group, signal state and descriptors are set by posix_spawn()
  // (attributes and file actions prepared by rbk before any fork).
  const supervisor_detail::SpawnObjects& spawn = supervisor_detail::spawn_objects();
  const char* argv[] = {"/bin/sh", "-c", plan.command.script, nullptr};
  pid_t shell = -1;
  int rc = ::posix_spawn(&shell, "/bin/sh", plan.has_dir ? &spawn.in_dir : &spawn.here, &spawn.attr,
                         const_cast<char* const*>(argv), plan.command.envp);
  // The shell holds its stdin now: its end of file must depend on rbk and the
  // command's processes only. The output pipes stay open here until the
  // shell's end is reported (Supervisor::let_go_of_output).
  ::close(kChildIn);
  if (plan.has_dir) ::close(kChildDir);
  if (rc != 0) {
    s.let_go_of_output();
    send_report(s.channel, kReportSpawnFailed, rc);
    return false;
  }
  s.shell = shell;
  s.start_report_at = now_ms() + kStartReportDelayMs;
  if (plan.command.backstop_ms > 0) s.backstop_at = now_ms() + plan.command.backstop_ms;
  bool clean_end = s.run();
  // The zombie kept all along; still alive if unkillable.
  bool reaped = ::waitpid(shell, nullptr, WNOHANG) == shell;
  terminated = s.terminated;
  // After a clean end no scan is needed: the shell was the only child, and
  // without a live descendant no orphan can come to this subreaper.
  bool clean = reaped && (clean_end || !s.reap_others()) && s.channel >= 0 && !s.unasked;
  if (clean_end) {
    // One report says both that the command is over and whether this
    // supervisor serves the next: rbk waits for no further message.
    idle = clean && plan.reusable && !terminated;
    s.report_exit(true, idle);
  }
  s.let_go_of_output();  // a shell that never ended (unkillable): its own copies remain
  return clean;
}

// Idle: waits for rbk's next request on the channel. False when the
// supervisor is to end instead: SIGTERM with no request waiting (one that
// is already there was sent before, so it is served; the supervisor ends
// after it), end of file, or an error.
bool wait_for_request(int channel, int signals, bool& terminated) {
  for (;;) {
    pollfd fds[2] = {{channel, POLLIN, 0}, {signals, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready == -1 && errno == EINTR) continue;
    if (ready <= 0) return false;
    if (fds[1].revents && read_signals(signals)) terminated = true;  // or a SIGCHLD
    if (fds[0].revents) return true;  // a request, or end of file (then receiving fails)
    if (terminated) return false;
  }
}

// Its descriptors at the fixed numbers already.
[[noreturn]] void supervise(Plan plan) noexcept {
  int signals = set_up_process(plan);
  if (signals < 0) {
    send_report(kChildChannel, kReportSpawnFailed, errno);
    ::_exit(0);
  }
  supervisor_detail::Received next;  // the request being served after the first
  bool terminated = false;           // a SIGTERM came: no further command after this one
  for (;;) {
    bool idle = false;
    bool clean = run_command(plan, signals, terminated, idle);
    supervisor_detail::release(next);  // the shell has its own copy (nothing held at first)
    if (!plan.reusable || !clean || terminated) ::_exit(0);
    // Idle: rbk may hand this supervisor its next command on the same
    // channel. End of file (rbk is done with it, or gone), SIGTERM or a
    // malformed request ends it.
    if (!idle) send_report(kChildChannel, kReportIdle, 0);
    if (!wait_for_request(kChildChannel, signals, terminated)) ::_exit(0);
    if (!supervisor_detail::receive_request(kChildChannel, false, next)) ::_exit(0);
    plan.has_dir = next.fds[3] >= 0;
    if (!supervisor_detail::move_to_fixed(next.fds, -1)) {
      send_report(kChildChannel, kReportSpawnFailed, errno);
      ::_exit(0);
    }
    for (int& fd : next.fds) fd = -1;  // moved: release() must not close the numbers again
    plan.command = next.command;
  }
}

// ===========================================================================
// rbk's side.

// Moves a descriptor to 3 or above (close-on-exec), so that the shell's
// dup2() onto 0, 1 and 2 can never overwrite one another, even when rbk runs
// with a standard descriptor closed.
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == -1) return false;
  read_end.reset(above_stdio(fds[0]));
  write_end.reset(above_stdio(fds[1]));
  // 1 MiB instead of 64 KiB: a command printing fast then fills the pipe
  // and waits for rbk a sixteenth as often. Best effort: the system's
  // pipe-max-size or a user's pipe quota may refuse it.
  if (write_end.get() >= 0) (void)::fcntl(write_end.get(), F_SETPIPE_SZ, 1 << 20);
  return read_end.get() >= 0 && write_end.get() >= 0;
}

}  // namespace

namespace supervisor_detail {

const SpawnObjects& spawn_objects() {
  // Built once, by rbk, before the first fork: posix_spawn_file_actions_*()
  // allocate, which a child of a multi-threaded rbk must not do.
  static const SpawnObjects objects = [] {
    SpawnObjects o;
    // The shell: its own process group; default dispositions and an empty
    // mask (ignored and blocked signals survive exec: a caller that blocks
    // TERM would make the command deaf to the timeout's TERM); stdin from
    // /dev/null or rbk's input pipe, stdout and stderr to the pipes, no
    // other descriptor.
    sigset_t all, none;
    // Every bit, not sigfillset(): that leaves out glibc's internal signals
    // (32 and 33), and glibc's posix_spawn() then hands them to the program
    // ignored.
    std::memset(&all, 0xff, sizeof all);
    ::sigdelset(&all, SIGKILL);
    ::sigdelset(&all, SIGSTOP);
    ::sigemptyset(&none);
    ::posix_spawnattr_init(&o.attr);
    ::posix_spawn_file_actions_init(&o.here);
    ::posix_spawn_file_actions_init(&o.in_dir);
    int rc = ::posix_spawnattr_setflags(
        &o.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (!rc) rc = ::posix_spawnattr_setpgroup(&o.attr, 0);
    if (!rc) rc = ::posix_spawnattr_setsigdefault(&o.attr, &all);
    if (!rc) rc = ::posix_spawnattr_setsigmask(&o.attr, &none);
    if (!rc) rc = ::posix_spawn_file_actions_addfchdir_np(&o.in_dir, kChildDir);
    for (posix_spawn_file_actions_t* a : {&o.here, &o.in_dir}) {
      if (!rc) rc = ::posix_spawn_file_actions_adddup2(a, kChildIn, 0);
      if (!rc) rc = ::posix_spawn_file_actions_adddup2(a, kChildOut, 1);
      if (!rc) rc = ::posix_spawn_file_actions_adddup2(a, kChildErr, 2);
      if (!rc) rc = ::posix_spawn_file_actions_addclosefrom_np(a, 3);
    }
    o.error = rc;
    return o;  // never destroyed: children use them up to their end
  }();
  return objects;
}

void ignore_signals() noexcept {
  // rbk decides when the command stops: terminal signals (Ctrl-C, Ctrl-\,
  // hangup) reach the supervisor too, as it is in rbk's process group, and
  // are ignored; so is anything else that would end it and lose the command.
  // SIGTERM and SIGCHLD keep their default (the supervisor reads them from a
  // signalfd); faults keep their default action.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    bool keep_default = sig == SIGCHLD || sig == SIGTERM || sig == SIGSEGV || sig == SIGBUS ||
                        sig == SIGILL || sig == SIGFPE || sig == SIGABRT || sig == SIGTRAP ||
                        sig == SIGSYS;
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, keep_default ? &dfl : &ignore, nullptr);
  }
}

bool move_to_fixed(const int (&fds)[4], int channel) noexcept {
  // Each one above them all first, then down to its number, so that none
  // is overwritten before it was copied; the originals and the copies are
  // closed (a copy kept would hold a pipe open).
  const int to[5] = {kChildIn, kChildOut, kChildErr, kChildDir, kChildChannel};
  const int from[5] = {fds[0], fds[1], fds[2], fds[3], channel};
  // The usual case for a request: the kernel gave the lowest free numbers,
  // which the last command's freed, and receive_request() asked for them
  // close-on-exec. Nothing to move.
  bool in_place = true;
  for (int i = 0; i < 5; ++i) in_place = in_place && (from[i] < 0 || from[i] == to[i]);
  if (in_place && channel < 0) return true;
  int high[5] = {-1, -1, -1, -1, -1};
  for (int i = 0; i < 5; ++i) {
    if (from[i] < 0) continue;
    high[i] = ::fcntl(from[i], F_DUPFD_CLOEXEC, kChildChannel + 1);
    if (high[i] < 0) {  // nothing moved yet: the originals are all still there
      int err = errno;
      for (int j = 0; j < i; ++j)
        if (high[j] >= 0) ::close(high[j]);
      errno = err;
      return false;
    }
  }
  for (int i = 0; i < 5; ++i) {
    if (from[i] >= 0 && from[i] != kChildChannel) ::close(from[i]);
  }
  for (int i = 0; i < 5; ++i) {
    if (high[i] < 0) continue;
    // Onto a number below the copies, which this process just freed or
    // holds: only a kernel out of memory fails it, and then the command
    // was never started (rbk sees the channel close without a start).
    if (::dup3(high[i], to[i], O_CLOEXEC) < 0) ::_exit(0);
    ::close(high[i]);
  }
  return true;
}

[[noreturn]] void supervise_command(const ChildStart& start) noexcept {
  // A process group of its own, first of all: a SIGKILL to rbk's group (a
  // job killed from the shell, `timeout -s KILL`, a CI runner ending the
  // job) must not take the supervisor with it, or nothing would be left to
  // end the command. Terminal signals are ignored here anyway.
  ::setpgid(0, 0);
  if (!move_to_fixed(start.fds, start.channel)) {
    send_report(start.channel, kReportSpawnFailed, errno);
    ::_exit(0);
  }
  if (!start.signals_set) ignore_signals();
  supervise(
      Plan{.command = start.command, .has_dir = start.fds[3] >= 0, .reusable = start.reusable});
}

pid_t fork_with_signals_blocked() {
  // The child must not run rbk's handlers (they would cancel rbk's run)
  // before it has replaced them.
  sigset_t block, old;
  ::sigfillset(&block);
  ::pthread_sigmask(SIG_SETMASK, &block, &old);
  pid_t pid = ::fork();
  if (pid == 0) return 0;
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = fork_errno;
  return pid;
}

long to_ms(std::chrono::milliseconds d) {
  return static_cast<long>(std::clamp<std::chrono::milliseconds::rep>(d.count(), 0, INT_MAX));
}

Expected<void, std::string> prepare_command(const SupervisorSpec& spec, CommandFds& fds,
                                            bool new_channel) {
  if (spawn_objects().error) {
    return fail("cannot prepare the command: " + errno_text(spawn_objects().error));
  }
  if (!make_pipe(fds.out_read, fds.out_write) || !make_pipe(fds.err_read, fds.err_write)) {
    return fail("cannot set up the command's output: " + errno_text(errno));
  }
  if (new_channel) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1) {
      return fail("cannot set up the command's supervisor: " + errno_text(errno));
    }
    fds.ours.reset(above_stdio(pair[0]));
    fds.theirs.reset(above_stdio(pair[1]));
  }
  if (spec.stdin_pipe) {
    // Close-on-exec like every end rbk holds: only the shell (through the
    // supervisor) gets the read end, and no process but rbk the write end,
    // or the shell's end of file would wait for that process too.
    if (!make_pipe(fds.in_read, fds.in_write)) {
      return fail("cannot set up the command's input: " + errno_text(errno));
    }
    ::fcntl(fds.in_write.get(), F_SETFL, O_NONBLOCK);  // rbk's loop must never block on it
  } else {
    fds.in_read.reset(above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  }
  if ((new_channel && (fds.ours.get() < 0 || fds.theirs.get() < 0)) || fds.in_read.get() < 0) {
    return fail("cannot set up the command's supervisor: " + errno_text(errno));
  }
  if (spec.working_dir) {
    // Opened here, so a missing directory is known before anything starts;
    // the shell enters it with fchdir() (a directory without search
    // permission still fails there, reported as a spawn failure).
    fds.dir.reset(above_stdio(::open(spec.working_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)));
    if (fds.dir.get() < 0) {
      return fail(std::string("cannot start /bin/sh in '") + spec.working_dir +
                  "': " + errno_text(errno));
    }
  }
  for (int fd : {fds.out_read.get(), fds.err_read.get()}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  return {};
}

ChildStart child_start(const SupervisorSpec& spec, const CommandFds& fds) {
  return ChildStart{
      .channel = fds.theirs.get(),
      .fds = {fds.in_read.get(), fds.out_write.get(), fds.err_write.get(), fds.dir.get()},
      .command = {.script = spec.script,
                  .envp = spec.envp,
                  .grace_ms = to_ms(spec.grace),
                  .kill_window_ms = to_ms(spec.kill_window),
                  .backstop_ms = to_ms(spec.backstop),
                  .scan_for_children = spec.scan_for_children},
      .signals_set = false,
      .reusable = false};
}

SupervisorHandle hand_over(CommandFds& fds, pid_t pid) {
  SupervisorHandle handle;
  handle.pid = pid;
  handle.channel = std::move(fds.ours);
  handle.out = std::move(fds.out_read);
  handle.err = std::move(fds.err_read);
  handle.in = std::move(fds.in_write);
  return handle;
}

}  // namespace supervisor_detail

Expected<SupervisorHandle, std::string> start_supervisor(const SupervisorSpec& spec) {
  using namespace supervisor_detail;
  CommandFds fds;
  if (auto ready = prepare_command(spec, fds); !ready) return fail(ready.error());
  ChildStart start = child_start(spec, fds);
  pid_t pid = fork_with_signals_blocked();
  if (pid == 0) supervise_command(start);
  if (pid < 0) return fail("cannot start the command's supervisor: " + errno_text(errno));
  return hand_over(fds, pid);  // the supervisor's ends close here, in rbk
}

}  // namespace rbk
