// The parse tree → AST builder, shared by the files that define its parts:
// build_ast.cpp (comments, literals, the runbook and the entry point),
// build_expressions.cpp, build_statements.cpp (statements and sections).
#pragma once

#include <charconv>
#include <set>

#include "grammar/parse_tree.hpp"
#include "interpreter/base/names.hpp"

namespace rbk::grammar::build_detail {

using namespace rbk::ast;

class Builder {
 public:
  static constexpr size_t kMaxOperands = 100;

  Builder(std::shared_ptr<const SourceFile> file, const std::map<uint32_t, uint32_t>& comments,
          Diagnostics& diags)
      : file_(std::move(file)), comments_(comments), diags_(diags) {}

  std::unique_ptr<Document> document(const Node& root) {
    auto doc = std::make_unique<Document>();
    doc->source = file_;
    doc->span = Span::of(*file_, 0, static_cast<uint32_t>(file_->text().size()));
    for (const auto& c : root.children) {
      if (c->is_type<import_decl>())
        doc->items.emplace_back(import(*c));
      else if (c->is_type<runbook>())
        doc->items.emplace_back(runbook_node(*c));
      else if (c->is_type<module_decl>())
        doc->items.emplace_back(module_node(*c));
    }
    weave(doc->items, 0, doc->span.end);
    return doc;
  }

 private:
  std::shared_ptr<const SourceFile> file_;
  const std::map<uint32_t, uint32_t>& comments_;
  std::set<uint32_t> used_;
  Diagnostics& diags_;

  Span span(const Node& n) const;
  Ident ident(const Node& n) const { return Ident{span(n), n.string()}; }

  template <typename R>
  static const Node* find(const Node& n) {
    for (const auto& c : n.children)
      if (c->is_type<R>()) return c;
    return nullptr;
  }
  static bool is_string_node(const Node& n);
  static const Node* find_string(const Node& n);

  // ------------------------------------------------------------ comments
  template <typename Item>
  static uint32_t begin_of(const Item& item) {
    return std::visit([](const auto& x) { return x.span.begin; }, item);
  }

  /// Turns the not-yet-used comments inside [lo, hi) into Comment items,
  /// merged into `items` in source order. Inner blocks are built (and take
  /// their comments) before the blocks around them.
  template <typename Item>
  void weave(std::vector<Item>& items, uint32_t lo, uint32_t hi) {
    std::vector<Item> found;
    for (auto it = comments_.lower_bound(lo); it != comments_.end() && it->first < hi; ++it) {
      if (used_.count(it->first)) continue;
      used_.insert(it->first);
      Comment c;
      c.span = Span::of(*file_, it->first, it->second);
      c.text = std::string(c.span.text().substr(1));
      std::string_view before =
          std::string_view(file_->text())
              .substr(file_->line_start(c.span.line), it->first - file_->line_start(c.span.line));
      c.trailing = before.find_first_not_of(" \t") != std::string_view::npos;
      found.emplace_back(std::move(c));
    }
    if (found.empty()) return;
    std::vector<Item> merged;
    merged.reserve(items.size() + found.size());
    size_t i = 0, j = 0;
    while (i < items.size() || j < found.size()) {
      if (j >= found.size() || (i < items.size() && begin_of(items[i]) < begin_of(found[j]))) {
        merged.push_back(std::move(items[i++]));
      } else {
        merged.push_back(std::move(found[j++]));
      }
    }
    items = std::move(merged);
  }

  // ------------------------------------------------------------ literals
  std::optional<int64_t> parse_int(std::string_view s, const Span& where, const char* what);

  Duration duration_of(const Node& n);

  /// Common leading blanks of the non-blank lines.
  static size_t common_indent(std::string_view content);

  static std::string dedent_lines(std::string_view content, uint32_t& indent_out);

  Shell shell(const Node& n);

  StringLit to_string_lit(const Node& n);

  /// A """ text drops its first line break and the blank line before the
  /// closing quotes, and the indentation its lines share.
  void dedent_text(StringLit& s);

  // ------------------------------------------------------------ expressions
  ExprPtr make(ExprKind k, const Node& n);

  ExprPtr binary(BinOp op, ExprPtr lhs, ExprPtr rhs);

  static BinOp op_of(const Node& n);

  ExprPtr to_expr(const Node& n);

  // ------------------------------------------------------------ statements
  std::vector<Arg> args(const Node& n);

  Notify notify(const Node& n);

  Body to_body(const Node& n);

  Statement statement(const Node& n);

  // ------------------------------------------------------------ sections
  SectionItem section_item(const Node& n);

  std::optional<SectionKind> section_kind(const Node& n);

  // ------------------------------------------------------------ runbook
  Param param(const Node& n);

  RunbookItem runbook_item(const Node& n);

  Runbook runbook_node(const Node& n);

  Module module_node(const Node& n);

  Import import(const Node& n);
};

}  // namespace rbk::grammar::build_detail
