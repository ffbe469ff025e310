// Steps `on` targets against real OpenSSH servers: five "hosts" are five
// sshd processes on 127.0.0.1 (tests/sshd.hpp), named in the project's
// rbk.yaml, reached by the rbk binary through the real ssh client with the
// fleet's known_hosts (host-key checking strict). The remote machine is this
// one, so what a remote command wrote is read back from the test's
// directory, and a remote process that survived is found in /proc.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "interpreter/base/format_str.hpp"
#include "interpreter/serve/run_spec.hpp"
#include "processes.hpp"
#include "sshd.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace rbk::test;

/// A project whose rbk.yaml names the fleet's servers web-1 … web-N
/// (group `web`), with the fleet's ssh config.
struct FleetProject {
  TempDir tmp;
  std::string dir;
  FleetProject(const SshdFleet& fleet, const std::string& runbook,
               const std::string& extra_hosts = "") {
    dir = tmp.path.string();
    std::string yaml =
        "ssh:\n  config: " + fleet.ssh_config() + "\n  connect_timeout: 5s\ntargets:\n  hosts:\n";
    std::string group;
    for (int i = 0; i < fleet.size(); ++i) {
      const std::string id = "web-" + std::to_string(i + 1);
      yaml += "    " + id + ": {address: 127.0.0.1, port: " + std::to_string(fleet.port(i)) +
              ", user: " + fleet.user() + "}\n";
      group += (group.empty() ? "" : ", ") + id;
    }
    yaml += extra_hosts;
    yaml += "  groups:\n    web: [" + group + "]\n";
    write_file(dir + "/rbk.yaml", yaml);
    fs::create_directories(dir + "/runbooks");
    write_file(dir + "/runbooks/fleet.rbk", runbook);
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

/// The JSON objects of a JSON-lines text (--json output, a record); other lines are skipped.
std::vector<nlohmann::json> events(const std::string& jsonl) {
  std::vector<nlohmann::json> out;
  for (const auto& line : lines_of(jsonl))
    if (auto j = nlohmann::json::parse(line, nullptr, false); j.is_object()) out.push_back(j);
  return out;
}

/// The events of one type, in order.
std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& all,
                                    const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : all)
    if (e.value("type", "") == type) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("a step on five hosts stops at max_fail and undoes only where it ran", "[sshd]") {
  SshdFleet fleet(5);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param log : string
  remediate {
    step deploy "Deploy" {
      on hosts serial 2 max_fail 0
      run `test "$RBK_TARGET" != web-3 || exit 7; echo "deployed $RBK_TARGET" >> "$log"` as deploy
      undo {
        run `echo "undone $RBK_TARGET" >> "$log"`
      }
    }
  }
}
)");
  const std::string log = p.path("log.txt");
  Exit r = run_detached(p.dir, {"run", "fleet", "-p", "log=" + log, "--force"});
  INFO(r.out << r.err);
  CHECK(r.code == 1);  // failed, and rolled back
  std::vector<std::string> got = lines_of(read_file(log));
  // Batch 1 (web-1, web-2) ran; batch 2 (web-3, web-4) ran and web-3 failed;
  // batch 3 (web-5) never started. Undo ran where the step ran, newest first.
  std::vector<std::string> deployed(got.begin(), got.begin() + std::min<size_t>(3, got.size()));
  std::sort(deployed.begin(), deployed.end());
  CHECK(deployed == std::vector<std::string>{"deployed web-1", "deployed web-2", "deployed web-4"});
  REQUIRE(got.size() == 7);
  std::vector<std::string> undone(got.begin() + 3, got.end());
  std::sort(undone.begin(), undone.end());
  CHECK(undone ==
        std::vector<std::string>{"undone web-1", "undone web-2", "undone web-3", "undone web-4"});
  CHECK(r.out.find("batch 2: 1 ok, 1 failed (web-3)") != std::string::npos);
  CHECK(r.out.find("web-5") == std::string::npos);
  CHECK(r.out.find("1 of 5 targets failed: web-3 (exit 7)") != std::string::npos);
}

