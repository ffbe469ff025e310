// The plan as typed data: what a run would do, as make_plan (plan.hpp) finds
// it, for the three renderings that must agree — JSON (plan_json), text
// (plan_text) and Markdown (show). One struct per part of the plan; each
// struct's `fields` names its fields once, with their JSON keys, for the JSON
// writer and the masker (plan.cpp). Strings and conditions are as written in
// the runbook: nothing is evaluated at plan time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

namespace plan {

/// A field that is always written, as null when it has no value (a
/// std::optional field is left out instead): the record's, so both
/// documents mean the same by null.
template <class T>
using OrNull = ev::OrNull<T>;

/// The text of an OrNull string, "" when it is null.
inline const std::string& or_empty(const OrNull<std::string>& s) {
  static const std::string none;
  return s.value ? *s.value : none;
}

/// The list an optional field holds, an empty one when it is left out.
template <class T>
const std::vector<T>& or_empty(const std::optional<std::vector<T>>& v) {
  static const std::vector<T> none;
  return v ? *v : none;
}

/// Calls `fields` of the alternative a variant holds: a struct that holds one
/// of several kinds writes the fields of the kind it holds.
template <class V, class F>
void alternative_fields(V& v, F&& f) {
  std::visit([&](auto& x) { std::decay_t<decltype(x)>::fields(x, f); }, v);
}

/// A section of a runbook; a plan has all eight, in execution order.
enum class SectionName { Alert, Diagnose, Causes, Remediate, Verify, Rollback, Finally, Escalate };
/// The sections' keywords.
constexpr EnumNames<SectionName, 8> enum_names(SectionName) {
  return {
      {"alert", "diagnose", "causes", "remediate", "verify", "rollback", "finally", "escalate"}};
}

/// What a failing step does: `on failure continue|rollback|abort`.
enum class OnFailure { Continue, Rollback, Abort };
/// The words after `on failure`.
constexpr EnumNames<OnFailure, 3> enum_names(OnFailure) {
  return {{"continue", "rollback", "abort"}};
}

/// What the operator must do before a step runs: nothing, y/N, or type a value.
enum class GateKind { None, Confirm, Typed };
/// "none", "confirm", "typed".
constexpr EnumNames<GateKind, 3> enum_names(GateKind) {
  return {{"none", "confirm", "typed"}};
}

/// Where a parameter's value comes from: -p, its default, nowhere yet.
enum class ParamSource { Given, Default, Missing };
/// "given", "default", "missing".
constexpr EnumNames<ParamSource, 3> enum_names(ParamSource) {
  return {{"given", "default", "missing"}};
}

/// Where a template parameter's value comes from: the `use`, its default, nowhere.
enum class ArgSource { With, Default, Missing };
/// "with", "default", "missing".
constexpr EnumNames<ArgSource, 3> enum_names(ArgSource) {
  return {{"with", "default", "missing"}};
}

/// Where a secret is read from.
enum class SecretSource { Env, Command };
/// "env", "command".
constexpr EnumNames<SecretSource, 2> enum_names(SecretSource) {
  return {{"env", "command"}};
}

/// Where the hosts of a step `on` targets come from: a `targets` parameter,
/// or the set of an earlier step's per-target capture (known at run time).
enum class TargetsSource { Param, Capture };
/// "param", "capture".
constexpr EnumNames<TargetsSource, 2> enum_names(TargetsSource) {
  return {{"param", "capture"}};
}

// --- the run's variables ----------------------------------------------------

/// A parameter with the value a run would give it.
struct Param {
  std::string name{};
  std::string type{};  // as written: "int", "enum(prod, staging)"
  OrNull<std::string> help{};
  OrNull<std::string> value{};  // as its variable would hold it; null when missing
  ParamSource source = ParamSource::Missing;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("type", s.type), f("help", s.help), f("value", s.value),
        f("source", s.source);
  }
};

/// A secret: where it is read from, never its value (the plan reads none).
/// `message NAME "…"`: its text as written (rendered where it is used).
struct Message {
  std::string name{};
  std::string text{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("text", s.text);
  }
};

struct Secret {
  static constexpr std::string_view kValue = "***";
  std::string name{};
  SecretSource source = SecretSource::Env;
  std::optional<std::string> var{};      // env: the variable
  std::optional<std::string> command{};  // command: its text, not run
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("value", kValue), f("source", s.source), f("var", s.var),
        f("command", s.command);
  }
};

/// A variable and what it would hold: an RBK_* variable, a capture made so far.
struct Variable {
  std::string name{};
  std::string value{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("value", s.value);
  }
};

