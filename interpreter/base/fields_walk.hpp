// Walking rbk's typed documents (the run record's events, the plan) down to
// their leaves: every field of a struct that names its fields (`static void
// fields(S& s, F&& f)`), through optionals, null-or-value wrappers, lists and
// maps by name. Masking and making text printable are a leaf function each.
#pragma once

#include <optional>
#include <string>
#include <type_traits>

namespace rbk {

namespace fields_walk_detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class F>
struct Walker;

}  // namespace fields_walk_detail

/// Calls `leaf(x)` for every leaf `x` of `v`: a std::optional's value when
/// set, an OrNull's (a wrapper whose `value` is optional) when set, each
/// element of a list, each value (not key) of a map, each field of a struct
/// with `fields`; anything else — a string, a masked text, a number, an
/// enum — is a leaf.
template <class T, class F>
void for_each_leaf(T& v, F& leaf) {
  if constexpr (fields_walk_detail::IsOptional<std::remove_const_t<T>>::value) {
    if (v) for_each_leaf(*v, leaf);
  } else if constexpr (requires { v.value.has_value(); }) {  // OrNull
    if (v.value) for_each_leaf(*v.value, leaf);
  } else if constexpr (requires(fields_walk_detail::Walker<F> w) { T::fields(v, w); }) {
    fields_walk_detail::Walker<F> w{leaf};
    T::fields(v, w);
  } else if constexpr (requires { v.begin()->second; }) {  // a map by name
    for (auto& [key, x] : v) for_each_leaf(x, leaf);
  } else if constexpr (requires { v.begin(); } &&
                       !std::is_same_v<std::remove_const_t<T>, std::string>) {
    for (auto& x : v) for_each_leaf(x, leaf);
  } else {
    leaf(v);
  }
}

namespace fields_walk_detail {

/// What `fields` is called with: each field is walked in turn.
template <class F>
struct Walker {
  F& leaf;
  template <class T>
  void operator()(const char*, T& v) const {
    for_each_leaf(v, leaf);
  }
};

}  // namespace fields_walk_detail

}  // namespace rbk
