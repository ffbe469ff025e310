#include "interpreter/record/events.hpp"

#include "interpreter/base/format_str.hpp"

#include "interpreter/base/json_fields.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

std::string output_file(uint64_t seq, Stream stream) {
  return format_str("output/{:04}.{}", seq, stream == Stream::Out ? "stdout" : "stderr");
}

std::string escalation_rule(const nlohmann::json& e) {
  using json_fields::str;
  const std::string t = str(e, "trigger");
  if (t == "after" && e.contains("after_ms") && e["after_ms"].is_number())
    return "after " + format_duration(e["after_ms"].get<int64_t>());
  if (t == "failure") return "on failure";
  if (t == "success") return "on success";
  if (t == "step") return "step " + str(e, "step");
  return t;
}

}  // namespace rbk
