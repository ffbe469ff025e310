// The terminal belongs to the CLI: colour decisions and output live here.
#pragma once

#include <cstdio>
#include <string>

namespace rbk::cli {

/// Colour on `stream` only when it is a terminal, NO_COLOR is unset and TERM is not "dumb".
bool use_color(FILE* stream);

/// Writes text to a stream as is (no formatting, no added newline).
void write(FILE* stream, const std::string& text);

}  // namespace rbk::cli
