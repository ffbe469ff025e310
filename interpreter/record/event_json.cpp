#include "interpreter/record/event_json.hpp"

#include <type_traits>

#include "interpreter/base/fields_json.hpp"

namespace rbk {

namespace {

using nlohmann::json;

using fields_walk_detail::IsOptional;

/// What a JSON value of a field should have been, for the error.
template <class T>
const char* expected_kind() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean";
  if constexpr (std::is_integral_v<T>) return "a whole number";
  if constexpr (NamedEnum<T>) return "one of its names";
  if constexpr (std::is_same_v<T, ev::JsonValue>) return "a value";
  if constexpr (requires(T t) { t.begin()->second; }) return "an object";
  if constexpr (requires(T t) { T::fields(t, [](const char*, auto&) {}); }) return "an object";
  if constexpr (requires(T t) { t.value.has_value(); }) return "a value or null";
  if constexpr (requires(T t) { t.begin(); } && !std::is_same_v<T, std::string>) return "an array";
  return "a string";
}

/// Reads `j` into `v`; false when it is of another type.
template <class T>
bool from_json_value(const json& j, T& v) {
  if constexpr (std::is_same_v<T, ev::Text>) {
    return from_json_value(j, v.value);
  } else if constexpr (std::is_same_v<T, ev::JsonValue>) {
    v.value = j;
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return false;
    v = j.get<std::string>();
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return false;
    v = j.get<bool>();
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer()) return false;
    if constexpr (std::is_unsigned_v<T>)
      if (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0) return false;
    v = j.get<T>();
    return true;
  } else if constexpr (NamedEnum<T>) {
    if (!j.is_string()) return false;
    auto e = enum_names(T{}).parse(j.get<std::string>());
    if (!e) return false;
    v = *e;
    return true;
  } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
    if (j.is_null()) {
      v.value.reset();
      return true;
    }
    v.value.emplace();
    return from_json_value(j, *v.value);
  } else if constexpr (requires { T::fields(v, [](const char*, auto&) {}); }) {  // a struct
    if (!j.is_object()) return false;
    bool ok = true;
    T::fields(v, [&](const char* key, auto& field) {
      using F = std::remove_reference_t<decltype(field)>;
      auto it = j.find(key);
      if (!ok) return;
      if constexpr (IsOptional<F>::value) {
        if (it == j.end()) return field.reset();
        field.emplace();
        ok = from_json_value(*it, *field);
      } else {
        ok = it != j.end() && from_json_value(*it, field);
      }
    });
    return ok;
  } else if constexpr (requires { v.begin()->second; }) {
    if (!j.is_object()) return false;
    v.clear();
    for (const auto& [k, x] : j.items())
      if (!from_json_value(x, v[k])) return false;
    return true;
  } else {  // a vector
    if (!j.is_array()) return false;
    v.clear();
    for (const auto& x : j) {
      v.emplace_back();
      if (!from_json_value(x, v.back())) return false;
    }
    return true;
  }
}

/// Reads each field from `in`; the first problem goes to `error`.
struct Reader {
  const json& in;
  std::string& error;
  template <class T>
  void operator()(const char* key, T& v) const {
    if (!error.empty()) return;
    auto it = in.find(key);
    if constexpr (IsOptional<T>::value) {
      if (it == in.end()) return v.reset();
      v.emplace();
      if (!from_json_value(*it, *v))
        error = std::string("'") + key + "' is not " + expected_kind<typename T::value_type>();
    } else {
      if (it == in.end())
        error = std::string("no '") + key + "'";
      else if (!from_json_value(*it, v))
        error = std::string("'") + key + "' is not " + expected_kind<T>();
    }
  }
};

/// The body of type `type`, default-constructed; nullopt for an unknown type.
template <size_t I = 0>
std::optional<ev::Body> body_of_type(std::string_view type) {
  if constexpr (I == std::variant_size_v<ev::Body>) {
    return std::nullopt;
  } else {
    using T = std::variant_alternative_t<I, ev::Body>;
    if (T::kType == type) return ev::Body(std::in_place_index<I>);
    return body_of_type<I + 1>(type);
  }
}

}  // namespace

json event_fields(const Event& e) {
  return std::visit([](const auto& b) { return to_json_value(b); }, e.body);
}

json event_json(const Event& e) {
  json out = event_fields(e);
  out["t"] = e.elapsed_ms;
  out["time"] = e.time;
  out["type"] = e.type();
  return out;
}

std::optional<Event> empty_event(std::string_view type) {
  std::optional<ev::Body> body = body_of_type(type);
  if (!body) return std::nullopt;
  return Event{std::move(*body)};
}

Expected<std::optional<Event>, std::string> event_from_json(const json& j) {
  if (!j.is_object()) return fail(std::string("an event is a JSON object"));
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return fail(std::string("no event type"));
  std::optional<ev::Body> body = body_of_type(type->get<std::string>());
  if (!body) return std::optional<Event>();
  Event e{std::move(*body)};
  std::string error;
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        T::fields(b, Reader{j, error});
      },
      e.body);
  if (!error.empty()) return fail(type->get<std::string>() + ": " + error);
  if (auto t = j.find("t"); t != j.end() && t->is_number_integer())
    e.elapsed_ms = t->get<int64_t>();
  if (auto t = j.find("time"); t != j.end() && t->is_string()) e.time = t->get<std::string>();
  return std::optional<Event>(std::move(e));
}

}  // namespace rbk
