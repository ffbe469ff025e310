// Auto-approval limits: sliding windows, a count of runs going, a breaker.
#include "interpreter/serve/limits.hpp"

#include <algorithm>

namespace rbk {

namespace {

/// How many of `times` fall within `per` before `now` (older ones are
/// dropped: they can never count again, as time only moves on).
int in_window(std::deque<AutoApprovalLimits::Time>& times, std::chrono::milliseconds per,
              AutoApprovalLimits::Time now) {
  while (!times.empty() && times.front() <= now - per) times.pop_front();
  return static_cast<int>(times.size());
}

/// How many of the times kept under `key` fall within `per` before `now`,
/// without changing them (times are kept in the order they happened).
int counted(const std::map<std::string, std::deque<AutoApprovalLimits::Time>>& m,
            const std::string& key, std::chrono::milliseconds per, AutoApprovalLimits::Time now) {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  const auto& times = it->second;
  return static_cast<int>(times.end() - std::upper_bound(times.begin(), times.end(), now - per));
}

}  // namespace

LimitVerdict AutoApprovalLimits::check(const Route& route, const std::string& target,
                                       Time now) const {
  const RouteLimits& l = route.limits;
  if (breaker_open(route.name)) {
    auto it = failures_.find(route.name);
    return {false, "breaker", it == failures_.end() ? 0 : static_cast<int>(it->second.size()),
            l.breaker ? l.breaker->max : 0, l.breaker ? l.breaker->per : Time{0}};
  }
  if (l.per_runbook) {
    int n = counted(by_runbook_, route.runbook, l.per_runbook->per, now);
    if (n >= l.per_runbook->max)
      return {false, "per_runbook", n, l.per_runbook->max, l.per_runbook->per};
  }
  if (l.per_target) {
    int n = counted(by_target_, route.runbook + "\n" + target, l.per_target->per, now);
    if (n >= l.per_target->max)
      return {false, "per_target", n, l.per_target->max, l.per_target->per};
  }
  if (l.concurrent) {
    auto it = going_.find(route.name);
    int n = it == going_.end() ? 0 : it->second;
    if (n >= *l.concurrent) return {false, "concurrent", n, *l.concurrent, Time{0}};
  }
  return {};
}

void AutoApprovalLimits::approved(const Route& route, const std::string& target, Time now) {
  // What no window can count again is dropped (windows are at most
  // kMaxLimitWindow), so a server that runs for months stays small.
  for (auto* m : {&by_runbook_, &by_target_})
    for (auto it = m->begin(); it != m->end();)
      it = in_window(it->second, kMaxLimitWindow, now) == 0 ? m->erase(it) : std::next(it);
  by_runbook_[route.runbook].push_back(now);
  by_target_[route.runbook + "\n" + target].push_back(now);
  ++going_[route.name];
}

void AutoApprovalLimits::ended(const Route& route, bool failed, Time now) {
  if (auto it = going_.find(route.name); it != going_.end() && it->second > 0) --it->second;
  if (!failed || !route.limits.breaker) return;
  auto& f = failures_[route.name];
  f.push_back(now);
  if (in_window(f, route.limits.breaker->per, now) >= route.limits.breaker->max)
    open_.insert(route.name);
}

bool AutoApprovalLimits::breaker_open(const std::string& route) const {
  return open_.count(route) > 0;
}

void AutoApprovalLimits::reset_breaker(const std::string& route) {
  open_.erase(route);
  failures_.erase(route);
}

}  // namespace rbk
