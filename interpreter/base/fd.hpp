// Writing to file descriptors: the one loop that survives partial writes and
// EINTR, and the atomic replacement of a file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "interpreter/base/expected.hpp"

namespace rbk {

/// What an errno value means ("No space left on device"); thread-safe,
/// unlike strerror().
std::string errno_text(int err);

/// Writes all of `data` to `fd` (a write(2) may be partial or interrupted).
/// 0, or the errno of the write that failed.
int write_all(int fd, std::string_view data);

/// Writes `text` to `path` atomically: a temporary file in the same
/// directory with the original's mode (a new file: 0666 less the umask),
/// or `mode` when given (from the file's creation: never wider first),
/// flushed to disk, renamed over it; or why it could not.
Expected<void, std::string> write_atomically(const std::string& path, const std::string& text,
                                             std::optional<unsigned> mode = std::nullopt);

/// An exclusive flock(2) on an open file, held for the guard's life (waits
/// for it; retried when interrupted). held() is false when it failed.
class FlockGuard {
 public:
  explicit FlockGuard(int fd);
  ~FlockGuard();
  FlockGuard(const FlockGuard&) = delete;  // unlocks once
  FlockGuard& operator=(const FlockGuard&) = delete;
  bool held() const { return held_; }

 private:
  int fd_;
  bool held_ = false;
};

}  // namespace rbk
