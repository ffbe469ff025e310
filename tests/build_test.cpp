// Each build is what it claims to be: the sanitizer pass of scripts/test.sh
// really runs instrumented code (if RBK_SANITIZE or RBK_FUZZ stopped reaching
// the compiler, this fails in build-asan/), and the normal build, the one
// users run and the benchmarks measure, is not instrumented.
#include <catch2/catch.hpp>

#include "interpreter/base/sanitizers.hpp"

TEST_CASE("the sanitizer build is instrumented", "[build]") {
#if defined(RBK_EXPECT_SANITIZERS)
#if defined(RBK_HAS_ASAN)
  SUCCEED("AddressSanitizer is on");
#else
  FAIL("a sanitizer build (RBK_SANITIZE or RBK_FUZZ) whose tests lack AddressSanitizer");
#endif
#else
#if defined(RBK_HAS_ASAN)
  FAIL("AddressSanitizer is on in a build that did not ask for it");
#else
  SUCCEED("not a sanitizer build, and not instrumented");
#endif
#endif
}
