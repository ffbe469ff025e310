#include "interpreter/plan/plan_json.hpp"

#include <type_traits>

namespace rbk {

namespace {

using nlohmann::json;

template <class T>
json plan_field_json(const T& v);

/// Writes each field of a part of the plan into `out`; an empty std::optional is left out.
struct PlanFieldWriter {
  json& out;
  template <class T>
  void operator()(const char* key, const T& v) const {
    out[key] = plan_field_json(v);
  }
  template <class T>
  void operator()(const char* key, const std::optional<T>& v) const {
    if (v) out[key] = plan_field_json(*v);
  }
};

/// A field's value as JSON: a part of the plan as an object, an enum by its
/// name, an OrNull as null when empty, a map as an object, a list as an array.
template <class T>
json plan_field_json(const T& v) {
  if constexpr (NamedEnum<T>) {
    return name_of(v);
  } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
    return v.value ? plan_field_json(*v.value) : json(nullptr);
  } else if constexpr (requires(json & j) { T::fields(v, PlanFieldWriter{j}); }) {
    json out = json::object();
    T::fields(v, PlanFieldWriter{out});
    return out;
  } else if constexpr (requires { v.begin()->second; }) {  // a map by name
    json out = json::object();
    for (const auto& [k, x] : v) out[k] = plan_field_json(x);
    return out;
  } else if constexpr (requires { v.begin(); } && !std::is_convertible_v<T, std::string_view>) {
    json out = json::array();
    for (const auto& x : v) out.push_back(plan_field_json(x));
    return out;
  } else {
    return v;  // a string, a number or a boolean
  }
}

}  // namespace

json plan_json(const Plan& plan) {
  if (plan.empty()) return json::object();
  return plan_field_json(plan);
}

}  // namespace rbk
