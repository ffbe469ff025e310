// The one JSON writer of rbk's typed documents (the run record's events, the
// plan): a struct names its fields once, in `static void fields(S& s, F&& f)`
// calling f("name", s.member) for each, and is written as an object of them.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/base/fields_walk.hpp"

namespace rbk {

namespace fields_json_detail {

using fields_walk_detail::IsOptional;

struct Writer;

}  // namespace fields_json_detail

/// A value as JSON: a struct with `fields` as an object of them; a named
/// enum by its name; a wrapper with an optional `value` (OrNull) as that
/// value or null; another wrapper with a `value` (a masked text) as its
/// value; a map by name as an object; a list as an array; a string, number
/// or boolean as itself.
template <class T>
nlohmann::json to_json_value(const T& v);

namespace fields_json_detail {

/// Writes each field into `out`; an empty std::optional field is left out.
struct Writer {
  nlohmann::json& out;
  template <class T>
  void operator()(const char* key, const T& v) const {
    if constexpr (IsOptional<T>::value) {
      if (v) out[key] = to_json_value(*v);
    } else {
      out[key] = to_json_value(v);
    }
  }
};

}  // namespace fields_json_detail

template <class T>
nlohmann::json to_json_value(const T& v) {
  using nlohmann::json;
  if constexpr (NamedEnum<T>) {
    return name_of(v);
  } else if constexpr (requires(json & j) { T::fields(v, fields_json_detail::Writer{j}); }) {
    json out = json::object();
    T::fields(v, fields_json_detail::Writer{out});
    return out;
  } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
    return v.value ? to_json_value(*v.value) : json(nullptr);
  } else if constexpr (requires { v.value; }) {  // a wrapper: a masked text or value
    return v.value;
  } else if constexpr (requires { v.begin()->second; }) {  // a map by name
    json out = json::object();
    for (const auto& [k, x] : v) out[k] = to_json_value(x);
    return out;
  } else if constexpr (requires { v.begin(); } && !std::is_convertible_v<T, std::string_view>) {
    json out = json::array();
    for (const auto& x : v) out.push_back(to_json_value(x));
    return out;
  } else {
    return v;  // a string, a number or a boolean
  }
}

}  // namespace rbk
