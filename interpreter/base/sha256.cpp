#include "interpreter/base/sha256.hpp"

#include <nettle/sha2.h>

#include <array>
#include <cstdint>

namespace rbk {

namespace {

// sha256_digest resets the context: a copy is finished, so more can follow.
std::string finish(sha256_ctx ctx) {
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

}  // namespace

std::string sha256_hex(std::string_view data) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  return finish(ctx);
}

struct Sha256::State {
  sha256_ctx ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  sha256_init(&state_->ctx);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
  sha256_update(&state_->ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
}

std::string Sha256::hex() const {
  return finish(state_->ctx);
}

}  // namespace rbk
