// What a fixture case's run did, in the shapes its expectations are written
// in (from the run's events), and the comparison of the two.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/record/events.hpp"
#include "interpreter/testing/fixture.hpp"

namespace rbk {

/// What the run did, in the shapes expectations are written in.
struct Actual {
  std::vector<std::string> causes, steps, ran, skipped, refused, failed, gates, undo, rollback;
  std::vector<std::string> targets;  // "STEP HOST ok|failed" (TargetStatuses)
  struct Esc {
    std::string role, rule, kind;
    Millis at;
  };
  std::vector<Esc> escalations;
  std::string severity;  // run_start's, or the last one the causes decided
  std::vector<std::string> trace;
};

/// Per-target statuses from a run's events, as `expect.targets` writes them:
/// "STEP HOST ok|failed" for each host of each batch (in the batch's order),
/// and for each host an undo on targets ran on (failed when one of its
/// commands failed there).
class TargetStatuses {
 public:
  /// Takes the next event of the run.
  void add(const Event& e);
  /// The statuses so far, in the order they became known.
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::map<std::string, std::vector<std::string>> batch_;       // step → its batch's hosts
  std::map<std::pair<std::string, std::string>, size_t> undo_;  // (step, host) → line
  std::vector<std::string> lines_;
};

/// The run's events (and its result) in the shapes of an expectation, and
/// the trace `rbk test` shows under a failure.
Actual actual_of(const std::vector<Event>& events, const RunResult& result);

/// One failure text per expectation `x` the run does not meet (empty when it
/// meets them all); `transcript` is what a person would have read.
std::vector<std::string> compare(const Expectation& x, const RunResult& result, const Actual& a,
                                 const std::string& transcript);

}  // namespace rbk
