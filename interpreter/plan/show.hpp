// `rbk show NAME`: a runbook as Markdown for a wiki or a status document —
// what it is for, its parameters, each section's steps with their exact
// commands and gates, the causes and what they select, the escalation
// timeline. Rendered from the typed Plan (interpreter/plan/plan), so `show`,
// `plan` and `run` can never disagree about what a runbook does.
#pragma once

#include <string>

#include "interpreter/plan/plan_types.hpp"

namespace rbk {

/// The plan (make_plan's) as a Markdown document.
std::string render_markdown(const Plan& plan);

}  // namespace rbk
