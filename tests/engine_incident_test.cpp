// The language for whole incidents against the engine's fakes: messages
// rendered where they are used and handed to commands, the built-ins `now`,
// `record_dir` and `causes`, the severity the causes decide (and everything
// that reads it), and `after D from step X` in virtual time.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_fakes.hpp"

// Fake results name only the fields that matter ({.exit = 2}).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using rbk::Outcome;
using rbk::Value;
using rbk::test::Harness;
using rbk::test::require_valid;

namespace {

/// `before` takes 20 minutes, then `mint` ends at once and `work` takes two hours.
void script_token_run(Harness& h, const std::string& before) {
  h.runner.on(before, {{.takes_ms = 20 * 60'000}});
  h.runner.on("mint", {{.takes_ms = 0}});
  h.runner.on("work", {{.takes_ms = 2 * 3'600'000}});
}

/// Runs the token scenario (script_token_run) and returns its one escalation,
/// the reminder, due 55 minutes after `mint` ended at 20 minutes.
auto token_reminder(Harness& h, const std::string& before) {
  script_token_run(h, before);
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  auto esc = h.sink.of("escalation");
  REQUIRE(esc.size() == 1);
  CHECK(esc[0].elapsed_ms == (20 + 55) * 60'000);
  return esc[0];
}

rbk::Config levels() {
  rbk::Config cfg;
  cfg.severity_order = {"sev1", "sev2", "sev3"};
  return cfg;
}

}  // namespace

TEST_CASE("a message is rendered where it is used and reaches commands as its name",
          "[engine][message]") {
  Harness h(R"(
runbook msg {
  severity sev3
  param impact : string = "some"
  message status "[${severity}] ${impact} affected; rate ${rate}; causes ${causes}; at ${now}"
  diagnose {
    step early "Before the capture" { run `early` }
    step rate "Rate" { run `rate` as rate }
  }
  causes {
    cause high "High" when rate > 5
  }
  remediate {
    step post "Post" {
      note "${status}"
      run `post`
    }
  }
}
)",
            levels());
  require_valid(h);
  h.runner.on("rate", {{.out = "7\n"}});
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  // Before `rate` ran, its capture reads empty, as everywhere; no cause yet.
  CHECK(h.runner.env_of(0, "status") ==
        "[sev3] some affected; rate ; causes ; at 2026-01-01T00:00:00Z");
  // After it, the message as it reads at that moment (fake clock: 2026-01-01).
  REQUIRE(h.runner.ran.at(2) == "post");
  CHECK(h.runner.env_of(2, "status") ==
        "[sev3] some affected; rate 7; causes high; at 2026-01-01T00:00:00Z");
  REQUIRE(h.sink.of("note").size() == 1);
  CHECK(h.sink.of("note")[0].data["text"] ==
        "[sev3] some affected; rate 7; causes high; at 2026-01-01T00:00:00Z");
}

TEST_CASE("the matched causes decide the severity, and gates, variables and rules see it",
          "[engine][severity]") {
  rbk::Config cfg = levels();
  cfg.policy.typed_confirm_for = {"sev1"};
  cfg.page_command = "page-it";
  Harness h(R"(
runbook decide {
  severity sev3
  param impact : enum(few, all) = few
  causes {
    cause wide "Everyone" severity sev1 when impact == "all"
    cause some "Some" severity sev2 when impact in ["few", "all"]
    cause none "Nobody" severity sev3 when false
  }
  remediate {
    step restart "Restart" {
      destructive
      confirm "Restart?"
      run `systemctl restart app`
      undo { run `true` }
    }
  }
  escalate {
    on success page lead when severity == "sev1"
  }
}
)",
            cfg);
  require_valid(h);
  SECTION("the most severe matched cause wins, and a destructive gate must be typed") {
    h.op.typed_answers = {std::string("restart")};
    auto r = h.run({{"impact", Value::of_text("all")}});
    CHECK(r.outcome == Outcome::Resolved);
    auto decided = h.sink.of("severity");
    REQUIRE(decided.size() == 1);
    CHECK(decided[0].data["from"] == "sev3");
    CHECK(decided[0].data["to"] == "sev1");
    CHECK(decided[0].data["causes"] == nlohmann::json::array({"wide", "some"}));
    REQUIRE(!h.op.asked.empty());
    CHECK(h.op.asked[0] == "Restart? [type restart]");
    REQUIRE(h.runner.ran.size() == 2);
    CHECK(h.runner.env_of(0, "RBK_SEVERITY") == "sev1");
    CHECK(h.runner.ran.at(1) == "page-it");
    CHECK(h.runner.env_of(1, "RBK_SEVERITY") == "sev1");
  }
  SECTION("a less severe decision lowers it: a y/N gate, no page") {
    h.op.confirms = {true};
    auto r = h.run({{"impact", Value::of_text("few")}});
    CHECK(r.outcome == Outcome::Resolved);
    REQUIRE(h.sink.of("severity").size() == 1);
    CHECK(h.sink.of("severity")[0].data["to"] == "sev2");
    REQUIRE(h.runner.ran.size() == 1);
    CHECK(h.runner.env_of(0, "RBK_SEVERITY") == "sev2");
  }
}

TEST_CASE("no matched cause with a severity: nothing is decided, nothing recorded",
          "[engine][severity]") {
  Harness h(R"(
runbook quiet {
  severity sev2
  causes { cause never "Never" severity sev1 when false }
  remediate { step s "S" { run `true` } }
}
)",
            levels());
  require_valid(h);
  h.run();
  CHECK(h.sink.of("severity").empty());
  CHECK(h.runner.env_of(0, "RBK_SEVERITY") == "sev2");
}

TEST_CASE("after D from step X counts from X's end, once, and only when X succeeded",
          "[engine][escalation]") {
  const char* text = R"(
runbook token {
  remediate {
    step wait "Wait" { run `wait-job` timeout 1h }
    step mint "Mint" {
      run `mint`
      on failure continue
    }
    step work "Work" { run `work` timeout 3h }
  }
  escalate {
    after 55m from step mint page oncall "token expires soon"
  }
}
)";
  SECTION("due 55 minutes after mint ended, while work runs") {
    Harness h(text);
    require_valid(h);
    auto reminder = token_reminder(h, "wait-job");
    CHECK(reminder.data["after_ms"] == 55 * 60'000);
    CHECK(reminder.data["from_step"] == "mint");
    CHECK(reminder.data["message"] == "token expires soon");
    // The run is over: nothing more fires.
    h.clock.advance(rbk::Millis(10 * 3'600'000));
    CHECK(h.sink.of("escalation").size() == 1);
  }
  SECTION("a failed step starts nothing, though the run goes on long enough") {
    Harness h(text);
    require_valid(h);
    h.runner.on("mint", {{.exit = 1}});
    h.runner.on("work", {{.takes_ms = 2 * 3'600'000}});
    auto r = h.run();
    CHECK(r.outcome == Outcome::Resolved);
    CHECK(h.sink.of("escalation").empty());
  }
}

TEST_CASE("an answer is checked against its type, asked again, and refused after five tries",
          "[engine][ask]") {
  const char* text = R"(
runbook asks {
  remediate {
    step identify "Identify" {
      ask scope "Which scope?" : enum(one, all)
      ask ticket "Ticket?" : string matches /^INC-[0-9]+$/
      run `post`
    }
    step wide "Wide" when scope == "all" { run `widen` }
  }
}
)";
  SECTION("a wrong answer is said and asked again; the value decides a later step") {
    Harness h(text);
    require_valid(h);
    h.op.answers = {std::string("everything"), std::string("all"), std::string("INC-7")};
    auto r = h.run();
    CHECK(r.outcome == Outcome::Resolved);
    REQUIRE(h.op.asked.size() == 3);
    CHECK(h.op.asked[0] == "Which scope? [enum(one, all)]");
    CHECK(h.op.asked[1] == "Which scope? [enum(one, all)] ('everything' is not one of one, all)");
    REQUIRE(h.runner.ran.size() == 2);
    CHECK(h.runner.env_of(0, "scope") == "all");
    CHECK(h.runner.env_of(0, "ticket") == "INC-7");
    CHECK(h.runner.ran[1] == "widen");
    auto asks = h.sink.of("ask");
    REQUIRE(asks.size() == 2);
    CHECK(asks[0].data["attempts"] == 2);
    CHECK(asks[0].data["answer"] == "all");
  }
  SECTION("five answers that do not match refuse the step, and nothing runs") {
    Harness h(text);
    require_valid(h);
    h.op.answers = {std::string("one")};
    for (int i = 0; i < 6; ++i) h.op.answers.push_back(std::string("7"));
    auto r = h.run();
    CHECK(r.outcome == Outcome::Refused);
    CHECK(h.runner.ran.empty());
    auto asks = h.sink.of("ask");
    REQUIRE(asks.size() == 2);
    CHECK(asks[1].data["attempts"] == 5);
    CHECK(asks[1].data["reason"] ==
          "5 answers refused; the last: '7' does not match /^INC-[0-9]+$/");
  }
}

