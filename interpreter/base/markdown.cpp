#include "interpreter/base/markdown.hpp"

#include <algorithm>

namespace rbk {

namespace {

/// The longest run of backticks in `s`: a fence must be longer.
size_t longest_backticks(const std::string& s) {
  size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}

std::string md_prefix_lines(const std::string& s, const std::string& prefix) {
  std::string out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t eol = s.find('\n', at);
    if (eol == std::string::npos) eol = s.size();
    out += prefix + s.substr(at, eol - at) + "\n";
    at = eol + 1;
  }
  return out;
}

std::string md_code(const std::string& s) {
  std::string fence(longest_backticks(s) + 1, '`');
  bool pad = !s.empty() && (s.front() == '`' || s.back() == '`');
  return fence + (pad ? " " : "") + s + (pad ? " " : "") + fence;
}

std::string md_block(const std::string& s, const char* lang, const std::string& indent) {
  std::string fence(std::max<size_t>(3, longest_backticks(s) + 1), '`');
  return indent + fence + lang + "\n" + md_prefix_lines(s, indent) + indent + fence + "\n";
}

}  // namespace rbk
