// `rbk report`: goldens drafted from real records (tests/report/, see its
// README), with no secret in any; the template's placeholders and their
// errors; `--verify` against tampered and missing output files; and the
// command end to end on a fresh run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "interpreter/record/history.hpp"
#include "interpreter/report/report.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::read_file;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

const std::string kSecret = "s3cr3t-value-42";

std::vector<rbk::Event> events_of(const std::string& dir) {
  std::vector<std::string> problems;
  auto events = rbk::read_events(dir, problems);
  INFO(dir);
  REQUIRE(problems.empty());
  return events;
}

std::string markdown(const nlohmann::json& data, const std::string& tmpl) {
  rbk::SourceFile file("template.md", tmpl);
  auto out = rbk::render_report(data, file);
  REQUIRE(out);
  return *out;
}

// A copy of the resolved run's record in `tmp`, to change: its directory.
std::string copy_of_resolved(rbk::test::TempDir& tmp) {
  tmp.synthetic_records = true;
  fs::copy(fs::path(rbk::test::source_dir()) / "tests/report/resolved/record", tmp.path / "r",
           fs::copy_options::recursive);
  return (tmp.path / "r").string();
}

void golden(const std::string& path, const std::string& actual) {
  if (rbk::test::update_goldens()) write_file(path, actual);
  INFO(path << " (RBK_UPDATE_GOLDEN=1 rewrites it)");
  CHECK(actual == read_file(path));
}

}  // namespace

TEST_CASE("report goldens: resolved, rolled back, refused and resumed runs", "[report]") {
  const fs::path root = fs::path(rbk::test::source_dir()) / "tests" / "report";
  int cases = 0;
  for (const char* name : {"resolved", "rolled-back", "refused", "resumed"}) {
    const fs::path dir = root / name;
    const std::string record = (dir / "record").string();
    const auto data = rbk::report_data(events_of(record), record);
    const std::string md = markdown(data, std::string(rbk::default_report_template()));
    const std::string json = data.dump(2) + "\n";
    golden((dir / "report.md").string(), md);
    golden((dir / "report.json").string(), json);
    for (const std::string& text : {md, json}) {
      CHECK(text.find(kSecret) == std::string::npos);
      CHECK(text.find("tok_") == std::string::npos);
    }
    const auto verified = rbk::verify_outputs(events_of(record), record);
    CHECK(verified.problems.empty());
    CHECK(verified.checked >= 1);
    ++cases;
  }
  CHECK(cases == 4);
}

TEST_CASE("a report template: placeholders filled, unknown and open ones refused at their place",
          "[report]") {
  const std::string record =
      (fs::path(rbk::test::source_dir()) / "tests/report/rolled-back/record").string();
  const auto data = rbk::report_data(events_of(record), record);
  const std::string run_id = data["run_id"];
  CHECK(run_id.rfind("2026", 0) == 0);  // a real run id, as recorded
  CHECK(markdown(data, "Run {{ run_id }} of {{runbook}}: {{outcome}}\n") ==
        "Run " + run_id + " of cache-full: failed\n");
  const std::string rolled = markdown(data, "{{rolled_back}}");
  CHECK_THAT(rolled, Catch::Contains("Remediation failed at **flush_stale**"));
  CHECK_THAT(rolled, Catch::Contains("set_policy.undo (undo): ok"));

  rbk::SourceFile bad("team.md", "# Review\n\nSee {{timeline}} and {{bogus}}.\n");
  auto refused = rbk::render_report(data, bad);
  REQUIRE_FALSE(refused);
  const std::string said = rbk::render(refused.error());
  CHECK_THAT(said, Catch::Contains("team.md:3:22"));
  CHECK_THAT(said, Catch::Contains("unknown placeholder {{bogus}}"));
  rbk::SourceFile open("team.md", "{{timeline\n}}");
  auto unclosed = rbk::render_report(data, open);
  REQUIRE_FALSE(unclosed);
  CHECK_THAT(rbk::render(unclosed.error()), Catch::Contains("team.md:1:1"));
}

