// Runs the PEGTL grammar over one file: the control tracks open blocks and
// turns a failed must<> into a Diagnostic; recovery resumes at the next item.
#include "grammar/parse.hpp"

#include <cstring>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "grammar/keywords.hpp"
#include "grammar/messages.hpp"
#include "grammar/parse_tree.hpp"
#include "grammar/rules.hpp"
#include "interpreter/base/suggest.hpp"

namespace rbk::grammar {

namespace {

// clang-format off
template <typename Rule> inline constexpr BlockKind block_of = BlockKind::None;
template <> inline constexpr BlockKind block_of<runbook> = BlockKind::Runbook;
template <> inline constexpr BlockKind block_of<module_decl> = BlockKind::Module;
template <> inline constexpr BlockKind block_of<template_decl> = BlockKind::Template;
template <> inline constexpr BlockKind block_of<alert_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<diagnose_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<causes_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<remediate_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<verify_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<rollback_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<finally_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<escalate_section> = BlockKind::Section;
template <> inline constexpr BlockKind block_of<step> = BlockKind::Step;
template <> inline constexpr BlockKind block_of<signal> = BlockKind::Signal;
template <> inline constexpr BlockKind block_of<check> = BlockKind::Check;
template <> inline constexpr BlockKind block_of<undo_stmt> = BlockKind::Undo;
template <> inline constexpr BlockKind block_of<string_lit> = BlockKind::String;
template <> inline constexpr BlockKind block_of<title> = BlockKind::String;
template <> inline constexpr BlockKind block_of<signal_title> = BlockKind::String;
template <> inline constexpr BlockKind block_of<check_title> = BlockKind::String;
template <> inline constexpr BlockKind block_of<cause_title> = BlockKind::String;
template <> inline constexpr BlockKind block_of<import_path> = BlockKind::String;
template <> inline constexpr BlockKind block_of<secret_env_name> = BlockKind::String;
template <> inline constexpr BlockKind block_of<text_lit> = BlockKind::Text;
template <> inline constexpr BlockKind block_of<fenced_shell> = BlockKind::Fence;
template <> inline constexpr BlockKind block_of<list_lit> = BlockKind::List;
template <> inline constexpr BlockKind block_of<paren> = BlockKind::Paren;
template <> inline constexpr BlockKind block_of<tag_list> = BlockKind::Tags;
template <> inline constexpr BlockKind block_of<type_enum> = BlockKind::Enum;
template <> inline constexpr BlockKind block_of<interp> = BlockKind::Interp;
template <> inline constexpr BlockKind block_of<index> = BlockKind::Index;
// clang-format on

// Rules that cannot fail need no message when wrapped in must<>.
template <typename R>
struct never_fails : std::false_type {};
template <typename... R>
struct never_fails<tao::pegtl::internal::opt<R...>> : std::true_type {};
template <typename... R>
struct never_fails<tao::pegtl::internal::star<R...>> : std::true_type {};

template <typename Input>
uint32_t offset_of(const Input& in) {
  return static_cast<uint32_t>(in.current() - in.begin());
}

// Tokens that may match in part before failing inside a must<>.
template <typename Rule>
inline constexpr bool is_token =
    std::is_same_v<Rule, dur_value> || std::is_same_v<Rule, retry_count> ||
    std::is_same_v<Rule, capture_name> || std::is_same_v<Rule, role_ref> ||
    std::is_same_v<Rule, step_id> || std::is_same_v<Rule, cause_id> ||
    std::is_same_v<Rule, param_name> || std::is_same_v<Rule, secret_name> ||
    std::is_same_v<Rule, member_name> || std::is_same_v<Rule, template_ref> ||
    std::is_same_v<Rule, module_ref> || std::is_same_v<Rule, runbook_ref> ||
    std::is_same_v<Rule, severity_value> || std::is_same_v<Rule, enum_value> ||
    std::is_same_v<Rule, message_name> || std::is_same_v<Rule, cause_severity_value> ||
    std::is_same_v<Rule, after_step_id> || std::is_same_v<Rule, ask_name> ||
    std::is_same_v<Rule, serial_count> || std::is_same_v<Rule, max_fail_count> ||
    std::is_same_v<Rule, parallel_count>;

/// Remembers a '}' that is indented unlike the first line of its block.
void note_close(ParseContext& ctx, uint32_t end) {
  if (ctx.blocks.empty() || end == 0) return;
  std::string_view text = ctx.file.text();
  uint32_t brace = end - 1;
  if (text[brace] != '}') return;
  const SourceFile& f = ctx.file;
  auto indent_of = [&](uint32_t offset) {
    uint32_t p = f.line_start(f.line_of(offset));
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
    return p;
  };
  uint32_t brace_line_first = indent_of(brace);
  if (brace_line_first != brace) return;  // `undo { note "x" }` on one line is fine
  const OpenBlock& b = ctx.blocks.back();
  if (f.column_of(brace) != f.column_of(indent_of(b.begin))) ctx.odd_close = {brace, b};
}

// Rules whose nesting is counted against ParseContext::kMaxDepth.
template <typename Rule>
inline constexpr bool nests =
    std::is_same_v<Rule, expr> || std::is_same_v<Rule, negation> ||
    std::is_same_v<Rule, list_lit> || std::is_same_v<Rule, body> || std::is_same_v<Rule, interp>;

/// Finds the TreeState among PEGTL's state arguments.
template <typename... States>
TreeState& tree_of(States&... st) {
  return state_of<TreeState>(st...);
}

/// Whether a rule's sub-rules, to `Depth` levels, may make nodes (past
/// that depth, assumed so).
template <unsigned Depth, typename Subs>
inline constexpr bool may_make_nodes = false;
template <typename... Rules>
inline constexpr bool may_make_nodes<0, tao::pegtl::type_list<Rules...>> = sizeof...(Rules) > 0;
template <unsigned Depth, typename... Rules>
requires(Depth > 0) inline constexpr bool may_make_nodes<Depth, tao::pegtl::type_list<Rules...>> =
    ((selector<Rules>::value || may_make_nodes<Depth - 1, typename Rules::subs_t>) || ...);

/// The grammar's control: the parse tree (TreeState), block tracking for
/// messages, a nesting limit (deep nesting would exhaust the stack), and
/// errors as Diagnostics.
template <typename Rule>
struct control : tao::pegtl::normal<Rule> {
  /// A rule the selector keeps: it gets a node.
  static constexpr bool kNode = selector<Rule>::value;
  /// A kept rule that stands for its only child when it has one (fold_one).
  static constexpr bool kFold = std::is_base_of_v<pt::fold_one, selector<Rule>>;
  /// Another rule whose sub-rules may add nodes to the tree.
  static constexpr bool kMark = !kNode && may_make_nodes<8, typename Rule::subs_t>;

