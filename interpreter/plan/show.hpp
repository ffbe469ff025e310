// `rbk show NAME`: a runbook as Markdown for a wiki or a status document —
// what it is for, its parameters, each section's steps with their exact
// commands and gates, the causes and what they select, the escalation
// timeline. Rendered from the plan's JSON (interpreter/plan/plan), so `show`,
// `plan` and `run` can never disagree about what a runbook does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rbk {

/// The plan (make_plan's JSON) as a Markdown document.
std::string render_markdown(const nlohmann::json& plan);

}  // namespace rbk