/// The variables one command would receive, by name (secrets as "***",
/// captures as "<output of step X>").
using Env = std::map<std::string, std::string>;

// --- statements -------------------------------------------------------------

/// `run`: the command exactly as it would run.
struct Run {
  static constexpr std::string_view kKind = "run";
  std::string command{};
  std::string timeout{};  // as written, or the config's default
  bool timeout_default = false;
  OrNull<int64_t> retry{};
  OrNull<std::string> retry_every{};
  OrNull<std::string> capture{};
  Env env{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("command", s.command), f("timeout", s.timeout),
        f("timeout_default", s.timeout_default), f("retry", s.retry),
        f("retry_every", s.retry_every), f("capture", s.capture), f("env", s.env);
  }
};

/// `verify`: the probe `rbk resume` runs, and only it, before it asks about
/// the step's command that was running when the run died.
struct Verify {
  static constexpr std::string_view kKind = "verify";
  std::string command{};
  Env env{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("command", s.command), f("env", s.env);
  }
};

/// `until`: a command repeated until it exits 0.
struct Until {
  static constexpr std::string_view kKind = "until";
  std::string command{};
  std::string within{};
  OrNull<std::string> every{};
  Env env{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("command", s.command), f("within", s.within), f("every", s.every),
        f("env", s.env);
  }
};

/// `confirm`: shown as the step's gate; kept as written.
struct Confirm {
  static constexpr std::string_view kKind = "confirm";
  OrNull<std::string> prompt{};
  OrNull<std::string> typed{};  // the expression whose value is typed back
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("prompt", s.prompt), f("typed", s.typed);
  }
};

/// `note`: its text as written.
struct Note {
  static constexpr std::string_view kKind = "note";
  std::string text{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("text", s.text);
  }
};

/// `manual`: an instruction the operator answers.
struct Manual {
  static constexpr std::string_view kKind = "manual";
  std::string text{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("text", s.text);
  }
};

/// `ask NAME "question" : TYPE`: the operator's answer, asked when the step runs.
struct Ask {
  static constexpr std::string_view kKind = "ask";
  std::string name{};
  std::string question{};
  std::string type{};  // as written: "duration", "enum(a, b)", "string matches /…/"
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("name", s.name), f("question", s.question), f("type", s.type);
  }
};

/// An argument of `call … with`, as written.
struct CallArg {
  std::string name{};
  OrNull<std::string> expr{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("expr", s.expr);
  }
};

/// A gate inside a called runbook, named as --approve names it.
struct CalledGate {
  std::string step{};  // CALLED/STEP (deeper calls: A/B/STEP)
  std::string title{};
  GateKind kind = GateKind::None;
  bool destructive = false;
  OrNull<std::string> prompt{};
  OrNull<std::string> typed{};
  OrNull<std::string> without_terminal{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("title", s.title), f("kind", s.kind), f("destructive", s.destructive),
        f("prompt", s.prompt), f("typed", s.typed), f("without_terminal", s.without_terminal);
  }
};

/// `call`: another runbook run inside this one, with the gates it will ask
/// and the undo blocks that run if this run fails after it resolved.
struct Call {
  static constexpr std::string_view kKind = "call";
  std::string runbook{};
  std::vector<CallArg> args{};
  OrNull<std::string> file{};  // where it was found; null: not found (the step will fail)
  std::vector<CalledGate> gates{};
  std::vector<std::string> undo{};  // CALLED/STEP of its remediation steps with an undo block
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("runbook", s.runbook), f("args", s.args), f("file", s.file),
        f("gates", s.gates), f("undo", s.undo);
  }
};

/// `page` / `notify`, in a step or as an escalation rule.
struct Notice {
  ev::NoticeKind kind = ev::NoticeKind::Notify;
  std::string role{};
  OrNull<std::string> role_name{};  // rbk.yaml's name for the role
  OrNull<std::string> message{};
  OrNull<std::string> when{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", s.kind), f("role", s.role), f("role_name", s.role_name), f("message", s.message),
        f("when", s.when);
  }
};

struct Statement;

/// `undo`: statements that run only when a later step or check fails.
struct Undo {
  static constexpr std::string_view kKind = "undo";
  static constexpr bool kOnlyOnFailure = true;
  // No `{}`: Statement is not complete yet, and clang would need it to be.
  std::vector<Statement> statements;
  /// Its step runs `on` targets: the undo runs only on the hosts where the
  /// step ran, one after another, newest first.
  bool only_where_ran = false;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("only_on_failure", kOnlyOnFailure), f("statements", s.statements),
        f("only_where_ran", s.only_where_ran);
  }
};

