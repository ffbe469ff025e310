// Internal to grammar/: the PEGTL parse tree handed from parse.cpp to
// build_ast.cpp, and which rules get a node in it.
#pragma once

#include <tao/pegtl/contrib/parse_tree.hpp>

#include "grammar/parse_context.hpp"
#include "grammar/rules.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::grammar {

namespace pt = tao::pegtl::parse_tree;

/// A parse-tree node whose memory is reused from a per-thread free list: a
/// runbook's parse makes thousands of nodes and frees them at once, and a
/// malloc and a free for each was a tenth of `rbk lint`'s time.
struct Node : pt::basic_node<Node> {
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
};

/// The parse tree being built (parse.cpp's control builds it, in place of
/// PEGTL's parse_tree::parse): the nodes of kept rules still being matched,
/// the root first, and for each other rule that may hold such nodes, how
/// many children the open node had when the rule started, so that its
/// failure drops only what it added. PEGTL's builder gives each such rule a
/// node of its own instead: two thirds of the nodes a runbook's parse made.
struct TreeState {
  std::vector<std::unique_ptr<Node>> open;
  std::vector<size_t> marks;
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
