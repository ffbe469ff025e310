#include "interpreter/base/source.hpp"
#include "interpreter/base/utf8.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rbk {

namespace {

/// Eight bytes of `p` as one word (any alignment).
uint64_t word_at(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

constexpr uint64_t kHighBits = 0x8080808080808080ULL;
constexpr uint64_t kLowBits = 0x0101010101010101ULL;

}  // namespace

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  // Every file is read this way, so both scans go a word or a memchr at a
  // time: most runbooks are ASCII, and a byte-by-byte loop was 4 % of fmt.
  const char* const data = text_.data();
  const size_t n = text_.size();
  line_starts_.push_back(0);
  for (const char* p = data; (p = static_cast<const char*>(std::memchr(p, '\n', data + n - p)));) {
    ++p;
    if (p < data + n) line_starts_.push_back(static_cast<uint32_t>(p - data));
  }
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if ((word_at(s + i) & kHighBits) == 0) continue;
    for (size_t k = i; k < i + 8; ++k)
      if (utf8::is_continuation(data[k])) continuation_.push_back(static_cast<uint32_t>(k));
  }
  for (; i < n; ++i)
    if (utf8::is_continuation(data[i])) continuation_.push_back(static_cast<uint32_t>(i));
}

namespace {

std::string reason(int err) {
  return std::error_code(err, std::generic_category()).message();
}

std::string size_text(size_t bytes) {
  return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                 : std::to_string(bytes >> 10) + " KiB";
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Expected<std::string, std::string> read_regular_file(const std::string& path, size_t max_bytes) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return fail("cannot read file: " + reason(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail("cannot read file: " + reason(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(std::string("not a regular file (") + kind_of(st.st_mode) +
                "); rbk reads only files");
  }
  auto too_big = [max_bytes] { return "file is larger than " + size_text(max_bytes); };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return fail(too_big());
  }
  std::string text;
  text.resize(static_cast<size_t>(st.st_size) + 1);  // one more: a file that grew is seen
  size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (text.size() > max_bytes) {
        return fail(too_big());
      }
      text.resize(std::min(text.size() * 2 + 4096, max_bytes + 1));
    }
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail("error while reading file: " + reason(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) {
    return fail(too_big());
  }
  text.resize(got);
  return text;
}

Expected<void, std::string> read_file_in_pieces(
    const std::string& path, const std::function<bool(std::string_view)>& piece) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail("cannot read file: " + reason(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("cannot read file: " + reason(errno));
  if (!S_ISREG(st.st_mode))
    return fail(std::string("not a regular file (") + kind_of(st.st_mode) +
                "); rbk reads only files");
  std::string buf(size_t{1} << 16, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("error while reading file: " + reason(errno));
    if (n == 0 || !piece(std::string_view(buf.data(), static_cast<size_t>(n)))) return {};
  }
}

size_t first_bad_text_byte(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    // Eight ASCII bytes at once, none of them NUL (the usual case).
    if (i + 8 <= n) {
      const uint64_t w = word_at(s + i);
      if ((w & kHighBits) == 0 && ((w - kLowBits) & ~w & kHighBits) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;  // a continuation byte out of place, or 0xF8..0xFF
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

Expected<std::shared_ptr<SourceFile>, std::string> SourceFile::load(const std::string& path,
                                                                    size_t max_bytes) {
  auto text = read_regular_file(path, max_bytes);
  if (!text) return fail(std::move(text.error()));
  return std::make_shared<SourceFile>(path, std::move(*text));
}

uint32_t SourceFile::line_of(uint32_t offset) const {
  const auto n = static_cast<uint32_t>(line_starts_.size());
  // Line `line` holds [line_starts_[line - 1], line_starts_[line]).
  auto holds = [&](uint32_t line) {
    return line >= 1 && line <= n && line_starts_[line - 1] <= offset &&
           (line == n || line_starts_[line] > offset);
  };
  const uint32_t hint = last_line_.load(std::memory_order_relaxed);
  if (holds(hint)) return hint;
  if (holds(hint + 1)) {
    last_line_.store(hint + 1, std::memory_order_relaxed);
    return hint + 1;
  }
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<uint32_t>(it - line_starts_.begin());
  last_line_.store(line, std::memory_order_relaxed);
  return line;
}

uint32_t SourceFile::column_of(uint32_t offset) const {
  return column_of(offset, line_of(offset));
}

uint32_t SourceFile::column_of(uint32_t offset, uint32_t line) const {
  uint32_t start = line_starts_[line - 1];
  // An end-of-file offset after a final newline stays on the last line.
  uint32_t end = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  if (end > start && text_[end - 1] == '\n') --end;
  if (continuation_.empty()) return end - start + 1;  // ASCII: a byte is a character
  auto lo = std::lower_bound(continuation_.begin(), continuation_.end(), start);
  auto hi = std::lower_bound(continuation_.begin(), continuation_.end(), end);
  // Count characters, not bytes: continuation bytes do not start one.
  return end - start - static_cast<uint32_t>(hi - lo) + 1;
}

uint32_t SourceFile::line_start(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return static_cast<uint32_t>(text_.size());
  return line_starts_[line - 1];
}

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t start = line_starts_[line - 1];
  const size_t nl = text_.find('\n', start);
  auto end = static_cast<uint32_t>(nl == std::string::npos ? text_.size() : nl);
  if (end > start && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(start, end - start);
}

Span Span::of(const SourceFile& file, uint32_t begin, uint32_t end) {
  // Offsets from elsewhere (yaml-cpp's marks, a scalar's decoded length) can
  // point past the end of the file; a span never leaves it.
  const auto size = static_cast<uint32_t>(file.text().size());
  begin = std::min(begin, size);
  end = std::min(end, size);
  Span s;
  s.file = &file;
  s.begin = begin;
  s.end = std::max(begin, end);
  s.line = file.line_of(begin);
  s.col = file.column_of(begin, s.line);
  // An offset just past a newline belongs to the next line; a span ending
  // right after "\n" really ends on the line before.
  const bool after_newline = s.end > s.begin && file.text()[s.end - 1] == '\n';
  const uint32_t last = after_newline ? s.end - 1 : s.end;
  s.end_line = begin == s.end ? s.line : file.line_of(last);
  s.end_col = begin == s.end ? s.col : file.column_of(last, s.end_line) + (after_newline ? 1 : 0);
  return s;
}

std::string_view Span::text() const {
  if (!file) return {};
  return std::string_view(file->text()).substr(begin, end - begin);
}

std::string Span::where() const {
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace rbk
