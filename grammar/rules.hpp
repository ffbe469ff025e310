// The .rbk grammar, one PEGTL rule per struct. Rules only: error messages
// live in messages.hpp, AST building in build_ast.cpp.
//
// Layout is free-form (newlines are whitespace): every statement starts with
// a keyword, so no separator is needed. `sk` skips whitespace and comments.
// `if_must<kw, …>` marks a commit point: once a keyword is seen, what follows
// must match, and a mismatch is reported at that exact place.
#pragma once

#include <tao/pegtl.hpp>

#include "grammar/recover.hpp"

namespace rbk::grammar {

namespace pegtl = tao::pegtl;
using namespace tao::pegtl;

// ---------------------------------------------------------------- lexical
struct comment : seq<one<'#'>, star<not_one<'\r', '\n'>>> {};
struct sk : star<sor<plus<space>, comment>> {};

struct ident_first : ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
struct word_other : sor<ident_other, one<'-'>> {};
/// A keyword: the exact text, not followed by a word character.
template <typename Str>
struct key : seq<Str, not_at<word_other>> {};

#define RBK_KEY(name) \
  struct kw_##name : key<TAO_PEGTL_STRING(#name)> {}
RBK_KEY(runbook);
RBK_KEY(module);
RBK_KEY(template);
RBK_KEY(import);
RBK_KEY(as);
RBK_KEY(title);
RBK_KEY(severity);
RBK_KEY(owner);
RBK_KEY(tags);
RBK_KEY(summary);
RBK_KEY(param);
RBK_KEY(secret);
RBK_KEY(message);
RBK_KEY(ask);
RBK_KEY(from);
RBK_KEY(env);
RBK_KEY(string);
RBK_KEY(int);
RBK_KEY(bool);
RBK_KEY(duration);
RBK_KEY(enum);
RBK_KEY(list);
RBK_KEY(targets);
RBK_KEY(alert);
RBK_KEY(diagnose);
RBK_KEY(causes);
RBK_KEY(remediate);
RBK_KEY(verify);
RBK_KEY(rollback);
RBK_KEY(finally);
RBK_KEY(escalate);
RBK_KEY(signal);
RBK_KEY(step);
RBK_KEY(cause);
RBK_KEY(check);
RBK_KEY(run);
RBK_KEY(timeout);
RBK_KEY(retry);
RBK_KEY(every);
RBK_KEY(within);
RBK_KEY(for);
RBK_KEY(holds);
RBK_KEY(destructive);
RBK_KEY(evidence);
RBK_KEY(safe);
RBK_KEY(confirm);
RBK_KEY(typed);
RBK_KEY(until);
RBK_KEY(undo);
RBK_KEY(on);
RBK_KEY(failure);
RBK_KEY(serial);
RBK_KEY(max_fail);
RBK_KEY(parallel);
RBK_KEY(success);
RBK_KEY(interrupted);
RBK_KEY(continue);
RBK_KEY(abort);
RBK_KEY(note);
RBK_KEY(manual);
RBK_KEY(call);
RBK_KEY(with);
RBK_KEY(page);
RBK_KEY(notify);
RBK_KEY(firing);
RBK_KEY(passes);
RBK_KEY(when);
RBK_KEY(use);
RBK_KEY(after);
RBK_KEY(and);
RBK_KEY(or);
RBK_KEY(not );
RBK_KEY(in);
RBK_KEY(contains);
RBK_KEY(matches);
RBK_KEY(true);
RBK_KEY(false);
#undef RBK_KEY

/// Identifiers: letters, digits, '_' (also valid environment variable names).
struct ident : seq<ident_first, star<ident_other>> {};
/// Words may also hold '-': runbook names, roles, severities, enum values.
struct word : seq<ident_first, star<word_other>> {};
/// Words reserved inside expressions: the operators, and the words that
/// start a statement, so that `confirm typed` followed by a `run` line on
/// the next line is an error at `run`, not a value named "run".
struct reserved : sor<kw_and, kw_or, kw_not, kw_in, kw_contains, kw_matches, kw_true, kw_false,
                      kw_run, kw_destructive, kw_evidence, kw_safe, kw_confirm, kw_until, kw_undo,
                      kw_on, kw_note, kw_manual, kw_ask, kw_call, kw_page, kw_notify, kw_firing,
                      kw_passes, kw_use, kw_when, kw_verify> {};

/// Rule, tried only where Guard matches: in a long sor<> of rules, one that
/// fails at its first token is then not entered at all (no control hooks,
/// no mark on the parse tree; issue 12).
/// Guard must make no node at all (nodes made inside at<> stay in the tree),
/// and must match wherever Rule does. list_lit is not keyed: its start()
/// counts nesting even when no '[' follows, and the limit stays where it was.
template <typename Guard, typename Rule>
struct keyed_by : seq<at<Guard>, Rule> {};
template <typename List>
struct head_of;
template <typename First, typename... Rest>
struct head_of<tao::pegtl::type_list<First, Rest...>> {
  using type = First;
};
/// Rule, tried only where its first part (a keyword) matches: for a seq<>
/// or if_must<> (its first part is then what must match first; a sor<>'s
/// first part would be only its first choice).
template <typename Rule>
struct keyed : keyed_by<typename head_of<typename Rule::subs_t>::type, Rule> {};

// ---------------------------------------------------------------- literals
struct digits : plus<digit> {};
struct dur_unit : sor<TAO_PEGTL_STRING("ms"), one<'s', 'm', 'h', 'd'>> {};
struct duration : seq<plus<digits, dur_unit>, not_at<word_other>> {};
struct number : seq<opt<one<'-'>>, digits, opt<one<'.'>, digits>, not_at<word_other>> {};
struct integer : seq<digits, not_at<word_other>> {};

struct expr;

// Strings: "…" on one line with escapes; """…""" over several lines.
// Both interpolate ${expr}; `$${` writes a literal "${".
struct escape_char : one<'"', '\\', 'n', 't', '$'> {};
struct str_escape : seq<one<'\\'>, must<escape_char>> {};
struct dollar_escape : TAO_PEGTL_STRING("$${") {};
struct interp_close : one<'}'> {};
struct interp : seq<TAO_PEGTL_STRING("${"), sk, must<expr>, sk, must<interp_close>> {};
struct str_dollar : one<'$'> {};
struct str_plain : plus<not_one<'"', '\\', '\r', '\n', '$'>> {};
struct string_close : one<'"'> {};
struct string_lit
    : seq<not_at<TAO_PEGTL_STRING("\"\"\"")>, one<'"'>,
          star<sor<str_escape, dollar_escape, interp, str_plain, str_dollar>>, must<string_close>> {
};
struct triple_quote : TAO_PEGTL_STRING("\"\"\"") {};
struct text_plain : plus<not_at<triple_quote>, not_one<'$'>> {};
struct text_close : triple_quote {};
struct text_lit : seq<triple_quote, star<sor<dollar_escape, interp, text_plain, str_dollar>>,
                      must<text_close>> {};
struct text_or_string : sor<text_lit, string_lit> {};

// Shell literals are raw: no escapes, no interpolation, kept byte for byte.
struct fence : TAO_PEGTL_STRING("```") {};
struct fence_open_eol : seq<star<blank>, eol> {};
struct fence_close : seq<star<blank>, fence> {};
struct fenced_line : seq<not_at<fence_close>, until<eol>> {};
struct fenced_content : star<fenced_line> {};
struct fenced_shell : seq<fence, must<fence_open_eol>, fenced_content, must<fence_close>> {};
struct inline_content : star<not_one<'`', '\r', '\n'>> {};
struct inline_close : one<'`'> {};
struct inline_shell : seq<one<'`'>, inline_content, must<inline_close>> {};
struct shell : sor<fenced_shell, inline_shell> {};

// ---------------------------------------------------------------- expressions
struct regex_body : star<sor<seq<one<'\\'>, not_one<'\r', '\n'>>, not_one<'/', '\r', '\n'>>> {};
struct regex_close : one<'/'> {};
/// Any letters: the check pass names an unknown flag rather than the parser failing.
struct regex_flags : star<ident_other> {};
struct regex : seq<one<'/'>, regex_body, must<regex_close>, regex_flags> {};

struct true_lit : kw_true {};
struct false_lit : kw_false {};
struct list_close : one<']'> {};
struct list_lit : seq<one<'['>, sk, opt<expr, star<sk, one<','>, sk, expr>, opt<sk, one<','>>>, sk,
                      must<list_close>> {};
struct paren_close : one<')'> {};
struct paren : seq<one<'('>, sk, must<expr>, sk, must<paren_close>> {};
struct name_ref : seq<not_at<reserved>, ident> {};
/// A number glued to letters (`10x`, `1.5s`): reported, not guessed at.
struct bad_number : seq<at<digit>, raise<bad_number>> {};
struct primary : sor<keyed<text_lit>, keyed_by<one<'"'>, string_lit>, keyed_by<digit, duration>,
                     keyed_by<sor<digit, one<'-'>>, number>, keyed<true_lit>, keyed<false_lit>,
                     list_lit, keyed<paren>, name_ref, bad_number> {};

struct member_name : ident {};
struct member : seq<one<'.'>, must<member_name>> {};
struct index_close : one<']'> {};
struct index : seq<one<'['>, sk, must<expr>, sk, must<index_close>> {};

struct postfix : seq<primary, star<sor<member, index>>> {};

struct single_eq : one<'='> {};
struct op_eq : TAO_PEGTL_STRING("==") {};
struct op_ne : TAO_PEGTL_STRING("!=") {};
struct op_le : TAO_PEGTL_STRING("<=") {};
struct op_ge : TAO_PEGTL_STRING(">=") {};
struct op_lt : one<'<'> {};
struct op_gt : one<'>'> {};
struct op_contains : kw_contains {};
struct op_not_in : seq<kw_not, sk, kw_in> {};
struct op_in : kw_in {};
struct op_matches : kw_matches {};
struct operand : postfix {};
/// The first character or word of every comparison operator (and of `=`).
struct cmp_start : sor<one<'=', '!', '<', '>'>, kw_contains, kw_not, kw_in, kw_matches> {};
struct cmp_tail_alternatives
    : sor<seq<sor<op_eq, op_ne, op_le, op_ge, op_lt, op_gt, op_contains, op_not_in, op_in>, sk,
              must<operand>>,
          seq<op_matches, sk, must<regex>>, seq<at<single_eq>, raise<single_eq>>> {};
struct cmp_tail : keyed_by<cmp_start, cmp_tail_alternatives> {};
struct any_cmp_op : sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!="), one<'<', '>'>, kw_contains,
                        kw_in, kw_matches> {};
/// `a == b == c`: reported, since it would not mean what it seems to.
struct chained_cmp : seq<at<any_cmp_op>, raise<chained_cmp>> {};
struct comparison : seq<postfix, opt<sk, cmp_tail, opt<sk, chained_cmp>>> {};
struct not_expr;
struct negation : seq<kw_not, sk, must<not_expr>> {};
struct not_expr : sor<negation, comparison> {};
struct and_operand : not_expr {};
struct and_expr : seq<not_expr, star<sk, kw_and, sk, must<and_operand>>> {};
struct or_operand : and_expr {};
struct or_expr : seq<and_expr, star<sk, kw_or, sk, must<or_operand>>> {};
struct expr : or_expr {};

// ---------------------------------------------------------------- statements
struct capture_name : ident {};
struct role_ref : word {};
struct runbook_ref : word {};
struct step_id : ident {};
struct cause_id : ident {};
struct signal_id : ident {};
struct check_id : seq<not_at<kw_within>, ident> {};
struct param_name : ident {};
struct arg_name : ident {};
struct module_ref : ident {};
struct template_ref : ident {};

/// A duration, or the name of a `duration` parameter that gives it.
struct dur_value : sor<duration, seq<not_at<reserved>, ident>> {};
struct title : string_lit {};
struct message : text_or_string {};
struct when_cond : expr {};
struct when_clause : if_must<kw_when, sk, when_cond> {};

struct as_opt : if_must<kw_as, sk, capture_name> {};
struct timeout_opt : if_must<kw_timeout, sk, dur_value> {};
struct retry_count : integer {};
struct every_opt : if_must<kw_every, sk, dur_value> {};
struct retry_opt : if_must<kw_retry, sk, retry_count, opt<sk, every_opt>> {};
struct within_opt : if_must<kw_within, sk, dur_value> {};
struct run_option : sor<as_opt, timeout_opt, retry_opt> {};
struct run_stmt : if_must<kw_run, sk, shell, star<sk, run_option>> {};

struct destructive_stmt : kw_destructive {};
struct evidence_stmt : kw_evidence {};
struct safe_reason : text_or_string {};
struct safe_stmt : if_must<kw_safe, sk, safe_reason> {};
struct typed_value : expr {};
struct confirm_typed : if_must<kw_typed, sk, typed_value> {};
struct confirm_arg : sor<confirm_typed, text_or_string> {};
struct confirm_stmt : if_must<kw_confirm, sk, confirm_arg> {};
struct until_within : within_opt {};
struct until_stmt : if_must<kw_until, sk, shell, sk, until_within, opt<sk, every_opt>> {};
/// `verify SHELL`: the probe `rbk resume` runs before it asks about the step.
struct verify_stmt : if_must<kw_verify, sk, shell> {};

struct body;
struct undo_stmt : if_must<kw_undo, sk, body> {};
struct policy_continue : kw_continue {};
struct policy_rollback : kw_rollback {};
struct policy_abort : kw_abort {};
struct failure_policy : sor<policy_continue, policy_rollback, policy_abort> {};
struct on_failure_stmt : seq<kw_on, sk, kw_failure, sk, must<failure_policy>> {};
/// `on error continue`: a policy after another word is a misspelt `on failure`.
struct failure_kw : kw_failure {};
struct on_policy_typo : seq<kw_on, sk, at<word, sk, failure_policy>, raise<failure_kw>> {};
/// `on TARGETS [serial N|P%] [max_fail N|P%] [parallel N]`: the step runs on
/// each target over SSH, in batches.
struct on_targets : postfix {};
struct fanout_percent : one<'%'> {};
struct serial_count : seq<integer, opt<fanout_percent>> {};
struct max_fail_count : seq<integer, opt<fanout_percent>> {};
/// A count of connections, never a share: `parallel 50%` is refused here.
struct parallel_count : seq<integer, not_at<fanout_percent>> {};
struct serial_opt : if_must<kw_serial, sk, serial_count> {};
struct max_fail_opt : if_must<kw_max_fail, sk, max_fail_count> {};
struct parallel_opt : if_must<kw_parallel, sk, parallel_count> {};
struct fanout_option : sor<serial_opt, max_fail_opt, parallel_opt> {};
struct on_targets_stmt : if_must<kw_on, sk, on_targets, star<sk, fanout_option>> {};
struct note_stmt : if_must<kw_note, sk, message> {};
struct manual_stmt : if_must<kw_manual, sk, message> {};
/// `ask NAME "question" : TYPE [matches /re/]`: the operator's answer becomes NAME.
struct type_spec;
struct ask_name : ident {};
struct ask_colon : one<':'> {};
struct ask_question : text_or_string {};
struct ask_matches : if_must<kw_matches, sk, regex> {};
struct ask_stmt : if_must<kw_ask, sk, ask_name, sk, ask_question, sk, ask_colon, sk, type_spec,
                          opt<sk, ask_matches>> {};

struct arg_eq : one<'='> {};
struct arg_value : expr {};
struct arg : seq<arg_name, sk, must<arg_eq>, sk, must<arg_value>> {};
struct with_args : if_must<kw_with, sk, arg, star<sk, one<','>, sk, must<arg>>> {};
struct call_stmt : if_must<kw_call, sk, runbook_ref, opt<sk, with_args>> {};
struct use_dot : one<'.'> {};
struct use_stmt : if_must<kw_use, sk, module_ref, use_dot, template_ref, opt<sk, with_args>> {};

struct notify_msg : message {};
struct page_action : if_must<kw_page, sk, role_ref, opt<sk, notify_msg>, opt<sk, when_clause>> {};
struct notify_action : if_must<kw_notify, sk, role_ref, opt<sk, notify_msg>, opt<sk, when_clause>> {
};
struct when_kw : kw_when {};
struct firing_stmt : if_must<kw_firing, sk, when_kw, sk, when_cond> {};
struct passes_stmt : if_must<kw_passes, sk, when_kw, sk, when_cond> {};

/// A word where a statement should be: reported as an unknown statement.
struct bad_statement : seq<at<word>, raise<bad_statement>> {};
struct statement : sor<keyed<run_stmt>, keyed<destructive_stmt>, keyed<evidence_stmt>,
                       keyed<safe_stmt>, keyed<confirm_stmt>, keyed<until_stmt>, keyed<verify_stmt>,
                       keyed<undo_stmt>, keyed<on_failure_stmt>, keyed<on_policy_typo>,
                       keyed<on_targets_stmt>, keyed<note_stmt>, keyed<manual_stmt>,
                       keyed<ask_stmt>, keyed<call_stmt>, keyed<page_action>, keyed<notify_action>,
                       keyed<firing_stmt>, keyed<passes_stmt>, keyed<use_stmt>, bad_statement> {};
struct body_close : one<'}'> {};
struct body : seq<one<'{'>, star<sk, statement>, sk, must<body_close>> {};

// ---------------------------------------------------------------- sections
struct step_when : when_clause {};
struct step : if_must<kw_step, sk, step_id, opt<sk, title>, opt<sk, step_when>, sk, body> {};
struct signal_title : title {};
struct signal : if_must<kw_signal, sk, opt<signal_id, sk>, signal_title, sk, body> {};
struct check_title : title {};
/// `holds for D`: the check passes once it has passed on every poll for D.
struct holds_for_word : kw_for {};
struct holds_for : if_must<kw_holds, sk, holds_for_word, sk, dur_value> {};
struct check_within : seq<within_opt, opt<sk, every_opt>, opt<sk, holds_for>> {};
/// `every` or `holds for` with no `within` before it: the deadline comes first.
struct every_without_within : seq<at<kw_every>, raise<every_without_within>> {};
struct holds_without_within : seq<at<kw_holds>, raise<holds_without_within>> {};
struct check : if_must<kw_check, sk, opt<check_id, sk>, check_title, opt<sk, check_within>,
                       opt<sk, every_without_within>, opt<sk, holds_without_within>, sk, body> {};
struct cause_title : title {};
struct cause_when : when_clause {};
/// `severity LEVEL`: the run's severity once this cause matches.
struct cause_severity_value : seq<not_at<kw_when>, word> {};
struct cause_severity : if_must<kw_severity, sk, cause_severity_value> {};
struct cause
    : if_must<kw_cause, sk, cause_id, sk, cause_title, opt<sk, cause_severity>, sk, cause_when> {};

struct esc_action_required : sor<page_action, notify_action> {};
/// `from step ID`: the delay counts from the end of that step, not the run's start.
struct after_step_kw : kw_step {};
struct after_step_id : seq<not_at<sor<kw_page, kw_notify>>, ident> {};
struct after_from_step : if_must<kw_from, sk, after_step_kw, sk, after_step_id> {};
struct esc_after
    : if_must<kw_after, sk, dur_value, opt<sk, after_from_step>, sk, esc_action_required> {};
/// `every 15m [for 2h] notify …`: a cadence from the run's start.
struct esc_every_for : if_must<kw_for, sk, dur_value> {};
struct esc_every
    : if_must<kw_every, sk, dur_value, opt<sk, esc_every_for>, sk, esc_action_required> {};
struct esc_event_failure : kw_failure {};
struct esc_event_success : kw_success {};
struct esc_event_interrupted : kw_interrupted {};
struct esc_event : sor<esc_event_failure, esc_event_success, esc_event_interrupted> {};
struct esc_on : if_must<kw_on, sk, esc_event, sk, esc_action_required> {};
struct esc_start : sor<page_action, notify_action> {};
struct esc_rule : sor<esc_after, esc_every, esc_on, esc_start> {};

struct section_open : one<'{'> {};
struct section_close : one<'}'> {};
/// A word where a section item should be.
struct bad_section_item : seq<at<word>, raise<bad_section_item>> {};
template <typename Kw, typename Item>
struct section_rule : if_must<Kw, sk, section_open, star<sk, recover<sor<Item, bad_section_item>>>,
                              sk, section_close> {};
struct alert_section : section_rule<kw_alert, signal> {};
struct diagnose_section : section_rule<kw_diagnose, step> {};
struct causes_section : section_rule<kw_causes, cause> {};
struct remediate_section : section_rule<kw_remediate, step> {};
struct verify_section : section_rule<kw_verify, check> {};
struct rollback_section : section_rule<kw_rollback, step> {};
struct finally_section : section_rule<kw_finally, step> {};
struct escalate_section : section_rule<kw_escalate, esc_rule> {};

// ---------------------------------------------------------------- runbook
struct meta_title : if_must<kw_title, sk, title> {};
struct severity_value : word {};
struct meta_severity : if_must<kw_severity, sk, severity_value> {};
struct meta_owner : if_must<kw_owner, sk, role_ref> {};
struct tag : sor<string_lit, word> {};
struct tags_close : one<']'> {};
struct tag_list : seq<one<'['>, sk, opt<tag, star<sk, one<','>, sk, tag>, opt<sk, one<','>>>, sk,
                      must<tags_close>> {};
struct meta_tags : if_must<kw_tags, sk, tag_list> {};
struct meta_summary : if_must<kw_summary, sk, message> {};

struct enum_value : word {};
struct enum_close : one<')'> {};
struct enum_open : one<'('> {};
struct type_enum : if_must<kw_enum, sk, enum_open, sk, enum_value,
                           star<sk, one<','>, sk, must<enum_value>>, sk, enum_close> {};
struct type_string : kw_string {};
struct type_int : kw_int {};
struct type_bool : kw_bool {};
struct type_duration : kw_duration {};
struct type_list : kw_list {};
struct type_targets : kw_targets {};
struct type_spec
    : sor<type_enum, type_string, type_int, type_bool, type_duration, type_list, type_targets> {};
struct param_colon : one<':'> {};
struct default_word : word {};
struct default_value
    : sor<text_lit, string_lit, duration, number, true_lit, false_lit, list_lit, default_word> {};
struct param_default : if_must<one<'='>, sk, default_value> {};
struct param_help : text_or_string {};
struct param_decl : if_must<kw_param, sk, param_name, sk, param_colon, sk, type_spec,
                            opt<sk, param_default>, opt<sk, param_help>> {};

struct secret_name : seq<not_at<kw_from>, ident> {};
struct secret_env_name : string_lit {};
struct secret_env : seq<kw_env, opt<sk, secret_env_name>> {};
struct secret_command : shell {};
struct secret_source : sor<secret_env, secret_command> {};
struct secret_from : kw_from {};
struct secret_decl : if_must<kw_secret, sk, secret_name, sk, secret_from, sk, secret_source> {};

/// `message NAME "…"`: named text, rendered where it is used.
struct message_name : ident {};
struct message_text : text_or_string {};
struct message_decl : if_must<kw_message, sk, message_name, sk, message_text> {};

/// A word where a runbook item should be.
struct bad_item : seq<at<word>, raise<bad_item>> {};
struct runbook_item
    : sor<keyed<meta_title>, keyed<meta_severity>, keyed<meta_owner>, keyed<meta_tags>,
          keyed<meta_summary>, keyed<param_decl>, keyed<secret_decl>, keyed<message_decl>,
          keyed<alert_section>, keyed<diagnose_section>, keyed<causes_section>,
          keyed<remediate_section>, keyed<verify_section>, keyed<rollback_section>,
          keyed<finally_section>, keyed<escalate_section>, bad_item> {};
struct runbook_name : word {};
struct runbook_open : one<'{'> {};
struct runbook_close : one<'}'> {};
struct runbook : if_must<kw_runbook, sk, runbook_name, sk, runbook_open,
                         star<sk, recover<runbook_item>>, sk, runbook_close> {};

// ---------------------------------------------------------------- modules
struct template_id : ident {};
struct template_body
    : seq<one<'{'>, star<sk, param_decl>, star<sk, statement>, sk, must<body_close>> {};
struct template_decl : if_must<kw_template, sk, template_id, opt<sk, title>, sk, template_body> {};
struct bad_module_item : seq<at<word>, raise<bad_module_item>> {};
struct module_name : word {};
struct module_open : one<'{'> {};
struct module_close : one<'}'> {};
struct module_decl
    : if_must<kw_module, sk, module_name, sk, module_open,
              star<sk, recover<sor<template_decl, bad_module_item>>>, sk, module_close> {};

// ---------------------------------------------------------------- file
struct import_path : string_lit {};
struct import_alias : seq<not_at<sor<kw_runbook, kw_module, kw_import>>, ident> {};
struct import_decl : if_must<kw_import, sk, import_path, opt<sk, kw_as, sk, must<import_alias>>> {};
struct top_decl : sor<runbook, module_decl> {};
struct end_of_file : eof {};
struct document : seq<sk, star<import_decl, sk>, must<top_decl>, sk, must<end_of_file>> {};

}  // namespace rbk::grammar
