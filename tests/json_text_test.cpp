// append_json_string() writes exactly what json_text() (nlohmann/json with
// invalid UTF-8 replaced) writes for the same string: --json output is a
// contract, and the fast path must not change a byte of it.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "interpreter/base/json_text.hpp"

using rbk::append_json_string;
using rbk::json_text;

namespace {

std::string fast(const std::string& s) {
  std::string out = "prefix:";
  append_json_string(out, s);
  return out;
}

std::string reference(const std::string& s) {
  return "prefix:" + json_text(nlohmann::json(s));
}

}  // namespace

TEST_CASE("append_json_string writes what json_text writes", "[json]") {
  SECTION("every byte alone, and between letters") {
    CHECK(fast("") == reference(""));
    for (int b = 0; b < 256; ++b) {
      const std::string one(1, static_cast<char>(b));
      INFO("byte " << b);
      CHECK(fast(one) == reference(one));
      CHECK(fast("a" + one + "b") == reference("a" + one + "b"));
    }
  }
  SECTION("random text: ASCII only, and with every byte") {
    std::mt19937 gen(12345);
    for (int n = 0; n < 2000; ++n) {
      const bool ascii = n % 2 == 0;
      std::uniform_int_distribution<int> byte(0, ascii ? 127 : 255);
      std::uniform_int_distribution<int> length(0, 64);
      std::string s;
      for (int i = length(gen); i > 0; --i) s += static_cast<char>(byte(gen));
      INFO("case " << n);
      CHECK(fast(s) == reference(s));
    }
  }
  SECTION("valid UTF-8 and escapes together") {
    const std::string s = "é \"quoted\" back\\slash\ttab\nnew\x01\x1f\x7f end";
    CHECK(fast(s) == reference(s));
  }
}