/// One statement of a step as it would run (`use` expanded). `destructive`,
/// `evidence`, `safe`, `on failure` and conditions are properties of the
/// step instead.
struct Statement {
  std::optional<size_t> from_use{};  // a template's: its index in the step's `uses`
  std::variant<Run, Until, Verify, Confirm, Note, Manual, Ask, Call, Notice, Undo> body{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("from_use", s.from_use);
    alternative_fields(s.body, f);
  }
};

/// A template parameter of a `use`: the argument as written, or its default.
struct UseArg {
  std::string name{};
  OrNull<std::string> expr{};
  std::string value{};  // a literal's value, else "<value of EXPR>"
  ArgSource source = ArgSource::Missing;
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("name", s.name), f("expr", s.expr), f("value", s.value), f("source", s.source);
  }
};

/// A `use` of a template in a step, with what it binds.
struct Use {
  std::string use{};  // "module.template"
  OrNull<std::string> title{};
  std::vector<UseArg> args{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("use", s.use), f("title", s.title), f("args", s.args);
  }
};

// --- signals, steps, checks, causes ----------------------------------------

/// The gate a step must pass, as the engine would decide it.
struct Gate {
  GateKind kind = GateKind::None;
  bool destructive = false;
  std::string reason{};
  bool typed_by_policy = false;  // the operator types the step id
  OrNull<std::string> prompt{};
  OrNull<std::string> typed{};             // typed: what the operator types
  OrNull<std::string> without_terminal{};  // how to approve it (or why not); null: no gate
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", s.kind), f("destructive", s.destructive), f("reason", s.reason),
        f("typed_by_policy", s.typed_by_policy), f("prompt", s.prompt), f("typed", s.typed),
        f("without_terminal", s.without_terminal);
  }
};

/// What a signal, a step and a check have in common.
struct Runnable {
  std::string id{};  // as the engine names it: "signal-1" for an unnamed signal
  std::string title{};
  std::vector<Variable> captures_before{};
  Gate gate{};
  bool evidence = false;
  OrNull<std::string> safe{};       // the reason given with `safe`
  OrNull<std::string> condition{};  // `firing when` / `passes when`
  OrNull<OnFailure> on_failure{};   // in remediation always; elsewhere when written
  bool on_failure_default = false;
  std::vector<Statement> statements{};
  std::vector<Use> uses{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("id", s.id), f("title", s.title), f("captures_before", s.captures_before), f("gate", s.gate),
        f("evidence", s.evidence), f("safe", s.safe), f("condition", s.condition),
        f("on_failure", s.on_failure), f("on_failure_default", s.on_failure_default),
        f("statements", s.statements), f("uses", s.uses);
  }
};

/// An alert signal.
struct Signal : Runnable {
  static constexpr std::string_view kKind = "signal";
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind);
    Runnable::fields(s, f);
  }
};

/// `on TARGETS …`: the hosts a step runs on and its batches, as far as they
/// are known before the run (the engine's arithmetic: runtime/fanout). A
/// count is null when it depends on hosts known only at run time.
struct On {
  std::string targets{};  // as written: "hosts", "deploy.failed_targets"
  TargetsSource source = TargetsSource::Param;
  OrNull<std::vector<std::string>> names{};  // the parameter's hosts and groups, as given
  OrNull<std::vector<std::string>> hosts{};  // host ids in run order; null: not known yet
  OrNull<std::string> unknown{};             // why `hosts` is null
  bool narrowed = false;                     // --target left only some of them
  OrNull<std::string> skipped{};             // no host left: why the step is skipped
  OrNull<std::string> serial{};              // as written: "2", "25%"; null: one batch
  OrNull<int64_t> per_batch{};
  OrNull<int64_t> batches{};
  OrNull<std::string> max_fail{};  // as written; null: the default, 0
  OrNull<int64_t> max_fail_count{};
  OrNull<std::string> parallel{};  // as written; null: the batch's size, at most 20
  OrNull<int64_t> parallel_count{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("targets", s.targets), f("source", s.source), f("names", s.names), f("hosts", s.hosts),
        f("unknown", s.unknown), f("narrowed", s.narrowed), f("skipped", s.skipped),
        f("serial", s.serial), f("per_batch", s.per_batch), f("batches", s.batches),
        f("max_fail", s.max_fail), f("max_fail_count", s.max_fail_count), f("parallel", s.parallel),
        f("parallel_count", s.parallel_count);
  }
};