  /// Every rule is matched through here, PEGTL's hidden ones included (the
  /// seq<> inside opt<A, B>…). A rule that may add nodes remembers how many
  /// the tree held and, when it fails, drops what it added; a kept rule that
  /// matched takes them as its children. An exception skips this: recover<>
  /// cuts the tree back itself.
  template <tao::pegtl::apply_mode A, tao::pegtl::rewind_mode M,
            template <typename...> class Action, template <typename...> class Control,
            typename Input, typename... States>
  [[nodiscard]] static bool match(Input& in, States&... st) {
    using base = tao::pegtl::normal<Rule>;
    if constexpr (kNode || kMark) {
      TreeState& tree = tree_of(st...);
      const std::size_t mark = tree.stack.size();
      [[maybe_unused]] const uint32_t from = offset_of(in);
      if (!base::template match<A, M, Action, Control>(in, st...)) {
        tree.stack.resize(mark);
        return false;
      }
      // A folding rule with one child is that child, already in its place.
      if constexpr (kNode) {
        if (!kFold || tree.stack.size() - mark != 1)
          tree.stack.push_back(tree.make(&kRuleTag<Rule>, in.begin(), from, offset_of(in), mark));
      }
      return true;
    } else {
      return base::template match<A, M, Action, Control>(in, st...);
    }
  }