TEST_CASE(
    "the timeline says how each gate was approved, rbk serve's ways too, and what a "
    "resume ended",
    "[report]") {
  for (const auto& [via, how] : std::vector<std::pair<std::string, std::string>>{
           {"tty", "approved on the terminal"},
           {"approve", "approved by --approve"},
           {"yes", "approved by --yes"},
           {"socket", "approved through rbk serve (rbk approve on its socket)"},
           {"http", "approved through rbk serve (over HTTP)"},
           {"auto", "approved automatically by rbk serve, inside its route's limits"}}) {
    CAPTURE(via);
    rbk::test::TempDir tmp;
    const std::string dir = copy_of_resolved(tmp);
    std::string text = read_file(dir + "/events.jsonl");
    const std::string was = R"("step":"set_policy","via":"approve"})";
    REQUIRE(text.find(was) != std::string::npos);
    text.replace(text.find(was), was.size(), R"("step":"set_policy","via":")" + via + "\"}");
    // What a resume ended while the run was down, written before it.
    text += R"({"t":900,"time":"2026-12-05T19:19:40.000Z","type":"leftovers_ended","by":"root",)"
            R"("pids":[4242,4243],"groups":[4242],"killed":true})"
            "\n";
    write_file(dir + "/events.jsonl", text);
    const auto data = rbk::report_data(events_of(dir), dir);
    const std::string md = markdown(data, std::string(rbk::default_report_template()));
    CHECK_THAT(md, Catch::Contains("gate on set_policy") && Catch::Contains(how));
    CHECK_THAT(md, Catch::Contains("processes of the dead run still running, ended with their "
                                   "process groups (pid 4242, 4243; some needed SIGKILL)"));
  }
}

TEST_CASE("a command that changed something and never ended is among the actions", "[report]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  fs::copy(fs::path(rbk::test::source_dir()) / "tests/report/resumed/record", tmp.path / "r",
           fs::copy_options::recursive);
  const std::string dir = (tmp.path / "r").string();
  // The run as it was before anyone resumed it: killed while flush_stale ran.
  std::string text = read_file(dir + "/events.jsonl");
  const size_t resume = text.find(R"("type":"resume")");
  REQUIRE(resume != std::string::npos);
  text.resize(text.rfind('\n', resume) + 1);
  write_file(dir + "/events.jsonl", text);
  const auto data = rbk::report_data(events_of(dir), dir);
  const auto& actions = data["actions"];
  REQUIRE(actions.size() == 2);
  CHECK(actions[1]["step"] == "flush_stale");
  CHECK(actions[1]["exit"].is_null());
  CHECK(actions[1]["note"] ==
        "no result in the record: the run died while it ran, or is still running");
  const std::string md = markdown(data, std::string(rbk::default_report_template()));
  CHECK_THAT(md, Catch::Contains("| — — no result in the record: the run died while it ran, or is "
                                 "still running | — |"));
  CHECK_THAT(md, !Catch::Contains("_No command that changes something ran._"));
}

TEST_CASE("the evidence check names an output file changed or gone since the run", "[report]") {
  rbk::test::TempDir tmp;
  const std::string dir = copy_of_resolved(tmp);
  CHECK(rbk::verify_outputs(events_of(dir), dir).problems.empty());
  write_file(dir + "/output/0001.stdout", read_file(dir + "/output/0001.stdout") + "edited\n");
  fs::remove(dir + "/output/0003.stdout");
  auto r = rbk::verify_outputs(events_of(dir), dir);
  REQUIRE(r.problems.size() == 2);
  CHECK_THAT(r.problems[0], Catch::Contains("output/0001.stdout changed since the run"));
  CHECK_THAT(r.problems[1], Catch::Contains("output/0003.stdout is gone"));
}

TEST_CASE("an evidence excerpt is the head of its output, however large the file", "[report]") {
  rbk::test::TempDir tmp;
  const std::string dir = copy_of_resolved(tmp);
  // 65 MiB of numbered lines: more than any whole-file read would take.
  // One MiB of lines written 65 times (building it line by line took 30 s
  // under the sanitizers); the head is what the excerpt shows.
  std::string block;
  for (int i = 0; block.size() < (size_t{1} << 20); ++i)
    block += "line " + std::to_string(i) + " " + std::string(80, 'x') + "\n";
  {
    std::ofstream out(dir + "/output/0001.stdout", std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 65; ++i)
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    REQUIRE(out.good());
  }
  const auto data = rbk::report_data(events_of(dir), dir);
  REQUIRE(data["evidence"].size() == 1);
  const std::string excerpt = data["evidence"][0]["excerpt"];
  CHECK(excerpt.rfind("line 0 ", 0) == 0);
  CHECK(std::count(excerpt.begin(), excerpt.end(), '\n') == 20);
  CHECK(data["evidence"][0]["trimmed"] == true);
}

