// rbk serve's decisions (serve/server.hpp) with a launcher that starts no
// process and records written by the test: duplicates join one run, a
// parked run waits for an approval of its plan (another plan is refused and
// recorded), a resolution ends a parked run, automatic approvals stop at
// the route's limits and the breaker, bad and unauthorized requests start
// nothing, and a restarted server finds its parked runs in their records.
#include <pwd.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "interpreter/base/sha256.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/serve/server.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::HttpRequest;

namespace {

class FakeLauncher final : public rbk::RunLauncher {
 public:
  rbk::Expected<void, std::string> launch(const rbk::ServeRunSpec& spec) override {
    if (std::exchange(fail_next, false)) return rbk::fail(std::string("out of processes"));
    specs.push_back(spec);
    return {};
  }
  std::vector<rbk::ServeRunSpec> specs;
  bool fail_next = false;  // the next launch fails
};

std::string notification(const std::string& status, const std::string& port = "6379",
                         const std::string& alertname = "RedisDown");

struct Server {
  rbk::test::TempDir tmp;
  FakeLauncher launcher;
  std::chrono::milliseconds clock{1'000'000};
  std::vector<std::string> logged;
  std::unique_ptr<rbk::AlertServer> server;

  explicit Server(std::vector<rbk::Route> routes = {route()}) {
    tmp.synthetic_records = true;
    start(std::move(routes));
  }
  void start(std::vector<rbk::Route> routes) {
    rbk::ServerSetup setup;
    setup.routes = std::move(routes);
    setup.records_dir = tmp.path.string();
    setup.token = "a-token-of-twenty-chars";
    setup.check =
        [](const rbk::Route&,
           const std::map<std::string, std::string>& v) -> rbk::Expected<void, std::string> {
      if (v.count("port") && v.at("port").find_first_not_of("0123456789") != std::string::npos)
        return rbk::fail("parameter port: '" + v.at("port") + "' is not an int");
      return {};
    };
    setup.now = [this] { return clock; };
    setup.log = [this](const std::string& line) { logged.push_back(line); };
    server = std::make_unique<rbk::AlertServer>(setup, launcher);
    server->recover();
  }
  static rbk::Route route() {
    rbk::Route r;
    r.name = "redis";
    r.runbook = "redis-down";
    r.match.push_back(*rbk::parse_matcher("alertname=\"RedisDown\""));
    rbk::ParamSource port;
    port.kind = rbk::ParamSource::Kind::Label;
    port.value = "port";
    r.params["port"] = port;
    return r;
  }
  rbk::HttpResponse post(const std::string& path, const std::string& body, bool socket = false) {
    HttpRequest r{.method = "POST",
                  .target = path,
                  .headers = {{"authorization", "Bearer a-token-of-twenty-chars"}},
                  .body = body,
                  .peer = "127.0.0.1:5000"};
    if (socket) {
      r.headers.clear();
      r.peer_uid = ::getuid();
    }
    return server->handle(r);
  }
  // Writes the record of a run that parked at `step` with `hash`, as the run would.
  void park(const std::string& run_id, const std::string& step, const std::string& hash) {
    const std::string dir = (tmp.path / run_id).string();
    fs::create_directories(dir);
    std::string lines;
    auto add = [&](rbk::ev::Body b) {
      rbk::Event e{.body = std::move(b), .elapsed_ms = 1, .time = "2026-12-06T10:00:00.000Z"};
      lines += rbk::event_line(e);
    };
    rbk::ev::RunStart start;
    start.run_id = run_id;
    start.runbook = "redis-down";
    // The runbook as it was when the run started: an approval holds only
    // while its text is the same.
    start.file = (tmp.path / "redis-down.rbk").string();
    std::error_code ec;
    if (!fs::exists(start.file, ec)) rbk::test::write_file(start.file, "runbook redis-down {}\n");
    start.sha256 = rbk::sha256_hex(rbk::test::read_file(start.file));
    add(start);
    rbk::ev::AlertStart alert{.route = "redis",
                              .fingerprint = "f1",
                              .status = "firing",
                              .starts_at = "2026-12-06T10:00:00Z"};
    add(alert);
    add(rbk::ev::Parked{.step = step, .plan_hash = hash});
    add(rbk::ev::RunEnd{{.outcome = rbk::Outcome::Parked, .exit_code = 4}});
    rbk::test::write_file(dir + "/events.jsonl", lines);
  }
  // An alert's run, started and parked at step start with `hash`.
  std::string parked_run(const std::string& hash) {
    post("/alertmanager", notification("firing"));
    const std::string id = launcher.specs.back().run_id;
    park(id, "start", hash);
    server->run_exited(id);
    return id;
  }
  std::string events(const std::string& run_id) const {
    return rbk::test::read_file((tmp.path / run_id / "events.jsonl").string());
  }
};

std::string notification(const std::string& status, const std::string& port,
                         const std::string& alertname) {
  nlohmann::json alert{
      {"status", status},
      {"labels", {{"alertname", alertname}, {"port", port}}},
      {"annotations", nlohmann::json::object()},
      {"startsAt", "2026-12-06T10:00:00Z"},
      {"endsAt", status == "firing" ? "0001-01-01T00:00:00Z" : "2026-12-06T10:05:00Z"},
      {"generatorURL", ""},
      {"fingerprint", "f1"}};
  nlohmann::json n{{"version", "4"},
                   {"status", status},
                   {"receiver", "rbk"},
                   {"groupKey", "{}"},
                   {"truncatedAlerts", 0},
                   {"groupLabels", nlohmann::json::object()},
                   {"commonLabels", nlohmann::json::object()},
                   {"commonAnnotations", nlohmann::json::object()},
                   {"externalURL", "http://am"},
                   {"alerts", {alert}}};
  return n.dump();
}

}  // namespace

