// A unified diff between two texts: what `rbk fmt --diff` prints and what
// `rbk test` shows when a case's output differs from its expectation.
#pragma once

#include <string>

namespace rbk {

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, @@ hunks, 3 lines of context)
/// between two texts; "" when they are equal.
std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& path);

}  // namespace rbk
