// Runs as rbk serve starts them (`rbk __serve-run SPEC`), with real
// processes: the alert is recorded after run_start, a gate parks the run
// (resumable, nothing gated runs, no `on interrupted` page), and the run
// resumed with a decision about that gate passes it only when the decision
// names the plan the record shows; a denial refuses it, the alert's
// resolution ends it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "interpreter/base/format_str.hpp"
#include "interpreter/serve/run_spec.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

constexpr const char* kRunbook = R"(runbook fix {
  param port : int = 6379
  diagnose {
    step look "Look" { run `echo looked >> look.count` }
  }
  remediate {
    step restart "Restart" {
      destructive
      confirm "Restart the server on ${port}?"
      run `echo run >> restart.count`
    }
  }
  verify {
    check done "Done" { run `test -s restart.count` }
  }
  escalate {
    on interrupted notify oncall "stopped"
  }
}
)";

struct Project {
  rbk::test::TempDir tmp;
  // Its own per test process: a resume ends every process left with its
  // run's RBK_RUN_ID, and ctest runs these tests side by side.
  std::string run_id = rbk::format_str("20261206T120000Z-{:06x}", ::getpid() & 0xffffff);
  Project() {
    write_file((tmp.path / "fix.rbk").string(), kRunbook);
    write_file((tmp.path / "rbk.yaml").string(),
               "records: .rbk/runs\n"
               "notify:\n  notify: 'echo \"$RBK_MESSAGE\" >> notified.txt'\n");
  }
  std::string dir() const { return tmp.path.string(); }
  std::string read(const std::string& name) const {
    std::error_code ec;
    return fs::exists(tmp.path / name, ec) ? read_file((tmp.path / name).string()) : "";
  }
  // Writes the spec and runs it as rbk serve would.
  rbk::test::Run serve_run(const rbk::ServeRunSpec& spec) {
    write_file((tmp.path / "spec.json").string(), rbk::serve_run_spec_json(spec));
    return rbk::test::run_rbk_in(dir(), "__serve-run spec.json");
  }
  rbk::ServeRunSpec start() const {
    rbk::ServeRunSpec spec;
    spec.run_id = run_id;
    spec.runbook = "fix.rbk";
    spec.params = {"port=6400"};
    rbk::ev::AlertStart alert;
    alert.route = "redis";
    alert.fingerprint = "38c6a99b21bfb97f";
    alert.status = "firing";
    alert.starts_at = "2026-12-06T10:47:07.345834Z";
    alert.labels = {{"alertname", {"RedisDown"}}, {"port", {"6400"}}};
    spec.alert = alert;
    return spec;
  }
  rbk::ServeRunSpec decide(rbk::GateDecision d) const {
    rbk::ServeRunSpec spec;
    spec.resume = true;
    spec.run_id = run_id;
    spec.decision = std::make_pair(std::string("restart"), std::move(d));
    return spec;
  }
  std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(tmp.path / ".rbk" / "runs" / run_id / "events.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (auto& e : events())
      if (e["type"] == type) out.push_back(e);
    return out;
  }
  std::string plan_hash() const {
    auto parked = of_type("parked");
    REQUIRE(!parked.empty());
    return parked.back()["plan_hash"];
  }
};

rbk::GateDecision approval(const std::string& hash) {
  rbk::GateDecision d;
  d.kind = rbk::GateDecision::Kind::Approve;
  d.by = "alice";
  d.from = "unix socket, uid 1000";
  d.via = rbk::ev::Via::Socket;
  d.plan_hash = hash;
  return d;
}

}  // namespace

