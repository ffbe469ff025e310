// One table per enum for its names, read both ways: the name of a value, and
// the value of a name. An enum that is written somewhere (the record, JSON)
// declares `enum_names(E)` next to it, and every writer and reader uses it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>

namespace rbk {

/// The names of the values of enum E, in declaration order (E's values are 0..N-1).
template <class E, size_t N>
struct EnumNames {
  std::array<std::string_view, N> names;

  /// The name of `e`.
  constexpr std::string_view name(E e) const { return names[static_cast<size_t>(e)]; }
  /// The value named `s`, nullopt when no value has that name.
  constexpr std::optional<E> parse(std::string_view s) const {
    for (size_t i = 0; i < N; ++i)
      if (names[i] == s) return static_cast<E>(i);
    return std::nullopt;
  }
};

/// True for an enum that declares its names (`enum_names(E)`, found by ADL).
template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  enum_names(e).name(e);
};

/// The name of a value of a named enum.
template <NamedEnum E>
constexpr std::string_view name_of(E e) {
  return enum_names(e).name(e);
}

}  // namespace rbk
