#include "cli/terminal.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "interpreter/base/format_str.hpp"

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

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x80) {  // C0 and DEL
      out += format_str("\\x{:02x}", c);
      ++i;
    } else if (size_t bad = first_bad_text_byte(text.substr(i, std::min<size_t>(4, n - i)));
               bad == 0) {
      out += format_str("\\x{:02x}", c);  // invalid UTF-8
      ++i;
    } else {
      size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
      if (c == 0xC2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)  // C1: U+0080..U+009F
        out += format_str("\\u{:04x}", s[i + 1]);
      else
        out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

nlohmann::json printable_json(const nlohmann::json& j) {
  if (j.is_string()) return printable(std::string_view(j.get_ref<const std::string&>()));
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = printable_json(it.value());
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(printable_json(v));
    return out;
  }
  return j;
}

void print_diagnostics(const Diagnostics& ds) {
  const bool color = use_color(stderr);
  for (const auto& d : ds) write(stderr, render(d, color));
}

}  // namespace rbk::cli
