#include "interpreter/plan/plan_mask.hpp"

#include <type_traits>

#include "interpreter/base/fields_walk.hpp"

namespace rbk {

namespace {

/// Masks one leaf of the plan: every string (rbk's own words are enums, and
/// map keys, such as variable names, are not leaves).
struct PlanLeafMasker {
  const Masker& m;
  void operator()(std::string& s) const { s = m.mask(s); }
  template <class T>
  void operator()(T&) const {
    static_assert(!std::is_class_v<T>,
                  "a field type PlanLeafMasker does not know: say whether it is masked");
  }
};

}  // namespace

void mask_plan(Plan& plan, const Masker& masker) {
  if (masker.empty()) return;
  PlanLeafMasker leaf{masker};
  for_each_leaf(plan, leaf);
}

}  // namespace rbk
