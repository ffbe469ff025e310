// The sanitizer pass of scripts/test.sh must really run instrumented code:
// if RBK_SANITIZE or RBK_FUZZ stopped reaching the compiler, this fails in build-asan/.
#include <catch2/catch.hpp>

// gcc defines __SANITIZE_ADDRESS__; clang 16 answers __has_feature instead.
#if defined(__SANITIZE_ADDRESS__)
#define RBK_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RBK_HAS_ASAN 1
#endif
#endif

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