  template <typename Input, typename... States>
  static void start(const Input& in, States&... st) {
    begin_rule(in, st...);
  }
  template <typename Input, typename... States>
  static void success(const Input& in, States&... st) {
    end_rule(in, st...);
  }
  template <typename Input, typename... States>
  static void failure(const Input&, States&... st) {
    leave<Input>(st...);
  }
  template <typename Input, typename... States>
  static void unwind(const Input&, States&... st) {
    leave<Input>(st...);
  }

 private:
  template <typename Input, typename... States>
  static void begin_rule(const Input& in, States&... st) {
    ParseContext& ctx = context_of(st...);
    if constexpr (block_of<Rule> != BlockKind::None) {
      ctx.blocks.push_back({block_of<Rule>, offset_of(in)});
    }
    if constexpr (is_token<Rule>) ctx.token_start = offset_of(in);
    if constexpr (nests<Rule>) {
      if (++ctx.depth > ParseContext::kMaxDepth) {
        // start() runs outside PEGTL's unwind guard: undo our own bookkeeping.
        --ctx.depth;
        if constexpr (block_of<Rule> != BlockKind::None) ctx.blocks.pop_back();
        ctx.report("nested too deeply (more than 100 levels)",
                   "split the expression or block into simpler parts", offset_of(in), kPlain);
        throw tao::pegtl::parse_error("nested too deeply", in);
      }
    }
  }
  template <typename Input, typename... States>
  static void leave(States&... st) {
    ParseContext& ctx = context_of(st...);
    if constexpr (block_of<Rule> != BlockKind::None) ctx.blocks.pop_back();
    if constexpr (nests<Rule>) --ctx.depth;
  }
  template <typename Input, typename... States>
  static void end_rule(const Input& in, States&... st) {
    if constexpr (block_of<Rule> == BlockKind::Step || block_of<Rule> == BlockKind::Section ||
                  block_of<Rule> == BlockKind::Signal || block_of<Rule> == BlockKind::Check ||
                  block_of<Rule> == BlockKind::Undo || block_of<Rule> == BlockKind::Template) {
      note_close(context_of(st...), offset_of(in));
    }
    leave<Input>(st...);
  }

 public:
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&... st) {
    static_assert(error_info<Rule>.message != nullptr || never_fails<typename Rule::rule_t>::value,
                  "a rule used in must<> needs an entry in grammar/messages.hpp");
    constexpr ErrorInfo info = error_info<Rule>;
    ParseContext& ctx = context_of(st...);
    uint32_t at = offset_of(in);
    // A token that matched in part (`10x` for a duration) left the input
    // inside it: point at its start instead.
    if constexpr (is_token<Rule>) {
      if (ctx.token_start <= at) at = ctx.token_start;
    }
    ctx.report(info.message ? info.message : "syntax error", info.help, at, info.kind);
    throw tao::pegtl::parse_error(info.message ? info.message : "syntax error", in);
  }
};

/// Collects comments (by offset, so backtracking does not duplicate them).
template <typename Rule>
struct action : tao::pegtl::nothing<Rule> {};
template <>
struct action<comment> {
  template <typename Input>
  static void apply(const Input& in, ParseContext& ctx, TreeState&) {
    auto b = static_cast<uint32_t>(in.begin() - in.input().begin());
    ctx.comments[b] = b + static_cast<uint32_t>(in.size());
  }
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

/// The word starting at `pos`, or "" if there is none.
std::string_view word_at(std::string_view text, uint32_t pos) {
  uint32_t e = pos;
  while (e < text.size() && is_word_char(text[e])) ++e;
  return text.substr(pos, e - pos);
}

/// Skips blanks and comments from `pos`.
uint32_t skip_space(std::string_view text, uint32_t pos) {
  while (pos < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[pos]))) {
      ++pos;
    } else if (text[pos] == '#') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
  return pos;
}

