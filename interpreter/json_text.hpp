// JSON as text, for every writer rbk has (the record, --json, --format json,
// SARIF, the AST, plans). Values come from files and command output that may
// hold invalid UTF-8; nlohmann/json throws on those by default, which would
// end a CI job with "internal error" over one stray byte.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rbk {

/// `j` as JSON text (compact when `indent` is -1), with every invalid UTF-8
/// byte replaced by U+FFFD instead of an exception.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// Appends `s` as a JSON string, byte for byte what json_text() writes for
/// it. Command output is mostly ASCII, which is escaped here at memcpy speed
/// (nlohmann/json decodes every byte through its UTF-8 automaton: 43 % of
/// rbk's time on a flood with --json); text with any other byte goes through
/// json_text(), which replaces invalid UTF-8.
inline void append_json_string(std::string& out, std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += json_text(nlohmann::json(std::string(s)));
      return;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  // Written through a pointer into room for the worst case (every byte
  // \u00XX), then cut to size: an append per escape costs more than the
  // escaping (`yes` escapes every other byte).
  const size_t base = out.size();
  out.resize(base + 2 + 6 * s.size());
  char* p = out.data() + base;
  *p++ = '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
        *p++ = '"';
        break;
      case '\\':
        *p++ = '\\';
        break;
      case '\b':
        *p++ = 'b';
        break;
      case '\f':
        *p++ = 'f';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:  // the other control characters, as nlohmann/json writes them
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 0xf];
    }
  }
  *p++ = '"';
  out.resize(static_cast<size_t>(p - out.data()));
}

}  // namespace rbk
