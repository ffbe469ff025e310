// Markdown that holds any text: table cells, inline code and fenced blocks
// that the text inside cannot break (`rbk show`, `rbk report`).
#pragma once

#include <string>

namespace rbk {

/// Text inside a Markdown table cell: pipes escaped, lines joined.
std::string md_cell(const std::string& s);
/// Every line of `s` (the last one too, even when empty) after `prefix`.
std::string md_prefix_lines(const std::string& s, const std::string& prefix);
/// Inline code that survives backticks inside it.
std::string md_code(const std::string& s);
/// A fenced block that no line of `s` can close, each line after `indent`.
std::string md_block(const std::string& s, const char* lang = "", const std::string& indent = "");

}  // namespace rbk