TEST_CASE("after D from step counts from a signal's end, and from a called runbook's step",
          "[engine][escalation]") {
  SECTION("a signal ends before the timers are armed; its rule still counts from it") {
    Harness h(R"(
runbook sig {
  alert {
    signal probe "Probe" {
      run `probe` as probe
      firing when not probe.ok
    }
  }
  remediate { step work "Work" { run `work` timeout 2h } }
  escalate { after 10m from step probe page oncall }
}
)");
    require_valid(h);
    h.runner.on("probe", {{.exit = 1, .takes_ms = 3000}});
    h.runner.on("work", {{.takes_ms = 3'600'000}});
    h.run();
    auto esc = h.sink.of("escalation");
    REQUIRE(esc.size() == 1);
    CHECK(esc[0].elapsed_ms == 3000 + 10 * 60'000);
  }
  SECTION("a called runbook's step: D after that step, not after the call plus the step") {
    Harness h(R"(
runbook caller {
  remediate {
    step before "Before" { run `before` timeout 1h }
    step token "Token" { call break-glass }
  }
}
)");
    h.add_runbook("break-glass", R"(
runbook break-glass {
  remediate {
    step mint "Mint" { run `mint` }
    step work "Work" { run `work` timeout 3h }
  }
  escalate { after 55m from step mint page oncall "token expires soon" }
}
)");
    require_valid(h);
    CHECK(token_reminder(h, "before").data["from_step"] == "break-glass/mint");
  }
}

TEST_CASE("causes lists the matched causes in the order they were evaluated", "[engine]") {
  Harness h(R"(
runbook order {
  causes {
    cause zeta "Z" when true
    cause alpha "A" when true
    cause never "N" when false
  }
  remediate { step s "S" { note "matched: ${causes[0]} then ${causes[1]}" } }
}
)");
  require_valid(h);
  h.run();
  REQUIRE(h.sink.of("note").size() == 1);
  CHECK(h.sink.of("note")[0].data["text"] == "matched: zeta then alpha");
}

TEST_CASE("a decided severity never makes a gate weaker than the declared one asks",
          "[engine][severity][gate]") {
  rbk::Config cfg = levels();
  cfg.policy.typed_confirm_for = {"sev1"};
  Harness h(R"(
runbook lower {
  severity sev1
  causes { cause small "Small" severity sev3 when true }
  remediate {
    step restart "Restart" {
      destructive
      confirm "Restart?"
      run `systemctl restart app`
      undo { run `true` }
    }
  }
}
)",
            cfg);
  require_valid(h);
  h.op.typed_answers = {std::string("restart")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  REQUIRE(!h.op.asked.empty());
  CHECK(h.op.asked[0] == "Restart? [type restart]");
  CHECK(h.runner.env_of(0, "RBK_SEVERITY") == "sev3");
}

TEST_CASE("a role can come from an answer, and one never asked for reaches the owner instead",
          "[engine][escalation]") {
  rbk::Config cfg;
  cfg.page_command = "page-it";
  cfg.roles["db-owner"] = {"Database owner", "+1 555 0101"};
  cfg.roles["eng-lead"] = {"Engineering lead", "+1 555 0102"};
  Harness h(R"(
runbook who {
  owner db-owner
  param wide : bool = false
  remediate {
    step command "Take command" {
      ask commander "Who takes command?" : enum(db-owner, eng-lead)
      page commander "you have the incident"
    }
    step backup "Name a backup" when wide {
      ask backup "Who backs up?" : enum(db-owner, eng-lead)
    }
    step tell "Tell the backup" {
      page backup "you back up"
    }
  }
}
)",
            cfg);
  require_valid(h);
  h.op.answers = {std::string("eng-lead")};
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  auto esc = h.sink.of("escalation");
  REQUIRE(esc.size() == 2);
  CHECK(esc[0].data["role"] == "eng-lead");
  CHECK(esc[0].data["contact"] == "+1 555 0102");
  // `backup` was never asked (its step was skipped): the owner is paged, and the record says so.
  CHECK(esc[1].data["role"] == "db-owner");
  auto warnings = h.sink.of("warning");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].data["message"] ==
        "the role to page comes from answer 'backup', which was not given: sent to the "
        "runbook's owner, db-owner");
}

