#include "cli/terminal.hpp"

#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace rbk::cli {

bool use_color(FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream)) != 0;
}

void write(FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

void print_diagnostics(const Diagnostics& ds) {
  const bool color = use_color(stderr);
  for (const auto& d : ds) write(stderr, render(d, color));
}

}  // namespace rbk::cli
