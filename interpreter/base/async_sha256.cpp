#include "interpreter/base/async_sha256.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace rbk {

/// The process's hashing thread and its queue, bounded in bytes so that a
/// command printing faster than it can be hashed waits (as it would for the
/// reader) instead of filling memory.
class HashWorker {
 public:
  /// The worker, started on first use; null when its thread cannot be
  /// started (then, and from then on, digests hash where they are fed).
  static HashWorker* get() {
    // Never destroyed: a static std::thread still running at exit would
    // end the process with std::terminate.
    static HashWorker* w = []() -> HashWorker* {
      try {
        return new HashWorker;
      } catch (...) {
        return nullptr;
      }
    }();
    return w;
  }

  void push(const AsyncSha256* d, AsyncSha256::Batch pieces, size_t n) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queued_ < kMaxQueued || jobs_.empty(); });
    jobs_.push_back(
        {d, std::move(pieces), n});  // counted only once queued: a throw leaves no trace
    queued_ += n;
    ++d->pending_;
    work_.notify_one();
  }

  /// Until `d` has nothing queued.
  void wait(const AsyncSha256* d) {
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return d->pending_ == 0; });
  }

 private:
  static constexpr size_t kMaxQueued = 16 << 20;
  struct Job {
    const AsyncSha256* digest;
    AsyncSha256::Batch pieces;
    size_t bytes;
  };

  HashWorker() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      work_.wait(lock, [&] { return !jobs_.empty(); });
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      // Only this thread touches a digest while it has pieces pending.
      for (const auto& piece : job.pieces) job.digest->digest_.update(*piece);
      lock.lock();
      queued_ -= job.bytes;
      --job.digest->pending_;
      room_.notify_one();
      done_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable work_, room_, done_;
  std::deque<Job> jobs_;
  size_t queued_ = 0;
};

AsyncSha256::~AsyncSha256() {
  // What is still batched is never read: only the worker's queued jobs,
  // which point here, are waited for.
  if (handed_off_) HashWorker::get()->wait(this);
}

void AsyncSha256::update(std::shared_ptr<const std::string> piece) {
  HashWorker* worker = handed_off_ || piece->size() >= kHandOff ? HashWorker::get() : nullptr;
  if (!worker) {
    digest_.update(*piece);
    return;
  }
  batched_ += piece->size();
  batch_.push_back(std::move(piece));
  handed_off_ = true;  // from now on every piece goes to the worker, in order
  if (batched_ >= kBatch) hand_off();
}

void AsyncSha256::hand_off() const {
  if (batch_.empty()) return;
  Batch pieces;
  pieces.swap(batch_);
  const size_t n = std::exchange(batched_, 0);
  HashWorker::get()->push(this, std::move(pieces), n);
}

std::string AsyncSha256::hex() const {
  wait();
  return digest_.hex();
}

void AsyncSha256::wait() const {
  // Never handed off: nothing to wait for, and no worker is started.
  if (!handed_off_) return;
  hand_off();
  HashWorker::get()->wait(this);
}

}  // namespace rbk
