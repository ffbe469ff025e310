// The check pass's Checker, shared by the files that define its parts:
// check.cpp (the walk's entry, imports, names, modules),
// check_declarations.cpp (the runbook: metadata, parameters, secrets,
// captures, sections), check_statements.cpp, check_expressions.cpp.
// Internal to the check pass; check.hpp is its interface.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/sema/expand.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::check_detail {

using namespace ast;

/// What the checker knows about a value's type. Unknown (e.g. anything under
/// `.json`) is compatible with everything: only visible mistakes are errors.
enum class Ty { Unknown, String, Number, Bool, Duration, List };

inline const char* ty_name(Ty t) {
  switch (t) {
    case Ty::Unknown:
      return "a value";
    case Ty::String:
      return "a string";
    case Ty::Number:
      return "a number";
    case Ty::Bool:
      return "true/false";
    case Ty::Duration:
      return "a duration";
    case Ty::List:
      return "a list";
  }
  return "a value";
}

/// A value's type plus what a diagnostic may want to say about it.
struct TypeInfo {
  Ty ty = Ty::Unknown;
  const Param* enum_param = nullptr;  // set when the value is an enum parameter
};

inline const std::vector<std::string>& step_fields() {
  static const std::vector<std::string> f{"ran", "ok", "failed", "skipped", "refused"};
  return f;
}
inline const std::vector<std::string>& builtins() {
  static const std::vector<std::string> b{"severity",   "runbook", "run_id", "failed_step", "now",
                                          "record_dir", "causes",  "batch",  "batch_size"};
  return b;
}
/// Environment variables a parameter, secret or capture must not replace:
/// they are exported to every command, and these change how a shell behaves.
inline const std::set<std::string>& protected_env() {
  static const std::set<std::string> s{
      "PATH",          "HOME",   "IFS",        "SHELL",           "USER",     "LOGNAME",
      "PWD",           "OLDPWD", "ENV",        "BASH_ENV",        "CDPATH",   "PS1",
      "PS2",           "PS4",    "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "TMPDIR",
      "LANG",          "LC_ALL", "TERM",       "SHELLOPTS",       "BASHOPTS", "GLOBIGNORE",
      "PROMPT_COMMAND"};
  return s;
}

inline bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

/// Where a statement sits, for placement rules.
enum class Holder { Signal, Step, Check, Undo, Template };

class Checker {
 public:
  Checker(const Document& doc, ModuleLoader* loader) : doc_(doc), loader_(loader) {}

  Diagnostics run();

 private:
  struct CaptureInfo {
    Span span;
    std::string step;  // the step (or signal/check) that defines it
    bool defined = false;
    bool from_signal = false;    // made by an alert signal: set before start rules fire
    const Param* ask = nullptr;  // an `ask`'s answer: its name and type; no fields
    bool per_target = false;     // made in a step that runs `on` targets: one per target
  };
  struct StepInfo {
    Span span;
    bool reached = false;  // the walk has passed it: references are in order
  };

  const Document& doc_;
  ModuleLoader* loader_;
  Diagnostics diags_;

  std::map<std::string, const Param*> params_;
  std::map<std::string, const Secret*> secrets_;
  std::map<std::string, const Message*> messages_;
  std::set<std::string> messages_used_;
  /// The messages being checked where they are used, innermost last: their
  /// names are checked at the use, whose place errors name.
  std::vector<std::pair<const Message*, Span>> message_uses_;
  std::set<std::string> message_errors_;  // reported once however often the message is used
  std::map<std::string, CaptureInfo> captures_;
  std::map<std::string, const Cause*> causes_;
  std::map<std::string, bool> cause_defined_;
  std::map<std::string, StepInfo> steps_;
  std::set<std::string> finally_steps_;  // `after … from step` cannot count from them
  std::map<std::string, const Module*> modules_;
  std::string runbook_name_;
  std::optional<SectionKind> section_;  // the section being walked; none in templates
  std::string current_step_;
  const Escalation* escalation_ = nullptr;  // the escalation rule being checked
  bool at_start_ = false;                   // checking an escalation rule that fires at the start
  bool declaring_signal_ = false;           // declare_captures is reading an alert signal
  bool declaring_fanout_ = false;           // declare_captures is reading a step with `on`
  bool in_fanout_ = false;  // checking the body (or undo) of a step with `on`: `batch` is known
  bool comparing_ = false;  // checking an operand of ==, != or in (for a "quote it" hint)

  void error(const Span& s, std::string msg, std::string help = {});

  /// Runbook, role and module names are lower-case words; false (reported) otherwise.
  bool check_word(const Ident& id, const std::string& what, const char* example);

