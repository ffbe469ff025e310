// SHA-256 of a stream too large to hash where it arrives: a command's output
// as the record keeps it. Hashing 200 MiB of output took half of rbk's time
// on the thread that also reads the command's pipes; handed to a worker
// thread (one for the process, hashing in the order chunks arrive), it runs
// on another core while the reader reads on.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/base/sha256.hpp"

namespace rbk {

/// A Sha256 fed from one thread, hashed on the process's hashing thread.
class AsyncSha256 {
 public:
  AsyncSha256() = default;
  /// Waits until the worker is done with this digest's chunks.
  ~AsyncSha256();
  AsyncSha256(const AsyncSha256&) = delete;
  AsyncSha256& operator=(const AsyncSha256&) = delete;

  /// Adds the next piece (shared: the caller writes the same bytes to the
  /// record meanwhile). Small pieces are hashed at once (a thread hop costs
  /// more) until the first large one; from then on every piece goes to the
  /// worker, in order, and the caller may wait while too much is queued
  /// already. When no thread can be started (a process limit reached), every
  /// piece is hashed at once: slower, never wrong.
  void update(std::shared_ptr<const std::string> piece);
  /// The digest of everything added so far (waits for the worker).
  std::string hex() const;

  /// The first piece of this size or more goes to the worker.
  static constexpr size_t kHandOff = 16 * 1024;
  /// Pieces go to the worker together, this many bytes at a time: a pipe
  /// read gives a few KiB, and waking the worker for each cost more than
  /// hashing it.
  static constexpr size_t kBatch = 1 << 20;

 private:
  friend class HashWorker;
  using Batch = std::vector<std::shared_ptr<const std::string>>;
  void hand_off() const;  // the batch to the worker
  void wait() const;
  // Mutable: hex() is const, and hands off what is batched before it waits.
  mutable Sha256 digest_;
  bool handed_off_ = false;  // pieces go to the worker
  mutable Batch batch_;      // pieces not handed off yet
  mutable size_t batched_ = 0;
  mutable size_t pending_ = 0;  // batches queued, not hashed yet (under the worker's mutex)
};

}  // namespace rbk
