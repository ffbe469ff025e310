// Completion: what fits at the cursor. The place comes from the text
// (cursor.hpp), the names from the last analysis that parsed, so names
// still come while the line being typed is broken.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/position.hpp"

namespace rbk::ide {

/// What a completion offers, for the editor's icon.
enum class CompletionKind {
  Keyword,   // a keyword that starts an item or statement, or an option word
  Variable,  // a parameter, message, answer or secret
  Capture,   // a capture
  Field,     // a capture's field, a step's state
  Module,    // an imported module, a stdlib module
  Template,  // a template of a module
  Cause,     // a cause id
  Step,      // a step, signal or check id
  Role,      // a role from rbk.yaml
  Runbook,   // a runbook on the runbook path
  Builtin,   // a built-in name
  Value,     // a fixed word: a severity, a failure policy, true/false
};

/// One thing to offer.
struct Completion {
  std::string label;
  CompletionKind kind = CompletionKind::Keyword;
  std::string detail;  // one line: a type, a title, a role's name
};

/// What completion offers at one place.
struct Completions {
  /// The text from here to the cursor is what the label replaces (the
  /// partial word, or an import's path so far).
  size_t replace_from = 0;
  std::vector<Completion> items;
};

/// The completions at `at` in `current`'s text. Names come from `current`
/// when it parsed, else from `last_good` (an earlier analysis of the same
/// document that did; may be null).
Completions complete(const Analysis& current, Position at, const Analysis* last_good);

}  // namespace rbk::ide
