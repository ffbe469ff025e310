// The destructive-command patterns (stdlib/destructive-patterns.yaml): a step
// whose command matches one always passes a gate, and lint reports a match in
// a step that is not marked destructive. One list, one matcher, both users.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/diagnostic.hpp"

namespace re2 {
class RE2;
}

namespace rbk {

/// One entry of the list.
struct DestructivePattern {
  std::string id;   // e.g. "rm-recursive"
  std::string why;  // e.g. "recursive delete"
  std::shared_ptr<const re2::RE2> pattern;
  std::shared_ptr<const re2::RE2> unless;  // null when the entry has none
};

/// A command that matched: which entry, and where in the command text.
struct DestructiveMatch {
  const DestructivePattern* pattern = nullptr;
  size_t offset = 0;  // byte offset of the match in the command
  size_t length = 0;
};

/// The compiled list.
class DestructivePatterns {
 public:
  /// Parses YAML text; every problem (YAML syntax, unknown key, missing or
  /// duplicate id, invalid RE2) is a diagnostic at `path:line:col`.
  static DestructivePatterns parse(std::shared_ptr<const SourceFile> file, Diagnostics& errors);
  /// Loads the file at `path` (see parse); an unreadable file is a diagnostic too.
  static DestructivePatterns load(const std::string& path, Diagnostics& errors);
  /// The list shipped in rbk's stdlib/.
  static std::string default_path();

  /// The first entry (in file order) that matches `command`, if any.
  std::optional<DestructiveMatch> match(std::string_view command) const;
  const std::vector<DestructivePattern>& patterns() const { return patterns_; }

 private:
  std::vector<DestructivePattern> patterns_;
  std::shared_ptr<const SourceFile> source_;  // diagnostics point into it
};

}  // namespace rbk
