#include "interpreter/runtime/evaluate.hpp"

#include <charconv>
#include <cmath>

#include <re2/re2.h>

#include "interpreter/base/names.hpp"

namespace rbk {

namespace {

/// Text that reads as a number ("42", " 3.5\n"), as the number.
std::optional<double> as_number(const Value& v) {
  if (v.kind == ValueKind::Number) return v.number;
  if (v.kind != ValueKind::Text) return std::nullopt;
  std::string t = trim(v.text);
  if (t.empty()) return std::nullopt;
  double d = 0;
  const char* b = t.data();
  if (*b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, t.data() + t.size(), d);
  if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

const char* kind_text(ValueKind k) {
  switch (k) {
    case ValueKind::Empty:
      return "empty";
    case ValueKind::Text:
      return "text";
    case ValueKind::Number:
      return "number";
    case ValueKind::Bool:
      return "bool";
    case ValueKind::Duration:
      return "duration";
    case ValueKind::List:
      return "list";
    case ValueKind::Json:
      return "JSON";
  }
  return "value";
}

std::vector<std::string> capture_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

/// An EvalError at `span`, as the failure of an Eval.
tl::unexpected<EvalError> error_at(const Span& span, std::string why) {
  return fail(EvalError{span, std::move(why)});
}

Eval<Value> capture_field(const ast::Expr& e, const std::string& name, const CaptureData& c) {
  const std::string& f = e.name;
  if (!c.ran) return Value{};
  const auto field = ast::capture_field(f);
  if (!field) return error_at(e.span, "captures have no field '" + f + "'");
  switch (*field) {
    case ast::CaptureField::Stdout:
      return Value::of_text(c.stdout_text);
    case ast::CaptureField::Stderr:
      return Value::of_text(c.stderr_text);
    case ast::CaptureField::Exit:
      return Value::of_number(c.exit_code);
    case ast::CaptureField::Ok:
      return Value::of_bool(c.ok);
    case ast::CaptureField::TimedOut:
      return Value::of_bool(c.timed_out);
    case ast::CaptureField::Duration:
      return Value::of_duration(c.duration_ms);
    case ast::CaptureField::Lines: {
      std::vector<Value> items;
      for (auto& l : capture_lines(c.stdout_text)) items.push_back(Value::of_text(std::move(l)));
      return Value::of_list(std::move(items));
    }
    case ast::CaptureField::Json: {
      nlohmann::json j = nlohmann::json::parse(c.stdout_text, nullptr, false);
      if (j.is_discarded())
        return error_at(e.span, "the output of '" + name + "' is not valid JSON");
      Value v;
      v.kind = ValueKind::Json;
      v.json = std::move(j);
      return v;
    }
  }
  return error_at(e.span, "captures have no field '" + f + "'");
}

/// `v.field` on a JSON value: a missing key reads as empty.
Eval<Value> json_member(const ast::Expr& e, const Value& v) {
  if (v.kind == ValueKind::Empty) return Value{};
  if (v.kind != ValueKind::Json || !v.json.is_object())
    return error_at(e.span, std::string("'.") + e.name + "' on " + kind_text(v.kind) +
                                (v.kind == ValueKind::Json ? " that is not an object" : ""));
  auto it = v.json.find(e.name);
  if (it == v.json.end()) return Value{};
  return Value::of_json(*it);
}

Eval<Value> index_value(const ast::Expr& e, const Value& base, const Value& idx) {
  if (base.kind == ValueKind::Empty) return Value{};
  // The position `idx` names in a sequence of `size`; nullopt when out of
  // range (which reads as empty).
  auto position = [&](size_t size) -> Eval<std::optional<size_t>> {
    auto n = as_number(idx);
    if (!n || *n != std::trunc(*n))
      return error_at(e.items.at(1)->span, "an index must be a whole number");
    auto i = static_cast<int64_t>(*n);
    if (i < 0) i += static_cast<int64_t>(size);
    if (i < 0 || i >= static_cast<int64_t>(size)) return std::optional<size_t>();
    return std::optional<size_t>(static_cast<size_t>(i));
  };
  if (base.kind == ValueKind::List) {
    auto i = position(base.items.size());
    if (!i) return fail(i.error());
    return *i ? base.items[**i] : Value{};
  }
  if (base.kind == ValueKind::Json && base.json.is_array()) {
    auto i = position(base.json.size());
    if (!i) return fail(i.error());
    return *i ? Value::of_json(base.json[**i]) : Value{};
  }
  if (base.kind == ValueKind::Json && base.json.is_object()) {
    if (idx.kind != ValueKind::Text) return error_at(e.span, "an object is indexed by a key");
    auto it = base.json.find(idx.text);
    return it == base.json.end() ? Value{} : Value::of_json(*it);
  }
  return error_at(e.span, std::string("cannot index ") + kind_text(base.kind));
}

Eval<int> compare(const ast::Expr& e, const Value& a, const Value& b) {
  // Empty (a step that did not run) cannot be ordered: it is not "less".
  if (a.kind == ValueKind::Empty || b.kind == ValueKind::Empty)
    return error_at(e.span, "cannot order an empty value (did the step that makes it run?)");
  auto na = as_number(a), nb = as_number(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  if (a.kind == ValueKind::Duration && b.kind == ValueKind::Duration)
    return a.ms < b.ms ? -1 : (a.ms > b.ms ? 1 : 0);
  if (a.kind == ValueKind::Text && b.kind == ValueKind::Text) {
    int c = a.text.compare(b.text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return error_at(e.span, std::string("cannot order ") + kind_text(a.kind) + " and " +
                              kind_text(b.kind) + " ('" + to_display(a) + "' and '" +
                              to_display(b) + "')");
}

Eval<int> compare_severities(const ast::Expr& e, const Value& a, const Value& b,
                             const Scope& scope) {
  const std::vector<std::string>* levels = scope.severity_order();
  if (!levels || levels->empty())
    return error_at(e.span,
                    "severities are ordered as rbk.yaml lists them, and it lists none (add "
                    "severities: to rbk.yaml, the most severe first)");
  auto rank = [&](const Value& v) -> std::optional<size_t> {
    auto it = std::find(levels->begin(), levels->end(), to_display(v));
    if (it == levels->end()) return std::nullopt;
    return static_cast<size_t>(it - levels->begin());
  };
  for (const Value* v : {&a, &b})
    if (!rank(*v)) {
      std::string known;
      for (const auto& l : *levels) known += (known.empty() ? "" : ", ") + l;
      return error_at(e.span, "'" + to_display(*v) +
                                  "' is not a severity of rbk.yaml (most severe first: " + known +
                                  ")");
    }
  // The first listed is the most severe, so the greater.
  const size_t ra = *rank(a), rb = *rank(b);
  return ra < rb ? 1 : (ra > rb ? -1 : 0);
}

bool list_has(const Value& list, const Value& item) {
  if (list.kind == ValueKind::List) {
    for (const auto& i : list.items)
      if (values_equal(i, item)) return true;
    return false;
  }
  if (list.kind == ValueKind::Json && list.json.is_array()) {
    for (const auto& i : list.json)
      if (values_equal(Value::of_json(i), item)) return true;
    return false;
  }
  return false;
}

}  // namespace

std::string CaptureData::value() const {
  return trim(stdout_text);
}

bool values_equal(const Value& a, const Value& b) {
  auto na = as_number(a), nb = as_number(b);
  if (na && nb) return *na == *nb;
  if (a.kind == ValueKind::Duration && b.kind == ValueKind::Duration) return a.ms == b.ms;
  if (a.kind == ValueKind::Bool || b.kind == ValueKind::Bool)
    return a.kind == b.kind && a.boolean == b.boolean;
  if (a.kind == ValueKind::List && b.kind == ValueKind::List) {
    if (a.items.size() != b.items.size()) return false;
    for (size_t i = 0; i < a.items.size(); ++i)
      if (!values_equal(a.items[i], b.items[i])) return false;
    return true;
  }
  if (a.kind == ValueKind::Json && b.kind == ValueKind::Json) return a.json == b.json;
  return to_display(a) == to_display(b);
}

Eval<Value> evaluate(const ast::Expr& e, const Scope& scope) {
  using ast::ExprKind;
  switch (e.kind) {
    case ExprKind::String: {
      auto text = interpolate(e.string, scope);
      if (!text) return fail(text.error());
      return Value::of_text(std::move(*text));
    }
    case ExprKind::Number: {
      Value v = Value::of_number(e.number);
      v.text = e.text;
      return v;
    }
    case ExprKind::Bool:
      return Value::of_bool(e.boolean);
    case ExprKind::Duration:
      return Value::of_duration(e.ms, e.text);
    case ExprKind::List: {
      std::vector<Value> items;
      for (const auto& i : e.items) {
        auto v = evaluate(*i, scope);
        if (!v) return v;
        items.push_back(std::move(*v));
      }
      return Value::of_list(std::move(items));
    }
    case ExprKind::Name: {
      if (const CaptureData* c = scope.capture(e.name))
        return c->ran ? Value::of_text(c->value()) : Value{};
      if (auto v = scope.variable(e.name)) return *v;
      return error_at(e.span, "unknown name '" + e.name + "'");
    }
    case ExprKind::Member: {
      const ast::Expr& obj = *e.items.at(0);
      if (obj.kind == ExprKind::Name && obj.name == "cause")
        return Value::of_bool(scope.cause(e.name));
      if (obj.kind == ExprKind::Member && obj.items.at(0)->kind == ExprKind::Name &&
          obj.items.at(0)->name == "step")
        return Value::of_bool(scope.step_field(obj.name, e.name));
      // A capture made on targets first: the plain one of that name, if the
      // scope has it, is only the placeholder of a step not yet run.
      if (obj.kind == ExprKind::Name)
        if (const TargetCaptures* t = scope.target_capture(obj.name)) {
          // The sets a later step can run on: where the command ran, and how.
          std::vector<Value> hosts;
          for (const auto& [host, c] : *t) {
            if (e.name == "targets" || (e.name == "ok_targets" && c.ok) ||
                (e.name == "failed_targets" && !c.ok))
              hosts.push_back(Value::of_text(host));
          }
          return Value::of_list(std::move(hosts));
        }
      // Its step did not run (skipped, refused, not reached): no host.
      if (obj.kind == ExprKind::Name &&
          (e.name == "targets" || e.name == "ok_targets" || e.name == "failed_targets"))
        if (const CaptureData* c = scope.capture(obj.name); c && !c->ran) return Value::of_list({});
      if (obj.kind == ExprKind::Name)
        if (const CaptureData* c = scope.capture(obj.name)) return capture_field(e, obj.name, *c);
      if (obj.kind == ExprKind::Index && obj.items.at(0)->kind == ExprKind::Name)
        if (const TargetCaptures* t = scope.target_capture(obj.items[0]->name)) {
          auto host = evaluate(*obj.items.at(1), scope);
          if (!host) return host;
          const std::string id = to_display(*host);
          for (const auto& [h, c] : *t)
            if (h == id) return capture_field(e, obj.items[0]->name, c);
          return Value{};  // it did not run there: empty, as a step that did not run
        }
      auto v = evaluate(obj, scope);
      if (!v) return v;
      return json_member(e, *v);
    }
    case ExprKind::Index: {
      auto base = evaluate(*e.items.at(0), scope);
      if (!base) return base;
      auto idx = evaluate(*e.items.at(1), scope);
      if (!idx) return idx;
      return index_value(e, *base, *idx);
    }
    case ExprKind::Not: {
      auto c = evaluate_condition(*e.items.at(0), scope);
      if (!c) return fail(c.error());
      return Value::of_bool(!*c);
    }
    case ExprKind::Binary:
      break;
  }
  using ast::BinOp;
  const ast::Expr& lhs = *e.items.at(0);
  switch (e.op) {
    case BinOp::Or:
    case BinOp::And: {
      // The right side is evaluated only when the left does not decide.
      auto l = evaluate_condition(lhs, scope);
      if (!l) return fail(l.error());
      if (*l == (e.op == BinOp::Or)) return Value::of_bool(*l);
      auto r = evaluate_condition(*e.items.at(1), scope);
      if (!r) return fail(r.error());
      return Value::of_bool(*r);
    }
    case BinOp::Matches: {
      auto l = evaluate(lhs, scope);
      if (!l) return l;
      if (!e.regex) return error_at(e.span, "'matches' needs a /pattern/");
      std::string error;
      const bool matched =
          l->kind != ValueKind::Empty && regex_matches(*e.regex, to_display(*l), &error);
      if (!error.empty()) return error_at(e.regex->span, error);
      return Value::of_bool(matched);
    }
    default:
      break;
  }
  auto left = evaluate(lhs, scope);
  if (!left) return left;
  auto right = evaluate(*e.items.at(1), scope);
  if (!right) return right;
  const Value& l = *left;
  const Value& r = *right;
  // `severity` is ordered by rank, not by spelling: more severe is greater.
  auto is_severity = [](const ast::Expr& x) {
    return x.kind == ExprKind::Name && x.name == "severity";
  };
  const bool by_rank = is_severity(lhs) || is_severity(*e.items.at(1));
  // An ordering, once compared.
  auto order = [&](auto holds) -> Eval<Value> {
    auto c = by_rank ? compare_severities(e, l, r, scope) : compare(e, l, r);
    if (!c) return fail(c.error());
    return Value::of_bool(holds(*c));
  };
  switch (e.op) {
    case BinOp::Eq:
      return Value::of_bool(values_equal(l, r));
    case BinOp::Ne:
      return Value::of_bool(!values_equal(l, r));
    case BinOp::Lt:
      return order([](int c) { return c < 0; });
    case BinOp::Le:
      return order([](int c) { return c <= 0; });
    case BinOp::Gt:
      return order([](int c) { return c > 0; });
    case BinOp::Ge:
      return order([](int c) { return c >= 0; });
    case BinOp::Contains:
      if (l.kind == ValueKind::List || (l.kind == ValueKind::Json && l.json.is_array()))
        return Value::of_bool(list_has(l, r));
      if (l.kind == ValueKind::Json && l.json.is_object() && r.kind == ValueKind::Text)
        return Value::of_bool(l.json.contains(r.text));
      if (l.kind == ValueKind::Empty) return Value::of_bool(false);
      return Value::of_bool(to_display(l).find(to_display(r)) != std::string::npos);
    case BinOp::In:
    case BinOp::NotIn: {
      if (r.kind != ValueKind::List && r.kind != ValueKind::Empty &&
          !(r.kind == ValueKind::Json && r.json.is_array()))
        return error_at(e.items.at(1)->span, std::string("'") + ast::op_text(e.op) +
                                                 "' needs a list on its right, not " +
                                                 kind_text(r.kind));
      bool has = list_has(r, l);
      return Value::of_bool(e.op == BinOp::In ? has : !has);
    }
    default:
      break;
  }
  return error_at(e.span, "cannot evaluate this expression");
}

Eval<bool> evaluate_condition(const ast::Expr& e, const Scope& scope) {
  auto v = evaluate(e, scope);
  if (!v) return fail(v.error());
  if (v->kind == ValueKind::Bool) return v->boolean;
  if (v->kind == ValueKind::Empty) return false;
  return error_at(e.span, std::string("a condition must be true or false, not ") +
                              kind_text(v->kind) + " '" + to_display(*v) + "'");
}

Eval<std::string> interpolate(const ast::StringLit& s, const Scope& scope,
                              std::vector<EvalError>* failed) {
  std::string out;
  for (const auto& p : s.parts) {
    if (!p.expr) {
      out += p.text;
      continue;
    }
    auto v = evaluate(*p.expr, scope);
    if (v) {
      out += to_display(*v);
      continue;
    }
    if (!failed) return fail(v.error());
    failed->push_back(v.error());
    out += "${" + std::string(p.expr->span.text()) + "}";
  }
  return out;
}

bool regex_matches(const ast::Regex& r, const std::string& text, std::string* error) {
  RE2::Options opts;
  opts.set_log_errors(false);
  if (r.flags.find('i') != std::string::npos) opts.set_case_sensitive(false);
  RE2 re(r.pattern, opts);
  if (!re.ok()) {
    if (error) *error = "invalid pattern: " + re.error();
    return false;
  }
  return RE2::PartialMatch(text, re);
}

}  // namespace rbk
