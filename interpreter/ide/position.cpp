#include "interpreter/ide/position.hpp"

#include <algorithm>

namespace rbk::ide {

namespace {

/// A UTF-8 continuation byte (10xxxxxx): counted with the byte that leads it.
bool continuation(char ch) {
  return (static_cast<unsigned char>(ch) & 0xC0) == 0x80;
}

/// UTF-16 code units of the character led by `ch`.
size_t width(char ch) {
  return static_cast<unsigned char>(ch) >= 0xF0 ? 2 : 1;
}

}  // namespace

size_t utf16_length(std::string_view text) {
  size_t units = 0;
  for (char ch : text)
    if (!continuation(ch)) units += width(ch);
  return units;
}

LineMap::LineMap(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(i + 1);
}

size_t LineMap::line_end(size_t line) const {
  size_t end = line + 1 < starts_.size() ? starts_[line + 1] - 1 : text_.size();
  if (end > starts_[line] && text_[end - 1] == '\r') --end;
  return end;
}

Position LineMap::position(size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  const auto line = static_cast<size_t>(it - starts_.begin()) - 1;
  // An offset on a line's '\r' (before its '\n') is the end of the line.
  const size_t upto = std::min(offset, line_end(line));
  return {static_cast<uint32_t>(line),
          static_cast<uint32_t>(utf16_length(text_.substr(starts_[line], upto - starts_[line])))};
}

size_t LineMap::offset(Position p) const {
  if (p.line >= starts_.size()) return text_.size();
  const size_t end = line_end(p.line);
  // Counted as utf16_length counts, so the two stay each other's inverse
  // even on text that is not valid UTF-8.
  size_t units = 0;
  for (size_t i = starts_[p.line]; i < end; ++i) {
    if (continuation(text_[i])) continue;
    if (units + width(text_[i]) > p.character) return i;
    units += width(text_[i]);
  }
  return end;
}

Range LineMap::range(size_t begin, size_t end) const {
  return {position(begin), position(std::max(begin, end))};
}

}  // namespace rbk::ide