TEST_CASE("values reach remote commands as data, never as shell source", "[sshd]") {
  SshdFleet fleet(1);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param payload : string
  param out : string
  diagnose {
    step local "Make a capture of it" {
      run `printf 'x%sx' "$payload"` as cap
    }
  }
  remediate {
    step write "Write it there" {
      on hosts
      run `printf '%s' "$payload" > "$out.param"; printf '%s' "$cap" > "$out.capture"`
    }
  }
}
)");
  const std::string marker = p.path("PWNED");
  const std::vector<std::string> payloads = {
      "$(touch " + marker + ")",
      "`touch " + marker + "`",
      "; touch " + marker,
      "a\ntouch " + marker,
      "' ; touch " + marker + " ; '",
      "\" ; touch " + marker + " ; \"",
      "${IFS}touch${IFS}" + marker,
      "*",
      "\\'\\\"\\$",
      std::string("\xff\xfe not utf-8 \x80"),
      "--help",
  };
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string& payload = payloads[i];
    const std::string out = p.path("out" + std::to_string(i));
    Exit r = run_detached(p.dir, {"run", "fleet", "-p", "payload=" + payload, "-p", "out=" + out,
                                  "--force", "--approve", "write"});
    INFO("payload " << i << ": " << payload << "\n" << r.out << r.err);
    CHECK(r.code == 0);
    CHECK(read_file(out + ".param") == payload);
    CHECK(read_file(out + ".capture") == "x" + payload + "x");
    CHECK_FALSE(fs::exists(marker));
  }
}

TEST_CASE("a remote command past its deadline leaves no process behind", "[sshd]") {
  SshdFleet fleet(2);
  // A duration nothing else on the machine sleeps for: its processes are
  // found by it.
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step hang "Hang" {
      on hosts
      run `sh -c 'sleep 4321.123' & sleep 4321.123` timeout 2s
    }
  }
}
)");
  Exit r = run_detached(p.dir, {"run", "fleet", "--force"});
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find("2 of 2 targets failed") != std::string::npos);
  CHECK(r.out.find("timed out") != std::string::npos);
  std::vector<int> left = processes_with_marker("4321.123");
  CHECK(still_alive(left) == "");
  // The run's connections are closed: no ssh master is left either.
  CHECK(still_alive(processes_with_marker("rbk-ssh-")) == "");
}

TEST_CASE("a remote command that exits on its own leaves nothing in its process group", "[sshd]") {
  SshdFleet fleet(1);
  // The sleep left behind is found by its duration; its output goes
  // elsewhere, so ssh does not wait for it.
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step leave "Leave a sleep" {
      on hosts
      run `sleep 5432.123 >/dev/null 2>&1 & echo started`
    }
  }
}
)");
  Exit r = run_detached(p.dir, {"run", "fleet", "--force"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(still_alive(processes_with_marker("5432.123")) == "");
}

TEST_CASE("Ctrl-C during a remote command leaves no process behind", "[sshd]") {
  SshdFleet fleet(2);
  // Each host's sleeps have a duration of their own (7654.31 on web-1,
  // 7654.32 on web-2; the literal holds neither), so rbk is interrupted only
  // once both hosts run both of theirs; 7654.3 finds them all, and the
  // shells around them.
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step hang "Hang" {
      on hosts
      run `n="7654.3${RBK_TARGET#web-}"; sleep "$n" & sleep "$n"` timeout 10m
    }
  }
}
)");
  // A background sleep and a foreground one on each host.
  auto running = [&](const std::string& out) {
    return of_type(events(out), "command_start").size() == 2 &&
           processes_with_marker("7654.31").size() >= 2 &&
           processes_with_marker("7654.32").size() >= 2;
  };
  Exit r = run_signalled_when(p.dir, {"run", "fleet", "--force", "--json"}, running, SIGINT);
  INFO(r.out << r.err);
  CHECK(r.code == 130);
  // Both commands ended cancelled, each on its host, in the JSON stream and
  // in the record.
  auto cancelled_on = [&](const std::vector<nlohmann::json>& all) {
    std::vector<std::string> hosts;
    for (const auto& e : of_type(all, "command_end"))
      if (e.value("cancelled", false) && !e.value("ok", true))
        hosts.push_back(e.value("target", ""));
    std::sort(hosts.begin(), hosts.end());
    return hosts;
  };
  const std::vector<std::string> both = {"web-1", "web-2"};
  CHECK(cancelled_on(events(r.out)) == both);
  const auto run_end = of_type(events(r.out), "run_end");
  REQUIRE(run_end.size() == 1);
  CHECK(run_end[0].value("outcome", "") == "interrupted");
  std::string record;
  for (const auto& run : fs::directory_iterator(p.path(".rbk/runs")))
    record += read_file((run.path() / "events.jsonl").string());
  CHECK(cancelled_on(events(record)) == both);
  // Nothing the command started is left on either host, and no ssh master.
  std::vector<int> left = processes_with_marker("7654.3");
  CHECK(still_alive(left) == "");
  CHECK(still_alive(processes_with_marker("rbk-ssh-")) == "");
  // Whether either command finished on its host is not known: resume
  // refuses before it writes or runs anything.
  Exit resumed = run_detached(p.dir, {"resume"});
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 2);  // as for a record that cannot be resumed
  CHECK(resumed.err.find("it stopped while commands ran on targets (hang on web-1, hang on "
                         "web-2)") != std::string::npos);
  CHECK(processes_with_marker("7654.3").empty());
}