TEST_CASE("an alert starts one run, and its re-sends join it", "[serve]") {
  Server s;
  auto r = s.post("/alertmanager", notification("firing"));
  CHECK(r.status == 200);
  REQUIRE(s.launcher.specs.size() == 1);
  const rbk::ServeRunSpec& spec = s.launcher.specs[0];
  CHECK_FALSE(spec.resume);
  CHECK(spec.runbook == "redis-down");
  CHECK(spec.params == std::vector<std::string>{"port=6379"});
  REQUIRE(spec.alert);
  CHECK(spec.alert->fingerprint == "f1");
  s.park(spec.run_id, "start", std::string(64, 'a'));
  for (int i = 0; i < 3; ++i) CHECK(s.post("/alertmanager", notification("firing")).status == 200);
  CHECK(s.launcher.specs.size() == 1);
  CHECK_THAT(s.events(spec.run_id), Catch::Contains("joined the run"));
}

TEST_CASE("a parked run goes on only with an approval of the plan it shows", "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  REQUIRE(s.server->runs().at(0).state == rbk::ServedState::Parked);
  // Over TCP nothing decides without the approvers' token.
  auto r = s.post("/approve",
                  nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump());
  CHECK(r.status == 403);
  r = s.post("/approve",
             nlohmann::json{{"run_id", id}, {"step", "nope"}, {"plan_hash", hash}}.dump(), true);
  CHECK(r.status == 409);
  r = s.post(
      "/approve",
      nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", std::string(64, 'b')}}.dump(),
      true);
  CHECK(r.status == 409);
  CHECK_THAT(r.body, Catch::Contains("approval void"));
  CHECK_THAT(s.events(id), Catch::Contains("\"type\":\"approval_void\""));
  CHECK(s.launcher.specs.size() == 1);
  r = s.post("/approve",
             nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump(), true);
  CHECK(r.status == 200);
  REQUIRE(s.launcher.specs.size() == 2);
  const rbk::ServeRunSpec& resumed = s.launcher.specs[1];
  CHECK(resumed.resume);
  REQUIRE(resumed.decision);
  CHECK(resumed.decision->first == "start");
  CHECK(resumed.decision->second.plan_hash == hash);
  CHECK(resumed.decision->second.via == rbk::ev::Via::Socket);
  CHECK(resumed.decision->second.from == "unix socket, uid " + std::to_string(::getuid()));
  // Not parked any more: a second approval is refused.
  CHECK(s.post("/approve",
               nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump(), true)
            .status == 409);
}

