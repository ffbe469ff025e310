// Notification commands, off the engine's thread: a page that takes 14 ms,
// or a notifier that hangs until its timeout, must delay neither the run nor
// the next notification (1,000 escalation timers once took 14 s in turn).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rbk {

/// Runs posted jobs on up to kMaxWorkers threads at once, or on the posting
/// thread when built `inline_jobs` (virtual time: `rbk test` and the tests
/// need the record in one order every time).
class Notifier {
 public:
  /// The most notification commands running at once.
  static constexpr size_t kMaxWorkers = 16;

  explicit Notifier(bool inline_jobs) : inline_(inline_jobs) {}
  /// Waits for every posted job, then ends the workers.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// Runs `job` soon (now, when inline). A job must not throw; one that does
  /// is ended there and the others go on.
  void post(std::function<void()> job);
  /// Returns once every job posted so far has finished.
  void drain();
  /// Keeps jobs posted from now on instead of running them, until release()
  /// runs them or discard() drops them: a resume does not page anyone before
  /// its operator has decided to go on (stopping must leave no trace).
  void hold();
  /// Runs the jobs held, and every later one as it is posted.
  void release();
  /// Drops the jobs held (they were never run); later ones run as posted.
  void discard();

 private:
  void work();

  const bool inline_;
  std::mutex mu_;
  std::condition_variable wake_;  // a job was posted, or the workers must end
  std::condition_variable done_;  // a job finished
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  bool ending_ = false;
  bool held_ = false;                        // hold() until release() or discard()
  bool dropping_ = false;                    // discard(): nothing runs any more
  std::vector<std::function<void()>> kept_;  // posted while held
  std::vector<std::thread> workers_;
};

}  // namespace rbk
