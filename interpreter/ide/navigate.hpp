// Hover and go-to-definition: what the name under the cursor is, and where
// it is declared — in the document, in an imported module's file, in the
// file of a `call`ed runbook, or in rbk.yaml for a role.
#pragma once

#include <optional>
#include <string>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/position.hpp"

namespace rbk::ide {

/// What hover shows: Markdown, and the range of the name it is about.
struct HoverText {
  std::string markdown;
  Range range;
};

/// The hover for the name at `at`, or nullopt when there is none there.
std::optional<HoverText> hover(const Analysis& analysis, Position at);

/// A place in a file.
struct Location {
  std::string path;  // absolute
  Range range;
};

/// Where the name at `at` is declared, or nullopt (nothing there, a
/// built-in, a module compiled into rbk, a runbook that is not found).
std::optional<Location> definition(const Analysis& analysis, Position at);

}  // namespace rbk::ide
