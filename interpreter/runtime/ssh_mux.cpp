#include "interpreter/runtime/ssh_mux.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "interpreter/runtime/supervisor.hpp"  // UniqueFd

namespace rbk {

namespace {

// PROTOCOL.mux §11.
constexpr uint32_t kHello = 0x00000001;
constexpr uint32_t kTerminate = 0x10000005;
constexpr uint32_t kOk = 0x80000001;
constexpr uint32_t kVersion = 4;
// A master's answers here are a few bytes; its hello may carry extensions
// (none is defined), a refusal a reason. Longer is not taken for a master.
constexpr uint32_t kMaxMessage = 4096;

void put_u32(unsigned char* at, uint32_t v) {
  at[0] = static_cast<unsigned char>(v >> 24);
  at[1] = static_cast<unsigned char>(v >> 16);
  at[2] = static_cast<unsigned char>(v >> 8);
  at[3] = static_cast<unsigned char>(v);
}

uint32_t get_u32(const unsigned char* at) {
  return uint32_t{at[0]} << 24 | uint32_t{at[1]} << 16 | uint32_t{at[2]} << 8 | uint32_t{at[3]};
}

using MuxClock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events` or `until` passes; false then, or
// on an error. A signal does not move the deadline.
bool wait_ready(int fd, short events, MuxClock::time_point until) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - MuxClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n > 0) return true;  // ready, or an error the next call reports
  }
}

// Sends one message of two uint32 (type and one field), length first.
bool send_message(int fd, uint32_t type, uint32_t field, MuxClock::time_point until) {
  unsigned char m[12];
  put_u32(m, 8);
  put_u32(m + 4, type);
  put_u32(m + 8, field);
  for (size_t sent = 0; sent < sizeof m;) {
    ssize_t n = ::send(fd, m + sent, sizeof m - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
    } else if (n < 0 && errno == EAGAIN) {
      if (!wait_ready(fd, POLLOUT, until)) return false;
    } else {
      return false;
    }
  }
  return true;
}

enum class Read { Whole, Closed, Failed };

// `size` bytes; Closed when the peer closed before the first of them.
Read read_exactly(int fd, unsigned char* into, size_t size, MuxClock::time_point until) {
  for (size_t got = 0; got < size;) {
    ssize_t n = ::recv(fd, into + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return got == 0 ? Read::Closed : Read::Failed;  // cut short
    } else if (errno == EINTR) {
    } else if (errno == EAGAIN) {
      if (!wait_ready(fd, POLLIN, until)) return Read::Failed;
    } else {
      return Read::Failed;
    }
  }
  return Read::Whole;
}

// Reads one message: Whole with its type and first field (the version of a
// hello, the request id of a reply) when it has both.
Read read_message(int fd, uint32_t& type, uint32_t& field, MuxClock::time_point until) {
  unsigned char head[4];
  if (Read r = read_exactly(fd, head, sizeof head, until); r != Read::Whole) return r;
  const uint32_t size = get_u32(head);
  if (size < 8 || size > kMaxMessage) return Read::Failed;
  unsigned char body[kMaxMessage];
  if (read_exactly(fd, body, size, until) != Read::Whole) return Read::Failed;
  type = get_u32(body);
  field = get_u32(body + 4);
  return Read::Whole;
}

}  // namespace

bool terminate_master(const std::string& path, std::chrono::milliseconds timeout) {
  // One deadline for the whole exchange: a master that stopped answering
  // costs `timeout`, never a hang at the end of a run.
  const MuxClock::time_point until = MuxClock::now() + timeout;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return false;
  // A Unix socket connects at once or not at all (EAGAIN: its backlog is full).
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return false;
  // Each side sends its hello first (§1); a master of another version is
  // left alone.
  const int f = fd.get();
  uint32_t type = 0, field = 0;
  if (!send_message(f, kHello, kVersion, until) ||
      read_message(f, type, field, until) != Read::Whole || type != kHello || field != kVersion)
    return false;
  const uint32_t request = 1;
  if (!send_message(f, kTerminate, request, until)) return false;
  switch (read_message(f, type, field, until)) {
    case Read::Whole:
      // Anything but an OK to this request (MUX_S_PERMISSION_DENIED, §5;
      // MUX_S_FAILURE; a type it does not know) is a no.
      return type == kOk && field == request;
    case Read::Closed:
      // The master often ends before its MUX_S_OK is sent (OpenSSH's mux.c
      // says so at its terminate request); `ssh -O exit` takes the closed
      // connection for done as well.
      return true;
    case Read::Failed:
      break;
  }
  return false;
}

}  // namespace rbk
