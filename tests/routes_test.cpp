// Alert routes (interpreter/project/routes.hpp): Alertmanager's matcher
// syntax and semantics (full anchoring, a missing label is ""), the first
// matching route, and parameters from labels, annotations and constants.
// rbk.yaml's `routes:` as read, with its errors, is in tests/config/
// (routes.yaml, routes-bad.yaml).
#include <catch2/catch.hpp>

#include "interpreter/project/routes.hpp"

using rbk::LabelSet;
using rbk::parse_matcher;

namespace {

bool matches(const std::string& matcher, const LabelSet& labels) {
  auto m = parse_matcher(matcher);
  INFO(matcher << (m ? "" : ": " + m.error()));
  REQUIRE(m);
  return m->matches(labels);
}

}  // namespace

TEST_CASE("matchers hold as Alertmanager's do", "[routes]") {
  const LabelSet alert{
      {"alertname", "RedisDown"}, {"severity", "critical"}, {"instance", "db:6379"}};
  CHECK(matches("alertname=\"RedisDown\"", alert));
  CHECK(matches("alertname=RedisDown", alert));           // unquoted
  CHECK(matches("  alertname = \"RedisDown\" ", alert));  // spaces around
  CHECK_FALSE(matches("alertname=\"Redis\"", alert));
  CHECK(matches("severity=~\"high|critical\"", alert));
  // Fully anchored: a regex matches the whole value, never a part of it.
  CHECK_FALSE(matches("severity=~\"crit\"", alert));
  CHECK(matches("severity=~\"crit.*\"", alert));
  CHECK(matches("severity!~\"low|medium\"", alert));
  CHECK_FALSE(matches("severity!~\"critical\"", alert));
  CHECK(matches("env!=\"prod\"", alert));  // a missing label is ""
  CHECK(matches("env=\"\"", alert));
  CHECK_FALSE(matches("env=~\".+\"", alert));
  CHECK(matches("instance=~\"db:[0-9]+\"", alert));
  CHECK(
      matches("alertname=\"a \\\"quoted\\\" \\\\ name\"", {{"alertname", "a \"quoted\" \\ name"}}));
}

TEST_CASE("a malformed matcher says what is wrong with it", "[routes]") {
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"=\"x\"", "does not start with a label name"},
           {"1abc=\"x\"", "does not start with a label name"},
           {"alertname", "has no operator"},
           {"alertname==\"x\"", "unquoted value holds"},
           {"alertname=\"a\"b\"", "unescaped '\"'"},
           {"alertname=\"x", "does not end with"},
           {"severity=~\"(unclosed\"", "invalid regex"},
           {"a=\"\\q\"", "unknown escape"},
       }) {
    auto m = parse_matcher(text);
    INFO(text);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error(), Catch::Contains(says));
  }
}

TEST_CASE("the first route whose matchers all hold takes the alert", "[routes]") {
  auto route = [](std::string name, std::vector<std::string> ms) {
    rbk::Route r;
    r.name = std::move(name);
    for (const auto& m : ms) r.match.push_back(*parse_matcher(m));
    return r;
  };
  const std::vector<rbk::Route> routes{
      route("critical-redis", {"alertname=\"RedisDown\"", "severity=\"critical\""}),
      route("any-redis", {"alertname=\"RedisDown\""}), route("disk", {"alertname=~\"Disk.*\""})};
  auto pick = [&](const LabelSet& l) {
    const rbk::Route* r = rbk::select_route(routes, l);
    return r ? r->name : std::string("(none)");
  };
  CHECK(pick({{"alertname", "RedisDown"}, {"severity", "critical"}}) == "critical-redis");
  CHECK(pick({{"alertname", "RedisDown"}, {"severity", "warning"}}) == "any-redis");
  CHECK(pick({{"alertname", "DiskFull"}}) == "disk");
  CHECK(pick({{"alertname", "ApiDown"}}) == "(none)");
}

TEST_CASE("parameters come from labels, annotations and constants, or the run is refused",
          "[routes]") {
  rbk::Route r;
  r.name = "redis-down";
  auto from = [](rbk::ParamSource::Kind k, std::string name, std::string regex = "") {
    rbk::ParamSource s;
    s.kind = k;
    s.value = std::move(name);
    if (!regex.empty()) {
      s.regex_text = regex;
      // Through the matcher's own regex rules: fully anchored RE2.
      s.regex = parse_matcher("x=~\"" + regex + "\"")->regex;
    }
    return s;
  };
  r.params["host"] = from(rbk::ParamSource::Kind::Label, "instance", "([^:]+):[0-9]+");
  r.params["port"] = from(rbk::ParamSource::Kind::Annotation, "port");
  r.params["config"] = from(rbk::ParamSource::Kind::Constant, "/etc/redis/redis.conf");

  auto got = rbk::route_params(r, {{"instance", "db-1:6379"}}, {{"port", "6379"}});
  REQUIRE(got);
  CHECK(*got == std::map<std::string, std::string>{
                    {"host", "db-1"}, {"port", "6379"}, {"config", "/etc/redis/redis.conf"}});

  auto missing = rbk::route_params(r, {{"instance", "db-1:6379"}}, {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error() ==
        "parameter 'port': the alert has no annotation 'port' (route 'redis-down')");

  auto no_match = rbk::route_params(r, {{"instance", "db-1"}}, {{"port", "6379"}});
  REQUIRE_FALSE(no_match);
  CHECK(no_match.error() ==
        "parameter 'host': label 'instance' = \"db-1\" does not match "
        "/([^:]+):[0-9]+/ (route 'redis-down')");
}
