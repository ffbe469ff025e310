#include "interpreter/runtime/output_capture.hpp"

#include <algorithm>

namespace rbk {

OutputCapture::OutputCapture(size_t limit)
    : head_limit_(limit / 2), tail_limit_(limit - limit / 2) {}

void OutputCapture::append(std::string_view chunk) {
  total_ += chunk.size();
  size_t to_head = std::min(chunk.size(), head_limit_ - head_.size());
  head_.append(chunk.substr(0, to_head));
  chunk.remove_prefix(to_head);
  if (chunk.empty() || tail_limit_ == 0) return;
  if (chunk.size() >= tail_limit_) {  // the chunk alone fills the tail
    tail_.assign(chunk.substr(chunk.size() - tail_limit_));
    tail_start_ = 0;
    return;
  }
  if (tail_.size() < tail_limit_) {  // still filling: plain append
    size_t n = std::min(chunk.size(), tail_limit_ - tail_.size());
    tail_.append(chunk.substr(0, n));
    chunk.remove_prefix(n);
  }
  while (!chunk.empty()) {  // full: overwrite the oldest bytes
    size_t n = std::min(chunk.size(), tail_limit_ - tail_start_);
    std::copy_n(chunk.data(), n, tail_.begin() + static_cast<std::ptrdiff_t>(tail_start_));
    tail_start_ = (tail_start_ + n) % tail_limit_;
    chunk.remove_prefix(n);
  }
}

Captured OutputCapture::finish() const {
  Captured c;
  c.total_bytes = total_;
  std::string tail = tail_.substr(tail_start_) + tail_.substr(0, tail_start_);
  uint64_t kept = head_.size() + tail.size();
  c.truncated = kept < total_;
  c.text = c.truncated ? head_ + cut_marker(total_ - kept) + tail : head_ + tail;
  return c;
}

std::string cut_marker(uint64_t bytes_cut) {
  return "\n… [rbk: " + std::to_string(bytes_cut) + " bytes cut] …\n";
}

}  // namespace rbk
