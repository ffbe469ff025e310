// The plan as JSON: `rbk plan --format json` and `rbk show --format json`.
// Written from each part's `fields` (plan_types.hpp), so a field added to the
// Plan is in the JSON without more code here.
#pragma once

#include <nlohmann/json.hpp>

#include "interpreter/plan/plan_types.hpp"

namespace rbk {

/// The plan as a JSON object: every field under its key, OrNull fields as
/// null when empty, std::optional ones left out; an empty Plan gives {}.
nlohmann::json plan_json(const Plan& plan);

}  // namespace rbk
