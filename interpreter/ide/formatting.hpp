// Formatting for editors: `rbk fmt`'s layout as text edits. The text comes
// from the library's formatter (syntax/format.hpp), guarded as `rbk fmt`
// guards a rewrite (the result must parse and mean the same); the edit
// replaces only the lines that change, so the cursor stays where it was in
// the rest of the document.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/position.hpp"

namespace rbk::ide {

/// Replace `range` with `text`.
struct TextEdit {
  Range range;
  std::string text;
};

/// The edits that turn the analysed text into its canonical layout: none
/// when it is formatted already; nullopt when it has syntax errors (or the
/// formatter would change its meaning, which is a bug in rbk fmt).
std::optional<std::vector<TextEdit>> formatting_edits(const Analysis& analysis);

/// The one edit that turns `before` into `after`: the lines between their
/// common first and last lines; none when they are equal.
std::vector<TextEdit> replace_changed_lines(const std::string& before, const std::string& after);

}  // namespace rbk::ide