TEST_CASE("a resolution ends a parked run, and reaches a running one at its next gate", "[serve]") {
  Server s;
  s.post("/alertmanager", notification("firing"));
  const std::string id = s.launcher.specs.at(0).run_id;
  s.park(id, "start", std::string(64, 'a'));
  // Still running when the alert resolves: recorded, and when it parks it ends.
  CHECK(s.post("/alertmanager", notification("resolved")).status == 200);
  CHECK_THAT(s.events(id), Catch::Contains("\"status\":\"resolved\""));
  CHECK(s.launcher.specs.size() == 1);
  s.server->run_exited(id);
  REQUIRE(s.launcher.specs.size() == 2);
  REQUIRE(s.launcher.specs[1].decision);
  CHECK(s.launcher.specs[1].decision->second.kind == rbk::GateDecision::Kind::AlertResolved);
}

TEST_CASE("automatic approval stops at the route's limit, and the run waits for a person",
          "[serve]") {
  rbk::Route r = Server::route();
  r.auto_approve = {"start"};
  r.limits.per_runbook = rbk::WindowLimit{.max = 1, .per = std::chrono::hours(1)};
  Server s({r});
  for (const std::string port : {"1", "2"}) {
    nlohmann::json n = nlohmann::json::parse(notification("firing", port));
    n["alerts"][0]["fingerprint"] = "f" + port;
    s.post("/alertmanager", n.dump());
    const std::string id = s.launcher.specs.back().run_id;
    s.park(id, "start", std::string(64, 'a'));
    s.server->run_exited(id);
  }
  // Four launches would mean both were approved: one start each, one resume.
  REQUIRE(s.launcher.specs.size() == 3);
  CHECK(s.launcher.specs[1].decision->second.via == rbk::ev::Via::Auto);
  CHECK(s.launcher.specs[1].decision->second.from == "route redis");
  const std::string second = s.launcher.specs[2].run_id;
  CHECK_THAT(s.events(second), Catch::Contains("limit per_runbook reached (1 of 1)"));
  auto runs = s.server->runs();
  CHECK(std::count_if(runs.begin(), runs.end(), [](const rbk::ServedRun& x) {
          return x.state == rbk::ServedState::Parked;
        }) == 1);
}

TEST_CASE("bad, unrouted, refused and unauthorized requests start nothing", "[serve]") {
  Server s;
  CHECK(s.post("/alertmanager", "{\"version\": \"4\", \"alerts\": [").status == 400);
  CHECK(s.post("/alertmanager", notification("firing", "6379", "DiskFull")).status == 200);
  CHECK(s.post("/alertmanager", notification("firing", "1; touch /tmp/pwned")).status == 200);
  HttpRequest r{.method = "POST", .target = "/alertmanager", .body = notification("firing")};
  CHECK(s.server->handle(r).status == 401);
  r.headers["authorization"] = "Bearer a-token-of-twenty-charX";
  CHECK(s.server->handle(r).status == 401);
  CHECK(s.launcher.specs.empty());
  HttpRequest metrics{.method = "GET", .target = "/metrics"};
  const std::string m = s.server->handle(metrics).body;
  CHECK_THAT(m, Catch::Contains("rbk_serve_alerts_total{result=\"unrouted\"} 1"));
  CHECK_THAT(m, Catch::Contains("rbk_serve_alerts_total{result=\"refused\"} 1"));
  CHECK_THAT(m, Catch::Contains("rbk_serve_requests_refused_total{reason=\"unauthorized\"} 2"));
  CHECK_THAT(m, Catch::Contains("rbk_serve_requests_refused_total{reason=\"malformed\"} 1"));
}

TEST_CASE("a restarted server finds its parked runs in their records", "[serve]") {
  Server s;
  s.post("/alertmanager", notification("firing"));
  const std::string id = s.launcher.specs.at(0).run_id;
  const std::string hash(64, 'c');
  s.park(id, "start", hash);
  s.start({Server::route()});  // a new server on the same records
  auto runs = s.server->runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].state == rbk::ServedState::Parked);
  CHECK(runs[0].parked_step == "start");
  // Its alert joins it, no second run starts.
  s.post("/alertmanager", notification("firing"));
  CHECK(s.launcher.specs.size() == 1);
  CHECK(s.post("/approve",
               nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump(), true)
            .status == 200);
  CHECK(s.launcher.specs.size() == 2);
}

TEST_CASE("on_resolved record, or a gate already passed, keeps a parked run waiting", "[serve]") {
  rbk::Route r = Server::route();
  r.end_on_resolved = false;
  Server s({r});
  s.post("/alertmanager", notification("firing"));
  const std::string id = s.launcher.specs.at(0).run_id;
  s.park(id, "start", std::string(64, 'a'));
  s.server->run_exited(id);
  CHECK(s.post("/alertmanager", notification("resolved")).status == 200);
  CHECK(s.launcher.specs.size() == 1);  // recorded, not ended
  CHECK_THAT(s.events(id), Catch::Contains("recorded the resolution"));
  CHECK(s.server->runs().at(0).state == rbk::ServedState::Parked);
}

