// UTF-8 counting and cutting: columns in diagnostics, SARIF and ShellCheck
// are code points, and text cut to a length must not split a character.
// Validation lives in source.cpp (first_invalid_utf8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rbk::utf8 {

/// A continuation byte (10xxxxxx): not the start of a character.
inline bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// Code points in `s` (every byte that is not a continuation byte).
inline size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += is_continuation(c) ? 0 : 1;
  return n;
}

/// Byte offset of 1-based code-point column `col` in `line`, clamped to the
/// line's end (a column just past the end maps to line.size()).
inline size_t byte_of_column(std::string_view line, uint32_t col) {
  size_t i = 0;
  for (uint32_t c = 1; c < col && i < line.size(); ++c) {
    ++i;
    while (i < line.size() && is_continuation(line[i])) ++i;
  }
  return i;
}

/// The largest length <= `max` that ends `s` at a character boundary.
inline size_t boundary_before(std::string_view s, size_t max) {
  if (max >= s.size()) return s.size();
  while (max > 0 && is_continuation(s[max])) --max;
  return max;
}

}  // namespace rbk::utf8
