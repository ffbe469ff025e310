#include "interpreter/runtime/value.hpp"
#include "interpreter/base/json_text.hpp"

#include <cmath>

#include "interpreter/base/format_str.hpp"

namespace rbk {

Value Value::of_text(std::string s) {
  Value v;
  v.kind = ValueKind::Text;
  v.text = std::move(s);
  return v;
}

Value Value::of_number(double n) {
  Value v;
  v.kind = ValueKind::Number;
  v.number = n;
  return v;
}

Value Value::of_bool(bool b) {
  Value v;
  v.kind = ValueKind::Bool;
  v.boolean = b;
  return v;
}

Value Value::of_duration(int64_t ms, std::string spelling) {
  Value v;
  v.kind = ValueKind::Duration;
  v.ms = ms;
  v.text = std::move(spelling);
  return v;
}

Value Value::of_list(std::vector<Value> items) {
  Value v;
  v.kind = ValueKind::List;
  v.items = std::move(items);
  return v;
}

Value Value::of_json(const nlohmann::json& j) {
  if (j.is_string()) return of_text(j.get<std::string>());
  if (j.is_boolean()) return of_bool(j.get<bool>());
  if (j.is_number()) return of_number(j.get<double>());
  if (j.is_null() || j.is_discarded()) return {};
  Value v;
  v.kind = ValueKind::Json;
  v.json = j;
  return v;
}

std::string format_duration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr std::pair<int64_t, const char*> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, unit] : units) {
    if (ms >= size) {
      out += format_str("{}{}", ms / size, unit);
      ms %= size;
    }
  }
  return out;
}

namespace {

std::string format_number(double n) {
  if (std::isfinite(n) && n == std::trunc(n) && std::fabs(n) < 1e15)
    return format_str("{}", static_cast<int64_t>(n));
  return format_str("{}", n);
}

}  // namespace

std::string to_display(const Value& v) {
  switch (v.kind) {
    case ValueKind::Empty:
      return "";
    case ValueKind::Text:
      return v.text;
    case ValueKind::Number:
      return v.text.empty() ? format_number(v.number) : v.text;
    case ValueKind::Bool:
      return v.boolean ? "true" : "false";
    case ValueKind::Duration:
      return v.text.empty() ? format_duration(v.ms) : v.text;
    case ValueKind::List: {
      std::string out;
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += '\n';
        out += to_display(v.items[i]);
      }
      return out;
    }
    case ValueKind::Json:
      return json_text(v.json);
  }
  return "";
}

nlohmann::json to_json(const Value& v) {
  switch (v.kind) {
    case ValueKind::Empty:
      return nullptr;
    case ValueKind::Text:
      return v.text;
    case ValueKind::Number:
      // A whole number as one (an `int` parameter is 3, not 3.0): a Value
      // holds every number as a double. Below 2^53 every whole double is exact.
      if (std::trunc(v.number) == v.number && std::abs(v.number) < 9007199254740992.0)
        return static_cast<int64_t>(v.number);
      return v.number;
    case ValueKind::Bool:
      return v.boolean;
    case ValueKind::Duration:
      return to_display(v);
    case ValueKind::List: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& i : v.items) a.push_back(to_json(i));
      return a;
    }
    case ValueKind::Json:
      return v.json;
  }
  return nullptr;
}

}  // namespace rbk