TEST_CASE("an unreachable host fails fast and says why", "[sshd]") {
  SshdFleet fleet(2);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  diagnose {
    step look "Look" {
      on hosts max_fail 1
      run `echo "seen $RBK_TARGET"`
    }
  }
}
)");
  fleet.stop(1);
  Exit r = run_detached(p.dir, {"run", "fleet", "--force"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);  // within max_fail 1
  CHECK(r.out.find("ssh to web-2 failed (exit 255)") != std::string::npos);
  CHECK(r.out.find("Connection refused") != std::string::npos);
  CHECK(r.out.find("1 of 2 targets failed, within max_fail 1") != std::string::npos);
}

TEST_CASE("rbk run with --target narrows the run and an unknown one is a usage error", "[sshd]") {
  SshdFleet fleet(3);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param log : string
  remediate {
    step touch "Touch" {
      on hosts
      run `echo "$RBK_TARGET" >> "$log"`
    }
  }
}
)");
  const std::string log = p.path("log.txt");
  Exit r =
      run_detached(p.dir, {"run", "fleet", "-p", "log=" + log, "--target", "web-2", "--force"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(read_file(log) == "web-2\n");
  Exit bad =
      run_detached(p.dir, {"run", "fleet", "-p", "log=" + log, "--target", "wbe", "--force"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--target wbe: unknown host or group 'wbe'") != std::string::npos);
  CHECK(bad.err.find("did you mean 'web'?") != std::string::npos);
  Exit bad_param =
      run_detached(p.dir, {"run", "fleet", "-p", "log=" + log, "-p", "hosts=db", "--force"});
  CHECK(bad_param.code == 2);
  CHECK(bad_param.err.find("parameter hosts: unknown host or group 'db'") != std::string::npos);
}

TEST_CASE("a secret reaches a remote command only when it names it, and is masked there",
          "[sshd][secrets]") {
  SshdFleet fleet(2);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param out : string
  secret token from env "DEPLOY_TOKEN"
  remediate {
    step show "Show" {
      on hosts
      run `printf 'token=%s\n' "$token"`
      run `env > "$out.$RBK_TARGET"`
    }
  }
}
)");
  const std::string out = p.path("env");
  Exit r = run_detached(
      p.dir, {"run", "fleet", "--json", "-p", "out=" + out, "--force", "--approve", "show"},
      {"DEPLOY_TOKEN=fleet-s3cret-91"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("fleet-s3cret") == std::string::npos);
  CHECK(r.err.find("fleet-s3cret") == std::string::npos);
  // The hosts' environments, the record and its output files: no secret in any.
  CHECK(files_holding(p.dir, "fleet-s3cret").empty());
  // The command that named it got it (masked in what rbk kept of its output).
  CHECK_FALSE(files_holding(p.dir, "token=***").empty());
  CHECK(fs::exists(out + ".web-1"));
  CHECK(fs::exists(out + ".web-2"));
}

TEST_CASE("a fleet run recorded with --record-fixture replays per target", "[sshd][fixture]") {
  SshdFleet fleet(2);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step deploy "Deploy" {
      on hosts
      run `echo "on $RBK_TARGET"; test "$RBK_TARGET" != web-2 || exit 3`
      undo {
        run `echo "undo on $RBK_TARGET"`
      }
    }
  }
}
)");
  Exit r = run_detached(p.dir, {"run", "fleet", "--force", "--record-fixture", "fleet.test.yaml"});
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  const std::string fixture = read_file(p.path("fleet.test.yaml"));
  INFO(fixture);
  CHECK(fixture.find("target: web-2") != std::string::npos);
  CHECK(fixture.find("- deploy web-2 failed") != std::string::npos);
  CHECK(fixture.find("- deploy.undo web-2 ok") != std::string::npos);
  // Replayed without a host: the same statuses, per target.
  Exit replay = run_detached(p.dir, {"test", "fleet.test.yaml"});
  INFO(replay.out << replay.err);
  CHECK(replay.code == 0);
  CHECK(replay.out.find("1 passed, 0 failed") != std::string::npos);
}

