// The spawner (see spawner.hpp).
//
// The protocol, on a SOCK_SEQPACKET pair: rbk sends a Request with the
// command's descriptors attached (SCM_RIGHTS), then the body (the script and
// the environment, NUL-terminated, in messages of at most kChunk bytes); the
// spawner answers with the supervisor's pid or -errno. The spawner clones
// only once the whole body has arrived, so a request cut short never starts
// anything.
//
// The spawner's side runs in a fork of a possibly multi-threaded rbk: like
// the supervisor, it uses only system calls, the stack and mmap'd memory.
#include "interpreter/runtime/spawner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "interpreter/runtime/supervisor_start.hpp"

namespace rbk {

namespace {

using namespace supervisor_detail;

constexpr uint32_t kMagic = 0x52424b53;  // "RBKS"
// The largest body accepted: far above any script plus environment (the
// kernel's own limit for exec arguments and environment is 2 MiB by default).
constexpr uint64_t kMaxBody = uint64_t{64} << 20;
constexpr size_t kChunk = 64 * 1024;
// Descriptors per request: channel, stdin, stdout, stderr, and the directory.
constexpr size_t kMaxFds = 5;
// How long rbk waits for the spawner's answer. A hang guard: the spawner
// answers in microseconds unless it was stopped or is stuck.
constexpr int kAnswerTimeoutMs = 30'000;

struct Request {
  uint32_t magic = kMagic;
  uint32_t env_count = 0;
  uint64_t body_size = 0;
  int64_t grace_ms = 0;
  int64_t kill_window_ms = 0;
  int64_t backstop_ms = 0;
  uint8_t scan_for_children = 0;
  uint8_t has_dir = 0;
  uint8_t has_channel = 0;  // to the spawner: the new supervisor's channel comes first
};

// ===========================================================================
// The receiving side (the spawner, an idle supervisor): async-signal-safe.

// Reads exactly `size` bytes of body into `into`; false when the channel
// broke.
bool receive_body(int sock, char* into, uint64_t size) {
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::recv(sock, into + got, static_cast<size_t>(size - got), 0);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<uint64_t>(n);
  }
  return true;
}

// The mapping of a request that was released, kept for the next one: an
// idle supervisor serves many commands, and a new mapping for each cost an
// mmap, a munmap (a TLB flush) and a page fault per page it used (about
// 8 of the supervisor's 130 µs for `true`). Each spawner and supervisor
// runs one thread, so a plain static does.
struct KeptMapping {
  void* memory = nullptr;
  size_t mapped = 0;
};
KeptMapping g_kept;
// Larger mappings are not kept (an environment of many MiB is rare).
constexpr size_t kMostKept = size_t{1} << 20;

// A page past each mapping that cannot be touched: a request written past
// its mapping ends the process instead of overwriting memory next to it.
// On a kernel with larger pages the guard is a whole page all the same: the
// kernel rounds the length up, and `mapped` is a multiple of 64 KiB.
constexpr size_t kGuard = 4096;

// Memory for `length` bytes of request: the kept mapping when it is large
// enough, else a new one, rounded up so that a slightly longer request
// next time still fits. Null on failure.
void* map_request(size_t length, size_t& mapped) {
  if (g_kept.memory && g_kept.mapped >= length) {
    mapped = std::exchange(g_kept.mapped, 0);
    return std::exchange(g_kept.memory, nullptr);
  }
  if (g_kept.memory) ::munmap(g_kept.memory, g_kept.mapped + kGuard);
  g_kept = {};
  mapped = (length + 0xffff) & ~size_t{0xffff};
  void* memory =
      ::mmap(nullptr, mapped + kGuard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  if (::mprotect(static_cast<char*>(memory) + mapped, kGuard, PROT_NONE) != 0) {
    ::munmap(memory, mapped + kGuard);
    return nullptr;
  }
  return memory;
}

// Gives back what map_request() returned: cleared, so that the memory kept
// holds no script or value of a command that ended, and kept, or unmapped.
void unmap_request(void* memory, size_t length, size_t mapped) {
  if (!memory) return;
  if (g_kept.memory || mapped > kMostKept) {
    ::munmap(memory, mapped + kGuard);
    return;
  }
  ::explicit_bzero(memory, length);
  g_kept = {memory, mapped};
}

// Lays out envp (pointers into the body, after the script) at `slots`; false
// when the body does not hold 1 + env_count NUL-terminated strings.
bool parse_body(char* body, uint64_t size, uint32_t env_count, char** slots) {
  if (size == 0 || body[size - 1] != '\0') return false;
  uint64_t strings = 0;
  for (uint64_t i = 0; i < size; ++i) strings += body[i] == '\0';
  if (strings != uint64_t{env_count} + 1) return false;
  char* p = body + std::strlen(body) + 1;  // past the script
  for (uint32_t i = 0; i < env_count; ++i) {
    slots[i] = p;
    p += std::strlen(p) + 1;
  }
  slots[env_count] = nullptr;
  return true;
}

void answer(int sock, int32_t value) {
  while (::send(sock, &value, sizeof value, MSG_NOSIGNAL) == -1 && errno == EINTR) {
  }
}

// One request to the spawner: receive, clone the supervisor, answer. False
// when the channel broke or rbk is gone (the spawner then exits).
bool serve_one(int sock) {
  Received r;
  if (!receive_request(sock, true, r)) return false;
  ChildStart start{.channel = r.channel,
                   .fds = {r.fds[0], r.fds[1], r.fds[2], r.fds[3]},
                   .command = r.command,
                   .signals_set = true,
                   .reusable = true};
  // CLONE_PARENT: the supervisor is rbk's child, not ours. A raw clone, as
  // glibc's fork() has no flags; the child runs on a copy of this stack,
  // like a fork.
  long pid = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0L);
  if (pid == 0) supervise_command(start);  // closes `sock` with the rest
  int32_t result = pid > 0 ? static_cast<int32_t>(pid) : -errno;
  // The descriptors before the answer (once rbk has it, the spawner holds
  // none of the command's), the memory after: clearing it copies each page
  // the new supervisor shares, which rbk need not wait for.
  close_received(r);
  answer(sock, result);
  release(r);
  return true;
}

[[noreturn]] void spawner_main(int sock) noexcept {
  // Out of rbk's process group, like each supervisor (supervise_command):
  // a SIGKILL to that group leaves the spawner to see rbk's end and exit.
  ::setpgid(0, 0);
  // Only its channel: a copy of a command's descriptor kept here would hide
  // that command's end of file; and its stdio is /dev/null, so that it never
  // holds rbk's terminal or output pipe.
  int moved = ::fcntl(sock, F_DUPFD_CLOEXEC, 3);
  if (moved < 0) ::_exit(1);
  if (moved > 3) ::close_range(3, static_cast<unsigned>(moved) - 1, 0);
  ::close_range(static_cast<unsigned>(moved) + 1, ~0U, 0);
  if (moved != 3) {  // at 3, the lowest free: every descriptor it holds is 0 to 3
    if (::dup3(moved, 3, O_CLOEXEC) < 0) ::_exit(1);
    ::close(moved);
    moved = 3;
  }
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);
  if (null_fd > 2) ::close(null_fd);
  ::prctl(PR_SET_NAME, "rbk-spawner", 0, 0, 0);
  // A supervisor's dispositions, set once here and inherited by every
  // supervisor; the mask is opened (rbk blocked everything around fork()).
  ignore_signals();
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  while (serve_one(moved)) {
  }
  ::_exit(0);
}