TEST_CASE("failed automatic runs open the breaker once, page the owner, and a person closes it",
          "[serve]") {
  rbk::Route r = Server::route();
  r.auto_approve = {"start"};
  r.limits.concurrent = 5;
  r.limits.breaker = rbk::WindowLimit{.max = 2, .per = std::chrono::hours(1)};
  Server s({r});
  std::vector<std::string> told;
  // A fresh server with a `tell` that keeps what it is told.
  rbk::ServerSetup setup;
  setup.routes = {r};
  setup.records_dir = s.tmp.path.string();
  setup.check = [](const rbk::Route&,
                   const std::map<std::string, std::string>&) -> rbk::Expected<void, std::string> {
    return {};
  };
  setup.now = [&] { return s.clock; };
  setup.tell = [&](const std::string& route, const std::string& kind, const std::string& m) {
    told.push_back(kind + " " + route + ": " + m);
  };
  s.server = std::make_unique<rbk::AlertServer>(setup, s.launcher);
  auto fail_run = [&](const std::string& fp) {
    nlohmann::json n = nlohmann::json::parse(notification("firing"));
    n["alerts"][0]["fingerprint"] = fp;
    s.post("/alertmanager", n.dump());
    const std::string id = s.launcher.specs.back().run_id;
    s.park(id, "start", std::string(64, 'a'));
    s.server->run_exited(id);  // parked: approved automatically, resumed
    rbk::test::write_file((s.tmp.path / id / "events.jsonl").string(),
                          s.events(id) +
                              "{\"t\":2,\"time\":\"2026-12-06T10:00:01.000Z\",\"type\":\"resume\","
                              "\"by\":\"x\",\"down_ms\":0,\"dropped_bytes\":0,\"runbook_changed\":"
                              "false}\n{\"t\":3,\"time\":\"2026-12-06T10:00:02.000Z\",\"type\":"
                              "\"run_end\",\"outcome\":\"failed\",\"exit_code\":1}\n");
    s.server->run_exited(id);  // ended failed
    return id;
  };
  fail_run("a1");
  CHECK(told.size() == 0);
  const std::string second = fail_run("a2");
  REQUIRE(told.size() == 1);
  CHECK_THAT(told[0], Catch::StartsWith("page redis: the circuit breaker of route redis opened"));
  CHECK_THAT(s.events(second), Catch::Contains("circuit breaker of route redis opened"));
  // Open: the next run waits for a person, and nobody is paged again.
  const size_t launched = s.launcher.specs.size();
  nlohmann::json n = nlohmann::json::parse(notification("firing"));
  n["alerts"][0]["fingerprint"] = "a3";
  s.post("/alertmanager", n.dump());
  const std::string third = s.launcher.specs.back().run_id;
  s.park(third, "start", std::string(64, 'a'));
  s.server->run_exited(third);
  CHECK(s.launcher.specs.size() == launched + 1);  // started, not resumed
  CHECK_THAT(s.events(third), Catch::Contains("limit breaker reached"));
  CHECK(told.size() == 2);  // the notice that it waits, not a second page
  CHECK_THAT(told[1], Catch::StartsWith("notify redis: run " + third));
  auto reset = s.post("/breaker/reset", "{\"route\": \"redis\"}", true);
  CHECK(reset.status == 200);
  CHECK_THAT(reset.body, Catch::Contains("automatic approvals resume"));
  HttpRequest metrics{.method = "GET", .target = "/metrics"};
  CHECK_THAT(s.server->handle(metrics).body,
             Catch::Contains("rbk_serve_breaker_open{route=\"redis\"} 0"));
}

