#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "interpreter/record/event_json.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/record/record.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using rbk::list_runs;
using rbk::read_events;
using rbk::RunSummary;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

/// These tests write events of their own making (types and fields no run
/// emits): not records for the schema check (test_support.hpp).
struct TempDir : rbk::test::TempDir {
  TempDir() { synthetic_records = true; }
};

/// One line of events.jsonl: `e`, with the fields it leaves out at their
/// defaults (the reader takes a record's events whole).
std::string line(json e) {
  if (auto base = rbk::empty_event(e.value("type", ""))) {
    json full = rbk::event_fields(*base);
    full.update(e);
    e = std::move(full);
  }
  return e.dump() + "\n";
}

json start(const std::string& time, const std::string& runbook, const std::string& user) {
  return {{"t", 0}, {"time", time}, {"type", "run_start"}, {"runbook", runbook}, {"user", user}};
}

// One run directory with `events` as its events.jsonl.
void add_run(const fs::path& records, const std::string& id, const std::string& events) {
  fs::create_directories(records / id);
  write_file((records / id / "events.jsonl").string(), events);
}

// Records with one run of each kind, newest first:
//   F nested call, unfinished · E no events.jsonl · D damaged · C unfinished ·
//   B failed · A resolved · an odd name with no run_start
void make_records(const fs::path& records) {
  add_run(records, "20260101T100000Z-aaaaaa",
          (line(start("2026-01-01T10:00:00.000Z", "db-down", "alice")) +
           line({{"t", 10}, {"time", "x"}, {"type", "step_start"}, {"step", "check"}}) +
           line({{"t", 72000},
                 {"time", "2026-01-01T10:01:12.000Z"},
                 {"type", "run_end"},
                 {"outcome", "resolved"},
                 {"exit_code", 0},
                 {"duration_ms", 72000},
                 {"failed_step", ""}})));
  add_run(records, "20260102T100000Z-bbbbbb",
          (line(start("2026-01-02T10:00:00.000Z", "cache-flush", "bob")) +
           line({{"t", 5400},
                 {"time", "2026-01-02T10:00:05.400Z"},
                 {"type", "run_end"},
                 {"outcome", "failed"},
                 {"exit_code", 1},
                 {"duration_ms", 5400},
                 {"failed_step", "flush"}})));
  add_run(records, "20260103T100000Z-cccccc",
          (line(start("2026-01-03T10:00:00.000Z", "db-down", "carol")) +
           line({{"t", 3000}, {"time", "x"}, {"type", "step_start"}, {"step", "restart"}}) +
           line({{"t", 4500}, {"time", "x"}, {"type", "command_start"}, {"seq", 1}})));
  add_run(records, "20260104T100000Z-dddddd",
          (line(start("2026-01-04T10:00:00.000Z", "disk-full", "dave")) + "garbage{\n" +
           line({{"t", 100}, {"time", "x"}, {"type", "step_start"}, {"step", "df"}}) +
           R"({"t":200,"ty)"));
  fs::create_directories(records / "20260105T100000Z-eeeeee");  // no events.jsonl
  add_run(records, "20260106T100000Z-ffffff",
          (line(start("2026-01-06T10:00:00.000Z", "outer", "erin")) +
           line({{"t", 5}, {"time", "x"}, {"type", "call_run_start"}, {"runbook", "inner"}}) +
           line({{"t", 50},
                 {"time", "x"},
                 {"type", "call_run_end"},
                 {"outcome", "resolved"},
                 {"exit_code", 0},
                 {"duration_ms", 45}}) +
           line({{"t", 60}, {"time", "x"}, {"type", "step_end"}, {"status", "ok"}})));
  add_run(records, "odd-name", line({{"t", 1}, {"time", "x"}, {"type", "note"}, {"text", "hi"}}));
  // Not runs: a hidden directory and a plain file.
  add_run(records, ".partial", "");
  write_file((records / "README").string(), "not a run\n");
}

// Runs `rbk ARGS` in `dir` (where an rbk.yaml can point at test records).
rbk::test::Run rbk_in(const fs::path& dir, const std::string& args) {
  return rbk::test::run_rbk_in(dir.string(), args);
}

}  // namespace

