#include "interpreter/plan/plan_json.hpp"

#include "interpreter/base/fields_json.hpp"

namespace rbk {

using nlohmann::json;

json plan_json(const Plan& plan) {
  if (plan.empty()) return json::object();
  return to_json_value(plan);
}

}  // namespace rbk
