// The runbook AST. Every node carries the Span it was parsed from; comments
// are kept as items of the block they appear in, so `rbk fmt` can keep them.
// Nodes are plain data: the grammar builds them, the checks and the engine read them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "interpreter/base/source.hpp"

namespace rbk::ast {

/// A `# …` comment. `trailing` when it follows code on the same line.
struct Comment {
  Span span;
  std::string text;  // after '#', as written
  bool trailing = false;
};

/// A name as written: step ids, captures, params, roles, runbook names.
struct Ident {
  Span span;
  std::string name;
};

/// A duration literal such as `30s`, `10m` or `1h30m`.
/// A duration as written: a literal (`ms`), or the name of a `duration`
/// parameter (`param`; its value is read when the run starts, `ms` is 0).
struct Duration {
  Span span;
  int64_t ms = 0;
  std::string text;
  std::optional<std::string> param;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One piece of a string: literal text, or an interpolated `${expr}`.
struct StringPart {
  Span span;
  std::string text;  // literal text (escapes decoded) when expr is null
  ExprPtr expr;
};

/// `"…"` (one line) or `"""…"""` (text over several lines, dedented).
struct StringLit {
  Span span;
  bool text_block = false;
  std::vector<StringPart> parts;
  /// The literal text when there is no interpolation.
  std::string plain() const;
  bool has_interpolation() const;
};

/// A shell literal: `` `…` `` or a fenced ``` block. `raw` is the source
/// byte-for-byte; `text` is what runs (a fenced block dedented).
struct Shell {
  Span span;
  bool fenced = false;
  std::string raw;
  std::string text;
  uint32_t first_line = 0;  // source line of text's first line
  uint32_t indent = 0;      // characters removed from each line of a fenced block

