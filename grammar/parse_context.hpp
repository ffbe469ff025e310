// State shared by the grammar's control, its recovery rule and its actions
// while one file is parsed: the diagnostics found so far, the stack of open
// blocks (for "expected '}' to close step 'x' (opened at 9:5)"), and the
// comments seen (kept for the AST).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/source.hpp"

namespace rbk::grammar {

/// What kind of construct an open block is; `None` for rules that are not blocks.
enum class BlockKind {
  None,
  Runbook,
  Module,
  Template,
  Section,
  Step,
  Signal,
  Check,
  Undo,
  String,
  Text,
  Fence,
  List,
  Paren,
  Tags,
  Enum,
  Interp,
  Index
};

/// One block the parser is inside of.
struct OpenBlock {
  BlockKind kind;
  uint32_t begin;  // byte offset of its first character (its keyword)
};

/// The parse state that PEGTL passes to control, actions and recovery.
struct ParseContext {
  explicit ParseContext(const SourceFile& f) : file(f) {}

  const SourceFile& file;
  Diagnostics diagnostics;
  std::vector<OpenBlock> blocks;
  std::map<uint32_t, uint32_t> comments;  // begin → end; a map since backtracking re-reads some
  uint32_t last_error = UINT32_MAX;       // offset of the last reported error
  uint32_t depth = 0;                     // nesting of expressions and blocks
  uint32_t token_start = 0;               // where the last must<> token attempt began
  /// Set when an error means an enclosing '}' is missing (an outer keyword
  /// such as 'remediate' turned up): recovery happens at the level that word
  /// belongs to, not inside the block that lacks its '}'.
  std::string outer_word;
  /// The last '}' indented unlike the line that opened its block, and the
  /// block it closed: likely where a '}' is missing when a later one is.
  struct OddClose {
    uint32_t brace = UINT32_MAX;
    OpenBlock block{BlockKind::None, 0};
  } odd_close;

  /// Deeper nesting than this is refused: each level costs parser stack, and
  /// no runbook needs it.
  static constexpr uint32_t kMaxDepth = 100;

  /// Records a syntax error at `offset`; fills in "{block}" and "{opened}" from the
  /// innermost open block. `kind` picks the special wording for unknown words.
  void report(const char* message, const char* help, uint32_t offset, int kind);
  /// "step 'restart'", "section 'diagnose'", … for the innermost block of `kind` (or any).
  std::string describe(const OpenBlock& b) const;
};

/// Special handling of an error, chosen per rule in messages.hpp.
enum ReportKind {
  kPlain = 0,
  kBadStatement = 1,    // a word where a statement should be
  kBadSectionItem = 2,  // a word where a step/cause/signal/… should be
  kBadItem = 3,         // a word where a runbook item should be
  kBadModuleItem = 4,   // a word where a template should be
  kAtOpener = 5,        // report at the innermost block's start (unterminated text)
  kEscape = 7,          // a bad escape: point at the backslash and its letter
  kTopLevel = 6,        // where a file's 'runbook' should be: suggest for a misspelling
};

}  // namespace rbk::grammar
