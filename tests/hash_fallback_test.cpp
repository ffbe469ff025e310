// The output digest when no thread can be started (a process or cgroup
// limit reached): every piece is hashed where it is fed, and the digest is
// the same. A test binary of its own, since it replaces pthread_create for
// the whole process: this definition in the executable comes before libc's
// for every caller, libstdc++'s std::thread included.
#include <pthread.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>

#include "interpreter/base/async_sha256.hpp"
#include "interpreter/base/sha256.hpp"

namespace {
std::atomic<int> g_refused{0};
}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  // Catch2 starts no thread: refusing them all leaves only rbk's asking.
  (void)thread, (void)attr, (void)start, (void)arg;
  ++g_refused;
  return EAGAIN;
}

TEST_CASE("with no thread to hash on, the output digest is hashed in place and right", "[sha256]") {
  std::string whole;
  for (size_t i = 0; i < (3u << 20); ++i) whole += static_cast<char>(i * 31 % 251);
  rbk::AsyncSha256 h;
  size_t at = 0;
  // Small pieces first, then pieces past the hand-off size, which ask for
  // the worker; the second asks again after the first was refused.
  for (size_t piece = 100; at < whole.size(); piece = piece * 7 % 200003 + 1) {
    const size_t n = std::min(piece, whole.size() - at);
    h.update(std::make_shared<const std::string>(whole.substr(at, n)));
    at += n;
  }
  CHECK(g_refused.load() >= 1);  // the worker was asked for, and refused
  CHECK(h.hex() == rbk::sha256_hex(whole));
  rbk::AsyncSha256 later;  // a later digest neither waits nor fails
  later.update(std::make_shared<const std::string>(std::string(rbk::AsyncSha256::kHandOff, 'x')));
  CHECK(later.hex() == rbk::sha256_hex(std::string(rbk::AsyncSha256::kHandOff, 'x')));
}
