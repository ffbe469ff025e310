#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/utf8.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>
#include "interpreter/base/format_str.hpp"

namespace rbk {

Diagnostic error_at(const Span& span, std::string message, std::string help) {
  Diagnostic d;
  d.span = span;
  if (span.file) d.file_owner = span.file->weak_from_this().lock();
  d.message = std::move(message);
  d.help = std::move(help);
  return d;
}

Diagnostic bad_text_error(const SourceFile& file, size_t at, std::string_view kind) {
  const auto byte = static_cast<unsigned char>(file.text()[at]);
  const auto begin = static_cast<uint32_t>(at);
  const Span span = Span::of(file, begin, begin + 1);
  if (byte == 0)
    return error_at(span, "a NUL byte in the file",
                    format_str("{} are text; remove the byte", kind));
  return error_at(span, format_str("invalid UTF-8 (byte 0x{:02X})", byte),
                  format_str("{} are UTF-8 text; re-save the file as UTF-8", kind));
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

namespace {

// The caret line: whitespace copied from the source (so tabs line up), then
// '^' and '~' for the rest of the span on this line.
std::string caret_line(std::string_view line, uint32_t col, uint32_t width) {
  std::string out;
  uint32_t c = 1;
  for (size_t i = 0; i < line.size() && c < col; ++i) {
    const char ch = line[i];
    if (utf8::is_continuation(ch)) continue;
    out += (ch == '\t') ? '\t' : ' ';
    ++c;
  }
  while (c < col) {  // past the end of the line (e.g. at end of file)
    out += ' ';
    ++c;
  }
  out += '^';
  for (uint32_t i = 1; i < width; ++i) out += '~';
  return out;
}

}  // namespace

std::string render(const Diagnostic& d, bool color) {
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  const char* sev_color = "";
  if (color) {
    sev_color = d.severity == Severity::Error     ? "\033[1;31m"
                : d.severity == Severity::Warning ? "\033[1;35m"
                                                  : "\033[1;36m";
  }
  std::string out;
  std::string path = d.span.file ? d.span.file->path() : d.path;
  out += bold + path;
  if (d.span.valid()) out += ":" + std::to_string(d.span.line) + ":" + std::to_string(d.span.col);
  out += std::string(": ") + reset + sev_color + severity_name(d.severity) + reset + bold + ": " +
         d.message;
  if (!d.code.empty()) out += " [" + d.code + "]";
  out += std::string(reset) + "\n";
  if (d.span.valid()) {
    std::string_view line = d.span.file->line_text(d.span.line);
    uint32_t width = 1;
    if (d.span.end_line == d.span.line && d.span.end_col > d.span.col) {
      width = d.span.end_col - d.span.col;
    } else if (d.span.end_line > d.span.line) {
      // A multi-line span: underline to the end of its first line.
      size_t len = utf8::code_points(line);
      width = len + 1 > d.span.col ? static_cast<uint32_t>(len + 1 - d.span.col) : 1;
    }
    out += std::string(line) + "\n";
    out +=
        std::string(color ? "\033[1;32m" : "") + caret_line(line, d.span.col, width) + reset + "\n";
  }
  if (!d.help.empty())
    out += std::string(color ? "\033[1;36m" : "") + "help" + reset + ": " + d.help + "\n";
  return out;
}

nlohmann::json to_json(const Diagnostic& d) {
  nlohmann::json j;
  j["severity"] = severity_name(d.severity);
  j["file"] = d.span.file ? d.span.file->path() : d.path;
  if (d.span.valid()) {
    j["line"] = d.span.line;
    j["column"] = d.span.col;
    j["end_line"] = d.span.end_line;
    j["end_column"] = d.span.end_col;
  }
  j["message"] = d.message;
  if (!d.help.empty()) j["help"] = d.help;
  if (!d.code.empty()) j["code"] = d.code;
  return j;
}

std::shared_ptr<SourceFile> load_source(const std::string& path, Diagnostics& errors,
                                        size_t max_bytes) {
  auto file = SourceFile::load(path, max_bytes);
  if (file) return *file;
  Diagnostic d;
  d.path = path;
  d.message = file.error();
  errors.push_back(std::move(d));
  return nullptr;
}

bool has_errors(const Diagnostics& ds) {
  return std::any_of(ds.begin(), ds.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace rbk