TEST_CASE("a duration from an answer never given fails its statement instead of reading 0",
          "[engine][ask]") {
  Harness h(R"(
runbook settle {
  param ask_it : bool = false
  remediate {
    step fix "Fix" { run `fix` }
    step how_long "How long must it hold" when ask_it {
      ask settle "How long must it stay healthy?" : duration
    }
  }
  verify {
    check healthy "Healthy" within 1h every 1m holds for settle {
      run `probe`
    }
  }
}
)");
  require_valid(h);
  auto r = h.run();
  // With 0, `holds for` would pass on the first poll.
  CHECK(r.outcome == Outcome::Failed);
  auto ends = h.sink.of("step_end");
  REQUIRE(!ends.empty());
  CHECK(ends.back().data["step"] == "healthy");
  CHECK(ends.back().data["reason"] ==
        "'settle' has no value: the answer 'settle' was not given (its step did not ask)");
  CHECK(std::count(h.runner.ran.begin(), h.runner.ran.end(), "probe") == 0);
}

TEST_CASE("every D for L fires at D, 2D… up to L, and stops when the run ends",
          "[engine][escalation]") {
  Harness h(R"(
runbook cadence {
  remediate { step work "Work" { run `work` timeout 3h } }
  escalate {
    every 15m for 45m notify status
    every 1h page lead
  }
}
)");
  require_valid(h);
  h.runner.on("work", {{.takes_ms = 2 * 3'600'000 + 60'000}});
  h.run();
  std::vector<int64_t> status, lead;
  for (const auto& e : h.sink.of("escalation"))
    (e.data["role"] == "status" ? status : lead).push_back(e.elapsed_ms / 60'000);
  CHECK(status == std::vector<int64_t>{15, 30, 45});
  CHECK(lead == std::vector<int64_t>{60, 120});
  // The run is over: its cadences are too.
  h.clock.advance(rbk::Millis(5 * 3'600'000));
  CHECK(h.sink.of("escalation").size() == 5);
}

TEST_CASE("holds for D passes only after D of passing polls, and one failure starts it again",
          "[engine][verify]") {
  Harness h(R"(
runbook stable {
  remediate { step fix "Fix" { run `fix` } }
  verify {
    check steady "Error rate steady" within 1h every 1m holds for 5m {
      run `probe`
    }
  }
}
)");
  require_valid(h);
  // Polls at 0, 1, 2, … minutes: good, good, good, bad, then good from minute 4 on.
  std::vector<rbk::test::FakeResult> polls(4, {.takes_ms = 0});
  polls[3].exit = 1;
  polls.push_back({.takes_ms = 0});
  h.runner.on("probe", polls);
  auto r = h.run();
  CHECK(r.outcome == Outcome::Resolved);
  auto checks = h.sink.of("check");
  REQUIRE(checks.size() == 1);
  // The streak starts again at minute 4 and holds 5 minutes at minute 9: ten polls.
  CHECK(checks[0].data["attempts"] == 10);
}
