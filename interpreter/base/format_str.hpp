// fmt-style formatting compiled once. rbk links fmt header-only (no shared
// library to map at start-up), which compiles fmt's formatting engine into
// every file that calls fmt::format (about ten seconds of compile time
// each). Files call format_str instead: the arguments are type-erased here
// and formatted in format_str.cpp, the one file that instantiates fmt.
#pragma once

#include <string>
#include <string_view>

#include <fmt/core.h>

namespace rbk {

/// fmt::vformat, compiled once (format_str.cpp).
std::string vformat_str(std::string_view format, fmt::format_args args);

/// fmt::format with the format string checked at compile time.
template <typename... T>
std::string format_str(fmt::format_string<T...> format, T&&... args) {
  const fmt::string_view f = format;
  return vformat_str(std::string_view(f.data(), f.size()), fmt::make_format_args(args...));
}

}  // namespace rbk
