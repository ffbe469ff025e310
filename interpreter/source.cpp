#include "interpreter/source.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace rbk {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n' && i + 1 < text_.size()) line_starts_.push_back(i + 1);
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) continuation_.push_back(i);
  }
}

std::shared_ptr<SourceFile> SourceFile::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read file";
    return nullptr;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    error = "error while reading file";
    return nullptr;
  }
  std::string text = buf.str();
  if (text.size() > 64u * 1024 * 1024) {
    error = "file is larger than 64 MiB";
    return nullptr;
  }
  return std::make_shared<SourceFile>(path, std::move(text));
}

uint32_t SourceFile::line_of(uint32_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<uint32_t>(it - line_starts_.begin());
}

uint32_t SourceFile::column_of(uint32_t offset) const {
  uint32_t start = line_starts_[line_of(offset) - 1];
  // An end-of-file offset after a final newline stays on the last line.
  uint32_t end = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  if (end > start && text_[end - 1] == '\n') --end;
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
  uint32_t end = start;
  while (end < text_.size() && text_[end] != '\n') ++end;
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
  s.col = file.column_of(begin);
  s.end_line = file.line_of(s.end);
  s.end_col = file.column_of(s.end);
  // An offset just past a newline belongs to the next line; a span ending
  // right after "\n" really ends on the line before.
  if (s.end > s.begin && s.end <= file.text().size() && file.text()[s.end - 1] == '\n') {
    s.end_line = file.line_of(s.end - 1);
    s.end_col = file.column_of(s.end - 1) + 1;
  }
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
