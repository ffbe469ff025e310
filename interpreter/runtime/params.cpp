#include "interpreter/runtime/params.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "interpreter/base/json_text.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/runtime/evaluate.hpp"

namespace rbk {

namespace {

/// A literal expression (a default, or a list element) as a value.
Value literal_value(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::String:
      return Value::of_text(e.string.plain());
    case ast::ExprKind::Number:
      return [&] {
        Value v = Value::of_number(e.number);
        v.text = e.text;
        return v;
      }();
    case ast::ExprKind::Bool:
      return Value::of_bool(e.boolean);
    case ast::ExprKind::Duration:
      return Value::of_duration(e.ms, e.text);
    case ast::ExprKind::List: {
      std::vector<Value> items;
      for (const auto& i : e.items) items.push_back(literal_value(*i));
      return Value::of_list(std::move(items));
    }
    case ast::ExprKind::Name:  // an enum value written bare
      return Value::of_text(e.name);
    default:
      return {};
  }
}

/// The comma-separated items of `text`, each without blanks around it
/// ("a, b" → a, b; "" → one empty item).
std::vector<std::string> comma_items(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    out.emplace_back(
        trim(std::string_view(text).substr(
                 start, comma == std::string::npos ? std::string::npos : comma - start),
             " \t"));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

bool split_param_arg(const std::string& arg, ParamArg& out) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  out.name = arg.substr(0, eq);
  out.value = arg.substr(eq + 1);
  return true;
}

int64_t duration_ms(const ast::Duration& d, const Value* value) {
  if (!d.param) return d.ms;
  if (!value) return 0;
  if (value->kind == ValueKind::Duration) return value->ms;
  DurationResult r = parse_duration(to_display(*value));
  return r.error ? 0 : r.ms;
}

Expected<Value, std::string> convert_answer(const ast::Ask& a, const std::string& text) {
  if (text.find_first_not_of(" \t") == std::string::npos) return fail("the answer is empty");
  auto v = convert_param(*a.decl, text);
  if (!v || !a.pattern) return v;
  std::string error;
  if (!regex_matches(*a.pattern, text, &error))
    return fail(error.empty()
                    ? "'" + text + "' does not match " + std::string(a.pattern->span.text())
                    : error);
  return v;
}

Expected<Value, std::string> convert_param(const ast::Param& p, const std::string& text) {
  switch (p.type.kind) {
    case ast::TypeKind::String:
      return Value::of_text(text);  // verbatim: a value is data, never shell source
    case ast::TypeKind::Int: {
      int64_t n = 0;
      const char* b = text.data();
      const char* e = b + text.size();
      if (b != e && *b == '+') ++b;
      auto [ptr, ec] = std::from_chars(b, e, n);
      if (text.empty() || ec != std::errc() || ptr != e)
        return fail("'" + text + "' is not a whole number");
      return Value::of_number(static_cast<double>(n));
    }
    case ast::TypeKind::Bool: {
      std::string t = text;
      std::transform(t.begin(), t.end(), t.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (t == "true" || t == "yes" || t == "1") return Value::of_bool(true);
      if (t == "false" || t == "no" || t == "0") return Value::of_bool(false);
      return fail("'" + text + "' is not true or false");
    }
    case ast::TypeKind::Duration: {
      DurationResult d = parse_duration(text);
      if (d.error || d.ms <= 0)
        return fail("'" + text + "' is not a duration (e.g. 30s, 10m, 1h30m)");
      return Value::of_duration(d.ms, text);
    }
    case ast::TypeKind::Enum: {
      std::vector<std::string> values;
      for (const auto& v : p.type.values) values.push_back(v.name);
      if (std::find(values.begin(), values.end(), text) != values.end())
        return Value::of_text(text);
      std::string all;
      for (const auto& v : values) all += (all.empty() ? "" : ", ") + v;
      std::string error = "'" + text + "' is not one of " + all;
      if (std::string hint = did_you_mean(text, values); !hint.empty()) error += "; " + hint;
      return fail(std::move(error));
    }
    case ast::TypeKind::List: {
      std::vector<Value> items;
      if (!text.empty())
        for (auto& item : comma_items(text)) items.push_back(Value::of_text(std::move(item)));
      return Value::of_list(std::move(items));
    }
    case ast::TypeKind::Targets: {
      // Host and group names, checked against rbk.yaml's targets when a
      // step runs on them (resolve_target_names); here only their shape.
      std::vector<Value> names;
      for (auto& name : comma_items(text)) {
        if (!is_target_name(name))
          return fail("'" + text +
                      "' is not a list of host or group names (e.g. web or web-1,db-1)");
        names.push_back(Value::of_text(std::move(name)));
      }
      return Value::of_list(std::move(names));
    }
  }
  return fail(std::string("unknown parameter type"));
}

std::vector<const ast::Param*> declared_params(const ast::Runbook& rb) {
  std::vector<const ast::Param*> out;
  for (const auto& item : rb.items)
    if (const auto* p = std::get_if<ast::Param>(&item)) out.push_back(p);
  return out;
}

Value default_value(const ast::Param& p) {
  if (!p.default_value) return {};
  Value v = literal_value(*p.default_value);
  // `param hosts : targets = "web"`: one name is a list of one.
  if (p.type.kind == ast::TypeKind::Targets && v.kind != ValueKind::List)
    return Value::of_list({std::move(v)});
  return v;
}

BoundParams bind_params(const ast::Runbook& rb, const std::vector<ParamArg>& args) {
  BoundParams b;
  std::vector<const ast::Param*> params = declared_params(rb);
  std::vector<std::string> names;
  for (const auto* p : params) names.push_back(p->name.name);
  std::set<std::string> given;
  for (const auto& a : args) {
    auto it = std::find_if(params.begin(), params.end(),
                           [&](const ast::Param* p) { return p->name.name == a.name; });
    if (it == params.end()) {
      std::string msg = "runbook '" + rb.name.name + "' has no parameter '" + a.name + "'";
      if (std::string hint = did_you_mean(a.name, names); !hint.empty())
        msg += "; " + hint;
      else if (names.empty())
        msg += " (it takes none)";
      else {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        msg += " (its parameters: " + all + ")";
      }
      b.errors.push_back(msg);
      continue;
    }
    if (!given.insert(a.name).second) {
      b.errors.push_back("parameter '" + a.name + "' is given twice");
      continue;
    }
    auto v = convert_param(**it, a.value);
    if (!v) {
      b.errors.push_back("parameter '" + a.name + "' (" + ast::type_name((*it)->type.kind) +
                         "): " + v.error());
      continue;
    }
    b.values[a.name] = std::move(*v);
  }
  for (const auto* p : params) {
    if (given.count(p->name.name)) continue;
    if (p->default_value) {
      b.values[p->name.name] = default_value(*p);
      b.defaulted.push_back(p->name.name);
    } else if (std::none_of(b.errors.begin(), b.errors.end(), [&](const std::string& e) {
                 return e.rfind("parameter '" + p->name.name + "'", 0) == 0;
               })) {
      b.missing.push_back(p);
    }
  }
  return b;
}

std::string param_arg_text(const nlohmann::json& recorded) {
  if (recorded.is_string()) return recorded.get<std::string>();
  if (recorded.is_array()) {  // a list, as -p takes one: comma-separated
    std::string out;
    for (const auto& item : recorded) out += (out.empty() ? "" : ",") + param_arg_text(item);
    return out;
  }
  return recorded.is_null() ? "" : json_text(recorded);
}

}  // namespace rbk