TEST_CASE("two people: the previous gate's approver, or the runbook's author, may not approve",
          "[serve]") {
  Server s;
  rbk::ServerSetup setup;
  setup.routes = {Server::route()};
  setup.records_dir = s.tmp.path.string();
  setup.check = [](const rbk::Route&,
                   const std::map<std::string, std::string>&) -> rbk::Expected<void, std::string> {
    return {};
  };
  setup.approver_not_previous = true;
  setup.approver_not_author = true;
  std::string author = "Someone Else <else@example.org>";
  setup.author_of = [&](const std::string&) { return author; };
  s.server = std::make_unique<rbk::AlertServer>(setup, s.launcher);
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  const std::string me = [] {
    struct passwd* pw = ::getpwuid(::getuid());
    return std::string(pw ? pw->pw_name : "");
  }();
  const std::string approve =
      nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump();
  // The runbook's author (by the e-mail's local part, any case) may not.
  author = "A. Person <" + me + "@example.org>";
  auto r = s.post("/approve", approve, true);
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Catch::Contains("last changed"));
  // Whoever approved the run's previous gate may not either.
  author = "Someone Else <else@example.org>";
  rbk::test::write_file((s.tmp.path / id / "events.jsonl").string(),
                        s.events(id) +
                            "{\"t\":2,\"time\":\"2026-12-06T10:00:01.000Z\",\"type\":\"answer\","
                            "\"step\":\"look\",\"kind\":\"confirm\",\"by\":\"" +
                            me + "\",\"passed\":true,\"via\":\"socket\"}\n");
  r = s.post("/approve", approve, true);
  CHECK(r.status == 403);
  CHECK_THAT(r.body, Catch::Contains("approved this run's previous gate"));
  CHECK(s.launcher.specs.size() == 1);  // nothing resumed
}

TEST_CASE("a restart keeps the limits: approvals and failures are read back from the records",
          "[serve]") {
  rbk::Route r = Server::route();
  r.auto_approve = {"start"};
  r.limits.per_runbook = rbk::WindowLimit{.max = 1, .per = std::chrono::hours(1)};
  Server s({r});
  s.post("/alertmanager", notification("firing"));
  const std::string first = s.launcher.specs.at(0).run_id;
  s.park(first, "start", std::string(64, 'a'));
  s.server->run_exited(first);
  REQUIRE(s.launcher.specs.size() == 2);  // approved automatically
  // What the resumed run wrote: the automatic approval, now (the window counts from it).
  rbk::Event answer{
      .body =
          rbk::ev::Answer{
              .step = "start", .by = "rbk serve", .passed = true, .via = rbk::ev::Via::Auto},
      .elapsed_ms = 2,
      .time = rbk::SystemClock().wall_time()};
  rbk::test::write_file((s.tmp.path / first / "events.jsonl").string(),
                        s.events(first) + rbk::event_line(answer));
  s.start({r});  // restarted
  nlohmann::json n = nlohmann::json::parse(notification("firing"));
  n["alerts"][0]["fingerprint"] = "f2";
  s.post("/alertmanager", n.dump());
  const std::string second = s.launcher.specs.back().run_id;
  s.park(second, "start", std::string(64, 'a'));
  s.server->run_exited(second);
  CHECK(s.launcher.specs.size() == 3);  // started, not approved: the limit held
  CHECK_THAT(s.events(second), Catch::Contains("limit per_runbook reached (1 of 1)"));
}

TEST_CASE("an approval is void when the runbook changed since the run started", "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  rbk::test::write_file((s.tmp.path / "redis-down.rbk").string(), "runbook redis-down { }\n");
  auto r =
      s.post("/approve",
             nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump(), true);
  CHECK(r.status == 409);
  CHECK_THAT(r.body, Catch::Contains("changed since the run started"));
  CHECK_THAT(s.events(id), Catch::Contains("\"type\":\"approval_void\""));
  CHECK(s.launcher.specs.size() == 1);  // nothing resumed
}

TEST_CASE("over TCP only the approvers' token decides, never the webhook's", "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  const std::string body =
      nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}, {"by", "x"}}.dump();
  // No approvers' token configured: nothing over TCP decides, whatever it sends.
  auto r = s.post("/approve", body);  // with the webhook's token
  CHECK(r.status == 403);
  CHECK(s.post("/breaker/reset", "{\"route\": \"redis\"}").status == 403);
  // With one: the webhook's token is refused, the approvers' taken.
  rbk::ServerSetup setup;
  setup.routes = {Server::route()};
  setup.records_dir = s.tmp.path.string();
  setup.token = "a-token-of-twenty-chars";
  setup.approver_token = "the-approvers-token-here";
  s.server = std::make_unique<rbk::AlertServer>(setup, s.launcher);
  s.server->recover();
  CHECK(s.post("/approve", body).status == 401);
  HttpRequest ok{.method = "POST",
                 .target = "/approve",
                 .headers = {{"authorization", "Bearer the-approvers-token-here"}},
                 .body = body,
                 .peer = "127.0.0.1:5000"};
  CHECK(s.server->handle(ok).status == 200);
  REQUIRE(s.launcher.specs.size() == 2);
  CHECK(s.launcher.specs[1].decision->second.via == rbk::ev::Via::Http);
  CHECK(s.launcher.specs[1].decision->second.by == "x");
}

