// JSON as text, for every writer rbk has (the record, --json, --format json,
// SARIF, the AST, plans). Values come from files and command output that may
// hold invalid UTF-8; nlohmann/json throws on those by default, which would
// end a CI job with "internal error" over one stray byte.
#pragma once

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace rbk {

/// `j` as JSON text (compact when `indent` is -1), with every invalid UTF-8
/// byte replaced by U+FFFD instead of an exception.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace json_detail {

/// How one byte is written inside a JSON string: `size` bytes of `text`;
/// size 0 marks a byte of 0x80 or above (not ASCII).
struct Escape {
  char text[7];
  unsigned char size;
};

/// The escape of every byte, as nlohmann/json writes it (\n, \", \u001f…).
constexpr std::array<Escape, 256> escape_table() {
  std::array<Escape, 256> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int c = 0; c < 0x80; ++c) {
    Escape& e = t[static_cast<size_t>(c)];
    if (c >= 0x20) {
      e = {{static_cast<char>(c)}, 1};
    } else {
      e = {{'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]}, 6};
    }
  }
  // The two-character escapes JSON has.
  constexpr std::pair<char, char> kShort[] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                              {'\n', 'n'}, {'\r', 'r'},  {'\t', 't'}};
  for (auto [c, letter] : kShort) t[static_cast<unsigned char>(c)] = {{'\\', letter}, 2};
  return t;
}

inline constexpr std::array<Escape, 256> kEscapes = escape_table();

}  // namespace json_detail

/// Appends `s` as a JSON string, byte for byte what json_text() writes for
/// it. Command output is mostly ASCII, which is escaped here through a table
/// (nlohmann/json decodes every byte through its UTF-8 automaton: 43 % of
/// rbk's time on a flood with --json); text with any other byte goes through
/// json_text(), which replaces invalid UTF-8.
inline void append_json_string(std::string& out, std::string_view s) {
  // Written through a pointer into room for the worst case (every byte
  // \u00XX, and each entry copied whole), then cut to size: `yes` escapes
  // every other byte, and a branch or an append per byte costs more than a
  // fixed 8-byte copy.
  const size_t base = out.size();
  out.resize(base + 2 + 6 * s.size() + sizeof(json_detail::Escape));
  char* p = out.data() + base;
  *p++ = '"';
  for (char ch : s) {
    const json_detail::Escape& e = json_detail::kEscapes[static_cast<unsigned char>(ch)];
    if (e.size == 0) {
      out.resize(base);
      out += json_text(nlohmann::json(std::string(s)));
      return;
    }
    std::memcpy(p, &e, sizeof e);  // the text first; the rest is overwritten or cut
    p += e.size;
  }
  *p++ = '"';
  out.resize(static_cast<size_t>(p - out.data()));
}

}  // namespace rbk
