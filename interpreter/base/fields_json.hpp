// The one JSON writer of rbk's typed documents (the run record's events, the
// plan): a struct names its fields once, in `static void fields(S& s, F&& f)`
// calling f("name", s.member) for each, and is written as an object of them.
// Two outputs follow the same rules: a JSON value (to_json_value), and the
// text of that value written directly (append_json_text), for the record's
// lines, where building the value first was a fifth of a step's own time.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/base/fields_walk.hpp"
#include "interpreter/base/json_text.hpp"

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

/// Appends `v` as JSON text: byte for byte json_text(to_json_value(v)),
/// object keys in nlohmann/json's (sorted) order included.
template <class T>
void append_json_text(std::string& out, const T& v);

/// Appends the fields of `v` (a struct with `fields`) as object members,
/// each after a comma, in the order append_json_text writes them: for
/// splicing into an object that already has members of its own.
template <class T>
void append_json_members(std::string& out, const T& v);

namespace fields_json_detail {

/// Most fields a struct may have (CommandEnd has 19). Names are only known
/// at run time: FieldOrder throws on more, and record_test writes every
/// event type.
inline constexpr size_t kMaxFields = 40;

/// One field of a struct being written: where it is and how to write it
/// (nothing for an empty std::optional, which is left out).
struct FieldRef {
  const void* at = nullptr;
  bool (*write)(std::string& out, const void* at) = nullptr;
};

/// Writes the field of type T at `at`; false for an empty std::optional.
template <class T>
bool write_field(std::string& out, const void* at) {
  const T& v = *static_cast<const T*>(at);
  if constexpr (IsOptional<T>::value) {
    if (!v) return false;
    append_json_text(out, *v);
  } else {
    append_json_text(out, v);
  }
  return true;
}

/// The fields of struct T by name in nlohmann/json's key order: their
/// declaration indexes, sorted by name once per type. So a `fields` calls f
/// for every field whatever the values, each name once (as nlohmann's
/// objects keep one value a key; record_test checks every event type).
template <class T>
struct FieldOrder {
  std::array<const char*, kMaxFields> names{};
  std::array<unsigned char, kMaxFields> sorted{};
  size_t count = 0;

  explicit FieldOrder(const T& v) {
    T::fields(v, [this](const char* key, const auto&) {
      if (count == kMaxFields) throw std::logic_error("a typed document with too many fields");
      names[count++] = key;
    });
    std::iota(sorted.begin(), sorted.begin() + count, 0);
    std::sort(sorted.begin(), sorted.begin() + count, [this](unsigned char a, unsigned char b) {
      return std::string_view(names[a]) < std::string_view(names[b]);
    });
  }
};

/// Writes the fields of `v` as members in key order, a comma before the
/// first when `comma_first`.
template <class T>
void write_members(std::string& out, const T& v, bool comma_first) {
  static const FieldOrder<T> order(v);
  std::array<FieldRef, kMaxFields> refs{};
  size_t i = 0;
  T::fields(v, [&](const char*, const auto& x) {
    refs[i++] = {&x, &write_field<std::remove_cvref_t<decltype(x)>>};
  });
  bool comma = comma_first;
  for (size_t k = 0; k < order.count; ++k) {
    const unsigned char at = order.sorted[k];
    const size_t mark = out.size();
    if (comma) out += ',';
    append_json_string(out, order.names[at]);
    out += ':';
    if (refs[at].write(out, refs[at].at)) {
      comma = true;
    } else {
      out.resize(mark);  // an empty optional: no member
    }
  }
}

/// A std::map ordered as nlohmann/json orders its keys (std::less).
template <class T>
struct IsStdMap : std::false_type {};
template <class V, class A>
struct IsStdMap<std::map<std::string, V, std::less<std::string>, A>> : std::true_type {};
template <class V, class A>
struct IsStdMap<std::map<std::string, V, std::less<>, A>> : std::true_type {};

/// False for every T: a static_assert that names the type it failed on.
template <class>
inline constexpr bool kUnwritable = false;

}  // namespace fields_json_detail

template <class T>
void append_json_members(std::string& out, const T& v) {
  fields_json_detail::write_members(out, v, true);
}

template <class T>
void append_json_text(std::string& out, const T& v) {
  using namespace fields_json_detail;
  if constexpr (std::is_same_v<T, nlohmann::json> || std::is_floating_point_v<T>) {
    out += json_text(nlohmann::json(v));  // nlohmann's own number format
  } else if constexpr (NamedEnum<T>) {
    append_json_string(out, name_of(v));
  } else if constexpr (requires { T::fields(v, [](const char*, const auto&) {}); }) {
    out += '{';
    write_members(out, v, false);
    out += '}';
  } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
    if (v.value) {
      append_json_text(out, *v.value);
    } else {
      out += "null";
    }
  } else if constexpr (requires { v.value; }) {  // a wrapper: a masked text or value
    // Its string or JSON value, written as nlohmann writes a string or that
    // value (Text and JsonValue are the wrappers there are).
    append_json_text(out, v.value);
  } else if constexpr (IsStdMap<T>::value) {  // by name, in std::map's order: nlohmann's
    out += '{';
    bool comma = false;
    for (const auto& [k, x] : v) {
      if (comma) out += ',';
      comma = true;
      append_json_string(out, k);
      out += ':';
      append_json_text(out, x);
    }
    out += '}';
  } else if constexpr (requires { v.begin(); } && !std::is_convertible_v<T, std::string_view>) {
    out += '[';
    bool comma = false;
    for (const auto& x : v) {
      if (comma) out += ',';
      comma = true;
      append_json_text(out, x);
    }
    out += ']';
  } else if constexpr (std::is_convertible_v<T, std::string_view>) {
    append_json_string(out, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  } else {
    static_assert(kUnwritable<T>, "no JSON text for this type");
  }
}

}  // namespace rbk