TEST_CASE("history lists runs newest first, damaged ones with their problems", "[history]") {
  TempDir tmp;
  const fs::path records = tmp.path / "runs";
  make_records(records);
  std::vector<RunSummary> runs = list_runs(records.string());

  std::vector<std::string> ids;
  for (const auto& r : runs) ids.push_back(r.run_id);
  CHECK(ids == std::vector<std::string>{"20260106T100000Z-ffffff", "20260105T100000Z-eeeeee",
                                        "20260104T100000Z-dddddd", "20260103T100000Z-cccccc",
                                        "20260102T100000Z-bbbbbb", "20260101T100000Z-aaaaaa",
                                        "odd-name"});
  REQUIRE(runs.size() == 7);
  const RunSummary &f = runs[0], &e = runs[1], &d = runs[2], &c = runs[3], &b = runs[4],
                   &a = runs[5], &odd = runs[6];

  CHECK(a.dir == (records / a.run_id).string());
  CHECK(a.runbook == "db-down");
  CHECK(a.started == "2026-01-01T10:00:00.000Z");
  CHECK(a.user == "alice");
  CHECK(a.outcome == "resolved");
  CHECK(a.exit_code == 0);
  CHECK(a.duration_ms == 72000);
  CHECK(a.failed_step.empty());
  CHECK(a.problems.empty());

  CHECK(b.outcome == "failed");
  CHECK(b.exit_code == 1);
  CHECK(b.failed_step == "flush");
  CHECK(b.duration_ms == 5400);
  CHECK(b.problems.empty());

  // No run_end: unfinished, as long as its last event.
  CHECK(c.outcome == "unfinished");
  CHECK_FALSE(c.exit_code.has_value());
  CHECK(c.duration_ms == 4500);
  CHECK(c.problems.empty());

  CHECK(d.runbook == "disk-full");
  CHECK(d.outcome == "unfinished");
  CHECK(d.duration_ms == 100);
  CHECK(d.problems == std::vector<std::string>{"line 2 is not valid JSON",
                                               "line 4 is not valid JSON (truncated write?)"});

  CHECK(e.outcome == "unfinished");
  CHECK(e.runbook.empty());
  CHECK(e.problems == std::vector<std::string>{"no events.jsonl (the record was never written)"});

  // A called runbook's run_end is not the run's.
  CHECK(f.runbook == "outer");
  CHECK(f.user == "erin");
  CHECK(f.outcome == "unfinished");
  CHECK(f.duration_ms == 60);
  CHECK(f.problems.empty());

  CHECK(odd.outcome == "unfinished");
  CHECK(odd.problems == std::vector<std::string>{"no run_start event"});
}

TEST_CASE("a called runbook's end does not end the run", "[history]") {
  TempDir tmp;
  add_run(tmp.path, "r",
          (line(start("2026-01-06T10:00:00.000Z", "outer", "erin")) +
           line({{"t", 5}, {"time", "x"}, {"type", "call_run_start"}, {"runbook", "inner"}}) +
           line({{"t", 50},
                 {"time", "x"},
                 {"type", "call_run_end"},
                 {"runbook", "inner"},
                 {"outcome", "failed"},
                 {"exit_code", 1},
                 {"failed_step", "inner-step"}}) +
           line({{"t", 90},
                 {"time", "x"},
                 {"type", "run_end"},
                 {"outcome", "not_restored"},
                 {"exit_code", 3},
                 {"failed_step", "call-inner"}})));
  auto runs = list_runs(tmp.path.string());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].outcome == "not_restored");
  CHECK(runs[0].exit_code == 3);
  CHECK(runs[0].failed_step == "call-inner");
  CHECK(runs[0].duration_ms == 90);  // no duration_ms field: the event's time
}