TEST_CASE("a run started by an alert parks at its gate, and an approval of its plan passes it",
          "[serve]") {
  Project p;
  auto r = p.serve_run(p.start());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("waits at step restart"));
  auto events = p.events();
  REQUIRE(events.size() > 2);
  CHECK(events[0]["type"] == "run_start");
  CHECK(events[0]["run_id"] == p.run_id);
  CHECK(events[1]["type"] == "alert");
  CHECK(events[1]["labels"]["alertname"] == "RedisDown");
  CHECK(p.read("look.count") == "looked\n");
  CHECK(p.read("restart.count") == "");
  auto parked = p.of_type("parked");
  REQUIRE(parked.size() == 1);
  CHECK(parked[0]["step"] == "restart");
  CHECK(parked[0]["prompt"] == "Restart the server on 6400?");
  CHECK(parked[0]["commands"][0] == "echo run >> restart.count");
  CHECK(parked[0]["remaining"].empty());  // verify has checks, not steps
  CHECK(p.of_type("run_end").back()["outcome"] == "parked");
  CHECK(p.read("notified.txt") == "");  // waiting is not dying: no `on interrupted`

  r = p.serve_run(p.decide(approval(p.plan_hash())));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.read("look.count") == "looked\n");  // replayed, not run again
  CHECK(p.read("restart.count") == "run\n");
  auto answers = p.of_type("answer");
  REQUIRE(answers.size() == 2);
  CHECK(answers[0]["reason"] == "parked");
  CHECK(answers[1]["passed"] == true);
  CHECK(answers[1]["via"] == "socket");
  CHECK(answers[1]["by"] == "alice");
  CHECK(answers[1]["from"] == "unix socket, uid 1000");
  CHECK(p.of_type("run_end").back()["outcome"] == "resolved");
  CHECK(p.read("notified.txt") == "");
}

TEST_CASE("an approval of another plan is void and the run parks again, a denial refuses",
          "[serve]") {
  Project p;
  REQUIRE(p.serve_run(p.start()).exit_code == 4);
  const std::string hash = p.plan_hash();
  auto r = p.serve_run(p.decide(approval(std::string(64, '0'))));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 4);
  CHECK(p.read("restart.count") == "");
  auto voided = p.of_type("approval_void");
  REQUIRE(voided.size() == 1);
  CHECK(voided[0]["by"] == "alice");
  CHECK_THAT(voided[0]["reason"].get<std::string>(), Catch::Contains("the plan changed"));
  REQUIRE(p.of_type("parked").size() == 2);
  CHECK(p.plan_hash() == hash);  // the same plan: the gate did not change

  rbk::GateDecision deny = approval(hash);
  deny.kind = rbk::GateDecision::Kind::Deny;
  r = p.serve_run(p.decide(deny));
  CHECK(r.exit_code == 4);
  CHECK(p.read("restart.count") == "");
  auto answers = p.of_type("answer");
  CHECK(answers.back()["reason"] == "denied by alice");
  CHECK(p.of_type("run_end").back()["outcome"] == "refused");
}

TEST_CASE("the alert's resolution ends a parked run, and nothing gated runs", "[serve]") {
  Project p;
  REQUIRE(p.serve_run(p.start()).exit_code == 4);
  rbk::GateDecision resolved;
  resolved.kind = rbk::GateDecision::Kind::AlertResolved;
  resolved.by = "rbk serve";
  resolved.via = rbk::ev::Via::Auto;
  auto r = p.serve_run(p.decide(resolved));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.read("restart.count") == "");
  CHECK(p.of_type("run_end").back()["outcome"] == "alert_resolved");
  // Over: it cannot be resumed again.
  CHECK(p.serve_run(p.decide(approval(p.plan_hash()))).exit_code != 0);
  CHECK(p.read("restart.count") == "");
}

TEST_CASE("a bad spec is refused with its reason, and nothing runs", "[serve]") {
  Project p;
  write_file((p.tmp.path / "spec.json").string(), "{\"resume\": 1}");
  auto r = rbk::test::run_rbk_in(p.dir(), "__serve-run spec.json");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("rbk: error: spec.json: malformed"));
  CHECK(p.read("look.count") == "");
}

TEST_CASE("shadow mode diagnoses for real and only records what remediation would run", "[serve]") {
  Project p;
  rbk::ServeRunSpec spec = p.start();
  spec.shadow = true;
  spec.alert->shadow = true;
  auto r = p.serve_run(spec);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.read("look.count") == "looked\n");  // diagnosis ran
  CHECK(p.read("restart.count") == "");       // remediation did not
  CHECK(p.read("notified.txt") == "");        // nobody was paged
  auto would = p.of_type("would_run");
  REQUIRE(would.size() == 1);
  CHECK(would[0]["step"] == "restart");
  CHECK(would[0]["destructive"] == true);
  CHECK(would[0]["commands"][0] == "echo run >> restart.count");
  CHECK(p.of_type("gate").empty());
  CHECK(p.of_type("check").empty());  // verification does not run either
  CHECK(p.of_type("run_end").back()["outcome"] == "shadow");
  // The report says what would have run.
  auto report = rbk::test::run_rbk_in(p.dir(), "report " + p.run_id);
  CHECK(report.exit_code == 0);
  CHECK_THAT(report.out, Catch::Contains("Shadow mode: nothing below ran"));
  CHECK_THAT(report.out, Catch::Contains("`echo run >> restart.count`"));
}

