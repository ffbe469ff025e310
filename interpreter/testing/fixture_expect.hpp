// What a fixture case's run did, in the shapes its expectations are written
// in (from the run's events), and the comparison of the two.
#pragma once

#include <string>
#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/record/events.hpp"
#include "interpreter/testing/fixture.hpp"

namespace rbk {

/// What the run did, in the shapes expectations are written in.
struct Actual {
  std::vector<std::string> causes, steps, ran, skipped, refused, failed, gates, undo, rollback;
  struct Esc {
    std::string role, rule, kind;
    Millis at;
  };
  std::vector<Esc> escalations;
  std::string severity;  // run_start's, or the last one the causes decided
  std::vector<std::string> trace;
};

/// The run's events (and its result) in the shapes of an expectation, and
/// the trace `rbk test` shows under a failure.
Actual actual_of(const std::vector<Event>& events, const RunResult& result);

/// One failure text per expectation `x` the run does not meet (empty when it
/// meets them all); `transcript` is what a person would have read.
std::vector<std::string> compare(const Expectation& x, const RunResult& result, const Actual& a,
                                 const std::string& transcript);

}  // namespace rbk
