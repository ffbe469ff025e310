// The terminal belongs to the CLI: colour decisions and output live here.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "interpreter/base/diagnostic.hpp"

namespace rbk::cli {

/// Colour on `stream` only when it is a terminal, NO_COLOR is unset and TERM is not "dumb".
bool use_color(FILE* stream);

/// Writes text to a stream as is (no formatting, no added newline).
void write(FILE* stream, const std::string& text);

/// `text` safe to show on a terminal: control characters (C0 but tab and
/// newline, DEL, C1) become visible escapes such as \x1b or \u009b, and
/// invalid UTF-8 bytes \xHH. Command output and captured values reach the
/// terminal only through this, so no output can move the cursor, erase a
/// line or recolour the screen — e.g. rewrite what a y/N question asks.
std::string printable(std::string_view text);

/// Every string inside `j` made printable().
nlohmann::json printable_json(const nlohmann::json& j);

/// Renders every diagnostic to stderr (colour when stderr is a terminal).
void print_diagnostics(const Diagnostics& ds);

}  // namespace rbk::cli
