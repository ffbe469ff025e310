// What rbk serve does with each alert of a notification (serve/intake.hpp):
// one run per alert episode however often Alertmanager re-sends it, a
// resolution reaching the alert's run, nothing started for an alert no
// route takes or whose parameters cannot be had, each with its reason.
#include <catch2/catch.hpp>

#include "interpreter/serve/intake.hpp"
#include "test_support.hpp"

using Kind = rbk::IntakeAction::Kind;

namespace {

rbk::AlertNotification notification(const std::string& file) {
  auto n = rbk::parse_alert_notification(
      rbk::test::read_file(rbk::test::source_dir() + "/tests/serve/" + file));
  REQUIRE(n);
  return *n;
}

std::vector<rbk::Route> routes() {
  rbk::Route r;
  r.name = "redis";
  r.runbook = "redis-down";
  r.match.push_back(*rbk::parse_matcher("alertname=\"RedisDown\""));
  rbk::ParamSource host;
  host.kind = rbk::ParamSource::Kind::Label;
  host.value = "instance";
  host.regex_text = "([^:]+):[0-9]+";
  host.regex = rbk::parse_matcher("x=~\"([^:]+):[0-9]+\"")->regex;
  r.params["host"] = host;
  rbk::ParamSource port;
  port.kind = rbk::ParamSource::Kind::Annotation;
  port.value = "port";
  r.params["port"] = port;
  return {r};
}

/// Accepts every value, as a runbook whose parameters are all strings would.
rbk::Expected<void, std::string> any(const rbk::Route&, const std::map<std::string, std::string>&) {
  return {};
}

}  // namespace

TEST_CASE("one run per alert episode: started once, joined on every re-send, then resolved",
          "[serve][intake]") {
  rbk::AlertIntake intake;
  const auto rs = routes();
  const auto firing = notification("firing.json");
  auto first = intake.receive(firing, rs, any);
  REQUIRE(first.size() == 1);
  CHECK(first[0].kind == Kind::Start);
  CHECK(first[0].route->name == "redis");
  CHECK(first[0].params ==
        std::map<std::string, std::string>{{"host", "127.0.0.1"}, {"port", "6399"}});
  intake.started(firing.alerts[0].key(), "20261206T104707Z-aaaaaa");

  // Alertmanager sends it again (a repeat, or the group changed).
  auto again = intake.receive(firing, rs, any);
  REQUIRE(again.size() == 1);
  CHECK(again[0].kind == Kind::Join);
  CHECK(again[0].run_id == "20261206T104707Z-aaaaaa");

  auto resolved = intake.receive(notification("resolved.json"), rs, any);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].kind == Kind::Resolve);
  CHECK(resolved[0].run_id == "20261206T104707Z-aaaaaa");

  // The run ended: a resolution arriving late starts nothing.
  intake.ended(firing.alerts[0].key());
  auto late = intake.receive(notification("resolved.json"), rs, any);
  CHECK(late[0].kind == Kind::Ignored);
  CHECK(late[0].reason == "resolved, and no run was started for it");
}

TEST_CASE("the same alert firing again later is a new incident", "[serve][intake]") {
  rbk::AlertIntake intake;
  const auto rs = routes();
  auto firing = notification("firing.json");
  intake.started(firing.alerts[0].key(), "run-1");
  firing.alerts[0].starts_at = "2026-12-07T03:00:00Z";  // same labels, same fingerprint
  auto next = intake.receive(firing, rs, any);
  CHECK(next[0].kind == Kind::Start);
}

TEST_CASE("alerts no route takes, or whose parameters cannot be had, start nothing",
          "[serve][intake]") {
  rbk::AlertIntake intake;
  const auto rs = routes();
  auto group = intake.receive(notification("group-of-two.json"), rs, any);
  REQUIRE(group.size() == 2);
  CHECK(group[0].kind == Kind::Ignored);  // resolved, never started
  CHECK(group[1].kind == Kind::Unrouted);
  CHECK(group[1].reason == "no route takes it");

  auto firing = notification("firing.json");
  firing.alerts[0].annotations.erase("port");
  auto missing = intake.receive(firing, rs, any);
  CHECK(missing[0].kind == Kind::Refused);
  CHECK(missing[0].reason ==
        "parameter 'port': the alert has no annotation 'port' (route 'redis')");

  // The runbook's own check (declared types) refuses too, with its reason.
  auto typed = intake.receive(
      notification("firing.json"), rs,
      [](const rbk::Route&,
         const std::map<std::string, std::string>& p) -> rbk::Expected<void, std::string> {
        if (p.at("port") == "6399") return rbk::fail(std::string("port: not allowed"));
        return {};
      });
  CHECK(typed[0].kind == Kind::Refused);
  CHECK(typed[0].reason == "port: not allowed");

  // Twice in one notification: one decision, the second says why not.
  auto twice = notification("firing.json");
  twice.alerts.push_back(twice.alerts[0]);
  auto both = intake.receive(twice, rs, any);
  REQUIRE(both.size() == 2);
  CHECK(both[0].kind == Kind::Start);
  CHECK(both[1].kind == Kind::Ignored);
  CHECK(both[1].reason == "the same alert twice in one notification");
}
