// Internal to grammar/: the parse tree parse.cpp's control builds and hands
// to build_ast.cpp (rbk's own nodes, not PEGTL's), and which rules get a
// node in it (PEGTL's parse-tree selector).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <tao/pegtl/contrib/parse_tree.hpp>

#include "grammar/parse_context.hpp"
#include "grammar/rules.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::grammar {

namespace pt = tao::pegtl::parse_tree;

/// Identifies a rule by the address of its own variable (one per rule in
/// the program), so that a type test is one comparison.
template <typename Rule>
inline constexpr char kRuleTag = 0;

struct Node;

/// A node's children, in the order they matched. They are stored once,
/// when the node matched, in the parse's arena.
struct Children {
  /// The children, `count` of them, in the parse's arena.
  Node* const* items = nullptr;
  /// How many there are.
  std::size_t count = 0;

  /// The i-th child; throws std::out_of_range past the end, as a vector's at().
  Node* at(std::size_t i) const {
    if (i >= count) throw std::out_of_range("parse tree child");
    return items[i];
  }
  /// The i-th child, unchecked.
  Node* operator[](std::size_t i) const { return items[i]; }
  /// The first child (there must be one).
  Node* front() const { return items[0]; }
  /// How many there are.
  std::size_t size() const { return count; }
  /// Whether there are none.
  bool empty() const { return count == 0; }
  /// The first, for range-for.
  Node* const* begin() const { return items; }
  /// One past the last.
  Node* const* end() const { return items + count; }
};

/// A kept rule's match: which rule, where (byte offsets into the file), and
/// its children. Nodes live in the TreeState's arena and are freed with it,
/// all at once; none is made for a rule that fails (issue 12: making and
/// freeing one per attempt, and a vector of children per node, was a fifth
/// of `rbk fmt`'s time).
struct Node {
  /// &kRuleTag<Rule> of the rule matched; null for the root.
  const char* tag = nullptr;
  /// The first byte of the match (in the SourceFile's text, at `from`).
  const char* data = nullptr;
  /// Byte offset of the match's start in the file.
  uint32_t from = 0;
  /// Byte offset one past the match's end.
  uint32_t to = 0;
  /// The kept rules matched inside it, in order.
  Children children;

  /// Whether the node is a match of Rule.
  template <typename Rule>
  bool is_type() const noexcept {
    return tag == &kRuleTag<Rule>;
  }
  /// The text the rule matched.
  std::string_view string_view() const noexcept { return {data, to - from}; }
  /// The same, as a string.
  std::string string() const { return std::string(string_view()); }
};

/// The parse tree being built (parse.cpp's control builds it): the nodes
/// matched so far whose parent is still being matched, in order. A rule
/// that may add nodes keeps the stack's size at its start (see control::match).
struct TreeState {
  /// Where nodes and their lists of children live, freed with the tree.
  std::pmr::monotonic_buffer_resource arena{std::size_t{32} << 10};
  /// Nodes matched whose parent is still being matched, in order.
  std::vector<Node*> stack;

  /// A node of `tag` over [from, to) of `text`, whose children are the
  /// stack's nodes from `base` on; they leave the stack.
  Node* make(const char* tag, const char* text, uint32_t from, uint32_t to, std::size_t base) {
    auto* n = new (arena.allocate(sizeof(Node), alignof(Node))) Node;
    n->tag = tag;
    n->data = text + from;
    n->from = from;
    n->to = to;
    const std::size_t count = stack.size() - base;
    if (count > 0) {
      auto** kids = static_cast<Node**>(arena.allocate(count * sizeof(Node*), alignof(Node*)));
      std::copy(stack.begin() + static_cast<std::ptrdiff_t>(base), stack.end(), kids);
      n->children = {kids, count};
      stack.resize(base);
    }
    return n;
  }
};

// clang-format off
/// Rules that become nodes; the expression levels fold away when they hold one child.
template <typename Rule>
using selector = pt::selector<Rule,
  pt::store_content::on<
    capture_name, role_ref, runbook_ref, step_id, cause_id, signal_id, check_id, param_name,
    arg_name, module_ref, template_ref, member_name, name_ref, severity_value, enum_value,
    default_word, secret_name, message_name, cause_severity_value, after_step_id, runbook_name, template_id, module_name, import_alias, tag,
    duration, dur_value, number, retry_count, true_lit, false_lit,
    string_lit, title, signal_title, check_title, cause_title, import_path, secret_env_name,
    text_lit, str_escape, dollar_escape, interp, str_plain, str_dollar, text_plain,
    fenced_shell, fenced_content, inline_shell, inline_content, regex, regex_body, regex_flags,
    list_lit, member, index, negation,
    op_eq, op_ne, op_le, op_ge, op_lt, op_gt, op_contains, op_not_in, op_in, op_matches,
    run_stmt, timeout_opt, retry_opt, every_opt, within_opt, holds_for, until_within, destructive_stmt,
    evidence_stmt, safe_stmt, confirm_stmt, confirm_typed, until_stmt, verify_stmt, undo_stmt, on_failure_stmt, on_targets_stmt, serial_count, max_fail_count, parallel_count,
    policy_continue, policy_rollback, policy_abort, note_stmt, manual_stmt, ask_stmt, ask_name, arg, call_stmt,
    use_stmt, page_action, notify_action, when_clause, step_when, cause_when, firing_stmt,
    passes_stmt, body, step, signal, check, cause, esc_after, after_from_step, esc_every, esc_every_for, esc_on, esc_event_failure, esc_event_interrupted,
    esc_event_success, alert_section, diagnose_section, causes_section, remediate_section,
    verify_section, rollback_section, finally_section, escalate_section, meta_title, meta_severity, meta_owner,
    meta_tags, tag_list, meta_summary, param_decl, type_enum, type_string, type_int, type_bool,
    type_duration, type_list, type_targets, param_default, secret_decl, secret_env, secret_command, message_decl, runbook,
    template_decl, template_body, module_decl, import_decl, paren>,
  pt::fold_one::on<expr, when_cond, typed_value, on_targets, arg_value, and_expr, or_operand, comparison,
                   postfix, operand>>;
// clang-format on

/// Turns a parse tree (no syntax errors) into the AST; the comments
/// collected while parsing become items of the blocks that hold them.
std::unique_ptr<ast::Document> build_document(const Node& root,
                                              std::shared_ptr<const SourceFile> file,
                                              const std::map<uint32_t, uint32_t>& comments,
                                              Diagnostics& diagnostics);

}  // namespace rbk::grammar