/// The length (in bytes) of the token at `pos`, for the '~' underline.
uint32_t token_length(std::string_view text, uint32_t pos) {
  if (pos >= text.size()) return 0;
  uint32_t w = static_cast<uint32_t>(word_at(text, pos).size());
  if (w > 0) return w;
  if (text[pos] == '\n' || text[pos] == '\r') return 0;
  // Underline a whole operator such as "==" or "<=".
  uint32_t e = pos;
  while (e < text.size() && std::strchr("=!<>", text[e]) && text[e] != '\0') ++e;
  return e > pos ? e - pos : 1;
}

}  // namespace

std::string ParseContext::describe(const OpenBlock& b) const {
  std::string_view text = file.text();
  std::string_view kw = word_at(text, b.begin);
  uint32_t p = skip_space(text, b.begin + static_cast<uint32_t>(kw.size()));
  std::string_view name = word_at(text, p);
  auto quoted_or_name = [&]() -> std::string {
    if (!name.empty()) return "'" + std::string(name) + "'";
    if (p < text.size() && text[p] == '"') {
      size_t e = text.find_first_of("\"\n", p + 1);
      if (e == std::string_view::npos) e = text.size();
      std::string t(text.substr(p + 1, e - p - 1));
      if (t.size() > 40) t = t.substr(0, 37) + "...";
      return "\"" + t + "\"";
    }
    return "";
  };
  switch (b.kind) {
    case BlockKind::Runbook:
      return "runbook " + quoted_or_name();
    case BlockKind::Module:
      return "module " + quoted_or_name();
    case BlockKind::Template:
      return "template " + quoted_or_name();
    case BlockKind::Section:
      return "section '" + std::string(kw) + "'";
    case BlockKind::Step:
      return "step " + quoted_or_name();
    case BlockKind::Signal:
      return "signal " + quoted_or_name();
    case BlockKind::Check:
      return "check " + quoted_or_name();
    case BlockKind::Undo:
      return "the undo block";
    case BlockKind::String:
      return "the string";
    case BlockKind::Text:
      return "the \"\"\" text";
    case BlockKind::Fence:
      return "the ``` block";
    case BlockKind::List:
      return "the list";
    case BlockKind::Paren:
      return "the parenthesis";
    case BlockKind::Tags:
      return "the tag list";
    case BlockKind::Enum:
      return "the enum";
    case BlockKind::Interp:
      return "'${'";
    case BlockKind::Index:
      return "the index";
    case BlockKind::None:
      break;
  }
  return "the block";
}

