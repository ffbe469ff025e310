// The check pass: strings, conditions and their types, step references,
// enum values, regular expressions.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <re2/re2.h>

#include "grammar/keywords.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/destructive.hpp"

#include "interpreter/sema/checker.hpp"

namespace rbk::check_detail {

void Checker::check_string(const StringLit& s) {
  for (const auto& p : s.parts)
    if (p.expr) type_of(*p.expr);
}

void Checker::check_condition(const Expr& e, const char* where) {
  TypeInfo t = type_of(e);
  if (t.ty != Ty::Bool && t.ty != Ty::Unknown) {
    error(e.span, std::string(where) + " needs a condition (true or false), not " + ty_name(t.ty),
          "compare it, e.g. " + std::string(e.span.text()) +
              (t.ty == Ty::String   ? " == \"…\""
               : t.ty == Ty::Number ? " > 0"
                                    : " != …"));
  }
}

TypeInfo Checker::param_type(const Param& p) {
  switch (p.type.kind) {
    case TypeKind::Int:
      return {Ty::Number, nullptr};
    case TypeKind::Bool:
      return {Ty::Bool, nullptr};
    case TypeKind::Duration:
      return {Ty::Duration, nullptr};
    case TypeKind::List:
    case TypeKind::Targets:
      return {Ty::List, nullptr};
    case TypeKind::Enum:
      return {Ty::String, &p};
    case TypeKind::String:
      break;
  }
  return {Ty::String, nullptr};
}

std::vector<std::string> Checker::roots_for_suggestion() const {
  std::vector<std::string> v = keys_of(params_);
  for (const auto& b : builtins()) v.push_back(b);
  for (const auto& [k, c] : captures_) v.push_back(k);
  for (const auto& [k, m] : messages_) v.push_back(k);
  v.push_back("cause");
  v.push_back("step");
  return v;
}

TypeInfo Checker::name_type(const Expr& e) {
  const std::string& n = e.name;
  if (auto p = params_.find(n); p != params_.end()) return param_type(*p->second);
  if (secrets_.count(n)) {
    error(e.span, "secret '" + n + "' cannot be used in an expression",
          "secrets reach commands only as the environment variable $" + n +
              ", so they never appear in output or the record");
    return {};
  }
  if (auto c = captures_.find(n); c != captures_.end()) {
    check_capture_use(e.span, n, c->second);
    if (c->second.ask) return param_type(*c->second.ask);
    if (c->second.per_target) {
      error(e.span, "capture '" + n + "' has one result per target",
            "read one target's with " + n + "[\"HOST\"].stdout, or the sets " + n +
                ".ok_targets and " + n + ".failed_targets");
      return {};
    }
    return {Ty::String, nullptr};
  }
  if (auto m = messages_.find(n); m != messages_.end()) return message_type(e, *m->second);
  if (n == "causes") return {Ty::List, nullptr};
  if (n == "batch" || n == "batch_size") {
    if (!in_fanout_) {
      error(e.span, "'" + n + "' is known only in a step that runs on targets",
            "it names the hosts of the batch a gate covers, e.g. confirm typed batch_size");
      return {};
    }
    return {n == "batch" ? Ty::List : Ty::Number, nullptr};
  }
  if (std::find(builtins().begin(), builtins().end(), n) != builtins().end())
    return {Ty::String, nullptr};
  if (n == "cause") {
    error(e.span, "'cause' needs a cause name", "e.g. when cause.disk");
    return {};
  }
  if (n == "step") {
    error(e.span, "'step' needs a step name and a field", "e.g. when step.restart.ok");
    return {};
  }
  std::string hint = did_you_mean(n, roots_for_suggestion());
  for (const auto& [pn, p] : params_) {
    if (p->type.kind != TypeKind::Enum) continue;
    for (const auto& v : p->type.values)
      if (v.name == n && hint.empty())
        hint = "to compare with the text " + n + " write \"" + n + "\"";
  }
  if (hint.empty() && comparing_ && is_lower_word(n))
    hint = "to compare with the text " + n + ", quote it: \"" + n + "\"";
  error(e.span, "unknown name '" + n + "'",
        hint.empty()
            ? "names are parameters, captures (run … as NAME), messages and " + join(builtins())
            : hint);
  return {};
}

namespace {

/// The type a capture's field reads as (`.json`: unknown until run time).
TypeInfo field_type(CaptureField f) {
  switch (f) {
    case CaptureField::Stdout:
    case CaptureField::Stderr:
      return {Ty::String, nullptr};
    case CaptureField::Exit:
      return {Ty::Number, nullptr};
    case CaptureField::Ok:
    case CaptureField::TimedOut:
      return {Ty::Bool, nullptr};
    case CaptureField::Duration:
      return {Ty::Duration, nullptr};
    case CaptureField::Lines:
      return {Ty::List, nullptr};
    case CaptureField::Json:
      break;
  }
  return {};
}

}  // namespace

void Checker::check_capture_use(const Span& at, const std::string& n, const CaptureInfo& c) {
  if (at_start_ && !c.from_signal) {
    // Start rules fire once the alert section has run (every signal), so
    // only the signals' captures exist then.
    error(at, "capture '" + n + "' does not exist yet when the start rules fire",
          "a rule with no 'after' or 'on' fires right after the alert signals; use a "
          "signal's capture, 'after DURATION' or 'on failure'");
  } else if (!at_start_ && !c.defined) {
    error(at,
          (c.ask ? "answer '" : "capture '") + n + "' is used before step '" + c.step +
              (c.ask ? "' asks for it (at " : "' defines it (at ") + c.span.where() + ")",
          "steps run in order: alert, diagnose, causes, remediate, verify, rollback");
  }
}

TypeInfo Checker::field_of_capture(const Expr& e) {
  const std::string& f = e.name;
  if (auto field = capture_field(f)) return field_type(*field);
  std::string hint = did_you_mean(f, capture_field_names());
  error(e.span, "unknown capture field '" + f + "'",
        hint.empty() ? "captures have " + fields(capture_field_names()) : hint);
  return {};
}

TypeInfo Checker::member_type(const Expr& e) {
  const Expr& obj = *e.items.at(0);
  // cause.ID
  if (obj.kind == ExprKind::Name && obj.name == "cause") {
    auto c = causes_.find(e.name);
    if (c == causes_.end()) {
      std::vector<std::string> names = keys_of(causes_);
      std::string hint = did_you_mean(e.name, names);
      error(e.span, "unknown cause '" + e.name + "'",
            hint.empty() ? (names.empty() ? std::string("define it in the causes section")
                                          : "the causes are " + join(names))
                         : hint);
    } else if (!cause_defined_[e.name]) {
      error(e.span, "cause '" + e.name + "' is not known yet here",
            section_ == SectionKind::Causes ? "a cause can only refer to causes listed before it"
                                            : "causes are evaluated after diagnose");
    }
    return {Ty::Bool, nullptr};
  }
  // step.ID.field
  if (obj.kind == ExprKind::Member && obj.items.at(0)->kind == ExprKind::Name &&
      obj.items.at(0)->name == "step") {
    check_step_ref(obj);
    if (std::find(step_fields().begin(), step_fields().end(), e.name) == step_fields().end()) {
      std::string hint = did_you_mean(e.name, step_fields());
      error(e.span, "unknown step field '" + e.name + "'",
            hint.empty() ? "steps have " + fields(step_fields()) : hint);
      return {};  // unknown: no second error about its type
    }
    return {Ty::Bool, nullptr};
  }
  if (obj.kind == ExprKind::Name && obj.name == "step") {
    check_step_ref(e);
    error(e.span, "step." + e.name + " needs a field", "e.g. step." + e.name + ".ok");
    return {};
  }
  // capture["HOST"].field, for a capture made on targets
  if (obj.kind == ExprKind::Index && obj.items.at(0)->kind == ExprKind::Name) {
    auto c = captures_.find(obj.items[0]->name);
    if (c != captures_.end() && c->second.per_target) {
      if (obj.items.size() > 1) {
        TypeInfo idx = type_of(*obj.items[1]);
        if (idx.ty != Ty::String && idx.ty != Ty::Unknown)
          error(obj.items[1]->span, "a target is named by its host id, in quotes",
                "e.g. " + c->first + "[\"web-2\"].stdout");
      }
      return per_target_field(e, c->first, true);
    }
  }
  // capture.field
  if (auto c = captures_.find(obj.name); obj.kind == ExprKind::Name && c != captures_.end()) {
    if (c->second.per_target) return per_target_field(e, c->first, false);
    name_type(obj);
    if (c->second.ask) {
      error(e.span, "answer '" + obj.name + "' has no fields",
            "an answer is the value the operator typed: use it as " + obj.name);
      return {};
    }
    return field_of_capture(e);
  }
  // anything under .json: unknown shape
  TypeInfo base = type_of(obj);
  if (base.ty == Ty::Unknown) return {};
  if (obj.kind == ExprKind::Name && params_.count(obj.name)) {
    error(e.span, "parameter '" + obj.name + "' has no fields",
          "only captures (run … as NAME) have fields such as .stdout and .json");
    return {};
  }
  error(e.span, std::string("'.") + e.name + "' on " + ty_name(base.ty),
        "only captures have fields; .json gives access to parsed JSON output");
  return {};
}

TypeInfo Checker::per_target_field(const Expr& e, const std::string& capture, bool target) {
  check_capture_use(e.span, capture, captures_.at(capture));
  static const std::vector<std::string> sets{"ok_targets", "failed_targets", "targets"};
  const std::string& f = e.name;
  if (!target) {
    if (std::find(sets.begin(), sets.end(), f) != sets.end()) return {Ty::List, nullptr};
    std::string hint = did_you_mean(f, sets);
    error(e.span, "capture '" + capture + "' has one result per target",
          hint.empty() ? "read one target's with " + capture + "[\"HOST\"]." + f +
                             ", or the sets " + fields(sets)
                       : hint);
    return {};
  }
  return field_of_capture(e);
}

void Checker::check_step_ref(const Expr& member) {
  const std::string& id = member.name;
  auto it = steps_.find(id);
  if (it == steps_.end()) {
    std::string hint = did_you_mean(id, keys_of(steps_));
    error(member.span, "unknown step '" + id + "'", hint);
    return;
  }
  if (!it->second.reached || id == current_step_) {
    error(member.span, "step '" + id + "' has not run yet here",
          "a condition can refer only to steps that run before it");
  }
}

TypeInfo Checker::type_of(const Expr& e) {
  switch (e.kind) {
    case ExprKind::String:
      check_string(e.string);
      return {Ty::String, nullptr};
    case ExprKind::Number:
      return {Ty::Number, nullptr};
    case ExprKind::Bool:
      return {Ty::Bool, nullptr};
    case ExprKind::Duration:
      return {Ty::Duration, nullptr};
    case ExprKind::List:
      for (const auto& i : e.items) type_of(*i);
      return {Ty::List, nullptr};
    case ExprKind::Name:
      return name_type(e);
    case ExprKind::Member:
      return member_type(e);
    case ExprKind::Index: {
      TypeInfo base = type_of(*e.items.at(0));
      if (e.items.size() > 1) {
        TypeInfo idx = type_of(*e.items[1]);
        if (idx.ty != Ty::Number && idx.ty != Ty::Unknown && idx.ty != Ty::String)
          error(e.items[1]->span, std::string("an index must be a number, not ") + ty_name(idx.ty));
      }
      if (base.ty != Ty::List && base.ty != Ty::Unknown) {
        error(e.span, std::string("cannot index ") + ty_name(base.ty),
              "only lists (such as .lines) and .json values can be indexed");
        return {};
      }
      return {base.ty == Ty::List ? Ty::String : Ty::Unknown, nullptr};
    }
    case ExprKind::Not: {
      TypeInfo t = type_of(*e.items.at(0));
      if (t.ty != Ty::Bool && t.ty != Ty::Unknown)
        error(e.items[0]->span, std::string("'not' needs a condition, not ") + ty_name(t.ty));
      return {Ty::Bool, nullptr};
    }
    case ExprKind::Binary:
      return binary_type(e);
  }
  return {};
}

TypeInfo Checker::binary_type(const Expr& e) {
  const Expr& lhs_e = *e.items.at(0);
  // "Quote it" suits `severity == critical`, not `environment == "prod"`.
  const bool other_is_text = e.items.size() > 1 && e.items[1]->kind == ExprKind::String;
  comparing_ = (e.op == BinOp::Eq || e.op == BinOp::Ne) && !other_is_text;
  TypeInfo lhs = type_of(lhs_e);
  comparing_ = false;
  if (e.op == BinOp::Matches) {
    if (lhs.ty != Ty::String && lhs.ty != Ty::Unknown)
      error(lhs_e.span, std::string("'matches' needs text on its left, not ") + ty_name(lhs.ty));
    if (e.regex) check_regex(*e.regex);
    return {Ty::Bool, nullptr};
  }
  const Expr& rhs_e = *e.items.at(1);
  const bool equality =
      e.op == BinOp::Eq || e.op == BinOp::Ne || e.op == BinOp::In || e.op == BinOp::NotIn;
  comparing_ = equality && lhs_e.kind != ExprKind::String;
  TypeInfo rhs = type_of(rhs_e);
  comparing_ = false;
  auto mismatch = [&](const std::string& help) {
    error(e.span,
          std::string("cannot compare ") + ty_name(lhs.ty) + " with " + ty_name(rhs.ty) +
              " using '" + op_text(e.op) + "'",
          help);
  };
  const bool unknown = lhs.ty == Ty::Unknown || rhs.ty == Ty::Unknown;
  switch (e.op) {
    case BinOp::And:
    case BinOp::Or: {
      for (const auto* side : {&lhs_e, &rhs_e}) {
        TypeInfo t = side == &lhs_e ? lhs : rhs;
        if (t.ty != Ty::Bool && t.ty != Ty::Unknown)
          error(side->span, std::string("'") + op_text(e.op) +
                                "' needs conditions on both sides, not " + ty_name(t.ty));
      }
      return {Ty::Bool, nullptr};
    }
    case BinOp::Eq:
    case BinOp::Ne:
      if (!unknown && !comparable(lhs.ty, rhs.ty)) mismatch(compare_help(lhs.ty, rhs.ty));
      check_enum_value(lhs, rhs_e);
      check_enum_value(rhs, lhs_e);
      return {Ty::Bool, nullptr};
    case BinOp::Lt:
    case BinOp::Le:
    case BinOp::Gt:
    case BinOp::Ge:
      if (!unknown &&
          (lhs.ty == Ty::Bool || rhs.ty == Ty::Bool || lhs.ty == Ty::List || rhs.ty == Ty::List)) {
        mismatch("'<' and '>' order numbers, durations and text");
      } else if (!unknown && !comparable(lhs.ty, rhs.ty)) {
        mismatch(compare_help(lhs.ty, rhs.ty));
      }
      return {Ty::Bool, nullptr};
    case BinOp::Contains:
      if (lhs.ty != Ty::String && lhs.ty != Ty::List && lhs.ty != Ty::Unknown)
        error(lhs_e.span,
              std::string("'contains' needs text or a list on its left, not ") + ty_name(lhs.ty));
      return {Ty::Bool, nullptr};
    case BinOp::In:
    case BinOp::NotIn:
      if (rhs.ty != Ty::List && rhs.ty != Ty::Unknown)
        error(rhs_e.span,
              std::string("'") + op_text(e.op) + "' needs a list on its right, not " +
                  ty_name(rhs.ty),
              "e.g. env in [\"prod\", \"staging\"]");
      if (rhs_e.kind == ExprKind::List)
        for (const auto& i : rhs_e.items) check_enum_value(lhs, *i);
      return {Ty::Bool, nullptr};
    case BinOp::Matches:
      break;
  }
  return {Ty::Bool, nullptr};
}

bool Checker::comparable(Ty a, Ty b) {
  if (a == b) return true;
  // Text and numbers compare as numbers when both parse as numbers.
  auto textual = [](Ty t) { return t == Ty::String || t == Ty::Number; };
  return textual(a) && textual(b);
}

std::string Checker::compare_help(Ty a, Ty b) {
  if (a == Ty::Duration || b == Ty::Duration)
    return "compare durations with durations, e.g. health.duration > 2s";
  if (a == Ty::Bool || b == Ty::Bool) return "compare true/false values with true or false";
  if (a == Ty::List || b == Ty::List) return "use 'in' or 'contains' to look inside a list";
  return "";
}

void Checker::check_enum_value(const TypeInfo& side, const Expr& other) {
  if (!side.enum_param || other.kind != ExprKind::String || other.string.has_interpolation())
    return;
  const Param& p = *side.enum_param;
  std::string v = other.string.plain();
  std::vector<std::string> values;
  for (const auto& x : p.type.values) values.push_back(x.name);
  if (std::find(values.begin(), values.end(), v) != values.end()) return;
  std::string hint = did_you_mean(v, values);
  error(other.span, "\"" + v + "\" is not a value of enum '" + p.name.name + "'",
        hint.empty() ? "the values are " + join(values) : hint);
}

void Checker::check_regex(const Regex& r) {
  for (char f : r.flags) {
    if (f != 'i')
      error(r.span, std::string("unknown regex flag '") + f + "'",
            "the only flag is i (ignore case)");
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(r.flags.find('i') == std::string::npos);
  // `\/` in the source is how a slash is written inside /…/.
  std::string pattern;
  for (size_t i = 0; i < r.pattern.size(); ++i) {
    if (r.pattern[i] == '\\' && i + 1 < r.pattern.size() && r.pattern[i + 1] == '/') {
      pattern += '/';
      ++i;
    } else {
      pattern += r.pattern[i];
    }
  }
  RE2 re(pattern, opts);
  if (!re.ok()) {
    error(r.span, "invalid regular expression: " + re.error(),
          "patterns use RE2 syntax (no backreferences or lookaround)");
  }
}

}  // namespace rbk::check_detail
