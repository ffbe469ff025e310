#include "interpreter/events.hpp"

#include <fmt/format.h>

namespace rbk {

std::string output_file(uint64_t seq, Stream stream) {
  return fmt::format("output/{:04}.{}", seq, stream == Stream::Out ? "stdout" : "stderr");
}

}  // namespace rbk