void ParseContext::report(const char* message, const char* help, uint32_t offset, int kind) {
  std::string_view text = file.text();
  std::string msg = message;
  std::string hint = help ? help : "";
  const OpenBlock* top = blocks.empty() ? nullptr : &blocks.back();
  uint32_t at = offset;
  uint32_t len = token_length(text, offset);
  std::string word(word_at(text, offset));
  outer_word.clear();

  auto replace = [&](const std::string& key, const std::string& value) {
    size_t i = msg.find(key);
    if (i != std::string::npos) msg.replace(i, key.size(), value);
  };

  // A word where a statement or item should be: either an unknown keyword
  // (suggest the closest one) or an outer keyword, meaning a '}' is missing.
  if (kind == kBadStatement || kind == kBadSectionItem || kind == kBadItem ||
      kind == kBadModuleItem) {
    const auto& here = kind == kBadStatement ? keywords::statements()
                       : kind == kBadItem    ? keywords::runbook_items()
                       : kind == kBadModuleItem
                           ? keywords::module_items()
                           : keywords::section_items(top ? word_at(text, top->begin) : "");
    // Inside a section only a runbook-level word means the section's '}' is
    // missing; a step in alert is a misplaced item, reported as such below.
    bool outer = (kind == kBadSectionItem
                      ? keywords::is_runbook_item(word) || word == "runbook" || word == "import"
                      : keywords::is_structural(word)) &&
                 !keywords::contains(here, word);
    if (outer && top) {
      msg = "expected '}' to close {block}{opened} before '" + word + "'";
      hint = "";
      outer_word = word;
    } else if (kind == kBadStatement) {
      msg = "unknown statement '" + word + "' in {block}";
      hint = did_you_mean(word, keywords::statement_like());
      if (hint.empty()) hint = "a step holds: " + keywords::join(keywords::statements());
    } else if (kind == kBadItem) {
      msg = "unknown item '" + word + "' in {block}";
      hint = did_you_mean(word, keywords::runbook_items());
      if (hint.empty()) hint = "a runbook holds: " + keywords::join(keywords::runbook_items());
    } else if (kind == kBadModuleItem) {
      msg = "unknown item '" + word + "' in {block}";
      hint = did_you_mean(word, here);
      if (hint.empty()) hint = "a module holds templates: template ID \"title\" { … }";
    } else {
      std::string sect(top ? word_at(text, top->begin) : "");
      msg = "unknown item '" + word + "' in {block}";
      hint = did_you_mean(word, here);
      std::string home = keywords::section_of_item(word);
      if (!home.empty() && home != sect) {
        msg = "'" + word + "' does not belong in {block}";
        hint = "'" + word + "' items go in the " + home + " section";
      } else if (hint.empty()) {
        hint = "the " + sect + " section holds: " + keywords::join(here);
      }
    }
  }

  // A '}' indented unlike its block's first line, inside the block that now
  // lacks one, is the likely culprit: say where it is.
  if (top && msg.find("'}' to close") != std::string::npos && odd_close.brace != UINT32_MAX &&
      odd_close.brace > top->begin && odd_close.brace < offset) {
    Span brace = Span::of(file, odd_close.brace, odd_close.brace + 1);
    Span opened = Span::of(file, odd_close.block.begin, odd_close.block.begin);
    hint = "the '}' at " + brace.where() + " closed " + describe(odd_close.block) + " (opened at " +
           opened.where() + ") but is not indented like it; is a '}' missing there?";
  }

  if (kind == kEscape && offset > 0) {
    at = offset - 1;
    len = offset < text.size() && text[offset] != '\n' ? 2 : 1;
  }

  if (msg.rfind("unexpected text after the end", 0) == 0 && word == "import") {
    hint = "imports go at the top of the file, before the runbook";
  }

  if (kind == kTopLevel && !word.empty()) {
    std::string guess = did_you_mean(word, {"runbook", "module", "import"});
    if (!guess.empty()) hint = guess;
  }

  if (kind == kAtOpener && top) {
    at = top->begin;
    len = 3;
  }
  replace("{block}", top ? describe(*top) : std::string("the file"));
  if (top) {
    Span s = Span::of(file, top->begin, top->begin);
    replace("{opened}", " (opened at " + s.where() + ")");
  } else {
    replace("{opened}", "");
  }

  // One error per position: a later raise at the same place adds nothing.
  if (at == last_error && !diagnostics.empty()) return;
  last_error = offset;
  diagnostics.push_back(error_at(Span::of(file, at, at + len), std::move(msg), std::move(hint)));
}

bool belongs_here(const ParseContext& ctx, const std::string& word) {
  if (ctx.blocks.empty()) return false;
  const OpenBlock& top = ctx.blocks.back();
  if (top.kind == BlockKind::Runbook) return keywords::is_runbook_item(word);
  if (top.kind == BlockKind::Module) return word == "template";
  if (top.kind == BlockKind::Section)
    return keywords::is_section_item(word_at(ctx.file.text(), top.begin), word);
  return false;
}

namespace {

/// For one-line layouts (`causes { cause c "x" when a == b == c }`): scans
/// braces from the item's start to the end of the error's line, skipping
/// strings, shell literals and comments. Returns where the item's block
/// closes after the error, or where the enclosing block's '}' is, or
/// UINT32_MAX when neither is on that line (the line-based rule applies).
uint32_t resume_on_error_line(std::string_view text, uint32_t item_begin, uint32_t error) {
  size_t line_end = text.find('\n', error);
  if (line_end == std::string_view::npos) line_end = text.size();
  int depth = 0;
  for (size_t p = item_begin; p < line_end; ++p) {
    char c = text[p];
    if (c == '#') {
      while (p < text.size() && text[p] != '\n') ++p;
      if (p >= line_end) break;
    } else if (c == '"' || c == '`') {
      if (text.compare(p, 3, c == '"' ? "\"\"\"" : "```") == 0) return UINT32_MAX;
      for (++p; p < text.size() && text[p] != c && text[p] != '\n'; ++p)
        if (c == '"' && text[p] == '\\') ++p;
      if (p >= line_end) break;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0) return static_cast<uint32_t>(p);  // the enclosing block's '}'
      if (--depth == 0 && p >= error) return static_cast<uint32_t>(p + 1);
    }
  }
  return UINT32_MAX;
}

}  // namespace

