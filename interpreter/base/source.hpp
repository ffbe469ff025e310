// A runbook's text and the positions inside it. Every AST node and every
// diagnostic points back here through a Span.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/expected.hpp"

namespace rbk {

/// The largest runbook or module rbk reads: fifty times the largest runbook
/// anyone writes by hand, and small enough that parse, check and fmt stay
/// well under a few seconds.
inline constexpr size_t kMaxRunbookBytes = size_t{1} << 20;
/// The largest rbk.yaml.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;
/// The largest fixture file (it holds recorded command output).
inline constexpr size_t kMaxFixtureBytes = size_t{16} << 20;

/// The text of the regular file at `path` when it holds at most
/// `max_bytes`. Anything else — a directory, a FIFO, a device such as
/// /dev/zero (also behind a symbolic link), a socket, a larger file — is
/// refused with a one-line reason; a FIFO is opened without blocking, so
/// nothing waits for a writer that never comes.
Expected<std::string, std::string> read_regular_file(const std::string& path, size_t max_bytes);

/// Reads the regular file at `path` in pieces (of up to 64 KiB, in order),
/// however large, handing each to `piece` until it returns false or the
/// file ends. A symbolic link, or anything but a regular file, is refused
/// with a one-line reason, as is a read error.
Expected<void, std::string> read_file_in_pieces(const std::string& path,
                                                const std::function<bool(std::string_view)>& piece);

/// The offset of the first byte of `text` that is not valid UTF-8 (an
/// overlong form, a surrogate, a value past U+10FFFF, a cut sequence) or is
/// a NUL; std::string_view::npos when there is none.
size_t first_bad_text_byte(std::string_view text);

/// One loaded file: its display path, its bytes, and an index of line starts.
class SourceFile : public std::enable_shared_from_this<SourceFile> {
 public:
  /// Takes the file's text as it is; `path` is what diagnostics print.
  SourceFile(std::string path, std::string text);

  /// Reads a regular file of at most `max_bytes` (see read_regular_file),
  /// or says why it cannot.
  static Expected<std::shared_ptr<SourceFile>, std::string> load(
      const std::string& path, size_t max_bytes = kMaxRunbookBytes);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  /// 1-based line of a byte offset.
  uint32_t line_of(uint32_t offset) const;
  /// 1-based column (in characters, not bytes) of a byte offset.
  uint32_t column_of(uint32_t offset) const;
  /// The same, when line_of(offset) is known already (a binary search less).
  uint32_t column_of(uint32_t offset, uint32_t line) const;
  /// Byte offset where 1-based `line` starts.
  uint32_t line_start(uint32_t line) const;
  /// The text of 1-based `line`, without its line break.
  std::string_view line_text(uint32_t line) const;
  /// Number of lines (a final line without a newline counts).
  uint32_t line_count() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
  // Offsets of UTF-8 continuation bytes, so a column is a subtraction and a
  // binary search even on a huge one-line file (empty for ASCII text).
  std::vector<uint32_t> continuation_;
  // The line line_of found last: the AST is built in source order, so the
  // next offset asked for is most often on it or the next line. Only a hint
  // (checked before it is used), shared by the threads that read the file.
  mutable std::atomic<uint32_t> last_line_{1};
};

/// A range of source text. Lines and columns are 1-based; `end_*` point just
/// past the last character, so a one-character token has end_col == col + 1.
struct Span {
  const SourceFile* file = nullptr;
  uint32_t begin = 0;  // byte offsets
  uint32_t end = 0;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t end_line = 0;
  uint32_t end_col = 0;

  /// Builds a span from byte offsets, computing lines and columns.
  static Span of(const SourceFile& file, uint32_t begin, uint32_t end);
  bool valid() const { return file != nullptr; }
  /// The source text the span covers.
  std::string_view text() const;
  /// "line:col", as used in messages such as "(opened at 9:5)".
  std::string where() const;
};

}  // namespace rbk
