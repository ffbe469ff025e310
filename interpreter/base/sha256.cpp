#include "interpreter/base/sha256.hpp"

#include <nettle/sha2.h>

#include <array>
#include <cstdint>

namespace rbk {

std::string sha256_hex(std::string_view data) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  std::array<uint8_t, SHA256_DIGEST_SIZE> md{};
  sha256_digest(&ctx, md.size(), md.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * md.size(), '0');
  for (size_t i = 0; i < md.size(); ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xF];
  }
  return out;
}

}  // namespace rbk
