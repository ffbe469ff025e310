#include "interpreter/base/sha256_async.hpp"

#include <system_error>

namespace rbk {

AsyncSha256::~AsyncSha256() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  helper_.join();
}

void AsyncSha256::update(std::string_view data) {
  if (!helper_.joinable() && inline_bytes_ + data.size() <= kInlineBytes) {
    sha_.update(data);
    inline_bytes_ += data.size();
    return;
  }
  if (!helper_.joinable()) {
    try {
      helper_ = std::thread([this] { work(); });
    } catch (const std::system_error&) {  // no thread to be had: hash in place
      sha_.update(data);
      return;
    }
  }
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return pending_bytes_ < kMaxPendingBytes; });
  pending_.emplace_back(data);
  pending_bytes_ += data.size();
  lock.unlock();
  cv_.notify_all();
}

std::string AsyncSha256::hex() const {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return pending_.empty() && !busy_; });
  return sha_.hex();
}

void AsyncSha256::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing is left
    std::string piece = std::move(pending_.front());
    pending_.pop_front();
    busy_ = true;
    lock.unlock();
    sha_.update(piece);
    lock.lock();
    busy_ = false;
    pending_bytes_ -= piece.size();
    cv_.notify_all();
  }
}

}  // namespace rbk
