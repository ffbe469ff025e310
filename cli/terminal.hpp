// The terminal belongs to the CLI: colour decisions and output live here.
#pragma once

#include <cstdio>
#include <string>

#include "interpreter/diagnostic.hpp"

namespace rbk::cli {

/// Colour on `stream` only when it is a terminal, NO_COLOR is unset and TERM is not "dumb".
bool use_color(FILE* stream);

/// Writes text to a stream as is (no formatting, no added newline).
void write(FILE* stream, const std::string& text);

/// Renders every diagnostic to stderr (colour when stderr is a terminal).
void print_diagnostics(const Diagnostics& ds);

}  // namespace rbk::cli
