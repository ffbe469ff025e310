#include "interpreter/base/format_str.hpp"

#include <fmt/format.h>

namespace rbk {

std::string vformat_str(std::string_view format, fmt::format_args args) {
  return fmt::vformat(format, args);
}

}  // namespace rbk
