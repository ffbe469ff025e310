#include "interpreter/base/names.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace rbk {

std::string_view trim_view(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

std::string trim(std::string_view s, std::string_view chars) {
  return std::string(trim_view(s, chars));
}

bool is_lower_word(std::string_view w) {
  if (w.empty() || w[0] < 'a' || w[0] > 'z' || w.back() == '-') return false;
  for (char c : w)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

DurationResult parse_duration(std::string_view s) {
  DurationResult r;
  if (s.empty()) {
    r.error = DurationError::Malformed;
    return r;
  }
  int64_t last_unit = std::numeric_limits<int64_t>::max();
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    int64_t count = 0;
    if (j == i) {
      r.error = DurationError::Malformed;
      return r;
    }
    if (auto c = std::from_chars(s.data() + i, s.data() + j, count); c.ec != std::errc()) {
      r.error = DurationError::TooLarge;
      return r;
    }
    int64_t unit = 0;
    if (s.substr(j, 2) == "ms")
      unit = 1, j += 2;
    else if (j < s.size() && s[j] == 's')
      unit = 1000, ++j;
    else if (j < s.size() && s[j] == 'm')
      unit = 60'000, ++j;
    else if (j < s.size() && s[j] == 'h')
      unit = 3'600'000, ++j;
    else if (j < s.size() && s[j] == 'd')
      unit = 86'400'000, ++j;
    if (unit == 0) {
      r.error = DurationError::Malformed;
      return r;
    }
    if (unit >= last_unit) {
      r.error = DurationError::UnitOrder;
      return r;
    }
    last_unit = unit;
    int64_t part = 0;
    if (__builtin_mul_overflow(count, unit, &part) || __builtin_add_overflow(r.ms, part, &r.ms)) {
      r.error = DurationError::TooLarge;
      return r;
    }
    i = j;
  }
  return r;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

}  // namespace rbk
