// A command's output as the record's captures keep it: a bounded head and
// tail of one stream, and the count of everything. Used by the process runner
// and by `--record-fixture`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "interpreter/runtime/command.hpp"

namespace rbk {

/// Keeps a bounded head and tail of one stream and counts everything.
class OutputCapture {
 public:
  /// Keeps at most `limit` bytes: the first limit/2 and the last limit - limit/2.
  explicit OutputCapture(size_t limit);
  /// Adds a chunk; memory stays bounded by the limit whatever the total.
  void append(std::string_view chunk);
  /// The kept text, with a marker line where bytes were cut.
  Captured finish() const;

 private:
  size_t head_limit_;
  size_t tail_limit_;
  std::string head_;
  std::string tail_;       // ring buffer of tail_limit_ bytes once full
  size_t tail_start_ = 0;  // index of the oldest byte in tail_ when full
  uint64_t total_ = 0;
};

/// The marker put between head and tail: "\n… [rbk: N bytes cut] …\n".
std::string cut_marker(uint64_t bytes_cut);

}  // namespace rbk