// ===========================================================================
// rbk's side.

// Waits until `sock` can take more; false after the hang guard (a receiver
// that was stopped, or is stuck).
bool wait_writable(int sock) {
  for (;;) {
    pollfd p{sock, POLLOUT, 0};
    int ready = ::poll(&p, 1, kAnswerTimeoutMs);
    if (ready == -1 && errno == EINTR) continue;
    return ready > 0 && (p.revents & POLLOUT);
  }
}

// Sends one message whole, without blocking past the hang guard.
bool send_message(int sock, msghdr& msg, size_t size) {
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(size)) return true;
    if (n == -1 && errno == EINTR) continue;
    if (n == -1 && errno == EAGAIN && wait_writable(sock)) continue;
    return false;
  }
}

// Sends the whole request: to the spawner with the new channel first, to an
// idle supervisor without. False when the receiver did not take it all (it
// then starts nothing).
bool send_request(int sock, const Request& req, const CommandFds& fds, const std::string& body) {
  int list[kMaxFds];
  size_t nfds = 0;
  if (req.has_channel) list[nfds++] = fds.theirs.get();
  for (int fd : {fds.in_read.get(), fds.out_write.get(), fds.err_write.get()}) list[nfds++] = fd;
  if (req.has_dir) list[nfds++] = fds.dir.get();
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))] = {};
  iovec iov{const_cast<Request*>(&req), sizeof req};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  std::memcpy(CMSG_DATA(c), list, nfds * sizeof(int));
  if (!send_message(sock, msg, sizeof req)) return false;
  for (size_t at = 0; at < body.size();) {
    size_t len = std::min(kChunk, body.size() - at);
    iovec chunk{const_cast<char*>(body.data() + at), len};
    msghdr m{};
    m.msg_iov = &chunk;
    m.msg_iovlen = 1;
    if (!send_message(sock, m, len)) return false;
    at += len;
  }
  return true;
}

