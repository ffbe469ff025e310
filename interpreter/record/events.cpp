#include "interpreter/record/events.hpp"

#include "interpreter/base/format_str.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

std::string output_file(uint64_t seq, Stream stream) {
  return format_str("output/{:04}.{}", seq, stream == Stream::Out ? "stdout" : "stderr");
}

std::string escalation_rule(const ev::Escalation& e) {
  // A called runbook's rule is named as its steps are: CALLED/RULE.
  const std::string whose = e.runbook ? *e.runbook + "/" : "";
  switch (e.trigger) {
    case ev::Trigger::After:
      return whose + (e.after_ms ? "after " + format_duration(*e.after_ms) : "after") +
             (e.from_step ? " from step " + *e.from_step : "");
    case ev::Trigger::Every:
      // Each firing of a cadence by its time: "every at 30m".
      return whose + (e.after_ms ? "every at " + format_duration(*e.after_ms) : "every");
    case ev::Trigger::Failure:
      return whose + "on failure";
    case ev::Trigger::Success:
      return whose + "on success";
    case ev::Trigger::Interrupted:
      return whose + "on interrupted";
    case ev::Trigger::Step:
      return "step " + e.step.value_or("");
    case ev::Trigger::Start:
      break;
  }
  return whose + "start";
}

const char* outcome_name(Outcome o) {
  return name_of(o).data();  // the names are literals: NUL-terminated
}

int exit_code_for(Outcome o) {
  switch (o) {
    case Outcome::Resolved:
    case Outcome::NotFiring:
      return 0;
    case Outcome::Failed:
      return 1;
    case Outcome::Error:
      return 2;
    case Outcome::NotRestored:
      return 3;
    case Outcome::Refused:
      return 4;
    case Outcome::RecordFailed:
      return 5;
    case Outcome::Interrupted:
      return 130;
    case Outcome::Parked:
      return 4;  // stopped at a gate nobody approved (yet)
    case Outcome::AlertResolved:
    case Outcome::Shadow:
      return 0;
  }
  return 2;
}

}  // namespace rbk
