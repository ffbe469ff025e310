// The sanitizer pass of scripts/test.sh must really run instrumented code:
// if RBK_SANITIZE stopped reaching the compiler, this fails in build-asan/.
#include <catch2/catch.hpp>

TEST_CASE("the sanitizer build is instrumented", "[build]") {
#if defined(RBK_EXPECT_SANITIZERS)
#if defined(__SANITIZE_ADDRESS__)
  SUCCEED("AddressSanitizer is on");
#else
  FAIL("RBK_SANITIZE is set but the tests were not built with AddressSanitizer");
#endif
#else
  SUCCEED("not a sanitizer build");
#endif
}
