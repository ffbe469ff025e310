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
#include "interpreter/spawner.hpp"

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
#include <climits>
#include <cstdint>
#include <cstring>

#include "interpreter/supervisor_start.hpp"

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
  uint8_t scan_for_children = 0;
  uint8_t has_dir = 0;
};

// ===========================================================================
// The spawner's side: async-signal-safe.

// Reads exactly `size` bytes of body into `into` (or discards them when
// `into` is null); false when the channel broke.
bool receive_body(int sock, char* into, uint64_t size) {
  char scratch[4096];
  uint64_t got = 0;
  while (got < size) {
    char* at = into ? into + got : scratch;
    size_t room = into ? static_cast<size_t>(size - got) : sizeof scratch;
    ssize_t n = ::recv(sock, at, room, 0);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<uint64_t>(n);
  }
  return true;
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

// One request: receive, clone the supervisor, answer. False when the channel
// broke or rbk is gone (the spawner then exits).
bool serve_one(int sock) {
  Request req;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))];
  iovec iov{&req, sizeof req};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR) {
  }
  if (n <= 0) return false;  // end of file: rbk closed the spawner or is gone
  int fds[kMaxFds];
  size_t nfds = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k && nfds < kMaxFds; ++i)
      std::memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  auto close_fds = [&] {
    for (size_t i = 0; i < nfds; ++i) ::close(fds[i]);
  };
  // A malformed request is a bug in rbk: end the spawner, and rbk starts
  // supervisors itself from then on.
  if (n != static_cast<ssize_t>(sizeof req) || (msg.msg_flags & MSG_CTRUNC) ||
      req.magic != kMagic || nfds != 4u + (req.has_dir ? 1u : 0u) || req.body_size > kMaxBody ||
      req.env_count >= req.body_size) {
    close_fds();
    return false;
  }
  size_t slots_offset = (static_cast<size_t>(req.body_size) + 15) & ~size_t{15};
  size_t length = slots_offset + (size_t{req.env_count} + 1) * sizeof(char*);
  void* memory =
      ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* body = memory == MAP_FAILED ? nullptr : static_cast<char*>(memory);
  if (!receive_body(sock, body, req.body_size)) {
    if (body) ::munmap(memory, length);
    close_fds();
    return false;
  }
  int32_t result = -ENOMEM;
  if (body) {
    char** envp = reinterpret_cast<char**>(body + slots_offset);
    result = -EPROTO;
    if (parse_body(body, req.body_size, req.env_count, envp)) {
      const char* argv[] = {"/bin/sh", "-c", body, nullptr};
      ChildStart start{.channel = fds[0],
                       .null_fd = fds[1],
                       .out_fd = fds[2],
                       .err_fd = fds[3],
                       .dir_fd = req.has_dir ? fds[4] : -1,
                       .argv = argv,
                       .envp = envp,
                       .grace_ms = static_cast<long>(req.grace_ms),
                       .kill_window_ms = static_cast<long>(req.kill_window_ms),
                       .scan_for_children = req.scan_for_children != 0,
                       .signals_set = true};
      // CLONE_PARENT: the supervisor is rbk's child, not ours. A raw clone,
      // as glibc's fork() has no flags; the child runs on a copy of this
      // stack, like a fork.
      long pid = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0L);
      if (pid == 0) supervise_command(start);  // closes `sock` with the rest
      result = pid > 0 ? static_cast<int32_t>(pid) : -errno;
    }
    ::munmap(memory, length);
  }
  close_fds();
  answer(sock, result);
  return true;
}

[[noreturn]] void spawner_main(int sock) noexcept {
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

// Sends the whole request; false when the spawner did not take it all.
bool send_request(int sock, const Request& req, const CommandFds& fds, const std::string& body) {
  int list[kMaxFds] = {fds.theirs.get(), fds.null_in.get(), fds.out_write.get(),
                       fds.err_write.get(), fds.dir.get()};
  size_t nfds = req.has_dir ? 5 : 4;
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
  ssize_t n;
  while ((n = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) == -1 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof req)) return false;
  for (size_t at = 0; at < body.size();) {
    size_t len = std::min(kChunk, body.size() - at);
    ssize_t sent = ::send(sock, body.data() + at, len, MSG_NOSIGNAL);
    if (sent == -1 && errno == EINTR) continue;
    if (sent != static_cast<ssize_t>(len)) return false;
    at += len;
  }
  return true;
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

Spawner::~Spawner() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down();
}

pid_t Spawner::helper_pid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ == State::Running ? pid_ : -1;
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
  // Every signal blocked across fork(), as for a supervisor.
  sigset_t block, old;
  ::sigfillset(&block);
  ::pthread_sigmask(SIG_SETMASK, &block, &old);
  pid_t pid = ::fork();
  if (pid == 0) spawner_main(theirs.get());
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return false;
  pid_ = pid;
  socket_ = std::move(ours);
  state_ = State::Running;
  return true;
}

void Spawner::shut_down() {
  socket_.reset();
  if (pid_ > 0) {
    // Idle and holding nothing of any command: ended at once, and reaped
    // (it is rbk's child, so its pid cannot be reused before this).
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) == -1 && errno == EINTR) {
    }
  }
  pid_ = -1;
  state_ = State::Failed;
}

bool Spawner::start(const SupervisorSpec& spec, SupervisorHandle& out, std::string& error) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (state_ == State::NotStarted) launch();
  if (state_ != State::Running) {
    lock.unlock();
    return start_supervisor(spec, out, error);
  }
  CommandFds fds;
  if (!prepare_command(spec, fds, error)) return false;
  Request req;
  std::string body = spec.script;
  body.push_back('\0');
  for (char* const* e = spec.envp; e && *e; ++e) {
    body.append(*e);
    body.push_back('\0');
    ++req.env_count;
  }
  req.body_size = body.size();
  req.grace_ms = std::clamp<int64_t>(spec.grace.count(), 0, INT_MAX);
  req.kill_window_ms = std::clamp<int64_t>(spec.kill_window.count(), 0, INT_MAX);
  req.scan_for_children = spec.scan_for_children ? 1 : 0;
  req.has_dir = fds.dir.get() >= 0 ? 1 : 0;
  if (!send_request(socket_.get(), req, fds, body)) {
    // The spawner did not get the whole request, so it started nothing.
    shut_down();
    lock.unlock();
    return start_supervisor(spec, out, error);
  }
  int32_t value = 0;
  if (!receive_answer(socket_.get(), value)) {
    // The spawner died or hung after the whole request: it may have started
    // the supervisor. Never start the command a second time: closing rbk's
    // end of the channel (with `fds`) makes such a supervisor stop it.
    shut_down();
    error =
        "the command's spawner ended before it confirmed the start; the command was not run, "
        "or was stopped at once";
    return false;
  }
  if (value <= 0) {
    // The clone failed, so nothing started; e.g. CLONE_PARENT refused by a
    // sandbox. rbk forks its supervisors itself from now on.
    shut_down();
    lock.unlock();
    return start_supervisor(spec, out, error);
  }
  hand_over(fds, static_cast<pid_t>(value), out);
  return true;
}

}  // namespace rbk