uint32_t resume_offset(const ParseContext& ctx, uint32_t item_begin, uint32_t error) {
  const std::string_view text = ctx.file.text();
  const SourceFile& f = ctx.file;
  if (error == UINT32_MAX || error < item_begin) error = item_begin;
  if (ctx.outer_word.empty()) {
    uint32_t same_line = resume_on_error_line(text, item_begin, error);
    if (same_line != UINT32_MAX && same_line > item_begin) return same_line;
  }
  const uint32_t item_col = f.column_of(item_begin);
  uint32_t line = f.line_of(error);
  if (line == f.line_of(item_begin)) ++line;
  for (; line <= f.line_count(); ++line) {
    uint32_t start = f.line_start(line);
    uint32_t p = start;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
    if (p >= text.size() || text[p] == '\n' || text[p] == '\r' || text[p] == '#') continue;
    uint32_t col = f.column_of(p);
    if (text[p] == '}' && col < item_col) return start;
    std::string w(word_at(text, p));
    if (w.empty()) continue;
    if (belongs_here(ctx, w) && col <= item_col) return start;
    if (keywords::is_runbook_item(w) && col < item_col) return start;
  }
  return static_cast<uint32_t>(text.size());
}

}  // namespace rbk::grammar

namespace rbk::grammar {

std::size_t tree_mark(const TreeState& tree) {
  return tree.stack.size();
}

void cut_tree(TreeState& tree, std::size_t mark) {
  if (mark < tree.stack.size()) tree.stack.resize(mark);
}

}  // namespace rbk::grammar

namespace rbk {

ParseResult parse(std::shared_ptr<const SourceFile> file) {
  using namespace grammar;
  ParseResult result;
  result.source = file;
  // Runbooks are UTF-8 text: a stray byte would end up in the record, a
  // JSON report or a terminal, and a NUL in a shell literal would cut the
  // command short. Refused here, at its line and column, for every command.
  if (size_t bad = first_bad_text_byte(file->text()); bad != std::string_view::npos) {
    result.diagnostics.push_back(bad_text_error(*file, bad, "runbooks"));
    return result;
  }
  ParseContext ctx(*file);
  tao::pegtl::memory_input<tao::pegtl::tracking_mode::lazy> in(file->text(), file->path());
  // The tree's nodes live in its arena until the AST is built.
  TreeState tree;
  const Node* root = nullptr;
  try {
    if (tao::pegtl::parse<document, action, control>(in, ctx, tree))
      root = tree.make(nullptr, in.begin(), 0, offset_of(in), 0);
  } catch (const tao::pegtl::parse_error& e) {
    // Already reported by the control; anything else gets a plain message.
    if (ctx.diagnostics.empty()) {
      const auto& pos = e.positions().front();
      auto off = static_cast<uint32_t>(pos.byte);
      ctx.diagnostics.push_back(error_at(Span::of(*file, off, off + 1), std::string(e.message())));
    }
  }
  result.diagnostics = std::move(ctx.diagnostics);
  if (root && result.diagnostics.empty()) {
    result.document = build_document(*root, file, ctx.comments, result.diagnostics);
    if (has_errors(result.diagnostics)) result.document.reset();
  }
  if (!root && result.diagnostics.empty()) {
    result.diagnostics.push_back(error_at(Span::of(*file, 0, 0), "could not parse the file"));
  }
  return result;
}

size_t analyze_grammar() {
  return tao::pegtl::analyze<grammar::document>(-1);
}

}  // namespace rbk
