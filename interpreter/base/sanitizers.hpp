// Whether this translation unit is built with AddressSanitizer: gcc defines
// __SANITIZE_ADDRESS__, clang 16 answers __has_feature instead.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define RBK_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RBK_HAS_ASAN 1
#endif
#endif
