// The destructive-command patterns (stdlib/destructive-patterns.yaml) and
// what rbk makes of a command: the shell analysis (shell_analysis.hpp) finds
// each simple command, redirection and SQL statement, and each pattern is
// matched against those units, so an `unless` excuses only the unit it is
// about. A step whose command matches always passes a gate; a command rbk
// cannot analyse is gated too (unless the step is marked `safe`); lint
// reports both. One list, one matcher, every user.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/syntax/shell_analysis.hpp"

namespace re2 {
class RE2;
}

namespace rbk {

/// What a pattern is matched against (`scope:` in the list).
enum class PatternScope {
  Command,   // each simple command: its words unquoted, joined by single spaces
  Sql,       // each SQL statement (between `;`) of an argument or here-document
  Redirect,  // each redirection to a file: the operator, a space, the target
};

/// An RE2 of the list: its text (definitions expanded), parsed when the
/// list is read, compiled on first use, once, whatever the thread. Most
/// commands reach few of them (the scope's RE2::Set says which), and
/// compiling all of them was about a quarter of every `rbk run`'s start.
class LazyRegex {
 public:
  explicit LazyRegex(std::string text);
  ~LazyRegex();  // where re2::RE2 is complete
  LazyRegex(const LazyRegex&) = delete;
  LazyRegex& operator=(const LazyRegex&) = delete;
  /// The compiled RE2. Its ok() is false only for a text that parsed but
  /// could not be compiled (a program over the memory bound); callers then
  /// take the cautious side.
  const re2::RE2& get() const;
  /// The text it compiles.
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<const re2::RE2> re_;
};

/// One entry of the list.
struct DestructivePattern {
  std::string id;   // e.g. "rm-recursive"
  std::string why;  // e.g. "recursive delete"
  PatternScope scope = PatternScope::Command;
  std::shared_ptr<const LazyRegex> pattern;
  std::shared_ptr<const LazyRegex> unless;  // null when the entry has none
};

/// A command that matched: which entry, what it saw, and where in the
/// command text. The range covers the words the match touched (for a SQL
/// statement, the statement within its argument when the argument is
/// written verbatim, else the whole argument).
struct DestructiveMatch {
  const DestructivePattern* pattern = nullptr;
  size_t offset = 0;  // byte offset in the command text
  size_t length = 0;
  std::string unit;        // the unit matched, e.g. "rm -rf /srv/cache"
  size_t unit_offset = 0;  // what matched, within `unit`
  size_t unit_length = 0;
};

/// A part of a command whose effect rbk cannot know without running it.
struct Unanalysable {
  size_t offset = 0;  // byte offset in the command text
  size_t length = 0;
  std::string why;  // e.g. "the command name is a value known only at run time ($cmd)"
};

/// What rbk makes of one command text: the first destructive match and the
/// first thing it cannot analyse (in text order), either or both absent.
struct CommandVerdict {
  std::optional<DestructiveMatch> destructive;
  std::optional<Unanalysable> unanalysable;
  /// Neither: the command only does what rbk considers harmless.
  bool read_only() const { return !destructive && !unanalysable; }
};

/// `length` bytes of a command text from `offset`, on one line for a
/// message: a line continuation or a line break reads as one space; beyond
/// `max` bytes the excerpt is cut and ends with "…".
std::string command_excerpt(std::string_view text, size_t offset, size_t length, size_t max = 60);

/// The compiled list.
class DestructivePatterns {
 public:
  /// Parses YAML text; every problem (YAML syntax, unknown key, missing or
  /// duplicate id, unknown scope or definition, RE2 syntax) is a diagnostic
  /// at `path:line:col`. A pattern that parses but is too large to compile
  /// is found only at first use, and then gates (LazyRegex).
  static DestructivePatterns parse(std::shared_ptr<const SourceFile> file, Diagnostics& errors);
  /// The list rbk carries inside its binary (stdlib/destructive-patterns.yaml,
  /// interpreter/base/shipped.hpp), parsed once per process; its problems,
  /// if any, are appended to `errors` on every call.
  static DestructivePatterns load_shipped(Diagnostics& errors);
  /// The shipped list (empty when it does not load: the commands that load
  /// it with load_shipped report why).
  static const DestructivePatterns& shipped();

  /// Analyses `command` and matches every unit of it; with `values`, as it
  /// reads once those values are in (analyse_shell).
  CommandVerdict judge(std::string_view command, const ShellValues* values = nullptr) const;
  /// The first destructive match in `command`, if any (judge's first half).
  std::optional<DestructiveMatch> match(std::string_view command) const;
  const std::vector<DestructivePattern>& patterns() const { return patterns_; }

 private:
  /// Sets v.destructive to the first match among a's commands, if any.
  void match_into(const ShellAnalysis& a, CommandVerdict& v) const;
  struct Compiled;
  std::vector<DestructivePattern> patterns_;
  std::shared_ptr<const Compiled> compiled_;  // one RE2::Set per scope
  std::shared_ptr<const SourceFile> source_;  // diagnostics point into it
};

}  // namespace rbk