/// A step of diagnose, remediate or rollback.
struct Step : Runnable {
  static constexpr std::string_view kKind = "step";
  OrNull<std::string> when{};
  std::vector<std::string> selected_by{};  // the causes its `when` names
  OrNull<On> on{};                         // null: it runs on rbk's machine
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind);
    Runnable::fields(s, f);
    f("when", s.when), f("selected_by", s.selected_by), f("on", s.on);
  }
};

/// A verify check.
struct Check : Runnable {
  static constexpr std::string_view kKind = "check";
  OrNull<std::string> within{};
  OrNull<std::string> every{};
  OrNull<std::string> holds_for{};  // must pass on every poll for this long
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind);
    Runnable::fields(s, f);
    f("within", s.within), f("every", s.every), f("holds_for", s.holds_for);
  }
};

/// A step a cause selects: one whose `when` names `cause.ID`.
struct Branch {
  std::string step{};
  SectionName section = SectionName::Remediate;
  OrNull<std::string> title{};
  OrNull<std::string> when{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("step", s.step), f("section", s.section), f("title", s.title), f("when", s.when);
  }
};

/// A cause, with the steps it selects.
struct Cause {
  static constexpr std::string_view kKind = "cause";
  std::string id{};
  std::string title{};
  OrNull<std::string> when{};
  OrNull<std::string> severity{};  // the run's severity once it matches, if it names one
  std::vector<Branch> selects{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("kind", kKind), f("id", s.id), f("title", s.title), f("when", s.when),
        f("severity", s.severity), f("selects", s.selects);
  }
};

/// One item of a section.
struct Item {
  std::variant<Signal, Step, Check, Cause> body{};
  template <class S, class F>
  static void fields(S& s, F&& f) {
    alternative_fields(s.body, f);
  }
};

/// An escalation rule, in the order rules fire.
struct Rule : Notice {
  ev::Trigger trigger = ev::Trigger::Start;
  OrNull<std::string> after{};  // as written
  OrNull<int64_t> after_ms{};
  OrNull<std::string> every{};      // `every D`, as written
  OrNull<std::string> lasting{};    // `for D` of `every`, as written
  OrNull<std::string> from_step{};  // `after D from step X`: X
  template <class S, class F>
  static void fields(S& s, F&& f) {
    Notice::fields(s, f);
    f("trigger", s.trigger), f("after", s.after), f("after_ms", s.after_ms),
        f("from_step", s.from_step), f("every", s.every), f("for", s.lasting);
  }
};

/// A section, present in the runbook or not.
struct Section {
  SectionName section = SectionName::Alert;
  bool present = false;
  std::optional<std::vector<Item>> items{};              // every section but escalate
  std::optional<std::vector<std::string>> undo_first{};  // rollback: steps, newest first
  std::optional<std::vector<Rule>> rules{};              // escalate
  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("section", s.section), f("present", s.present), f("items", s.items),
        f("undo_first", s.undo_first), f("rules", s.rules);
  }
};

}  // namespace plan

/// What a run of a runbook would do: its header, its variables, and every
/// section in execution order. A default-constructed Plan (no runbook) is empty.
struct Plan {
  static constexpr bool kPlan = true;  // marks the JSON document as a plan
  std::string runbook{};
  std::string file{};
  plan::OrNull<std::string> title{};
  plan::OrNull<std::string> severity{};
  plan::OrNull<std::string> owner{};
  plan::OrNull<std::string> summary{};
  std::vector<std::string> tags{};
  plan::OrNull<std::string> config{};  // the rbk.yaml in force; null for rbk's defaults
  std::string default_timeout{};
  std::vector<plan::Param> params{};
  std::vector<plan::Secret> secrets{};
  std::vector<plan::Message> messages{};
  std::vector<plan::Variable> rbk_variables{};
  std::vector<std::string> missing_params{};
  std::vector<std::string> only_targets{};  // `--target` names: every step on targets narrowed
  std::vector<plan::Section> sections{};

  /// True for a plan of no runbook: a plan of one always has its eight sections.
  bool empty() const { return sections.empty(); }

  template <class S, class F>
  static void fields(S& s, F&& f) {
    f("plan", kPlan), f("runbook", s.runbook), f("file", s.file), f("title", s.title),
        f("severity", s.severity), f("owner", s.owner), f("summary", s.summary), f("tags", s.tags),
        f("config", s.config), f("default_timeout", s.default_timeout), f("params", s.params),
        f("secrets", s.secrets), f("messages", s.messages), f("rbk_variables", s.rbk_variables),
        f("missing_params", s.missing_params), f("only_targets", s.only_targets),
        f("sections", s.sections);
  }
};

}  // namespace rbk
