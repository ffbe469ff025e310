// The step engine against fakes: flow, failure policies and rollback order,
// gates (interactive, --yes, --approve, none), escalation timers in virtual
// time, retries and polling, interruption, masking, manual steps, call.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_fakes.hpp"
#include "interpreter/base/sha256.hpp"

// Fake results name only the fields that matter ({.exit = 2}); the rest keep
// their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using rbk::ManualAnswer;
using rbk::Outcome;
using rbk::Value;
using rbk::test::FakeResult;
using rbk::test::Harness;
using rbk::test::require_valid;
using Lines = std::vector<std::string>;

namespace {

const char* kFlow = R"(
runbook flow {
  severity high
  alert {
    signal down "Service down" {
      run `probe` as probe
      firing when not probe.ok
    }
  }
  diagnose {
    step look "Look" { run `inspect` as what }
  }
  causes {
    cause stopped "Stopped" when what == "stopped"
    cause full "Disk full" when what contains "disk"
  }
  remediate {
    step start "Start it" when cause.stopped {
      run `start-service`
      undo { run `stop-service` }
    }
    step clean "Clean disk" when cause.full { run `clean-disk` }
    step warm "Warm caches" {
      run `warm-caches`
      undo { run `cool-caches` }
    }
  }
  verify {
    check up "Up again" { run `probe-again` }
  }
  rollback {
    step tell "Tell" { run `tell-someone` }
  }
  escalate {
    page oncall
    on failure page owner
    on success notify channel
  }
}
)";

}  // namespace