TEST_CASE("a resumed run replays its commands on targets and runs none of them again",
          "[sshd][resume]") {
  SshdFleet fleet(3);
  // The pushes run in a called runbook, all hosts at once (their record
  // order is the machine's); the run is interrupted after them, and
  // narrowed to two hosts by --target, which the resume keeps.
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param log : string
  remediate {
    step roll "Roll" {
      call deploy with log = log
    }
    step wait "Wait" {
      run `test -f "$log.go" || sleep 7654.9`
    }
    step after "After" {
      on hosts parallel 3
      run `echo "after $RBK_TARGET" >> "$log"`
    }
  }
}
)");
  write_file(p.path("runbooks/deploy.rbk"), R"(runbook deploy {
  param hosts : targets = "web"
  param log : string
  remediate {
    step push "Push" {
      on hosts parallel 3
      run `echo "pushed $RBK_TARGET" >> "$log"; echo "$RBK_TARGET"` as pushed
    }
  }
}
)");
  const std::string log = p.path("log.txt");
  auto waiting = [&](const std::string&) { return !processes_with_marker("7654.9").empty(); };
  Exit r = run_signalled_when(p.dir,
                              {"run", "fleet", "--force", "--json", "-p", "log=" + log, "--target",
                               "web-3", "--target", "web-1"},
                              waiting, SIGINT);
  INFO(r.out << r.err);
  REQUIRE(r.code == 130);
  auto sorted_lines = [&] {
    auto lines = lines_of(read_file(log));
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  using Lines = std::vector<std::string>;
  REQUIRE(sorted_lines() == Lines{"pushed web-1", "pushed web-3"});
  write_file(log + ".go", "");
  // web-3 gone from rbk.yaml: the resume cannot narrow as the run did.
  const std::string yaml = read_file(p.path("rbk.yaml"));
  std::string without;
  for (const auto& line : lines_of(yaml))
    if (line.find("web-3:") == std::string::npos) without += line + "\n";
  without.replace(without.find(", web-3]"), 8, "]");
  write_file(p.path("rbk.yaml"), without);
  Exit refused = run_detached(p.dir, {"resume"});
  INFO(refused.out << refused.err);
  CHECK(refused.code == 4);
  CHECK(refused.err.find("host web-3, which the run was narrowed to (--target), is no longer") !=
        std::string::npos);
  write_file(p.path("rbk.yaml"), yaml);
  Exit resumed = run_detached(p.dir, {"resume", "--json"});
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 0);
  // The pushes counted from the record, not run again; the step after the
  // interruption on the same two hosts.
  CHECK(sorted_lines() == Lines{"after web-1", "after web-3", "pushed web-1", "pushed web-3"});
  std::string jsonl;
  for (const auto& run : fs::directory_iterator(p.path(".rbk/runs")))
    jsonl += read_file((run.path() / "events.jsonl").string());
  const std::vector<nlohmann::json> record = events(jsonl);
  REQUIRE(!record.empty());
  CHECK(record[0]["targets"] == nlohmann::json({"web-1", "web-3"}));
  int resumes = 0, pushes = 0;
  for (const auto& e : record) {
    resumes += e["type"] == "resume";
    pushes += e["type"] == "command_start" && e.value("step", "") == "deploy/push";
  }
  CHECK(resumes == 1);
  CHECK(pushes == 2);
  CHECK(record.back()["type"] == "run_end");
  CHECK(record.back()["outcome"] == "resolved");
}

