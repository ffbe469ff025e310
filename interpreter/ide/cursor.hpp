// Where a cursor sits in a document's text, read from the text itself: an
// edit in progress rarely parses (`when conns.` is a syntax error until the
// field is typed), so completion cannot wait for an AST. A light scan from
// the start to the cursor knows comments, strings with their `${…}`, shell
// literals and regexes, the blocks the cursor is in, and the words of the
// statement before it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rbk::ide {

/// A block around the cursor: the keyword that opened it and the word after.
struct Block {
  std::string keyword;  // "runbook", "diagnose", "step", "undo", "template"…; "" when none
  std::string name;     // "restart" for `step restart "…" {`; "" when none
};

/// What the text says about one cursor position.
struct CursorContext {
  /// What the cursor is inside.
  enum class In { Code, Comment, String, Shell, Regex };
  In in = In::Code;
  /// In code inside a string's `${…}`.
  bool interpolation = false;
  /// The blocks around the cursor, outermost first.
  std::vector<Block> blocks;
  /// The tokens of the statement before the cursor, the partial word left
  /// out: words, and each other character on its own ("." "=" "("); a
  /// string or shell literal is one token, `"` or "`". Inside `${…}`, the
  /// interpolation's tokens.
  std::vector<std::string> tokens;
  /// The statement's tokens when the cursor is in one of its strings or
  /// shell literals (`import "std` gives {"import"}).
  std::vector<std::string> statement;
  /// The partial word before the cursor (letters, digits, '_', '-') and
  /// where it starts.
  std::string word;
  size_t word_begin = 0;
  /// The word follows a '.': the names before it ("step.restart" for
  /// `step.restart.ok`), "" when what precedes the '.' is not a name.
  bool after_dot = false;
  std::string dotted;
  /// In a shell literal, the word follows `$` or `${`.
  bool after_dollar = false;
  /// In a string: where its text starts (after the opening quote).
  size_t string_begin = 0;
};

/// The context of byte `offset` of `text` (clamped to its size).
CursorContext cursor_context(std::string_view text, size_t offset);

}  // namespace rbk::ide