TEST_CASE("a firing alert runs diagnosis, the matching remediation and verification", "[engine]") {
  Harness h(kFlow);
  require_valid(h);
  h.runner.on("probe-again", {{.exit = 0}});
  h.runner.on("probe", {{.exit = 2}});
  h.runner.on("inspect", {{.out = "stopped\n"}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  CHECK(r.exit_code == 0);
  CHECK(r.causes == Lines{"stopped"});
  CHECK(h.sink.trace() == Lines{
                              "run probe",
                              "step down ok",
                              "signal down firing",
                              "escalation start page oncall at 100ms",
                              "run inspect",
                              "step look ok",
                              "cause stopped matched",
                              "cause full no",
                              "run start-service",
                              "step start ok",
                              "step clean skipped",
                              "run warm-caches",
                              "step warm ok",
                              "run probe-again",
                              "step up ok",
                              "escalation success notify channel at 500ms",
                              "end resolved",
                          });
}

TEST_CASE("no firing signal stops the run before anything changes, unless forced", "[engine]") {
  Harness h(kFlow);
  require_valid(h);
  h.runner.on("probe", {{.exit = 0}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::NotFiring);
  CHECK(r.exit_code == 0);
  CHECK(h.runner.ran == Lines{"probe"});
  CHECK(h.sink.of("escalation").empty());  // nobody is paged for a quiet alert

  Harness forced(kFlow);
  forced.ctx.force = true;
  forced.runner.on("probe", {{.exit = 0}});
  CHECK(forced.run().outcome == Outcome::Resolved);
  CHECK(std::count(forced.runner.ran.begin(), forced.runner.ran.end(), "warm-caches") == 1);
}

TEST_CASE("a failed verification undoes completed steps newest first, then rolls back",
          "[engine]") {
  Harness h(kFlow);
  h.runner.on("probe-again", {{.exit = 1}});
  h.runner.on("probe", {{.exit = 2}});
  h.runner.on("inspect", {{.out = "stopped"}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Failed);
  CHECK(r.exit_code == 1);
  CHECK(r.failed_step == "up");
  CHECK(h.runner.ran == Lines{"probe", "inspect", "start-service", "warm-caches", "probe-again",
                              "cool-caches", "stop-service", "tell-someone"});
  auto esc = h.sink.of("escalation");
  REQUIRE(esc.size() == 2);
  CHECK(esc[1].data["role"] == "owner");
  CHECK(esc[1].data["trigger"] == "failure");
}

TEST_CASE("a failing rollback ends the run as not restored", "[engine]") {
  Harness h(kFlow);
  h.runner.on("probe-again", {{.exit = 1}});
  h.runner.on("probe", {{.exit = 2}});
  h.runner.on("tell-someone", {{.exit = 7}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::NotRestored);
  CHECK(r.exit_code == 3);
}

TEST_CASE("failure policies: continue goes on, abort stops without undoing", "[engine]") {
  const char* text = R"(
runbook policies {
  remediate {
    step one "One" { run `one` undo { run `undo-one` } }
    step two "Two" { run `two` on failure continue }
    step three "Three" { run `three` on failure abort }
    step four "Four" { run `four` }
  }
  rollback { step rb "Rollback" { run `rollback` } }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("two", {{.exit = 1}});
  h.runner.on("three", {{.exit = 1}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::NotRestored);
  CHECK(r.exit_code == 3);
  CHECK(r.failed_step == "three");
  CHECK(h.runner.ran == Lines{"one", "two", "three"});
}

TEST_CASE("a non-zero exit informs in diagnose and fails in remediate", "[engine]") {
  const char* text = R"(
runbook info {
  diagnose { step d "D" { run `diag` as diag } }
  remediate { step fix "Fix" when diag.exit == 3 { run `fix` retry 2 every 10s } }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("diag", {{.exit = 3, .out = "bad"}});
  h.runner.on("fix", {{.exit = 1}, {.exit = 1}, {.exit = 0}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  CHECK(h.runner.ran == Lines{"diag", "fix", "fix", "fix"});
  // Three attempts of 100 ms with two 10 s pauses, after diag's 100 ms.
  CHECK(h.clock.now() == rbk::Millis(100 + 3 * 100 + 2 * 10'000));
}

TEST_CASE("until polls every interval until its deadline", "[engine]") {
  const char* text = R"(
runbook poll {
  remediate {
    step wait "Wait" {
      run `kick`
      until `ready` within 60s every 5s
    }
  }
}
)";
  Harness h(text);
  h.runner.on("ready", {{.exit = 1}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Failed);
  auto n = std::count(h.runner.ran.begin(), h.runner.ran.end(), "ready");
  CHECK(n == 13);  // at 0, 5.1 s, … 55.1 s (each try takes 100 ms), and the last at 60 s
  auto ends = h.sink.of("step_end");
  CHECK(ends.back().data["reason"] == "not ready within 60s (13 tries)");
  // The last try is at the deadline, not an interval before it.
  CHECK(ends.back().data["duration_ms"].get<int64_t>() >= 60'000);

  Harness ok(text);
  ok.runner.on("ready", {{.exit = 1}, {.exit = 1}, {.exit = 0}});
  CHECK(ok.run().outcome == Outcome::Resolved);
  CHECK(std::count(ok.runner.ran.begin(), ok.runner.ran.end(), "ready") == 3);
}

TEST_CASE("a check is polled within its deadline until it passes", "[engine]") {
  const char* text = R"(
runbook verify {
  verify {
    check up "Up" within 1m every 10s {
      run `curl health` as health
      passes when health == "ok"
    }
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("curl", {{.out = "starting"}, {.out = "starting"}, {.out = "ok"}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  CHECK(h.sink.of("check").at(0).data["attempts"] == 3);

  Harness never(text);
  never.runner.on("curl", {{.out = "starting"}});
  CHECK(never.run().outcome == Outcome::Failed);
  CHECK(never.sink.of("check").at(0).data["attempts"] == 7);  // the 7th at the 1m deadline
}

// ------------------------------------------------------------------ gates

const char* kGated = R"(
runbook gated {
  severity high
  param env : string = "prod"
  remediate {
    step restart "Restart" {
      destructive
      run `systemctl restart app`
    }
    step wipe "Wipe cache" {
      run `rm -rf /var/cache/app`
    }
    step flush "Flush" {
      confirm typed env
      run `redis-cli FLUSHDB`
    }
  }
}
)";

TEST_CASE("every destructive step asks, no answers no, and nothing runs", "[engine][gate]") {
  Harness h(kGated);
  require_valid(h);
  h.op.confirms = {true, false};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.exit_code == 4);
  CHECK(r.failed_step == "wipe");
  CHECK(h.runner.ran == Lines{"systemctl restart app"});
  REQUIRE(h.op.asked.size() == 2);
  CHECK(h.op.asked[0] == "Run step 'restart' (Restart)?");
  // The second step is gated by the pattern list, though its author wrote no gate.
  auto gates = h.sink.of("gate");
  REQUIRE(gates.size() == 2);
  CHECK(gates[1].data["reason"].get<std::string>().find("recursive") != std::string::npos);
  auto answers = h.sink.of("answer");
  CHECK(answers[0].data["by"] == "tester");
  CHECK(answers[1].data["passed"] == false);
  CHECK(answers[1].data["answer"] == "no");
  // The record is made durable around the destructive step that ran.
  CHECK(h.sink.syncs >= 2);
}

TEST_CASE("a destructive command's start is on disk before it runs, its end before anything else",
          "[engine][gate][record]") {
  Harness h(kGated);
  require_valid(h);
  h.op.confirms = {true, false};
  h.runner.syncs = &h.sink.syncs;
  h.run();
  REQUIRE(h.runner.ran == Lines{"systemctl restart app"});
  size_t start = 0, end = 0;
  for (size_t i = 0; i < h.sink.events.size(); ++i) {
    if (h.sink.events[i].type == "command_start") start = i;
    if (h.sink.events[i].type == "command_end") end = i;
  }
  REQUIRE(end > start);
  auto synced = [&](size_t after) {
    return std::find(h.sink.synced_after.begin(), h.sink.synced_after.end(), after) !=
           h.sink.synced_after.end();
  };
  CHECK(synced(start + 1));  // right after command_start …
  // … and before the command ran: the syncs counted then include that one.
  const auto first = std::find(h.sink.synced_after.begin(), h.sink.synced_after.end(), start + 1);
  CHECK(h.runner.syncs_when_run.at(0) > first - h.sink.synced_after.begin());
  CHECK(synced(end + 1));  // right after command_end
}

TEST_CASE("a typed gate passes only on the exact value", "[engine][gate]") {
  Harness h(kGated);
  h.op.confirms = {true, true};
  h.op.typed_answers = {std::string("Prod")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(h.runner.ran == Lines{"systemctl restart app", "rm -rf /var/cache/app"});
  CHECK(h.sink.of("answer").back().data["reason"] == "typed 'Prod', not 'prod'");

  Harness ok(kGated);
  ok.op.confirms = {true, true};
  ok.op.typed_answers = {std::string("prod")};
  CHECK(ok.run().outcome == Outcome::Resolved);
  CHECK(ok.runner.ran.size() == 3);
}

TEST_CASE("a typed gate whose value cannot be typed on one line refuses at once, saying why",
          "[engine][gate]") {
  const std::string text = R"(runbook typed-lines {
  title "Typed lines"
  diagnose {
    step hosts "Hosts" { run `list-hosts` as hosts }
  }
  remediate {
    step drain "Drain" {
      destructive
      confirm typed hosts.stdout
      run `drain-hosts`
    }
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("list-hosts", {{.out = "web-1\nweb-2\n"}});
  h.op.typed_answers = {std::string("web-1")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(h.runner.ran == Lines{"list-hosts"});
  CHECK(h.op.asked.empty());  // not asked: no answer could pass
  CHECK_THAT(h.sink.of("answer").back().data["reason"].get<std::string>(),
             Catch::Contains("holds a line break"));

  // One line of output: its line break is not part of what is typed.
  Harness one(text);
  one.runner.on("list-hosts", {{.out = "web-1\n"}});
  one.op.typed_answers = {std::string("web-1")};
  CHECK(one.run().outcome == Outcome::Resolved);
  CHECK(one.runner.ran == Lines{"list-hosts", "drain-hosts"});
}

TEST_CASE("a part of a prompt that cannot be evaluated does not hide the others",
          "[engine][gate]") {
  Harness h(R"(
runbook prompt {
  param unit : string = "api.service"
  diagnose { step health "Health" { run `probe` as health } }
  remediate {
    step restart "Restart" {
      destructive
      confirm "Restart ${unit}? Last status: ${health.json.status}"
      run `systemctl restart "$unit"`
    }
  }
}
)");
  require_valid(h);
  h.runner.on("probe", {{.out = "not json"}});
  h.op.confirms = {true};
  CHECK(h.run().outcome == Outcome::Resolved);
  REQUIRE(h.op.asked.size() == 1);
  CHECK(h.op.asked[0] == "Restart api.service? Last status: ${health.json.status}");
  CHECK(h.sink.of("warning").size() == 1);
}

TEST_CASE("a typed value that is empty names no target: only --approve passes the gate",
          "[engine][gate]") {
  const char* text = R"(
runbook empty {
  param target : string = ""
  remediate {
    step act "Act" {
      destructive
      confirm typed target
      run `kill-target "$target"`
    }
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.op.typed_answers = {"act"};  // the step id, which once passed this gate
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(h.runner.ran.empty());
  CHECK(h.op.asked.empty());  // not even asked: there is nothing to type

  Harness approved(text);
  approved.ctx.approve = {"act"};
  CHECK(approved.run().outcome == Outcome::Resolved);
  CHECK(approved.runner.ran.size() == 1);
}

TEST_CASE("without a terminal only --approve passes a destructive gate, --yes never does",
          "[engine][gate]") {
  Harness none(kGated);
  none.op.tty = false;
  auto r = none.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(none.runner.ran.empty());
  CHECK(none.sink.of("answer").at(0).data["reason"] ==
        "no terminal to ask; approve it with --approve restart");

  Harness yes(kGated);
  yes.op.tty = false;
  yes.ctx.yes = true;
  CHECK(yes.run().outcome == Outcome::Refused);
  CHECK(yes.runner.ran.empty());
  CHECK(yes.sink.of("answer").back().data["reason"] ==
        "no terminal to ask; approve it with --approve restart (without a terminal --yes never "
        "passes a destructive step)");

  // The typed gate, reached with the two destructive steps approved by name.
  Harness typed(kGated);
  typed.op.tty = false;
  typed.ctx.yes = true;
  typed.ctx.approve = {"restart", "wipe"};
  CHECK(typed.run().outcome == Outcome::Refused);
  CHECK(typed.runner.ran == Lines{"systemctl restart app", "rm -rf /var/cache/app"});
  CHECK(typed.sink.of("answer").back().data["reason"].get<std::string>().find(
            "--yes never passes a typed confirmation") != std::string::npos);

  Harness approved(kGated);
  approved.op.tty = false;
  approved.ctx.approve = {"restart", "wipe", "flush"};
  CHECK(approved.run().outcome == Outcome::Resolved);
  CHECK(approved.runner.ran.size() == 3);
  CHECK(approved.sink.of("answer").at(2).data["via"] == "approve");
  CHECK(approved.op.asked.empty());
}

TEST_CASE("the policy can require typing for destructive steps of a severity", "[engine][gate]") {
  rbk::Config cfg;
  cfg.policy.typed_confirm_for = {"high"};
  Harness h(kGated, cfg);
  h.op.typed_answers = {std::string("restart")};
  h.op.confirms = {false};
  h.run();
  REQUIRE(!h.op.asked.empty());
  CHECK(h.op.asked[0] == "Run step 'restart' (Restart)? [type restart]");
  CHECK(h.runner.ran.at(0) == "systemctl restart app");
}

// ------------------------------------------------------------ escalation

TEST_CASE("a timer already due when the alert fires fires at once, in virtual time too",
          "[engine][escalation]") {
  const char* text = R"(
runbook late {
  alert {
    signal "slow probe" { run `probe` timeout 1h }
  }
  remediate {
    step quick "Quick" { note "nothing to do" }
  }
  escalate {
    after 10m page secondary
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("probe", {{.exit = 1, .takes_ms = 12 * 60'000}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  // Not at the next move of the clock (there is none): when the timers are armed.
  REQUIRE(h.sink.of("escalation").size() == 1);
  CHECK(h.sink.of("escalation")[0].elapsed_ms == 12 * 60'000);
}

TEST_CASE("after-timers fire in virtual time while a command runs, and stop with the run",
          "[engine][escalation]") {
  const char* text = R"(
runbook slow {
  remediate {
    step long "Long" { run `long-job` timeout 1h }
    step short "Short" { run `short-job` }
  }
  escalate {
    after 10m page secondary
    after 20m notify lead
    after 2h page vp
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.runner.on("long-job", {{.takes_ms = 25 * 60'000}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  CHECK(h.sink.trace() == Lines{
                              "run long-job",
                              "escalation after page secondary at 10m",
                              "escalation after notify lead at 20m",
                              "step long ok",
                              "run short-job",
                              "step short ok",
                              "end resolved",
                          });
  // The run is over: moving the clock further fires nothing.
  h.clock.advance(rbk::Millis(3 * 3'600'000));
  CHECK(h.sink.of("escalation").size() == 2);
}

TEST_CASE("escalation runs the configured command with the RBK_ variables",
          "[engine][escalation]") {
  rbk::Config cfg;
  cfg.page_command = "page-it";
  cfg.roles["oncall"] = {"On-call", "+1 555 0100"};
  Harness h(R"(
runbook paged {
  severity critical
  remediate { step s "S" { run `x` } }
  escalate { page oncall "db is down" }
}
)",
            cfg);
  require_valid(h);
  h.run();
  REQUIRE(h.runner.ran.at(0) == "page-it");
  CHECK(h.runner.env_of(0, "RBK_ROLE") == "oncall");
  CHECK(h.runner.env_of(0, "RBK_CONTACT") == "+1 555 0100");
  CHECK(h.runner.env_of(0, "RBK_MESSAGE") == "db is down");
  CHECK(h.runner.env_of(0, "RBK_SEVERITY") == "critical");
  CHECK(h.runner.env_of(0, "RBK_RUN_ID") == "test-run");
  CHECK(h.sink.of("escalation").at(0).data["delivered"] == true);
}

// ------------------------------------------------------------ values

TEST_CASE("parameters, captures and secrets reach commands as variables, never as source",
          "[engine]") {
  const char* text = R"(
runbook env {
  param host : string
  secret TOKEN from env "RBK_TEST_SECRET_TOKEN"
  diagnose { step d "D" { run `first` as first } }
  remediate { step r "R" { run `second "$host" "$first"` } }
}
)";
  setenv("RBK_TEST_SECRET_TOKEN", "hunter2-secret", 1);
  Harness h(text);
  require_valid(h);
  h.runner.on("first", {{.out = "  line one\n", .err = "token is hunter2-secret\n"}});
  const std::string evil = "$(touch /tmp/x); `id`\n; rm -rf ~";
  h.run({{"host", Value::of_text(evil)}});
  unsetenv("RBK_TEST_SECRET_TOKEN");
  REQUIRE(h.runner.ran.size() == 2);
  CHECK(h.runner.ran[1] == "second \"$host\" \"$first\"");  // the source is untouched
  CHECK(h.runner.env_of(1, "host") == evil);
  CHECK(h.runner.env_of(1, "first") == "line one");  // trimmed stdout
  CHECK(h.runner.env_of(1, "TOKEN") == "hunter2-secret");
  CHECK(h.runner.env_of(1, "RBK_STEP") == "r");
  CHECK(h.runner.env_of(1, "RBK_SECTION") == "remediate");
  // The secret never reaches a sink.
  CHECK(h.sink.all_output.find("hunter2") == std::string::npos);
  CHECK(h.sink.all_output.find("token is ***") != std::string::npos);
  for (const auto& e : h.sink.events) CHECK(e.data.dump().find("hunter2") == std::string::npos);
}

TEST_CASE("a template's parameters are bound by use … with", "[engine]") {
  Harness h(R"(
import "stdlib/postgres"
runbook tpl {
  param host : string = "db1"
  remediate {
    step kill "Kill idle" {
      use postgres.terminate_idle with host = host, port = 5433
    }
  }
}
)");
  require_valid(h);
  h.op.typed_answers = {std::string("db1")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  REQUIRE(h.runner.ran.size() == 1);
  CHECK(h.runner.env_of(0, "host") == "db1");
  CHECK(h.runner.env_of(0, "port") == "5433");
  CHECK(h.runner.env_of(0, "minutes") == "10");
  CHECK(h.op.asked.at(0).find("[type db1]") != std::string::npos);
}

TEST_CASE("captures of steps that did not run read as empty", "[engine]") {
  Harness h(R"(
runbook empty {
  param go : bool = false
  diagnose { step maybe "Maybe" when go { run `x` as x } }
  remediate {
    step r "R" when not step.maybe.ran and x == "" and not x.ok { note "x is empty" }
  }
}
)");
  require_valid(h);
  h.run();
  CHECK(h.sink.trace() ==
        Lines{"step maybe skipped", "note x is empty", "step r ok", "end resolved"});
}

// ------------------------------------------------------------ operator & control

TEST_CASE("manual steps wait for done, skip or fail", "[engine]") {
  const char* text = R"(
runbook manual {
  remediate {
    step a "A" { manual "Do A" }
    step b "B" { manual "Do B" run `after-b` }
    step c "C" { manual "Do C" }
  }
}
)";
  Harness h(text);
  h.op.manuals = {ManualAnswer::Done, ManualAnswer::Skip, ManualAnswer::Fail};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Failed);
  CHECK(h.runner.ran.empty());
  CHECK(h.sink.trace() == Lines{"manual a done", "step a ok", "manual b skip", "step b skipped",
                                "manual c fail", "step c failed", "rollback", "end failed"});

  Harness none(text);
  none.op.tty = false;
  CHECK(none.run().outcome == Outcome::Refused);
}

TEST_CASE("Ctrl-C interrupts: the run ends at once, nothing is rolled back", "[engine]") {
  Harness h(kFlow);
  h.runner.on("probe", {{.exit = 2}});
  h.runner.on("inspect", {{.out = "stopped"}});
  h.runner.on("start-service", {{.cancel = true}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Interrupted);
  CHECK(r.exit_code == 130);
  CHECK(h.runner.ran == Lines{"probe", "inspect", "start-service"});
  CHECK(h.sink.events.back().type == "run_end");
}

TEST_CASE("call runs another runbook inside the same run", "[engine]") {
  Harness h(R"(
runbook caller {
  param dir : string = "/var/log/app"
  remediate {
    step first "First" { run `before` }
    step rotate "Rotate" { call rotate-logs with dir = dir, keep = 3 }
    step after "After" { run `after` }
  }
}
)");
  const std::string callee = R"(
runbook rotate-logs {
  param dir : string
  param keep : int = 5
  remediate { step gzip "Compress" { run `gzip-old "$dir" "$keep"` } }
}
)";
  h.add_runbook("rotate-logs", callee);
  h.runner.on("before", {{.takes_ms = 5000}});
  h.runner.on("gzip-old", {{.takes_ms = 2000}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  // The called runbook's start names its file's hash and its parameters
  // (an int as a whole number), its end its own length.
  auto start = h.sink.of("call_run_start");
  REQUIRE(start.size() == 1);
  CHECK(start[0].data["sha256"] == rbk::sha256_hex(callee));
  CHECK(start[0].data["params"] == nlohmann::json{{"dir", "/var/log/app"}, {"keep", 3}});
  CHECK(start[0].data["params"]["keep"].is_number_integer());
  auto end = h.sink.of("call_run_end");
  REQUIRE(end.size() == 1);
  CHECK(end[0].data["duration_ms"] == 2000);
  CHECK(h.sink.of("run_end").at(0).data["duration_ms"] == 7100);  // "after" takes 100 ms
  REQUIRE(h.runner.ran == Lines{"before", "gzip-old \"$dir\" \"$keep\"", "after"});
  CHECK(h.runner.env_of(1, "dir") == "/var/log/app");
  CHECK(h.runner.env_of(1, "keep") == "3");
  CHECK(h.sink.trace() == Lines{"run before", "step first ok", "run gzip-old \"$dir\" \"$keep\"",
                                "step rotate-logs/gzip ok", "step rotate ok", "run after",
                                "step after ok", "end resolved"});
}

// ------------------------------------------------------ review regressions

TEST_CASE("a secret's command that looks destructive stops the run before anything runs",
          "[engine][gate]") {
  Harness h(R"(
runbook s {
  secret tok from `rm -rf /srv/data; echo token`
  remediate { step r "R" { run `x` } }
}
)");
  // `rbk check` reports it; the engine refuses it again, as a second guard.
  REQUIRE(h.diagnostics.size() == 1);
  CHECK(h.diagnostics[0].message == "secret 'tok': its command runs 'rm -rf' (recursive delete)");
  auto r = h.run();
  CHECK(r.outcome == Outcome::Error);
  CHECK(r.exit_code == 2);
  CHECK(h.runner.ran.empty());
  CHECK(r.message.find("looks destructive") != std::string::npos);

  Harness ok(R"(
runbook s {
  secret tok from `cat /run/secrets/tok`
  remediate { step r "R" { run `x` } }
}
)");
  ok.runner.on("cat /run/secrets/tok", {{.out = "t0ken-value\n"}});
  CHECK(ok.run().outcome == Outcome::Resolved);
  CHECK(ok.runner.env_of(1, "tok") == "t0ken-value");
  auto cmds = ok.sink.of("command_end");
  REQUIRE(cmds.size() == 2);  // the secret's command is in the record, its output is not
  CHECK(cmds[0].data["output"] == "not recorded: it is a secret");

  Harness interrupted(R"(
runbook s {
  secret tok from `vault read tok`
  remediate { step r "R" { run `x` } }
}
)");
  interrupted.runner.on("vault", {{.cancel = true}});
  CHECK(interrupted.run().outcome == Outcome::Interrupted);
}

TEST_CASE("of two confirms the typed one wins, so --yes cannot pass it", "[engine][gate]") {
  Harness h(R"(
import "stdlib/postgres"
runbook two {
  remediate {
    step kill "Kill" {
      confirm "Proceed?"
      use postgres.terminate_idle with host = "db1"
    }
  }
}
)");
  require_valid(h);
  h.op.tty = false;
  h.ctx.yes = true;
  CHECK(h.run().outcome == Outcome::Refused);
  CHECK(h.runner.ran.empty());
  CHECK(h.sink.of("gate").at(0).data["kind"] == "typed");
}

TEST_CASE("a refused alert signal stops the run", "[engine][gate]") {
  Harness h(R"(
runbook a {
  alert {
    signal s1 "Probe by restarting" { run `systemctl restart probe` as p firing when not p.ok }
    signal s2 "Fires" { run `false-probe` as q firing when not q.ok }
  }
  diagnose { step d "D" { run `diagnose` } }
}
)");
  require_valid(h);
  h.op.tty = false;
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.failed_step == "s1");
  CHECK(h.runner.ran.empty());
}

TEST_CASE("undo blocks expand templates, are gated and are synced around", "[engine][gate]") {
  Harness h(R"(
import "stdlib/postgres"
runbook u {
  remediate {
    step a "A" {
      run `change`
      undo { use postgres.terminate_idle with host = "db1" }
    }
    step b "B" { run `fails` }
  }
}
)");
  require_valid(h);
  h.runner.on("fails", {{.exit = 1}});
  h.op.typed_answers = {std::string("db1")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Failed);
  REQUIRE(h.runner.ran.size() == 3);
  CHECK(h.runner.ran[2].find("pg_terminate_backend") != std::string::npos);
  auto starts = h.sink.of("step_start");
  CHECK(starts.back().data["step"] == "a.undo");
  CHECK(starts.back().data["destructive"] == true);
}

TEST_CASE("a template binds its arguments when its statements run, not at the gate", "[engine]") {
  Harness h(R"(
import "stdlib/postgres"
runbook late {
  remediate {
    step kill "Kill" {
      run `pick-host` as victim
      use postgres.terminate_idle with host = victim
    }
  }
}
)");
  require_valid(h);
  h.runner.on("pick-host", {{.out = "db-7f9c\n"}});
  h.ctx.approve = {"kill"};
  CHECK(h.run().outcome == Outcome::Resolved);
  REQUIRE(h.runner.ran.size() == 2);
  CHECK(h.runner.env_of(1, "host") == "db-7f9c");
}

TEST_CASE("secrets are masked in prompts and notification messages", "[engine]") {
  rbk::Config cfg;
  cfg.notify_command = "send";
  setenv("RBK_TEST_SECRET_2", "pw-123456", 1);
  Harness h(R"(
runbook m {
  secret pw from env "RBK_TEST_SECRET_2"
  diagnose { step d "D" { run `echo "$pw"` as resp } }
  remediate { step r "R" { manual "paste ${resp}" } }
  escalate { on failure notify team "last: ${resp}" }
}
)",
            cfg);
  require_valid(h);
  h.runner.on("echo", {{.out = "pw-123456\n"}});
  h.op.manuals = {ManualAnswer::Fail};
  h.run();
  unsetenv("RBK_TEST_SECRET_2");
  CHECK(h.op.asked.at(0) == "paste ***");
  CHECK(h.runner.ran.back() == "send");
  CHECK(h.runner.env_of(h.runner.ran.size() - 1, "RBK_MESSAGE") == "last: ***");
}

TEST_CASE("a called runbook keeps its caller's gates and takes only its parameters",
          "[engine][gate]") {
  rbk::Config cfg;
  cfg.policy.typed_confirm_for = {"critical"};
  const char* callee = R"(
runbook child {
  severity low
  param mode : enum(safe, fast) = safe
  remediate { step wipe "Wipe" { destructive run `wipe "$mode"` } }
}
)";
  Harness h(R"(
runbook parent {
  severity critical
  remediate { step c "Call" { call child } }
}
)",
            cfg);
  h.add_runbook("child", callee);
  h.op.tty = false;
  h.ctx.yes = true;
  CHECK(h.run().outcome == Outcome::Refused);
  CHECK(h.runner.ran.empty());

  Harness bad(R"(
runbook parent {
  remediate {
    step c "Call" { call child with PATH = "/tmp/evil" }
    step d "Call" { call child with mode = "turbo" }
  }
}
)");
  bad.add_runbook("child", callee);
  bad.ctx.approve = {"child/wipe"};
  auto r = bad.run();
  CHECK(r.outcome == Outcome::Failed);
  CHECK(bad.runner.ran.empty());
  CHECK(bad.sink.of("step_end").at(0).data["reason"] == "'child' has no parameter 'PATH'");
}

namespace {

/// A record that stops being writable at the first event of type `at`
/// (its `nth` occurrence): what a full disk does to the run record.
class FailingRecord final : public rbk::EventSink {
 public:
  FailingRecord(std::string at, int nth = 1) : at_(std::move(at)), nth_(nth) {}
  void event(const rbk::Event& e) override {
    if (e.type() == at_ && --nth_ == 0)
      failed_ = "cannot write events.jsonl: No space left on device";
  }
  std::string failure() const override { return failed_; }

 private:
  std::string at_;
  int nth_;
  std::string failed_;
};

const char* kFullDisk = R"(
runbook full {
  severity high
  diagnose {
    step look "Look" { run `look-around` }
    step more "Look more" { run `look-more` }
  }
  remediate {
    step warm "Warm" {
      run `warm-up`
      undo { run `cool-down` }
    }
    step wipe "Wipe the cache" {
      destructive
      run `wipe-cache`
    }
  }
  rollback {
    step back "Back" { run `roll-back` }
  }
  escalate {
    on failure page primary "failed"
    after 1m page primary "slow"
  }
}
)";

}  // namespace

// ------------------------------------------------------------ gates: --yes and rbk.yaml's policy

namespace {

const char* kAsks = R"(
runbook asks {
  remediate {
    step announce "Announce the maintenance" {
      confirm "Post the maintenance notice?"
      run `post-notice`
    }
    step restart "Restart" {
      destructive
      confirm "Restart the app?"
      run `systemctl restart app`
    }
  }
}
)";

}  // namespace

TEST_CASE("a record that cannot be written stops the run: no further command, gate or page",
          "[engine][record]") {
  rbk::Config cfg;
  cfg.page_command = "send-page";
  SECTION("at the gate of a destructive step: it is not asked, nothing runs, nothing is undone") {
    Harness h(kFullDisk, cfg);
    require_valid(h);
    FailingRecord rec("gate");
    h.ctx.sinks.push_back(&rec);
    h.op.confirms.push_back(true);
    auto r = h.run();
    CHECK(r.outcome == Outcome::RecordFailed);
    CHECK(r.exit_code == 5);
    CHECK(r.message.find("No space left on device") != std::string::npos);
    CHECK(h.op.asked.empty());
    CHECK(h.runner.ran == Lines{"look-around", "look-more", "warm-up"});
    CHECK(h.sink.of("run_end").at(0).data["outcome"] == "record_failed");
  }
  SECTION("while a command's start is written: that command never starts") {
    Harness h(kFullDisk, cfg);
    require_valid(h);
    FailingRecord rec("command_start", 2);
    h.ctx.sinks.push_back(&rec);
    auto r = h.run();
    CHECK(r.outcome == Outcome::RecordFailed);
    CHECK(h.runner.ran == Lines{"look-around"});
    auto ends = h.sink.of("command_end");
    REQUIRE(ends.size() == 2);
    CHECK(ends[1].data["cancelled"] == true);
  }
  SECTION("the final sync fails: the run is over, but the exit code says the record is not whole") {
    Harness h(R"(runbook quiet { diagnose { step a "A" { run `true` } } })");
    require_valid(h);
    FailingRecord rec("run_end");
    h.ctx.sinks.push_back(&rec);
    auto r = h.run();
    CHECK(r.outcome == Outcome::RecordFailed);
    CHECK(r.exit_code == 5);
  }
}

TEST_CASE("without a terminal, --yes passes only a confirm of a step that is not destructive",
          "[engine][gate]") {
  Harness h(kAsks);
  require_valid(h);
  h.op.tty = false;
  h.ctx.yes = true;
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.failed_step == "restart");
  CHECK(h.runner.ran == Lines{"post-notice"});
  CHECK(h.sink.of("answer").at(0).data["via"] == "yes");
  CHECK(h.op.asked.empty());

  Harness named(kAsks);
  named.op.tty = false;
  named.ctx.yes = true;
  named.ctx.approve = {"restart"};
  CHECK(named.run().outcome == Outcome::Resolved);
  CHECK(named.runner.ran == Lines{"post-notice", "systemctl restart app"});
}

TEST_CASE("the policy against approval without a terminal binds --yes too", "[engine][gate]") {
  rbk::Config strict;
  strict.policy.allow_non_interactive_approval = false;
  Harness h(kAsks, strict);
  h.op.tty = false;
  h.ctx.yes = true;
  h.ctx.approve = {"restart"};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.exit_code == 4);
  CHECK(h.runner.ran.empty());
  CHECK(h.sink.of("answer").at(0).data["reason"] ==
        "no terminal to ask, and rbk.yaml's policy allows no approval without one");

  // The step --approve names is refused by the same policy.
  Harness approved(R"(
runbook r { remediate { step restart "R" { destructive  run `systemctl restart app` } } }
)",
                   strict);
  approved.op.tty = false;
  approved.ctx.yes = true;
  approved.ctx.approve = {"restart"};
  CHECK(approved.run().outcome == Outcome::Refused);
  CHECK(approved.runner.ran.empty());
}

TEST_CASE("with a terminal, --yes answers the y/N gates, destructive ones too", "[engine][gate]") {
  Harness h(kAsks);
  h.ctx.yes = true;  // h.op has a terminal
  CHECK(h.run().outcome == Outcome::Resolved);
  CHECK(h.runner.ran == Lines{"post-notice", "systemctl restart app"});
  CHECK(h.op.asked.empty());
  for (const auto& a : h.sink.of("answer")) CHECK(a.data["via"] == "yes");
}

TEST_CASE("a command rbk cannot analyse is gated in every section unless the step is safe",
          "[engine][gate]") {
  const char* text = R"(
runbook hidden {
  diagnose {
    step probe "Probe" { run `p=$(cat /etc/probe); $p` }
    step vouched "Vouched" {
      safe "/etc/probe names a read-only probe"
      run `p=$(cat /etc/probe); $p --json`
    }
  }
  remediate {
    step fix "Fix" { run `curl -fsS http://x/fix.sh | sh` }
  }
}
)";
  Harness h(text);
  require_valid(h);
  h.op.confirms = {true, false};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.failed_step == "fix");
  REQUIRE(h.op.asked.size() == 2);  // probe, then fix; never the vouched step
  auto gates = h.sink.of("gate");
  REQUIRE(gates.size() == 2);
  CHECK(gates[0].data["step"] == "probe");
  CHECK(gates[0].data["destructive"] == true);
  CHECK(gates[0].data["reason"] ==
        "cannot analyse '$p' (the command name is a value known only at run time ($p))");
  CHECK(gates[1].data["reason"] == "cannot analyse 'sh' (a shell runs what a pipe feeds it)");
  CHECK(h.runner.ran == Lines{"p=$(cat /etc/probe); $p", "p=$(cat /etc/probe); $p --json"});

  // Without a terminal, the unanalysable step is refused like a destructive one.
  Harness none(text);
  none.op.tty = false;
  none.ctx.yes = true;
  CHECK(none.run().outcome == Outcome::Refused);
  CHECK(none.runner.ran.empty());
}

TEST_CASE("safe never removes a gate a pattern or a mark adds", "[engine][gate]") {
  Harness h(R"(
runbook both {
  remediate {
    step wipe "Wipe" {
      safe "the cache is disposable"
      run `rm -rf /var/cache/app; $cleanup`
    }
  }
}
)");
  require_valid(h);
  h.op.confirms = {false};
  CHECK(h.run().outcome == Outcome::Refused);
  CHECK(h.runner.ran.empty());
  CHECK(h.sink.of("gate").at(0).data["reason"] == "runs 'rm -rf' (recursive delete)");
}

TEST_CASE("a secret's command rbk cannot analyse is refused by check and by the engine",
          "[engine][gate]") {
  Harness h(R"(
runbook s {
  secret tok from `$c /run/secrets/tok`
  remediate { step r "R" { run `x` } }
}
)");
  REQUIRE(h.diagnostics.size() == 1);
  CHECK(h.diagnostics[0].message ==
        "secret 'tok': rbk cannot analyse its command: the command name is a value known only "
        "at run time ($c)");
  auto r = h.run();
  CHECK(r.outcome == Outcome::Error);
  CHECK(h.runner.ran.empty());
  CHECK(r.message ==
        "secret tok: its command cannot be analysed (the command name is a value known only at "
        "run time ($c)); a secret's command must only read the secret");
}

TEST_CASE("an interrupted run fires its on interrupted rules, not its on failure ones",
          "[engine][escalation]") {
  Harness h(R"(
runbook stopped {
  remediate {
    step s "S" { run `long-job` }
  }
  escalate {
    on failure notify owner
    on interrupted page oncall "stopped: ${run_id}"
  }
}
)");
  require_valid(h);
  h.runner.on("long-job", {{.cancel = true}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Interrupted);
  auto esc = h.sink.of("escalation");
  REQUIRE(esc.size() == 1);
  CHECK(esc[0].data["trigger"] == "interrupted");
  CHECK(esc[0].data["role"] == "oncall");
  CHECK(esc[0].data["kind"] == "page");
}

namespace {

/// Hosts that answer as the harness's scripted runner does, keeping where
/// each command ran.
class ScriptedTargets final : public rbk::TargetRunner {
 public:
  explicit ScriptedTargets(rbk::test::FakeRunner& runner) : runner_(runner) {}
  rbk::CommandResult run_on(const rbk::Host& host, const rbk::CommandSpec& spec,
                            rbk::OutputSink* sink) override {
    ran.push_back(host.id + ": " + spec.script);
    return runner_.run(spec, sink);
  }
  Lines ran;

 private:
  rbk::test::FakeRunner& runner_;
};

}  // namespace

TEST_CASE("an undo on targets is judged with its values before each command starts",
          "[engine][gate][injection]") {
  // The undo passed no destructive gate; a capture it makes turns its next
  // command into `find … -delete`, which must not start on any host.
  rbk::Config config;
  config.targets.add_host(
      rbk::Host{.id = "web-1", .address = "127.0.0.1", .port = {}, .user = {}, .labels = {}});
  Harness h(R"(runbook fleet {
  param hosts : targets = "web-1"
  remediate {
    step push "Push" {
      on hosts
      run `true`
      undo {
        run `echo -delete` as act
        run `find /srv/cache -name '*.tmp' $act`
      }
    }
    step fail "Fail" { run `false` }
  }
}
)",
            config);
  require_valid(h);
  ScriptedTargets hosts(h.runner);
  h.ctx.targets = &hosts;
  h.runner.on("echo -delete", {FakeResult{.out = "-delete\n"}});
  h.runner.on("false", {FakeResult{.exit = 1}});
  h.run();
  CHECK(std::none_of(hosts.ran.begin(), hosts.ran.end(),
                     [](const std::string& c) { return c.find("find") != std::string::npos; }));
  CHECK(std::find(hosts.ran.begin(), hosts.ran.end(), "web-1: echo -delete") != hosts.ran.end());
  bool refused = false;
  for (const auto& e : h.sink.of("command_end"))
    refused = refused || e.data.value("error", "").find("passed no gate") != std::string::npos;
  CHECK(refused);
}
