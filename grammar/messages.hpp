// The grammar's error messages: one entry per rule that can fail inside a
// must<>. The control refuses to compile a must<> on a rule with no message
// (unless the rule can never fail). "{block}" is replaced by the innermost
// open block ("step 'restart'"), "{opened}" by " (opened at 9:5)".
#pragma once

#include "grammar/parse_context.hpp"
#include "grammar/rules.hpp"

namespace rbk::grammar {

/// What to say when a rule fails where it must match.
struct ErrorInfo {
  const char* message = nullptr;
  const char* help = nullptr;
  int kind = kPlain;
};

template <typename Rule>
inline constexpr ErrorInfo error_info{};

#define RBK_ERROR(rule, ...)                    \
  template <>                                   \
  inline constexpr ErrorInfo error_info<rule> { \
    __VA_ARGS__                                 \
  }

// Expressions
RBK_ERROR(expr, "expected an expression");
RBK_ERROR(when_cond, "expected a condition after 'when'",
          "a condition compares values, e.g. when conns.stdout > 90");
RBK_ERROR(typed_value, "expected the value the operator must type after 'confirm typed'",
          "e.g. confirm typed env");
RBK_ERROR(arg_value, "expected a value after '='");
RBK_ERROR(operand, "expected a value to compare with");
RBK_ERROR(not_expr, "expected a condition after 'not'");
RBK_ERROR(and_operand, "expected a condition after 'and'");
RBK_ERROR(or_operand, "expected a condition after 'or'");
RBK_ERROR(single_eq, "'=' is not a comparison", "use '==' to compare two values");
RBK_ERROR(bad_number, "invalid number or duration",
          "numbers look like 42 or 0.5; durations like 500ms, 30s, 10m, 1h30m or 2d");
RBK_ERROR(member_name, "expected a field name after '.'",
          "captures have .stdout .stderr .exit .ok .timed_out .duration .lines .json");
RBK_ERROR(index_close, "expected ']' to close {block}{opened}");
RBK_ERROR(list_close, "expected ',' or ']' in {block}{opened}");
RBK_ERROR(paren_close, "expected ')' to close {block}{opened}");
RBK_ERROR(regex, "expected a regular expression in slashes after 'matches'",
          "e.g. logs.stdout matches /No space left on device/");
RBK_ERROR(regex_close, "unterminated regular expression: expected a closing '/'",
          "write a slash inside the pattern as \\/");

RBK_ERROR(chained_cmp, "comparisons cannot be chained",
          "join two comparisons with 'and', e.g. a > 1 and a < 9");
RBK_ERROR(every_without_within, "'every' needs 'within' before it",
          "e.g. check \"API ready\" within 5m every 15s { … }");
RBK_ERROR(holds_for_word, "expected 'for' after 'holds'", "e.g. holds for 15m");
RBK_ERROR(holds_without_within, "'holds for' needs 'within' before it",
          "e.g. check \"errors at baseline\" within 30m every 1m holds for 15m { … }");

// Strings and shell literals
RBK_ERROR(
    escape_char, "unknown escape sequence in string",
    "strings know \\\" \\\\ \\n \\t and \\$; shell commands go in backticks and need no escaping",
    kEscape);
RBK_ERROR(interp_close, "expected '}' to close '${' in the string");
RBK_ERROR(string_close, "unterminated string: a \"…\" string must end on the line it starts",
          "for text over several lines use \"\"\" … \"\"\"");
RBK_ERROR(text_close, "unterminated \"\"\" text: no closing \"\"\" before the end of the file",
          nullptr, kAtOpener);
RBK_ERROR(fence_open_eol, "a ``` shell block starts on its own line",
          "put the command on the line after the opening ```, or use `…` for a one-line command");
RBK_ERROR(fence_close,
          "unterminated ``` shell block: no closing ``` line before the end of the file",
          "close the block with ``` at the start of a line", kAtOpener);
RBK_ERROR(inline_close, "unterminated shell command: a `…` command must end on the line it starts",
          "for a command over several lines use a ``` block");
RBK_ERROR(shell, "expected a shell command in backticks",
          "e.g. run `systemctl status nginx`, or a ``` block over several lines");

// Statements
RBK_ERROR(capture_name, "expected a capture name after 'as'",
          "capture names are identifiers such as health or conn_count");
RBK_ERROR(dur_value, "expected a duration",
          "durations look like 500ms, 30s, 10m, 1h30m or 2d, or name a duration parameter");
RBK_ERROR(retry_count, "expected the number of retries after 'retry'", "e.g. retry 3 every 10s");
RBK_ERROR(until_within, "expected 'within DURATION' after the 'until' command",
          "e.g. until `pg_isready` within 60s every 5s");
RBK_ERROR(safe_reason, "expected the reason after 'safe'",
          "say why the commands rbk cannot analyse are safe, e.g. safe \"runs only the checks "
          "listed in checks.txt\"");
RBK_ERROR(confirm_arg, "expected a prompt string or 'typed VALUE' after 'confirm'",
          "e.g. confirm \"Restart the database?\" or confirm typed env");
RBK_ERROR(body, "expected '{' to open {block}");
RBK_ERROR(body_close, "expected a statement or '}' to close {block}{opened}");
RBK_ERROR(failure_kw, "expected 'failure' after 'on'", "e.g. on failure rollback");
RBK_ERROR(on_targets, "expected 'failure' or the targets to run on after 'on'",
          "e.g. on failure rollback, or on hosts serial 2 (hosts: a parameter of type targets)");
RBK_ERROR(serial_count, "expected a number of targets or a percentage after 'serial'",
          "e.g. serial 2 or serial 25%: how many targets each batch has");
RBK_ERROR(
    max_fail_count, "expected a number of targets or a percentage after 'max_fail'",
    "e.g. max_fail 1 or max_fail 10%: once more targets than this failed, no new batch starts");
RBK_ERROR(parallel_count, "expected a number after 'parallel'",
          "e.g. parallel 5: at most 5 targets at once (a count of connections, not a percentage)");
RBK_ERROR(failure_policy, "expected 'continue', 'rollback' or 'abort' after 'on failure'",
          "in a step, 'on failure' picks what happens when the step fails; escalation rules such "
          "as 'on failure page ROLE' go in the escalate section");
RBK_ERROR(message, "expected a string");
RBK_ERROR(arg, "expected an argument 'name = value'");
RBK_ERROR(arg_eq, "expected '=' after the argument name");
RBK_ERROR(runbook_ref, "expected a runbook name after 'call'");
RBK_ERROR(module_ref, "expected 'MODULE.TEMPLATE' after 'use'", "e.g. use postgres.terminate_idle");
RBK_ERROR(use_dot, "expected '.' between the module and the template name",
          "e.g. use postgres.terminate_idle");
RBK_ERROR(template_ref, "expected a template name after '.'");
RBK_ERROR(role_ref, "expected a role name", "roles are defined in rbk.yaml, e.g. oncall");
RBK_ERROR(when_kw, "expected 'when' and a condition");
RBK_ERROR(ask_name, "expected a name for the answer after 'ask'",
          "e.g. ask root_cause \"What caused it?\" : string");
RBK_ERROR(ask_question, "expected the question in quotes after the answer's name",
          "e.g. ask root_cause \"What caused it?\" : string");
RBK_ERROR(ask_colon, "expected ':' and the answer's type after the question",
          "e.g. ask eta \"When will it be fixed?\" : duration");
RBK_ERROR(bad_statement, "unknown statement", nullptr, kBadStatement);

// Sections
RBK_ERROR(step_id, "expected a step id after 'step'",
          "e.g. step restart \"Restart the service\" { … }");
RBK_ERROR(signal_title, "expected the signal's description in quotes",
          "e.g. signal \"API reports db_connected=false\" { … }");
RBK_ERROR(check_title, "expected the check's description in quotes",
          "e.g. check \"API ready\" within 5m every 15s { … }");
RBK_ERROR(cause_id, "expected a cause id after 'cause'");
RBK_ERROR(cause_title, "expected the cause's description in quotes",
          "e.g. cause pool \"Connection pool exhausted\" when conns.stdout > 90");
RBK_ERROR(cause_when, "expected 'when CONDITION' after the cause's description",
          "a cause is chosen by a condition over what diagnosis captured");
RBK_ERROR(cause_severity_value, "expected a severity level after 'severity'",
          "e.g. cause outage \"Every customer affected\" severity sev1 when impact == \"all\"");
RBK_ERROR(after_step_kw, "expected 'step' after 'from'",
          "e.g. after 55m from step mint_token page ic");
RBK_ERROR(after_step_id, "expected a step id after 'from step'",
          "e.g. after 55m from step mint_token page ic");
RBK_ERROR(esc_action_required, "expected 'page ROLE' or 'notify ROLE'",
          "e.g. after 10m page secondary-oncall");
RBK_ERROR(esc_event, "expected 'failure', 'success' or 'interrupted' after 'on'",
          "e.g. on failure page db-owner");
RBK_ERROR(section_open, "expected '{' to open {block}");
RBK_ERROR(section_close, "expected an item or '}' to close {block}{opened}");
RBK_ERROR(bad_section_item, "unknown item", nullptr, kBadSectionItem);

// Runbook
RBK_ERROR(title, "expected a title in quotes",
          "titles are one-line strings, e.g. title \"Database down\"");
RBK_ERROR(severity_value, "expected a severity level", "e.g. severity critical");
RBK_ERROR(tag_list, "expected a list of tags in brackets", "e.g. tags [postgres, database]");
RBK_ERROR(tags_close, "expected ',' or ']' in {block}{opened}");
RBK_ERROR(enum_open, "expected '(' after 'enum'", "e.g. enum(prod, staging)");
RBK_ERROR(enum_value, "expected an enum value", "e.g. enum(prod, staging)");
RBK_ERROR(enum_close, "expected ',' or ')' in {block}{opened}");
RBK_ERROR(type_spec, "expected a type",
          "types are string, int, bool, duration, list and enum(a, b, …)");
RBK_ERROR(param_name, "expected a parameter name after 'param'",
          "parameter names are identifiers such as host or max_conns");
RBK_ERROR(param_colon, "expected ':' and a type after the parameter name",
          "e.g. param host : string");
RBK_ERROR(default_value, "expected a default value after '='",
          "defaults are literals: \"text\", 42, true, 30s, [a, b], or an enum value");
RBK_ERROR(secret_name, "expected a secret name after 'secret'", "e.g. secret PGPASSWORD from env");
RBK_ERROR(secret_from, "expected 'from' after the secret's name",
          "e.g. secret PGPASSWORD from env, or secret TOKEN from `vault read -field=t kv/x`");
RBK_ERROR(secret_source, "expected 'env' or a shell command after 'from'",
          "e.g. secret PGPASSWORD from env");
RBK_ERROR(message_name, "expected a message name after 'message'",
          "e.g. message status \"Investigating: ${runbook} since ${now}\"");
RBK_ERROR(message_text, "expected the message's text in quotes after its name",
          "e.g. message status \"Investigating: ${runbook} since ${now}\"");
RBK_ERROR(bad_item, "unknown item", nullptr, kBadItem);
RBK_ERROR(runbook_name, "expected a runbook name after 'runbook'", "e.g. runbook db-down { … }");
RBK_ERROR(runbook_open, "expected '{' to open {block}");
RBK_ERROR(runbook_close, "expected an item or '}' to close {block}{opened}");

// Modules and files
RBK_ERROR(template_id, "expected a template id after 'template'");
RBK_ERROR(template_body, "expected '{' to open {block}");
RBK_ERROR(bad_module_item, "unknown item", nullptr, kBadModuleItem);
RBK_ERROR(module_name, "expected a module name after 'module'");
RBK_ERROR(module_open, "expected '{' to open {block}");
RBK_ERROR(module_close, "expected '}' to close {block}{opened}");
RBK_ERROR(import_path, "expected the module's path in quotes after 'import'",
          "e.g. import \"stdlib/postgres\"");
RBK_ERROR(import_alias, "expected a name after 'as'");
RBK_ERROR(top_decl, "expected 'runbook NAME { … }'",
          "a .rbk file holds imports and then one runbook (or one module of templates)", kTopLevel);
RBK_ERROR(end_of_file, "unexpected text after the end of the runbook",
          "a file holds one runbook; is a '{' missing earlier?");

#undef RBK_ERROR

}  // namespace rbk::grammar
