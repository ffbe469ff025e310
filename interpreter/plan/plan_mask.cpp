#include "interpreter/plan/plan_mask.hpp"

#include <type_traits>

namespace rbk {

namespace {

using plan::OrNull;

/// Masks one field of a part of the plan by its type, recursing into parts.
struct PlanMasker {
  const Masker& m;
  template <class T>
  void operator()(const char*, T& v) const {
    mask(v);
  }
  void mask(std::string& s) const { s = m.mask(s); }
  template <class T>
  void mask(std::optional<T>& v) const {
    if (v) mask(*v);
  }
  template <class T>
  void mask(OrNull<T>& v) const {
    if (v.value) mask(*v.value);
  }
  template <class T>
  void mask(std::vector<T>& v) const {
    for (auto& x : v) mask(x);
  }
  void mask(plan::Env& env) const {
    for (auto& [name, value] : env) mask(value);
  }
  template <class T>
  requires requires(T& t, const PlanMasker& self) { T::fields(t, self); }
  void mask(T& part) const { T::fields(part, *this); }
  template <class T>
  void mask(const T&) const {
    static_assert(!std::is_class_v<T> || std::is_same_v<T, std::string_view>,
                  "a field type PlanMasker does not know: say whether it is masked");
  }
};

}  // namespace

void mask_plan(Plan& plan, const Masker& masker) {
  if (!masker.empty()) PlanMasker{masker}.mask(plan);
}

}  // namespace rbk
