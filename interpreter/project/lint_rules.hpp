// The lint rule table (ids RBK101…): what docs/lint.md, SARIF, `--format
// json` and rbk.yaml's `lint.rules` know about each rule. The rules
// themselves are in interpreter/lint/.
#pragma once

#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"

namespace rbk {

/// A lint rule: what docs/lint.md, SARIF and `--format json` say about it.
struct RuleInfo {
  std::string id;        // "RBK101"
  std::string name;      // "destructive-without-gate" (kebab-case)
  std::string category;  // "safety" | "structure" | "correctness" | "shell" | "suppression"
  Severity default_severity = Severity::Warning;
  std::string summary;  // one line, used as the SARIF shortDescription
  std::string help;     // one paragraph: why, and how to fix (SARIF fullDescription/help)
};

/// Every rule, in id order.
const std::vector<RuleInfo>& lint_rules();
/// The rule with this id, or nullptr.
const RuleInfo* find_rule(const std::string& id);

}  // namespace rbk
