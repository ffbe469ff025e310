#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rbk::fuzz {

void fail(const std::string& what, const std::string& detail) {
  // fwrite, not %s: the detail may hold the input's NUL bytes.
  const std::string text = "FUZZ INVARIANT BROKEN: " + what + "\n" + detail + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::abort();
}

void expect_clear(const Diagnostics& ds, const char* phase) {
  for (const auto& d : ds) {
    const std::string text = render(d);
    if (!d.span.valid()) fail(std::string(phase) + ": a diagnostic without a position", text);
    const SourceFile& file = *d.span.file;
    if (d.span.begin > d.span.end || d.span.end > file.text().size() || d.span.line == 0 ||
        d.span.line > file.line_count() || d.span.col == 0)
      fail(std::string(phase) + ": a diagnostic's span is outside its file",
           text + "span " + std::to_string(d.span.begin) + ".." + std::to_string(d.span.end) +
               " at " + std::to_string(d.span.line) + ":" + std::to_string(d.span.col) +
               "; the file has " + std::to_string(file.text().size()) + " bytes in " +
               std::to_string(file.line_count()) + " lines");
    if (d.message.empty()) fail(std::string(phase) + ": a diagnostic without a message", text);
  }
}

std::string read_source(const std::string& relative_path) {
  const std::string path = std::string(RBK_SOURCE_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace rbk::fuzz
