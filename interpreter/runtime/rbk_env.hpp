// The RBK_* variables every command receives, besides parameters, secrets
// and captures. Names starting with RBK_ are reserved for these (check.cpp).
#pragma once

#include <array>
#include <string_view>

namespace rbk {

/// RBK_RUN_ID, RBK_RUNBOOK, RBK_SEVERITY, RBK_SECTION (alert, diagnose, …),
/// RBK_STEP (the step, signal or check id; empty when it has none),
/// RBK_RECORD_DIR (the run's record directory), RBK_CAPTURES (a private
/// folder with every capture made so far as a file, NAME holding its value).
inline constexpr std::array<std::string_view, 7> kRbkVariables = {
    "RBK_RUN_ID", "RBK_RUNBOOK",    "RBK_SEVERITY", "RBK_SECTION",
    "RBK_STEP",   "RBK_RECORD_DIR", "RBK_CAPTURES"};

}  // namespace rbk
