#include "interpreter/engine/notifier.hpp"

namespace rbk {

Notifier::~Notifier() {
  drain();
  {
    std::lock_guard lock(mu_);
    ending_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void Notifier::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (dropping_) return;
    if (held_) {
      kept_.push_back(std::move(job));
      return;
    }
  }
  if (inline_) {
    try {
      job();
    } catch (...) {  // the job's own failure; see post()
    }
    return;
  }
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(job));
  // A new worker only when every one is busy: one slow notifier never holds
  // up the next notification while fewer than kMaxWorkers are running.
  if (running_ + jobs_.size() > workers_.size() && workers_.size() < kMaxWorkers)
    workers_.emplace_back([this] { work(); });
  else
    wake_.notify_one();
}

void Notifier::hold() {
  std::lock_guard lock(mu_);
  held_ = true;
}

void Notifier::release() {
  std::vector<std::function<void()>> kept;
  {
    std::lock_guard lock(mu_);
    held_ = false;
    kept.swap(kept_);
  }
  for (auto& job : kept) post(std::move(job));
}

void Notifier::discard() {
  std::lock_guard lock(mu_);
  held_ = false;
  dropping_ = true;
  kept_.clear();
}

void Notifier::drain() {
  std::unique_lock lock(mu_);
  done_.wait(lock, [this] { return jobs_.empty() && running_ == 0; });
}

void Notifier::work() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return ending_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // ending, and nothing left to do
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    lock.unlock();
    try {
      job();
    } catch (...) {  // a job reports its own failures; this one is lost, not the run
    }
    lock.lock();
    --running_;
    done_.notify_all();
  }
}

}  // namespace rbk