TEST_CASE("read_events keeps every valid line and names the damaged ones", "[history]") {
  TempDir tmp;
  using namespace std::string_literals;
  add_run(tmp.path, "r",
          line(start("2026-01-06T10:00:00.000Z", "outer", "erin")) +
              "\n"
              "{\"t\":0,\"type\":\"note\",\"step\":\"a\",\"text\":3}\n"
              "[1,2]\n"
              "{\"t\":1}\n"
              "\xff\xfe\x00garbage\n"
              "{\"t\":2,\"type\":\"note\",\"step\":\"a\",\"text\":\"ok\"}\n"
              "{\"t\":2,\"type\":\"from_the_future\"}\n"
              "{\"t\":3,\"type\":\"no"s);
  std::vector<std::string> problems;
  auto events = read_events((tmp.path / "r").string(), problems);
  REQUIRE(events.size() == 2);
  REQUIRE(events[0].as<rbk::ev::RunStart>());
  CHECK(events[0].as<rbk::ev::RunStart>()->runbook == "outer");
  REQUIRE(events[1].as<rbk::ev::Note>());
  CHECK(events[1].as<rbk::ev::Note>()->text.value == "ok");
  CHECK(problems == std::vector<std::string>{"line 3: note: 'text' is not a string",
                                             "line 4 is not a JSON object",
                                             "line 5 has no event type", "line 6 is not valid JSON",
                                             "line 9 is not valid JSON (truncated write?)"});

  problems.clear();
  CHECK(read_events((tmp.path / "missing").string(), problems).empty());
  CHECK(problems == std::vector<std::string>{"no events.jsonl (the record was never written)"});
}

TEST_CASE("a record full of garbage gives a bounded list of problems", "[history]") {
  TempDir tmp;
  std::string garbage;
  for (int i = 0; i < 1000; ++i) garbage += "not json at all\n";
  add_run(tmp.path, "r", garbage);
  auto runs = list_runs(tmp.path.string());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].problems ==
        std::vector<std::string>{"line 1 is not valid JSON", "line 2 is not valid JSON",
                                 "line 3 is not valid JSON", "line 4 is not valid JSON",
                                 "line 5 is not valid JSON", "… and 995 more damaged lines",
                                 "no run_start event"});
}

TEST_CASE("a missing records directory has no runs", "[history]") {
  TempDir tmp;
  CHECK(list_runs((tmp.path / "nothing").string()).empty());
  CHECK(list_runs(tmp.path.string()).empty());
}

TEST_CASE("a record written by RunRecord reads back", "[history]") {
  TempDir tmp;
  auto made = rbk::RunRecord::create(tmp.path.string(), "20260107T000000Z-123456");
  REQUIRE(made);
  auto& rec = *made;
  auto ev = [&](const std::string& type, json data, int64_t t) {
    data["type"] = type;
    rbk::Event e = **rbk::event_from_json(json::parse(line(data)));
    e.elapsed_ms = t;
    e.time = "2026-01-07T00:00:00.000Z";
    rec->event(e);
  };
  ev("run_start", {{"runbook", "db-down"}, {"user", "zoe"}}, 0);
  ev("step_end", {{"step", "restart"}, {"status", "refused"}}, 800);
  ev("run_end",
     {{"outcome", "refused"}, {"exit_code", 4}, {"duration_ms", 812}, {"failed_step", "restart"}},
     812);
  rec.reset();
  auto runs = list_runs(tmp.path.string());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].run_id == "20260107T000000Z-123456");
  CHECK(runs[0].started == "2026-01-07T00:00:00.000Z");
  CHECK(runs[0].runbook == "db-down");
  CHECK(runs[0].user == "zoe");
  CHECK(runs[0].outcome == "refused");
  CHECK(runs[0].exit_code == 4);
  CHECK(runs[0].duration_ms == 812);
  CHECK(runs[0].failed_step == "restart");
  CHECK(runs[0].problems.empty());
}

TEST_CASE("rbk history marks a run resumable when only its last line was cut by its death",
          "[history][cli]") {
  TempDir tmp;
  write_file((tmp.path / "rbk.yaml").string(), "records: runs\n");
  add_run(tmp.path / "runs", "20260107T100000Z-gggggg",
          line(start("2026-01-07T10:00:00.000Z", "db-down", "gina")) +
              line({{"t", 3000}, {"time", "x"}, {"type", "step_start"}, {"step", "restart"}}) +
              R"({"t":3100,"ty)");
  auto r = rbk_in(tmp.path, "history");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("  problem: line 3 is not valid JSON (truncated write?)\n"
                                    "  resumable: rbk resume 20260107T100000Z-gggggg (stopped in "
                                    "step restart) (it drops the cut last line)\n"));
}

