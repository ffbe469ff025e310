// The one way an expected failure is returned: a value or a reason, with no
// exception (exceptions are for the fatal only). tl::expected from Debian's
// libexpected-dev, the C++23 std::expected for C++20.
#pragma once

#include <tl/expected.hpp>

namespace rbk {

/// A `T`, or an `E` saying why there is none.
template <class T, class E>
using Expected = tl::expected<T, E>;

/// Wraps an error for returning from a function that returns Expected.
template <class E>
auto fail(E&& e) {
  return tl::make_unexpected(std::forward<E>(e));
}

}  // namespace rbk
