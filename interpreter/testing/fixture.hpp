// Test fixtures for `rbk test`: YAML files that script the world a runbook
// meets (command results, operator answers, time) and say what must happen.
// This file is the data model and its loader; fixture_replay runs a case.
// The format is documented in docs/testing.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/runtime/operator.hpp"

namespace re2 {
class RE2;
}

namespace rbk {

using Millis = std::chrono::milliseconds;

/// A position in the fixture file, for messages about an entry.
struct FixturePos {
  int line = 0;  // 1-based
  int col = 0;
  uint32_t offset = 0;  // byte offset in the file
  uint32_t length = 1;  // of the scalar written there
};

/// A name the fixture uses that must exist in the runbook.
struct FixtureRef {
  enum class Kind { Step, Cause, Param, Secret, Target, Question };
  Kind kind;
  std::string name;
  FixturePos pos;
};

/// What one run of a command returns.
struct ScriptedResult {
  std::string out;
  std::string err;
  int exit = 0;
  bool timed_out = false;
  std::optional<Millis> duration;  // unset: the fixture's clock.command
};

/// Results for the commands an entry matches: by step id, exact command
/// text, a regex over the text, or a combination (all given must hold).
struct CommandEntry {
  std::string step;                     // "" = any step
  std::optional<std::string> command;   // exact text (surrounding blank space ignored)
  std::string regex;                    // RE2, partial match; "" = none
  std::string target;                   // a host id: only its commands of steps `on` targets
  std::shared_ptr<const re2::RE2> re;   // compiled `regex`
  std::vector<ScriptedResult> results;  // one per run; the last repeats
  FixturePos pos;
  /// One line naming the entry, e.g. `step conns, match "psql"` (line 12).
  std::string describe() const;
};

/// What the operator does when asked at one step.
struct Answer {
  enum class Kind { Confirm, Typed, Manual, Ask };
  std::string step;
  Kind kind = Kind::Confirm;
  bool yes = false;                          // Confirm
  std::string typed;                         // Typed, Ask: the text typed
  ManualAnswer manual = ManualAnswer::Done;  // Manual
  Millis after{0};                           // how long the operator took
  FixturePos pos;
};

/// An escalation that must fire; unset fields are not compared.
struct ExpectedEscalation {
  std::string role;
  std::optional<std::string> rule;  // start, after 10m, on failure, on success, step ID
  std::optional<std::string> kind;  // page | notify
  std::optional<Millis> at;         // virtual time it fired
};

/// What must have happened; unset fields are not compared.
struct Expectation {
  std::optional<std::string> outcome;  // resolved, not_firing, failed, …
  std::optional<int> exit;
  std::optional<std::string> severity;             // the run's severity at its end
  std::optional<std::vector<std::string>> causes;  // matched cause ids, in order
  std::optional<std::vector<std::string>> steps;   // "ID STATUS" for every step, in order
  std::optional<std::vector<std::string>> ran, skipped, refused, failed;
  std::optional<std::vector<std::string>> gates;     // steps whose gate was met, in order
  std::optional<std::vector<std::string>> undo;      // steps whose undo ran, in order
  std::optional<std::vector<std::string>> rollback;  // rollback-section steps that ran
  /// "STEP HOST ok|failed" for each target of each batch, and of each undo
  /// on targets, in order.
  std::optional<std::vector<std::string>> targets;
  std::optional<std::vector<ExpectedEscalation>> escalations;
  std::vector<std::string> output;      // texts that must appear in the transcript
  std::vector<std::string> not_output;  // texts that must not
};

/// `interrupt: STEP` with `resume: {…}`: the run dies, as rbk killed with
/// SIGKILL, while STEP's first command runs (its command_start written, no
/// result), and is then resumed from what it recorded, as `rbk resume`.
struct FixtureInterrupt {
  std::string step;
  FixturePos pos;
  Millis down{0};                // resume.after: how long the run was down (timers fall due)
  std::optional<bool> terminal;  // resume.terminal: unset = as the case's
  /// resume.in_flight: the operator's answer when the command was destructive:
  /// nullopt = stop; unset = the case gave none.
  std::optional<std::optional<InFlightAnswer>> in_flight;
};

/// One scripted run.
struct FixtureCase {
  std::string name;
  FixturePos pos;
  std::map<std::string, std::string> params;  // the fixture's, overridden by the case's
  std::vector<CommandEntry> commands;         // the case's, then the fixture's
  std::vector<Answer> answers;                // in the order they are expected
  bool terminal = true;
  std::set<std::string> approve;                    // --approve (STEP or STEP@HOST)
  std::vector<std::string> target_filter;           // --target: host and group names
  std::map<std::string, std::string> answer_flags;  // --answer NAME=VALUE
  bool yes = false;                                 // --yes
  bool force = false;                               // --force
  std::optional<FixtureInterrupt> interrupt;
  Expectation expect;  // of the whole run, resumed or not
};

/// A fixture file.
struct Fixture {
  std::shared_ptr<const SourceFile> file;
  std::string runbook;  // as written: a name or a path
  FixturePos runbook_pos;
  std::string config;  // rbk.yaml to use, relative to the fixture; "" = nearest to the runbook
  std::map<std::string, std::string> secrets;  // secret values (default empty)
  Millis command_time{100};                    // clock.command
  Millis answer_time{0};                       // clock.answer
  /// `targets: {GROUP: [HOST, …]}`: the hosts and groups the cases run on,
  /// in place of rbk.yaml's; unset: rbk.yaml's.
  std::optional<Targets> targets;
  std::vector<FixtureCase> cases;
  std::vector<FixtureRef> refs;  // checked against the runbook (check_fixture)
};

/// Parses a fixture. Unknown keys, wrong types, bad durations and regexes,
/// outcomes that do not exist: each a diagnostic at file:line:col.
Fixture parse_fixture(std::shared_ptr<const SourceFile> file, Diagnostics& errors);

/// The names of the fixture files for a runbook file: NAME.test.yaml beside
/// it and tests/NAME.test.yaml below its folder, those that exist.
std::vector<std::string> fixtures_for(const std::string& runbook_file);

/// True for a file name ending in ".test.yaml" or ".test.yml".
bool is_fixture_file(const std::string& path);

}  // namespace rbk
