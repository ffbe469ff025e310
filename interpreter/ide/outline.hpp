// Document symbols: the outline of a runbook (its parameters, secrets,
// messages and sections; each section's steps, signals, checks, causes and
// escalation rules) or of a module (its templates and their parameters).
#pragma once

#include <string>
#include <vector>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/position.hpp"

namespace rbk::ide {

/// What an outline entry is, for the editor's icon.
enum class OutlineKind {
  Import,
  Runbook,
  Module,
  Param,
  Secret,
  Message,
  Section,
  Step,
  Signal,
  Check,
  Cause,
  Escalation,
  Template,
};

/// One entry of the outline, with the entries inside it.
struct OutlineItem {
  std::string name;
  std::string detail;  // a title, a type: "" when none
  OutlineKind kind = OutlineKind::Step;
  Range range;      // all of it
  Range selection;  // its name (inside `range`)
  std::vector<OutlineItem> children;
};

/// The outline of the analysed document; empty when it did not parse.
std::vector<OutlineItem> outline(const Analysis& analysis);

}  // namespace rbk::ide