  /// The source span of bytes [offset, offset+len) of `text` (up to the end
  /// of its first line), or the literal's span when they cannot be mapped
  /// back exactly.
  Span span_of(size_t offset, size_t len) const;
};

/// `/re/` after `matches`; RE2 syntax, flags `i` (case-insensitive).
struct Regex {
  Span span;
  std::string pattern;
  std::string flags;
};

enum class ExprKind { String, Number, Bool, Duration, List, Name, Member, Index, Not, Binary };
enum class BinOp { Or, And, Eq, Ne, Lt, Le, Gt, Ge, Contains, In, NotIn, Matches };

/// The source spelling of an operator ("==", "not in", …).
const char* op_text(BinOp op);
/// The name of an expression kind, as used in the AST JSON.
const char* kind_name(ExprKind k);

/// An expression. A tagged node: `kind` says which fields are meaningful.
struct Expr {
  ExprKind kind = ExprKind::Name;
  Span span;
  std::string name;            // Name: the identifier; Member: the field
  std::string text;            // Number/Duration: as written
  double number = 0;           // Number
  int64_t ms = 0;              // Duration
  bool boolean = false;        // Bool
  StringLit string;            // String
  BinOp op = BinOp::Eq;        // Binary
  std::optional<Regex> regex;  // Binary Matches: the right-hand side
  std::vector<ExprPtr>
      items;  // List items; Member/Index/Not: [object (, index)]; Binary: [lhs, rhs]
  /// Written in parentheses: `rbk fmt` keeps the grouping an author chose.
  bool parenthesized = false;
};

enum class FailurePolicy { Continue, Rollback, Abort };
/// The word after `on failure`: "continue", "rollback", "abort".
const char* policy_name(FailurePolicy p);
enum class SecretSource { Env, Command };

/// `run SHELL [as NAME] [timeout DUR] [retry N [every DUR]]`
struct Run {
  Span span;
  Shell shell;
  std::optional<Ident> capture;
  std::optional<Duration> timeout;
  std::optional<int64_t> retry;
  Span retry_span;
  std::optional<Duration> retry_every;
};
/// `destructive`
struct Destructive {
  Span span;
};
/// `evidence`
struct Evidence {
  Span span;
};
/// `safe "why"`: the author vouches that the step's commands rbk cannot
/// analyse (a command name held in a variable, `sh -c "$x"`…) only do what
/// the reason says. It never removes a gate a destructive pattern or
/// `destructive`/`confirm` adds.
struct Safe {
  Span span;
  StringLit reason;
};
/// `confirm "prompt"` or `confirm typed EXPR`
struct Confirm {
  Span span;
  std::optional<StringLit> prompt;
  ExprPtr typed;  // set for `confirm typed`
};
/// `until SHELL within DUR [every DUR]`
struct Until {
  Span span;
  Shell shell;
  Duration within;
  std::optional<Duration> every;
};
/// `verify SHELL`: a read-only probe of what the step does, run by
/// `rbk resume` when the step's command was running as the run died.
struct Verify {
  Span span;
  Shell shell;
};
struct Body;
/// `undo { … }`
struct Undo {
  Span span;
  std::unique_ptr<Body> body;
};
/// `on failure continue|rollback|abort`
struct OnFailure {
  Span span;
  FailurePolicy policy = FailurePolicy::Rollback;
  Span policy_span;
};
/// `note "…"` and `manual "…"`
struct Note {
  Span span;
  StringLit text;
};
struct Manual {
  Span span;
  StringLit text;
};
/// A batch size or failure threshold: N targets, or P% of them.
struct FanoutCount {
  Span span;
  int64_t n = 0;
  bool percent = false;
};
/// `on TARGETS [serial N|P%] [max_fail N|P%] [parallel N]`: the step runs on
/// each target over SSH, `serial` targets per batch (default: all in one),
/// at most `parallel` at once; once more than `max_fail` targets failed
/// (default: 0), no new batch starts.
struct On {
  Span span;
  ExprPtr targets;  // a `targets` parameter, or STEP.failed_targets / STEP.ok_targets
  std::optional<FanoutCount> serial, max_fail, parallel;
};
struct Param;
/// `ask NAME "question" : TYPE [matches /re/]`: the operator types a value,
/// which becomes NAME (visible after it, like a capture, with TYPE's type).
struct Ask {
  Span span;
  std::unique_ptr<Param> decl;  // the answer's name and type (no default, no help)
  StringLit question;
  std::optional<Regex> pattern;  // `matches /re/`, for a string answer
};
/// `name = expr` in `call … with` and `use … with`
struct Arg {
  Span span;
  Ident name;
  ExprPtr value;
};
/// `call RUNBOOK [with k = v, …]`
struct Call {
  Span span;
  Ident runbook;
  std::vector<Arg> args;
};
/// `page ROLE ["message"] [when COND]` / `notify …` (as a step statement
/// and as an escalation action)
struct Notify {
  Span span;
  bool page = true;
  Ident role;
  std::optional<StringLit> message;
  ExprPtr when;
};
/// `firing when COND` (signals) and `passes when COND` (checks)
struct Firing {
  Span span;
  ExprPtr cond;
};
struct Passes {
  Span span;
  ExprPtr cond;
};
/// `use MODULE.TEMPLATE [with k = v, …]`: a step template from an import
struct Use {
  Span span;
  Ident module;
  Ident name;
  std::vector<Arg> args;
};

using Statement =
    std::variant<Run, Destructive, Evidence, Safe, Confirm, Until, Verify, Undo, OnFailure, On,
                 Note, Manual, Ask, Call, Notify, Firing, Passes, Use, Comment>;

/// `{ statements }` of a step, signal, check, undo or template.
struct Body {
  Span span;
  std::vector<Statement> items;
};

/// `step ID ["title"] [when COND] { … }`
struct Step {
  Span span;
  Ident id;
  std::optional<StringLit> title;
  ExprPtr when;
  Body body;
};
/// `signal [ID] "title" { … }` in alert
struct Signal {
  Span span;
  std::optional<Ident> id;
  StringLit title;
  Body body;
};
/// `check [ID] "title" [within DUR [every DUR]] { … }` in verify
struct Check {
  Span span;
  std::optional<Ident> id;
  StringLit title;
  std::optional<Duration> within;
  std::optional<Duration> every;
  std::optional<Duration> holds;  // `holds for D`: passing on every poll for D
  Body body;
};
/// The id a signal or check is known by in events, approvals and fixtures:
/// its own, else KIND-N for the N-th of its kind in its section
/// (`signal-1`, `check-2`).
std::string item_id(const std::optional<Ident>& id, const char* kind, size_t n);

/// `cause ID "title" when COND` in causes
struct Cause {
  Span span;
  Ident id;
  StringLit title;
  std::optional<Ident> severity;  // `severity LEVEL`: the run's, once this cause matches
  ExprPtr when;
};

/// A field of a capture (`NAME.stdout`, `NAME.ok`, …).
enum class CaptureField { Stdout, Stderr, Exit, Ok, TimedOut, Duration, Lines, Json };
/// Every capture field's name, in CaptureField order: the one list the check
/// pass and evaluation read.
const std::vector<std::string>& capture_field_names();
/// The field called `name`, or nullopt.
std::optional<CaptureField> capture_field(std::string_view name);

enum class Trigger { Start, After, OnFailure, OnSuccess, OnInterrupted, Every };
/// How the record and the plan name a trigger: "start", "after", "failure",
/// "success", "interrupted", "every".
const char* trigger_name(Trigger t);
/// An escalation rule: `page R`, `after DUR page R`, `on failure notify R "…"`.
struct Escalation {
  Span span;
  Trigger trigger = Trigger::Start;
  std::optional<Duration> after;
  std::optional<Ident> from_step;   // `after D from step ID`: D after that step ended
  std::optional<Duration> every;    // `every D`: at D, 2D, 3D… from the run's start
  std::optional<Duration> lasting;  // `every D for L`: the last one at most L from the start
  Notify action;
};

/// In execution order (the checker walks them so): `finally` runs last of
/// the steps, whatever the outcome.
enum class SectionKind { Alert, Diagnose, Causes, Remediate, Verify, Rollback, Finally, Escalate };
/// The keyword of a section.
const char* section_name(SectionKind k);

using SectionItem = std::variant<Step, Signal, Check, Cause, Escalation, Comment>;
/// One of the eight sections.
struct Section {
  Span span;
  SectionKind kind = SectionKind::Alert;
  Span keyword;
  std::vector<SectionItem> items;
};

enum class MetaKind { Title, Severity, Owner, Tags, Summary };
/// The keyword of a metadata line.
const char* meta_name(MetaKind k);
/// `title "…"`, `severity WORD`, `owner ROLE`, `tags [a, b]`, `summary """…"""`
struct Meta {
  Span span;
  MetaKind kind = MetaKind::Title;
  std::optional<StringLit> text;  // title, summary
  std::optional<Ident> word;      // severity, owner
  std::vector<Ident> tags;        // tags (quoted tags keep their text as name)
};

enum class TypeKind { String, Int, Bool, Duration, Enum, List, Targets };
/// The keyword of a parameter type.
const char* type_name(TypeKind k);
/// A parameter type; enum carries its values.
struct Type {
  Span span;
  TypeKind kind = TypeKind::String;
  std::vector<Ident> values;
};
/// A type as written: "duration", "enum(prod, staging)".
std::string type_text(const Type& t);
/// `param NAME : TYPE [= DEFAULT] ["help"]`
struct Param {
  Span span;
  Ident name;
  Type type;
  ExprPtr default_value;  // a literal, or a Name for an enum value
  std::optional<StringLit> help;
};
/// `secret NAME from env ["VAR"]` or `secret NAME from SHELL`
struct Secret {
  Span span;
  Ident name;
  SecretSource source = SecretSource::Env;
  std::optional<StringLit> env_var;
  std::optional<Shell> command;
};

/// An answer's type as written: "duration", "string matches /^INC-[0-9]+$/".
std::string answer_type_text(const Ask& a);

/// The environment variable an env secret is read from: the one named with
/// `from env "VAR"`, else the secret's own name.
std::string secret_env_var(const Secret& s);

/// `message NAME "…"`: named text, rendered (with `${…}`) where it is used,
/// and handed to commands as `$NAME`.
struct Message {
  Span span;
  Ident name;
  StringLit text;
};

using RunbookItem = std::variant<Meta, Param, Secret, Message, Section, Comment>;
/// `runbook NAME { … }`
struct Runbook {
  Span span;
  Ident name;
  std::vector<RunbookItem> items;
};

/// Every step of a runbook, section by section in file order.
std::vector<const Step*> steps_of(const Runbook& rb);

/// The names of a runbook's questions (`ask NAME`) in its steps and their
/// undo blocks, in order: what `--answer NAME=…` and a fixture's `answer:` may name.
std::vector<std::string> question_names(const Runbook& rb);

/// `template ID ["title"] { param…  statements… }` in a module
struct Template {
  Span span;
  Ident id;
  std::optional<StringLit> title;
  std::vector<Param> params;
  Body body;
};
using ModuleItem = std::variant<Template, Comment>;
/// `module NAME { template… }`: reusable step templates for `import`.
struct Module {
  Span span;
  Ident name;
  std::vector<ModuleItem> items;
};

/// `import "path" [as NAME]`
struct Import {
  Span span;
  StringLit path;
  std::optional<Ident> alias;
  /// The name `use` refers to: the alias, else the path's last component.
  std::string module_name() const;
};

using DocItem = std::variant<Import, Runbook, Module, Comment>;
/// A whole .rbk file: imports, then one runbook or one module.
struct Document {
  std::shared_ptr<const SourceFile> source;
  Span span;
  std::vector<DocItem> items;

  const Runbook* runbook() const;
  const Module* module() const;
};

}  // namespace rbk::ast