TEST_CASE("rbk report's timeline has the escalations, and an undelivered page is an action item",
          "[report][cli]") {
  rbk::test::TempDir tmp;
  const std::string dir = tmp.path.string();
  // Notifications are delivered; pages fail (their command exits 3).
  write_file(dir + "/rbk.yaml",
             "notify:\n  notify: 'echo \"$RBK_MESSAGE\" >> notified.txt'\n  page: 'exit 3'\n");
  write_file(dir + "/esc.rbk", R"(runbook esc {
  title "Escalations"
  remediate {
    step restart "Restart" { run `exit 1` }
  }
  escalate {
    notify oncall "investigating"
    on failure page lead "restart failed"
  }
}
)");
  auto ran = run_detached(dir, {"run", "esc.rbk", "--non-interactive"});
  INFO(ran.out << ran.err);
  REQUIRE(ran.code == 1);
  auto md = run_detached(dir, {"report"});
  INFO(md.out << md.err);
  REQUIRE(md.code == 0);
  CHECK_THAT(md.out, Catch::Contains("notified oncall: investigating"));
  CHECK_THAT(md.out, Catch::Contains("paged lead: restart failed — not delivered: "));
  CHECK_THAT(md.out, Catch::Contains("| Fix the notification: paged lead: restart failed — not "
                                     "delivered: "));
  CHECK_THAT(md.out, Catch::Contains("| Find out why restart did not succeed | | | open |"));
}

TEST_CASE("rbk report on a fresh run: Markdown, JSON, a file, --verify, a team's template",
          "[report][cli]") {
  rbk::test::TempDir tmp;
  const std::string dir = tmp.path.string();
  write_file(dir + "/rbk.yaml", "redact:\n  - \"tok_[a-z0-9]+\"\n");
  fs::copy(fs::path(rbk::test::source_dir()) / "tests/report/cache.rbk", tmp.path / "cache.rbk");
  const std::vector<std::string> env = {"CACHE_TOKEN=" + kSecret, "MODE=ok"};
  auto ran = run_detached(dir,
                          {"run", "cache.rbk", "--non-interactive", "--approve", "set_policy",
                           "--approve", "flush_stale"},
                          env);
  INFO(ran.out << ran.err);
  REQUIRE(ran.code == 0);
  auto md = run_detached(dir, {"report"});
  CHECK(md.code == 0);
  CHECK_THAT(md.out, Catch::StartsWith("# Post-incident report: cache-full — Cache out of memory"));
  CHECK_THAT(md.out, Catch::Contains("| Outcome | resolved (exit 0) |"));
  auto json = run_detached(dir, {"report", "--format", "json"});
  REQUIRE(json.code == 0);
  const auto data = nlohmann::json::parse(json.out);
  CHECK(data["outcome"] == "resolved");
  CHECK(data["evidence"].size() == 1);
  for (const auto* out : {&md.out, &json.out}) {
    CHECK(out->find(kSecret) == std::string::npos);
    CHECK(out->find("tok_abc1") == std::string::npos);
  }
  auto to_file = run_detached(dir, {"report", "-o", "review.md"});
  CHECK(to_file.code == 0);
  CHECK(read_file(dir + "/review.md") == md.out);

  auto verified = run_detached(dir, {"report", "--verify"});
  CHECK(verified.code == 0);
  CHECK(run_detached(dir, {"history", "--verify"}).code == 0);
  CHECK_THAT(verified.out, Catch::Contains("2 output files of"));
  const std::string run = data["run_id"];
  const std::string out1 = dir + "/.rbk/runs/" + run + "/output/0001.stdout";
  write_file(out1, read_file(out1) + "x");
  auto tampered = run_detached(dir, {"report", run, "--verify"});
  CHECK(tampered.code == 1);
  CHECK_THAT(tampered.out, Catch::Contains("output/0001.stdout changed since the run"));
  // The same check over every run `rbk history` lists.
  auto all = run_detached(dir, {"history", "--verify"});
  CHECK(all.code == 1);
  CHECK_THAT(all.out, Catch::Contains("not as recorded: output/0001.stdout changed since the run"));
  CHECK_THAT(all.err, Catch::Contains("1 of 2 output files of 1 run not as recorded"));
  auto all_json = run_detached(dir, {"history", "--verify", "--format", "json"});
  CHECK(all_json.code == 1);
  CHECK(nlohmann::json::parse(all_json.out)[0]["verify"]["problems"].size() == 1);

  write_file(dir + "/team.md", "# {{runbook}}\n\n{{summary}}\n\n{{impact}}\n");
  write_file(dir + "/rbk.yaml", "redact:\n  - \"tok_[a-z0-9]+\"\nreport:\n  template: team.md\n");
  auto bad = run_detached(dir, {"report"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("team.md:5:1"));
  CHECK_THAT(bad.err, Catch::Contains("unknown placeholder {{impact}}"));
  auto missing = run_detached(dir, {"report", "20990101T000000Z-000000"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("no run 20990101T000000Z-000000"));
}
