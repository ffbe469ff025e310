// Auto-approval limits (interpreter/serve/limits.hpp) on a timeline given
// by the test: windows per runbook and per target slide, runs going at once
// are counted, and the circuit breaker opens at M failures in its window
// and stays open, whatever time passes, until a person resets it.
#include <catch2/catch.hpp>

#include "interpreter/serve/limits.hpp"

using namespace std::chrono_literals;
using rbk::AutoApprovalLimits;

namespace {

rbk::Route route(const std::string& name, const std::string& runbook) {
  rbk::Route r;
  r.name = name;
  r.runbook = runbook;
  return r;
}

AutoApprovalLimits::Time at(std::chrono::milliseconds t) {
  return t;
}

}  // namespace

TEST_CASE("per-runbook and per-target windows slide", "[serve][limits]") {
  rbk::Route r = route("redis", "redis-down");
  r.limits.per_runbook = rbk::WindowLimit{3, 1h};
  r.limits.per_target = rbk::WindowLimit{1, 30min};
  AutoApprovalLimits l;
  CHECK(l.check(r, "db-1", at(0ms)).allowed);
  l.approved(r, "db-1", at(0ms));
  l.ended(r, false, at(1min));
  // The same target again within 30 minutes: the per-target limit.
  auto v = l.check(r, "db-1", at(10min));
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == "per_target");
  CHECK(v.count == 1);
  CHECK(v.max == 1);
  CHECK(v.window == 30min);
  // Another target is its own count; the runbook's count goes on.
  for (auto t : {"db-2", "db-3"}) {
    REQUIRE(l.check(r, t, at(11min)).allowed);
    l.approved(r, t, at(11min));
    l.ended(r, false, at(12min));
  }
  v = l.check(r, "db-4", at(20min));
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == "per_runbook");
  CHECK(v.count == 3);
  // An hour after the first approval it has left the window (exactly at
  // its edge it no longer counts).
  CHECK(l.check(r, "db-4", at(1h)).allowed);
  // db-1's own approval left its 30-minute window, but the runbook's three
  // are all within the hour.
  CHECK(l.check(r, "db-1", at(30min)).limit == "per_runbook");
  CHECK(l.check(r, "db-2", at(1h)).allowed);  // its own window passed at 41min
}

TEST_CASE("runs going at once are counted until they end", "[serve][limits]") {
  rbk::Route r = route("disk", "disk-full");
  r.limits.concurrent = 2;
  AutoApprovalLimits l;
  l.approved(r, "a", at(0ms));
  l.approved(r, "b", at(0ms));
  auto v = l.check(r, "c", at(1s));
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == "concurrent");
  CHECK(v.count == 2);
  l.ended(r, false, at(2s));
  CHECK(l.check(r, "c", at(3s)).allowed);
  // Another route on its own count.
  rbk::Route other = route("disk-2", "disk-full");
  other.limits.concurrent = 1;
  CHECK(l.check(other, "c", at(3s)).allowed);
}

TEST_CASE("the breaker opens at M failures in its window and stays open until reset",
          "[serve][limits]") {
  rbk::Route r = route("redis", "redis-down");
  r.limits.breaker = rbk::WindowLimit{2, 1h};
  AutoApprovalLimits l;
  l.approved(r, "a", at(0ms));
  l.ended(r, true, at(1min));
  CHECK_FALSE(l.breaker_open("redis"));
  // A second failure, but the first has left the window: still closed.
  l.approved(r, "a", at(2h));
  l.ended(r, true, at(2h));
  CHECK_FALSE(l.breaker_open("redis"));
  l.approved(r, "a", at(2h + 1min));
  l.ended(r, true, at(2h + 2min));
  REQUIRE(l.breaker_open("redis"));
  auto v = l.check(r, "b", at(100h));  // time alone never closes it
  CHECK_FALSE(v.allowed);
  CHECK(v.limit == "breaker");
  CHECK(v.max == 2);
  // Successes do not close it either; a person does.
  l.ended(r, false, at(101h));
  CHECK(l.breaker_open("redis"));
  l.reset_breaker("redis");
  CHECK(l.check(r, "b", at(102h)).allowed);
  // After a reset, old failures count no more.
  l.ended(r, true, at(103h));
  CHECK_FALSE(l.breaker_open("redis"));
}