TEST_CASE("each batch's gate is answered once and recorded with the hosts it covered", "[sshd]") {
  SshdFleet fleet(3);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step touch "Touch" {
      on hosts serial 2
      destructive
      run `true`
    }
  }
}
)");
  auto answers = [](const std::string& jsonl) { return of_type(events(jsonl), "answer"); };
  using Hosts = std::vector<std::string>;
  // --approve STEP: every batch, each answer naming its own hosts.
  Exit all = run_detached(p.dir, {"run", "fleet", "--force", "--json", "--approve", "touch"});
  INFO(all.out << all.err);
  CHECK(all.code == 0);
  auto a = answers(all.out);
  REQUIRE(a.size() == 2);
  CHECK(a[0]["targets"].get<Hosts>() == Hosts{"web-1", "web-2"});
  CHECK(a[1]["targets"].get<Hosts>() == Hosts{"web-3"});
  CHECK((a[0].value("passed", false) && a[1].value("passed", false)));
  // STEP@HOST for the first batch's hosts only: the second batch is refused.
  Exit some = run_detached(p.dir, {"run", "fleet", "--force", "--json", "--approve", "touch@web-1",
                                   "--approve", "touch@web-2"});
  INFO(some.out << some.err);
  CHECK(some.code == 4);
  auto b = answers(some.out);
  REQUIRE(b.size() == 2);
  CHECK(b[0].value("passed", false));
  CHECK(b[1]["targets"].get<Hosts>() == Hosts{"web-3"});
  CHECK_FALSE(b[1].value("passed", true));
}

TEST_CASE("a run started by an alert is approved batch by batch, and no batch runs twice",
          "[sshd][serve]") {
  SshdFleet fleet(2);
  FleetProject p(fleet, R"(runbook fleet {
  param hosts : targets = "web"
  param log : string
  remediate {
    step deploy "Deploy" {
      on hosts serial 1
      destructive
      confirm "Deploy?"
      run `echo "deployed $RBK_TARGET" >> "$log"`
    }
  }
}
)");
  const std::string log = p.path("log.txt");
  // Its own: a resume ends every process left with its run's RBK_RUN_ID.
  const std::string run_id = rbk::format_str("20261206T160000Z-{:06x}", ::getpid() & 0xffffff);
  auto serve_run = [&](const rbk::ServeRunSpec& spec) {
    write_file(p.path("spec.json"), rbk::serve_run_spec_json(spec));
    return rbk::test::run_rbk_in(p.dir, "__serve-run spec.json");
  };
  auto parked = [&] {
    return of_type(events(read_file(p.path(".rbk/runs/" + run_id + "/events.jsonl"))), "parked");
  };
  auto approve = [&] {
    rbk::ServeRunSpec spec;
    spec.resume = true;
    spec.run_id = run_id;
    rbk::GateDecision d;
    d.kind = rbk::GateDecision::Kind::Approve;
    d.by = "alice";
    d.from = "unix socket, uid 1000";
    d.via = rbk::ev::Via::Socket;
    d.plan_hash = parked().back()["plan_hash"];
    spec.decision = std::make_pair(std::string("deploy"), d);
    return serve_run(spec);
  };
  rbk::ServeRunSpec start;
  start.run_id = run_id;
  start.runbook = "runbooks/fleet.rbk";
  start.params = {"log=" + log};
  rbk::ev::AlertStart alert;
  alert.route = "deploy";
  alert.fingerprint = "0123456789abcdef";
  alert.status = "firing";
  alert.starts_at = "2026-12-06T16:00:00Z";
  start.alert = alert;
  auto r = serve_run(start);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 4);  // parked at the first batch's gate
  REQUIRE(parked().size() == 1);
  CHECK(parked()[0]["targets"] == nlohmann::json({"web-1"}));
  CHECK(!fs::exists(log));
  // The first approval runs the first batch and parks at the second's gate.
  r = approve();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 4);
  CHECK(read_file(log) == "deployed web-1\n");
  REQUIRE(parked().size() == 2);
  CHECK(parked()[1]["targets"] == nlohmann::json({"web-2"}));
  // The second replays the first batch from the record and runs the second.
  r = approve();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(log) == "deployed web-1\ndeployed web-2\n");
  CHECK(parked().size() == 2);
}