TEST_CASE("rbk history prints a table of runs", "[history][cli]") {
  TempDir tmp;
  write_file((tmp.path / "rbk.yaml").string(), "records: runs\n");
  make_records(tmp.path / "runs");

  auto r = rbk_in(tmp.path, "history");
  CHECK(r.exit_code == 0);
  CHECK(r.err == "");
  CHECK(r.out ==
        "RUN                      STARTED (UTC)        RUNBOOK      OUTCOME     EXIT  DURATION  "
        "FAILED STEP\n"
        "20260106T100000Z-ffffff  2026-01-06 10:00:00  outer        unfinished  -     60ms      -\n"
        "  resumable: rbk resume 20260106T100000Z-ffffff\n"
        "20260105T100000Z-eeeeee  -                    -            unfinished  -     0ms       -\n"
        "  problem: no events.jsonl (the record was never written)\n"
        "20260104T100000Z-dddddd  2026-01-04 10:00:00  disk-full    unfinished  -     100ms     -\n"
        "  problem: line 2 is not valid JSON\n"
        "  problem: line 4 is not valid JSON (truncated write?)\n"
        "20260103T100000Z-cccccc  2026-01-03 10:00:00  db-down      unfinished  -     4s        -\n"
        "  resumable: rbk resume 20260103T100000Z-cccccc (stopped in step restart)\n"
        "20260102T100000Z-bbbbbb  2026-01-02 10:00:00  cache-flush  failed      1     5s        "
        "flush\n"
        "20260101T100000Z-aaaaaa  2026-01-01 10:00:00  db-down      resolved    0     1m12s     -\n"
        "odd-name                 -                    -            unfinished  -     1ms       -\n"
        "  problem: no run_start event\n");

  r = rbk_in(tmp.path, "history --limit 2");
  CHECK(r.exit_code == 0);
  CHECK(r.err == "5 older runs not shown (--limit 0 shows all)\n");
  CHECK(r.out.find("20260105T100000Z-eeeeee") != std::string::npos);
  CHECK(r.out.find("20260104T100000Z-dddddd") == std::string::npos);

  r = rbk_in(tmp.path, "history --format json -n 0");
  CHECK(r.exit_code == 0);
  json all = json::parse(r.out);
  REQUIRE(all.is_array());
  REQUIRE(all.size() == 7);
  CHECK(all[5] == json{{"run_id", "20260101T100000Z-aaaaaa"},
                       {"dir", (tmp.path / "runs" / "20260101T100000Z-aaaaaa").string()},
                       {"runbook", "db-down"},
                       {"started", "2026-01-01T10:00:00.000Z"},
                       {"user", "alice"},
                       {"outcome", "resolved"},
                       {"exit_code", 0},
                       {"duration_ms", 72000},
                       {"failed_step", ""},
                       {"live", false},
                       {"resumable", false},
                       {"stopped_at", ""},
                       {"problems", json::array()}});
  CHECK(all[3]["resumable"] == true);
  CHECK(all[3]["stopped_at"] == "restart");
  CHECK(all[0]["exit_code"].is_null());
  CHECK(all[2]["problems"].size() == 2);
}

TEST_CASE("rbk history with no runs, or a records path that is no directory", "[history][cli]") {
  TempDir tmp;
  write_file((tmp.path / "rbk.yaml").string(), "records: runs\n");

  auto r = rbk_in(tmp.path, "history");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "");
  CHECK(r.err == "no runs recorded in runs\n");

  r = rbk_in(tmp.path, "history --format json");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "[]\n");
  CHECK(r.err == "no runs recorded in runs\n");

  write_file((tmp.path / "runs").string(), "a file\n");
  r = rbk_in(tmp.path, "history");
  CHECK(r.exit_code == 2);
  CHECK(r.out == "");
  CHECK(r.err == "rbk: error: records directory runs is not a directory\n");

  write_file((tmp.path / "rbk.yaml").string(), "recordz: runs\n");
  r = rbk_in(tmp.path, "history");
  CHECK(r.exit_code == 2);
  CHECK(r.out == "");
  CHECK(r.err.rfind("rbk.yaml:1:1: error: ", 0) == 0);
}
