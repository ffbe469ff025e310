// A route against its runbook (serve/route_check.hpp): the parameters it
// sets and the steps it auto-approves must exist; an alert's values are
// converted to the declared types, required ones must be given, and a
// targets value must name a host or group of rbk.yaml — an alert's label
// can never widen a run to hosts the project does not declare.
#include <catch2/catch.hpp>

#include "grammar/parse.hpp"
#include "interpreter/serve/route_check.hpp"

namespace {

const char* kRunbook = R"(runbook redis-down {
  title "Redis is down"
  param host : string "The Redis host"
  param port : int = 6379
  param hosts : targets = "cache"
  remediate {
    step start "Start Redis" { run `true` }
  }
}
)";

struct Parsed {
  rbk::ParseResult r =
      rbk::parse(std::make_shared<rbk::SourceFile>("redis-down.rbk", std::string(kRunbook)));
  const rbk::ast::Runbook& rb() const { return *r.document->runbook(); }
};

rbk::Targets targets() {
  rbk::Targets t;
  t.add_host({"cache-1", "10.0.0.1", std::nullopt, "", {}});
  t.add_host({"cache-2", "10.0.0.2", std::nullopt, "", {}});
  t.groups["cache"] = {"cache-1", "cache-2"};
  return t;
}

}  // namespace

TEST_CASE("a route sets only declared parameters and auto-approves existing steps",
          "[serve][routes]") {
  Parsed p;
  REQUIRE(p.r.document);
  rbk::Route r;
  r.name = "redis";
  r.where = "rbk.yaml:3:5";
  r.params["host"] = {};
  CHECK(rbk::check_route(r, p.rb()).empty());
  r.params["hots"] = {};
  r.auto_approve = {"start", "strat", "wipe"};
  CHECK(rbk::check_route(r, p.rb()) ==
        std::vector<std::string>{
            "rbk.yaml:3:5: route 'redis' sets parameter 'hots', which runbook redis-down does "
            "not declare (did you mean 'host'?)",
            "rbk.yaml:3:5: route 'redis' auto-approves step 'strat', which runbook redis-down "
            "does not have (did you mean 'start'?)",
            "rbk.yaml:3:5: route 'redis' auto-approves step 'wipe', which runbook redis-down "
            "does not have"});
}

TEST_CASE("an alert's values convert to the declared types and name known hosts",
          "[serve][routes]") {
  Parsed p;
  const rbk::Targets t = targets();
  CHECK(rbk::check_route_params(p.rb(), {{"host", "db-1"}}, t));
  CHECK(rbk::check_route_params(p.rb(), {{"host", "db-1"}, {"port", "6380"}, {"hosts", "cache-2"}},
                                t));
  auto bad_int = rbk::check_route_params(p.rb(), {{"host", "db-1"}, {"port", "$(reboot)"}}, t);
  REQUIRE_FALSE(bad_int);
  CHECK_THAT(bad_int.error(), Catch::Contains("port"));
  auto missing = rbk::check_route_params(p.rb(), {{"port", "6380"}}, t);
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == "required parameter 'host' is not given by the route");
  auto unknown_host =
      rbk::check_route_params(p.rb(), {{"host", "db-1"}, {"hosts", "cache-1,evil-host"}}, t);
  REQUIRE_FALSE(unknown_host);
  CHECK(unknown_host.error() == "parameter hosts: unknown host or group 'evil-host'");
}
