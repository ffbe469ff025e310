// Running a fixture case: the engine with a command runner that answers only
// from the fixture (it never starts a process), an operator that answers from
// the fixture, and virtual time; then the run's events compared with the
// case's expectations. A command no entry matches ends the case as a failure
// naming the step, the command and the closest entry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"
#include "interpreter/testing/fixture.hpp"

namespace rbk {

/// The runbook a fixture tests, loaded once and shared (read-only) by its
/// cases, which may run on several threads at once.
struct FixtureTarget {
  const ast::Document* doc = nullptr;
  std::string file;                // the runbook's path
  std::string sha256;              // of its text
  const Config* config = nullptr;  // as loaded; notification commands are never run
  const DestructivePatterns* patterns = nullptr;
  RunbookFinder find_runbook;  // for `call`; must be safe to call from several threads
};

/// Checks the fixture against its runbook: every step, cause, parameter and
/// secret it names exists, each case's parameters convert to their types and
/// the required ones are given; every host it names is one of its
/// `targets`, or else of `config_targets` (when given). Diagnostics point
/// into the fixture.
Diagnostics check_fixture(const Fixture& f, const ast::Document& doc,
                          const Targets* config_targets = nullptr);

/// What one case did and whether it met its expectations.
struct CaseReport {
  std::string name;
  FixturePos pos;
  bool passed = false;
  std::vector<std::string> failures;  // one block of text each (may hold a diff)
  std::vector<std::string> trace;     // the run as lines: steps, gates, causes, escalations…
  std::string outcome;                // outcome name
  int exit_code = 2;
  Millis virtual_time{0};  // how long the run took in virtual time
};

/// Runs one case. Never throws and never starts a process. `record`, when
/// given, also receives the run's events and output (a RunRecord keeps the
/// case's run as a record, to draft a report from it).
CaseReport run_case(const Fixture& f, const FixtureCase& c, const FixtureTarget& target,
                    ModuleLoader& modules, EventSink* record = nullptr);

/// The failure text for a case, as `rbk test` prints it (indented lines).
std::string describe_failures(const CaseReport& r);

}  // namespace rbk
