// Masking a plan: secret values known without running anything and the
// config's redaction patterns never reach any rendering of it.
#pragma once

#include "interpreter/plan/plan_types.hpp"
#include "interpreter/record/mask.hpp"

namespace rbk {

/// Masks every string of `plan`, names and values alike (a secret can stand
/// in any of them, e.g. in a parameter's default or a command); rbk's own
/// words (enums, kinds), numbers, booleans and the names of variables are kept.
void mask_plan(Plan& plan, const Masker& masker);

}  // namespace rbk
