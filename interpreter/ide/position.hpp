// Positions as editors count them. The Language Server Protocol gives a
// place in a document as a 0-based line and a 0-based character counted in
// UTF-16 code units; rbk's spans are byte offsets into UTF-8 text. A line
// with `é` or an emoji before the place is where the two part, so every
// conversion goes through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "interpreter/base/source.hpp"

namespace rbk::ide {

/// A place in a document: 0-based line, 0-based UTF-16 code unit in the line.
struct Position {
  uint32_t line = 0;
  uint32_t character = 0;
  bool operator==(const Position&) const = default;
};

/// From `start` up to (not including) `end`.
struct Range {
  Position start;
  Position end;
  bool operator==(const Range&) const = default;
};

/// UTF-16 code units of UTF-8 `text`: two for a character past U+FFFF (a
/// lead byte of 0xF0 or more), none for a continuation byte, one otherwise;
/// a stray byte counts as one character rather than stopping the count.
size_t utf16_length(std::string_view text);

/// The line starts of one text, to turn byte offsets into positions and back.
/// Lines end at '\n' ("\r\n" too: the '\r' is never inside a position's
/// line). The text must outlive the map.
class LineMap {
 public:
  /// Indexes `text`.
  explicit LineMap(std::string_view text);

  /// The position of byte `offset` (clamped to the text's end).
  Position position(size_t offset) const;
  /// The byte offset of `p`: a line past the last is the end of the text, a
  /// character past the line's end is the end of the line, and a character
  /// inside a character (between the two halves of a surrogate pair) is the
  /// start of that character.
  size_t offset(Position p) const;
  /// The range of bytes [begin, end).
  Range range(size_t begin, size_t end) const;
  /// The range of `span`, which must point into this map's text.
  Range range(const Span& span) const { return range(span.begin, span.end); }
  /// Number of lines: one more than the number of '\n'.
  size_t line_count() const { return starts_.size(); }

 private:
  /// Where line `line` (0-based) ends, before its "\n" or "\r\n".
  size_t line_end(size_t line) const;

  std::string_view text_;
  std::vector<size_t> starts_;
};

}  // namespace rbk::ide