// The request for `spec`: the header, and the body (script, environment).
Request make_request(const SupervisorSpec& spec, const CommandFds& fds, bool to_spawner,
                     std::string& body) {
  Request req;
  body = spec.script;
  body.push_back('\0');
  for (char* const* e = spec.envp; e && *e; ++e) {
    body.append(*e);
    body.push_back('\0');
    ++req.env_count;
  }
  req.body_size = body.size();
  req.grace_ms = to_ms(spec.grace);
  req.kill_window_ms = to_ms(spec.kill_window);
  req.backstop_ms = to_ms(spec.backstop);
  req.scan_for_children = spec.scan_for_children ? 1 : 0;
  req.has_dir = fds.dir.get() >= 0 ? 1 : 0;
  req.has_channel = to_spawner ? 1 : 0;
  return req;
}

// Ends a supervisor rbk holds idle: it has no process left and no command,
// so it is killed at once and reaped (rbk's child: its pid cannot be reused
// before this).
void end_idle(pid_t pid, UniqueFd& channel) {
  channel.reset();
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
  }
}

// The spawner's answer; false when none came (end of file, or the hang guard).
bool receive_answer(int sock, int32_t& value) {
  for (;;) {
    pollfd p{sock, POLLIN, 0};
    int ready = ::poll(&p, 1, kAnswerTimeoutMs);
    if (ready == -1 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = ::recv(sock, &value, sizeof value, 0);
    if (n == -1 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof value);
  }
}

}  // namespace

namespace supervisor_detail {

bool receive_request(int sock, bool with_channel, Received& out) noexcept {
  Request req;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))];
  int fds[kMaxFds];
  size_t nfds = 0;
  ssize_t n;
  for (;;) {
    iovec iov{&req, sizeof req};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return false;  // end of file: rbk is done with it, or gone
    nfds = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (nfds < kMaxFds)
          fds[nfds++] = fd;
        else
          ::close(fd);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) n = -1;  // descriptors lost: malformed
    break;
  }
  auto fail = [&] {
    for (size_t i = 0; i < nfds; ++i) ::close(fds[i]);
    return false;
  };
  // A malformed request is a bug in rbk: the receiver ends, and rbk starts
  // supervisors another way.
  size_t expected = (with_channel ? 1u : 0u) + 3u + (req.has_dir ? 1u : 0u);
  if (n != static_cast<ssize_t>(sizeof req) || req.magic != kMagic ||
      (req.has_channel != 0) != with_channel || nfds != expected || req.body_size > kMaxBody ||
      req.env_count >= req.body_size)
    return fail();
  size_t slots_offset = (static_cast<size_t>(req.body_size) + 15) & ~size_t{15};
  size_t length = slots_offset + (size_t{req.env_count} + 1) * sizeof(char*);
  size_t mapped = 0;
  void* memory = map_request(length, mapped);
  if (!memory) return fail();
  char* body = static_cast<char*>(memory);
  char** envp = reinterpret_cast<char**>(body + slots_offset);
  if (!receive_body(sock, body, req.body_size) ||
      !parse_body(body, req.body_size, req.env_count, envp)) {
    unmap_request(memory, length, mapped);
    return fail();
  }
  size_t at = 0;
  out.channel = with_channel ? fds[at++] : -1;
  for (int i = 0; i < 3; ++i) out.fds[i] = fds[at++];
  out.fds[3] = req.has_dir ? fds[at++] : -1;
  out.command = CommandPlan{.script = body,
                            .envp = envp,
                            .grace_ms = static_cast<long>(req.grace_ms),
                            .kill_window_ms = static_cast<long>(req.kill_window_ms),
                            .backstop_ms = static_cast<long>(req.backstop_ms),
                            .scan_for_children = req.scan_for_children != 0};
  out.memory = memory;
  out.length = length;
  out.mapped = mapped;
  return true;
}

