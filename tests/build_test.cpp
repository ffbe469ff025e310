// The sanitizer pass of scripts/test.sh must really run instrumented code:
// if RBK_SANITIZE or RBK_FUZZ stopped reaching the compiler, this fails in build-asan/.
#include <catch2/catch.hpp>

#include "interpreter/sanitizers.hpp"

TEST_CASE("the sanitizer build is instrumented", "[build]") {
#if defined(RBK_EXPECT_SANITIZERS)
#if defined(RBK_HAS_ASAN)
  SUCCEED("AddressSanitizer is on");
#else
  FAIL("a sanitizer build (RBK_SANITIZE or RBK_FUZZ) whose tests lack AddressSanitizer");
#endif
#else
  SUCCEED("not a sanitizer build");
#endif
}