TEST_CASE("in shadow mode a denied diagnosis gate runs no finally step, it records it", "[serve]") {
  Project p;
  write_file((p.tmp.path / "fix.rbk").string(), R"(runbook fix {
  param port : int = 6379
  diagnose {
    step look "Look closer" {
      confirm "Look?"
      run `echo looked >> look.count`
    }
  }
  remediate {
    step restart "Restart" { run `echo run >> restart.count` }
  }
  finally {
    step clean "Clean up" { run `echo cleaned >> finally.count` }
  }
}
)");
  rbk::ServeRunSpec spec = p.start();
  spec.shadow = true;
  spec.alert->shadow = true;
  REQUIRE(p.serve_run(spec).exit_code == 4);  // parked at the diagnosis gate
  rbk::GateDecision deny = approval(p.plan_hash());
  deny.kind = rbk::GateDecision::Kind::Deny;
  rbk::ServeRunSpec resume = p.decide(deny);
  resume.decision->first = "look";
  auto r = p.serve_run(resume);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 4);
  CHECK(p.read("look.count") == "");
  CHECK(p.read("finally.count") == "");  // not run: shadow mode
  auto would = p.of_type("would_run");
  REQUIRE(would.size() == 1);
  CHECK(would[0]["step"] == "clean");
  CHECK(would[0]["section"] == "finally");
  CHECK(p.of_type("run_end").back()["outcome"] == "refused");
}

TEST_CASE("a policy that wants a terminal refuses automatic approvals, and rbk approve without one",
          "[serve]") {
  Project p;
  write_file((p.tmp.path / "rbk.yaml").string(),
             "records: .rbk/runs\npolicy:\n  allow_non_interactive_approval: false\n");
  REQUIRE(p.serve_run(p.start()).exit_code == 4);
  // No terminal (setsid): refused before anything is sent.
  rbk::test::Exit e = rbk::test::run_detached(p.dir(), {"approve", p.run_id, "restart", "--yes"});
  INFO(e.out << e.err);
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("allows no approval without one"));
  CHECK(p.of_type("answer").size() == 1);
  // An approval rbk serve made (its rbk.yaml said otherwise when it read it).
  rbk::GateDecision automatic = approval(p.plan_hash());
  automatic.by = "rbk serve";
  automatic.via = rbk::ev::Via::Auto;
  auto r = p.serve_run(p.decide(automatic));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 4);
  CHECK(p.read("restart.count") == "");
  CHECK_THAT(p.of_type("answer").back()["reason"].get<std::string>(),
             Catch::Contains("policy allows no approval without a terminal"));
  CHECK(p.of_type("run_end").back()["outcome"] == "refused");
}

TEST_CASE("a gate in a called runbook shows, and binds, what its caller runs after the call",
          "[serve]") {
  Project p;
  write_file((p.tmp.path / "outer.rbk").string(), R"(runbook outer {
  remediate {
    step fixit "Fix it" {
      call fix with port = 6400
      run `echo after >> after.count`
    }
    step tell "Tell" {
      run `echo told >> told.count`
    }
  }
}
)");
  rbk::ServeRunSpec spec = p.start();
  spec.runbook = "outer.rbk";
  spec.params.clear();
  auto r = p.serve_run(spec);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 4);
  auto parked = p.of_type("parked");
  REQUIRE(parked.size() == 1);
  CHECK(parked[0]["step"] == "fix/restart");
  // The rest of the calling step, then the caller's next step.
  REQUIRE(parked[0]["remaining"].size() == 2);
  CHECK(parked[0]["remaining"][0]["step"] == "fixit");
  CHECK(parked[0]["remaining"][0]["commands"][0] == "echo after >> after.count");
  CHECK(parked[0]["remaining"][1]["step"] == "tell");
  CHECK(parked[0]["remaining"][1]["commands"][0] == "echo told >> told.count");
  rbk::ServeRunSpec decide = p.decide(approval(p.plan_hash()));
  decide.decision->first = "fix/restart";
  r = p.serve_run(decide);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(p.read("restart.count") == "run\n");
  CHECK(p.read("after.count") == "after\n");
  CHECK(p.read("told.count") == "told\n");
}
