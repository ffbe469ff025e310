// The limits inside which `rbk serve` may approve a gate without a person
// (a route's `auto_approve` and `limits` in rbk.yaml): at most N approvals
// in a window per runbook and per target, at most K auto-approved runs of
// a route at once, and a circuit breaker that M failed runs in a window
// open until a person resets it. Past any limit the run waits for a
// person; nothing is dropped. Time is given, never read, so the same
// sequence always decides the same way (and tests need no clock).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "interpreter/project/routes.hpp"

namespace rbk {

/// Whether an automatic approval may happen now, and if not, which limit
/// stands in the way with its count: what the record's `limit_hit` says.
struct LimitVerdict {
  bool allowed = true;
  std::string limit;  // "per_runbook", "per_target", "concurrent" or "breaker"
  int count = 0;      // what the limit counted (approvals, runs, failures)
  int max = 0;
  std::chrono::milliseconds window{0};  // 0 for concurrent
};

/// The counts behind every route's limits, in one server.
class AutoApprovalLimits {
 public:
  using Time = std::chrono::milliseconds;  // since any fixed origin

  /// May `route` approve a gate of a run on `target` at `now`?
  LimitVerdict check(const Route& route, const std::string& target, Time now) const;
  /// Counts an automatic approval (the run is now going, for `concurrent`).
  void approved(const Route& route, const std::string& target, Time now);
  /// An auto-approved run of `route` ended; a failed one counts toward its breaker.
  void ended(const Route& route, bool failed, Time now);
  /// Whether `route`'s breaker is open (it stays open until reset).
  bool breaker_open(const std::string& route) const;
  /// A person closed `route`'s breaker: its failures are forgotten.
  void reset_breaker(const std::string& route);

 private:
  // Approval times by runbook, and by runbook and target ("RUNBOOK\nTARGET").
  std::map<std::string, std::deque<Time>> by_runbook_, by_target_;
  std::map<std::string, int> going_;                  // by route
  std::map<std::string, std::deque<Time>> failures_;  // by route
  std::set<std::string> open_;                        // routes whose breaker is open
};

}  // namespace rbk
