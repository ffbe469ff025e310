// SHA-256 of a stream, hashed on a thread of its own once the stream is
// large. A command's output is hashed as it is recorded; on the thread that
// also masks it, writes its file and shows it, the hash was half of rbk's
// time for a command printing a gigabyte (issue 12). Small streams (most
// commands) are hashed in place and start no thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "interpreter/base/sha256.hpp"

namespace rbk {

/// Sha256 fed from one thread, hashed in order on a helper thread past
/// kInlineBytes; hex() waits for what is pending.
class AsyncSha256 {
 public:
  /// Bytes hashed in place before the helper thread starts.
  static constexpr size_t kInlineBytes = size_t{1} << 20;
  /// Bytes waiting for the helper at most: past it, update() waits (memory
  /// stays bounded when the hash is slower than the output).
  static constexpr size_t kMaxPendingBytes = size_t{4} << 20;

  AsyncSha256() = default;
  ~AsyncSha256();
  AsyncSha256(const AsyncSha256&) = delete;
  AsyncSha256& operator=(const AsyncSha256&) = delete;

  /// Adds the next piece (copied when it goes to the helper).
  void update(std::string_view data);
  /// The digest of every piece so far, as 64 lowercase hex digits; waits
  /// until the helper has hashed them. More pieces may follow.
  std::string hex() const;

 private:
  void work();

  Sha256 sha_;  // the helper's alone while it runs, else this thread's
  size_t inline_bytes_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<std::string> pending_;
  size_t pending_bytes_ = 0;
  bool busy_ = false;  // the helper is hashing a piece it took
  bool stop_ = false;
  std::thread helper_;
};

}  // namespace rbk