  // ------------------------------------------------------------ imports
  void check_imports();

  // ------------------------------------------------------------ names
  void check_env_name(const Ident& id, const char* what);

  /// Reports a clash of `id` with a parameter or secret of the same name:
  /// they would be the same environment variable. (Captures clash with
  /// each other as duplicates, reported where they are declared.)
  bool clashes(const Ident& id, const char* what);

  // ------------------------------------------------------------ runbook
  void check_runbook(const Runbook& r);

  void check_meta(const Meta& m);

  void declare_param(const Param& p);

  void check_param_type(const Param& p);

  template <typename Map>
  static std::vector<std::string> keys_of(const Map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
  }

  /// ".a .b .c"
  static std::string fields(const std::vector<std::string>& v);

  void declare_secret(const Secret& s);

  void declare_message(const Message& m);

  /// A message named in an expression: its text is checked as if written at
  /// the use (what it names must exist there).
  TypeInfo message_type(const Expr& e, const Message& m);

  /// Messages used nowhere: checked as if at the end of the run, so a typo
  /// in one is still found.
  void check_unused_messages();

  /// A secret's command runs before anything else and without a gate: it
  /// must only read, and rbk must be able to tell.
  void check_secret_command(const Secret& s);

  void declare_id(const Ident& id, const char* what);

  void declare_captures(const Body& b, const std::string& owner);

  /// The template a `use` names, or nullptr (reported elsewhere).
  const Template* find_template(const Use& u) const;

  static std::vector<std::string> template_captures(const Body& b);

  void declare_section(const Section& s);

  void walk_section(const Section& s);

  /// A signal or check must run a command or test a condition (`Cond`).
  template <typename Cond>
  void require_something(const Body& body, const Span& title, const char* what,
                         const char* cond_keyword) {
    for (const auto& b : body.items) {
      if (std::holds_alternative<Run>(b) || std::holds_alternative<Use>(b) ||
          std::holds_alternative<Cond>(b))
        return;
    }
    nothing_to_check(title, what, cond_keyword);
  }

  /// The error of require_something, out of the template (gcc 12 reports a
  /// false -Warray-bounds on its string concatenation once inlined there).
  [[gnu::noinline]] void nothing_to_check(const Span& title, const char* what,
                                          const char* cond_keyword);
  void check_positive(const Duration& d, const char* what);
  /// A duration an answer gives (`within eta`): of type duration, known there.
  void check_answer_duration(const Duration& d, const char* what, const CaptureInfo& answer);
  void check_every(const Duration& within, const Duration& every);

  // ------------------------------------------------------------ statements
  void check_body(const Body& b, Holder holder, std::optional<SectionKind> section);

  void check_shell(const Shell& s);

  /// `ask NAME "…" : TYPE [matches /re/]`: where it may stand, its type.
  void check_ask(const Ask& a, Holder holder);
  /// `on TARGETS …`: where it may stand, what it runs on, its counts, and
  /// the statements a step that runs on targets may hold.
  void check_on(const On& on, const Body& b, Holder holder);
  /// A field of a capture made on targets (`deploy.failed_targets`, and
  /// `deploy["web-2"].stdout` through `target`).
  TypeInfo per_target_field(const Expr& e, const std::string& capture, bool target);
  /// A capture (or answer) named at `at`: an error when it does not exist
  /// yet there (a start rule, or before its step).
  void check_capture_use(const Span& at, const std::string& n, const CaptureInfo& c);
  /// The type of capture field `e.name` (`.stdout`, `.ok`…), or an error.
  TypeInfo field_of_capture(const Expr& e);

  void check_call(const Call& c);

  void check_args(const std::vector<Arg>& args);

  void check_notify(const Notify& n);

  void check_use(const Use& u);

  // ------------------------------------------------------------ expressions
  void check_string(const StringLit& s);

  void check_condition(const Expr& e, const char* where);

  TypeInfo param_type(const Param& p);

  std::vector<std::string> roots_for_suggestion() const;

  TypeInfo name_type(const Expr& e);

  TypeInfo member_type(const Expr& e);

  void check_step_ref(const Expr& member);

  TypeInfo type_of(const Expr& e);

  TypeInfo binary_type(const Expr& e);

  static bool comparable(Ty a, Ty b);

  static std::string compare_help(Ty a, Ty b);

  /// `env == "prd"` where env is enum(prod, staging): a value that can never match.
  void check_enum_value(const TypeInfo& side, const Expr& other);

  void check_regex(const Regex& r);

  // ------------------------------------------------------------ modules
  void check_module(const Module& m);
};

}  // namespace rbk::check_detail