TEST_CASE("a resume that refuses leaves the run parked, said, and not approved again", "[serve]") {
  rbk::Route r = Server::route();
  r.auto_approve = {"start"};
  r.limits.concurrent = 5;
  Server s({r});
  s.post("/alertmanager", notification("firing"));
  const std::string id = s.launcher.specs.at(0).run_id;
  s.park(id, "start", std::string(64, 'a'));
  s.server->run_exited(id);  // parked: approved automatically, resumed
  REQUIRE(s.launcher.specs.size() == 2);
  s.server->run_exited(id);             // the resume wrote nothing: it refused
  CHECK(s.launcher.specs.size() == 2);  // not resumed again, no loop
  CHECK_THAT(s.events(id), Catch::Contains("could not resume the run"));
  CHECK(s.server->runs().at(0).state == rbk::ServedState::Parked);
}

TEST_CASE("an approval that could not resume the run leaves it waiting, and a resolution ends it",
          "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  s.launcher.fail_next = true;
  auto r =
      s.post("/approve",
             nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump(), true);
  CHECK(r.status == 500);
  CHECK(s.server->runs().at(0).state == rbk::ServedState::Parked);
  CHECK(s.launcher.specs.size() == 1);
  // No gate passed: the alert's resolution ends the run.
  CHECK(s.post("/alertmanager", notification("resolved")).status == 200);
  REQUIRE(s.launcher.specs.size() == 2);
  REQUIRE(s.launcher.specs[1].decision);
  CHECK(s.launcher.specs[1].decision->second.kind == rbk::GateDecision::Kind::AlertResolved);
}

TEST_CASE("a parked run's plan is given to approvers, never to the webhook's token", "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  auto get = [&](const std::string& path, bool socket, const std::string& token) {
    HttpRequest r{
        .method = "GET", .target = path, .headers = {}, .body = {}, .peer = "127.0.0.1:5000"};
    if (socket) r.peer_uid = ::getuid();
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return s.server->handle(r);
  };
  auto r = get("/runs/" + id, true, "");
  REQUIRE(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["state"] == "parked");
  CHECK(j["run_start"]["type"] == "run_start");
  CHECK(j["run_start"]["runbook"] == "redis-down");
  CHECK(j["parked"]["type"] == "parked");
  CHECK(j["parked"]["step"] == "start");
  CHECK(j["parked"]["plan_hash"] == hash);
  // Alertmanager's token lists runs; it does not read plans.
  CHECK(get("/runs", false, "a-token-of-twenty-chars").status == 200);
  CHECK(get("/runs/" + id, false, "a-token-of-twenty-chars").status == 403);
  CHECK(get("/runs/20261206T000000Z-000000", true, "").status == 404);
}

TEST_CASE("another user on the socket may read runs and decide, never send an alert", "[serve]") {
  Server s;
  const std::string hash(64, 'a');
  const std::string id = s.parked_run(hash);
  auto as_member = [&](const std::string& method, const std::string& path,
                       const std::string& body) {
    HttpRequest r{.method = method, .target = path, .headers = {}, .body = body, .peer = "uid"};
    r.peer_uid = ::geteuid() + 1;  // a member of --socket-group
    return s.server->handle(r);
  };
  CHECK(as_member("POST", "/alertmanager", notification("firing", "7000")).status == 403);
  CHECK(s.launcher.specs.size() == 1);  // nothing started
  CHECK(as_member("GET", "/runs", "").status == 200);
  CHECK(as_member("GET", "/runs/" + id, "").status == 200);
  auto r = as_member("POST", "/approve",
                     nlohmann::json{{"run_id", id}, {"step", "start"}, {"plan_hash", hash}}.dump());
  CHECK(r.status == 200);
  REQUIRE(s.launcher.specs.size() == 2);
  CHECK(s.launcher.specs[1].decision->second.from ==
        "unix socket, uid " + std::to_string(::geteuid() + 1));
}