void release(Received& r) noexcept {
  unmap_request(r.memory, r.length, r.mapped);
  r.memory = nullptr;
  close_received(r);
}

void close_received(Received& r) noexcept {
  for (int& fd : r.fds) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  if (r.channel >= 0) ::close(r.channel);
  r.channel = -1;
}

}  // namespace supervisor_detail

Spawner::~Spawner() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down();
}

pid_t Spawner::helper_pid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ == State::Running ? pid_ : -1;
}

size_t Spawner::idle_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

void Spawner::prepare() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::NotStarted) launch();
}

bool Spawner::launch() {
  state_ = State::Failed;
  if (spawn_objects().error) return false;  // built here, before the fork
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1) return false;
  UniqueFd ours(pair[0]), theirs(pair[1]);
  pid_t pid = fork_with_signals_blocked();
  if (pid == 0) spawner_main(theirs.get());
  if (pid < 0) return false;
  pid_ = pid;
  socket_ = std::move(ours);
  state_ = State::Running;
  return true;
}

void Spawner::shut_down() {
  for (Idle& idle : idle_) end_idle(idle.pid, idle.channel);
  idle_.clear();
  if (pid_ > 0) end_idle(pid_, socket_);  // the spawner is idle between requests too
  socket_.reset();
  pid_ = -1;
  state_ = State::Failed;
}

void Spawner::give_back(SupervisorHandle& handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (handle.pid <= 0) return;
  // A few at most: commands run one at a time but for notifications.
  if (state_ == State::Running && idle_.size() < kMaxIdle) {
    idle_.push_back(Idle{handle.pid, std::move(handle.channel)});
  } else {
    end_idle(handle.pid, handle.channel);
  }
  handle.pid = -1;
}

Expected<SupervisorHandle, std::string> Spawner::start(const SupervisorSpec& spec) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (state_ == State::NotStarted) launch();
  std::string body;
  // An idle supervisor first: no process is created at all.
  if (!idle_.empty()) {
    CommandFds fds;
    auto ready = prepare_command(spec, fds, false);
    if (!ready) return fail(ready.error());  // the idle ones stay
    Request req = make_request(spec, fds, false, body);
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      if (send_request(idle.channel.get(), req, fds, body)) {
        fds.ours = std::move(idle.channel);  // the command's channel is the one it has
        return hand_over(fds, idle.pid);
      }
      // It did not take the whole request, so it started nothing (and the
      // copies of the descriptors it got end with it).
      end_idle(idle.pid, idle.channel);
    }
  }
  if (state_ != State::Running) {
    lock.unlock();
    return start_supervisor(spec);
  }
  CommandFds fds;
  if (auto ready = prepare_command(spec, fds); !ready) return fail(ready.error());
  Request req = make_request(spec, fds, true, body);
  if (!send_request(socket_.get(), req, fds, body)) {
    // The spawner did not get the whole request, so it started nothing.
    shut_down();
    lock.unlock();
    return start_supervisor(spec);
  }
  int32_t value = 0;
  if (!receive_answer(socket_.get(), value)) {
    // The spawner died or hung after the whole request: it may have started
    // the supervisor. Never start the command a second time: closing rbk's
    // end of the channel (with `fds`) makes such a supervisor stop it.
    shut_down();
    return fail(std::string(
        "the command's spawner ended before it confirmed the start; the command was not run, "
        "or was stopped at once"));
  }
  if (value <= 0) {
    // The clone failed, so nothing started; e.g. CLONE_PARENT refused by a
    // sandbox. rbk forks its supervisors itself from now on.
    shut_down();
    lock.unlock();
    return start_supervisor(spec);
  }
  return hand_over(fds, static_cast<pid_t>(value));
}

}  // namespace rbk
