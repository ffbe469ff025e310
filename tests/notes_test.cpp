// Timeline notes (`rbk note`): a note from another terminal lands in the
// running run's record, masked, and shows on the run's terminal; notes from
// several processes while the run writes are never lost or torn; a record
// that ends in a cut line takes no note.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "interpreter/record/notes.hpp"
#include "interpreter/record/record.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::PtySession;
using rbk::test::read_file;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

// A step that says it is waiting, then holds until the test makes `release`.
constexpr const char* kHold = R"(runbook hold {
  title "a run that waits for the test"
  severity sev3
  diagnose {
    step hold "hold until released" {
      run `echo waiting; while [ ! -e release ]; do sleep 0.05; done` timeout 10m
    }
  }
}
)";

// The one run's directory under DIR/.rbk/runs.
fs::path run_dir(const fs::path& project) {
  for (const auto& d : fs::directory_iterator(project / ".rbk" / "runs")) return d.path();
  return {};
}

// Every line of an events.jsonl, parsed; each must be whole and valid JSON.
std::vector<nlohmann::json> lines_of(const fs::path& events) {
  std::vector<nlohmann::json> out;
  const std::string text = read_file(events.string());
  REQUIRE((text.empty() || text.back() == '\n'));
  size_t at = 0;
  while (at < text.size()) {
    const size_t nl = text.find('\n', at);
    const std::string line = text.substr(at, nl - at);
    at = nl + 1;
    INFO(line);
    REQUIRE(nlohmann::json::accept(line));
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// The first line of a made-up record, for the unit tests.
std::string run_start_line(const std::string& run_id) {
  return R"({"t":0,"time":"2026-12-05T10:00:00.000Z","type":"run_start","run_id":")" + run_id +
         "\"}\n";
}

std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& events,
                                    const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (e["type"] == type) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("a note from another terminal is recorded, masked, and shown by the running rbk",
          "[notes][pty][threads]") {
  rbk::test::TempDir tmp;
  const std::string dir = tmp.path.string();
  write_file(dir + "/rbk.yaml", "redact:\n  - \"tok_[a-z0-9]+\"\n");
  write_file(dir + "/hold.rbk", kHold);
  PtySession s(dir, {"run", "hold.rbk"});
  REQUIRE(s.expect("waiting"));
  // While rbk holds the record: running, not resumable.
  Exit going = run_detached(dir, {"history", "--format", "json"});
  const auto now = nlohmann::json::parse(going.out)[0];
  CHECK(now["outcome"] == "running");
  CHECK(now["live"] == true);
  CHECK(now["resumable"] == false);
  Exit note = run_detached(dir, {"note", "primary looks healthy; token tok_abc123 rotated"});
  INFO(note.out << note.err);
  CHECK(note.code == 0);
  CHECK_THAT(note.out,
             Catch::Contains("note added to run " + run_dir(tmp.path).filename().string()));
  // On the run's terminal, masked as in the record.
  CHECK(s.expect("primary looks healthy; token *** rotated"));
  write_file(dir + "/release", "");
  Exit run = s.wait();
  CHECK(run.code == 0);
  CHECK(run.out.find("tok_abc123") == std::string::npos);

  // No run is going now: a note must name its run.
  Exit orphan = run_detached(dir, {"note", "too late"});
  CHECK(orphan.code == 2);
  CHECK_THAT(orphan.err, Catch::Contains("no run is going"));
  const std::string id = run_dir(tmp.path).filename().string();
  Exit after = run_detached(dir, {"note", id, "review on Monday"});
  CHECK(after.code == 0);
  Exit unknown = run_detached(dir, {"note", "20990101T000000Z-000000", "x"});
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no run 20990101T000000Z-000000"));

  const auto events = lines_of(run_dir(tmp.path) / "events.jsonl");
  const auto notes = of_type(events, "timeline_note");
  REQUIRE(notes.size() == 2);
  CHECK(notes[0]["text"] == "primary looks healthy; token *** rotated");
  CHECK_FALSE(notes[0]["by"].get<std::string>().empty());
  CHECK(notes[1]["text"] == "review on Monday");
  CHECK(events.back()["type"] == "timeline_note");  // after run_end: the run is over
  CHECK(read_file((run_dir(tmp.path) / "events.jsonl").string()).find("tok_abc123") ==
        std::string::npos);
  // Notes do not change how the run ended.
  Exit history = run_detached(dir, {"history", "--format", "json"});
  const auto listed = nlohmann::json::parse(history.out)[0];
  CHECK(listed["outcome"] == "resolved");
  CHECK(listed["live"] == false);
}

TEST_CASE("notes from several processes while the run writes: none lost, none torn", "[notes]") {
  rbk::test::TempDir tmp;
  const std::string dir = tmp.path.string();
  // Many short steps, so the run writes events all the while, then a hold.
  std::string text = "runbook busy {\n  title \"busy\"\n  severity sev3\n  diagnose {\n";
  const int steps = 150;
  for (int i = 0; i < steps; ++i)
    text += "    step s" + std::to_string(i) + " \"s\" { run `true` }\n";
  text +=
      "    step hold \"hold\" { run `echo waiting; while [ ! -e release ]; do sleep 0.05; done` "
      "timeout 10m }\n  }\n}\n";
  write_file(dir + "/busy.rbk", text);
  write_file(dir + "/rbk.yaml", "records: .rbk/runs\n");  // a project: records beside it
  PtySession s(dir, {"run", "busy.rbk"});
  REQUIRE(s.expect("record"));  // the header: the record exists, the steps begin
  const std::string run = run_dir(tmp.path).string();

  const int writers = 4;
  const int each = rbk::test::sanitized_build() ? 60 : 400;
  std::vector<pid_t> pids;
  for (int w = 0; w < writers; ++w) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int failed = 0;
      for (int i = 0; i < each; ++i)
        if (!rbk::append_note(run, "writer " + std::to_string(w),
                              "note " + std::to_string(w) + "." + std::to_string(i)))
          ++failed;
      ::_exit(failed == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  // And through the command, as a person would, meanwhile.
  for (int i = 0; i < 3; ++i) {
    Exit e = run_detached(dir, {"note", "by hand " + std::to_string(i)});
    INFO(e.err);
    CHECK(e.code == 0);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  REQUIRE(s.expect("waiting"));
  write_file(dir + "/release", "");
  CHECK(s.wait().code == 0);

  const auto events = lines_of(fs::path(run) / "events.jsonl");
  std::set<std::string> seen;
  for (const auto& n : of_type(events, "timeline_note")) seen.insert(n["text"].get<std::string>());
  CHECK(seen.size() == static_cast<size_t>(writers * each + 3));
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < each; ++i)
      CHECK(seen.count("note " + std::to_string(w) + "." + std::to_string(i)) == 1);
  // The run's own events are all there, in their order.
  CHECK(of_type(events, "step_end").size() == static_cast<size_t>(steps + 1));
  REQUIRE(of_type(events, "run_end").size() == 1);
  CHECK(of_type(events, "run_end")[0]["outcome"] == "resolved");
}

TEST_CASE("a record that ends in a cut line takes no note, and the follower sees only new notes",
          "[notes]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  const fs::path run = tmp.dir("runs/r1");
  const std::string start = run_start_line("r1");
  write_file((run / "events.jsonl").string(), start);
  rbk::NoteFollower follower((run / "events.jsonl").string());
  auto first = rbk::append_note(run.string(), "ana", "first");
  REQUIRE(first);
  CHECK(first->elapsed_ms > 0);  // timed from run_start, long ago
  // A cut half-line: the writer died in the middle of an event.
  write_file((run / "events.jsonl").string(),
             read_file((run / "events.jsonl").string()) + R"({"t":5,"type":"step_)");
  auto refused = rbk::append_note(run.string(), "ana", "second");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error(), Catch::Contains("incomplete line"));
  // The follower: the first note (a whole line), not the cut one.
  auto seen = follower.poll();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].as<rbk::ev::TimelineNote>()->text.value == "first");
  CHECK(follower.poll().empty());
  // Not a record of a run at all.
  write_file((run / "events.jsonl").string(), "{\"type\":\"step_start\"}\n");
  CHECK_FALSE(rbk::append_note(run.string(), "ana", "third"));
  CHECK_FALSE(rbk::append_note((tmp.path / "missing").string(), "ana", "fourth"));
}

TEST_CASE("the note follower starts after the last whole line, where a resume writes on",
          "[notes]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  const fs::path run = tmp.dir("runs/r2");
  const std::string start = run_start_line("r2");
  const std::string events = (run / "events.jsonl").string();
  write_file(events, start + R"({"t":5,"type":"step_)");  // a dead run's half-line
  rbk::NoteFollower follower(events);
  // The resume cuts the half-line and writes on; then a note comes.
  write_file(
      events,
      start +
          R"({"t":6,"time":"2026-12-05T10:00:01.000Z","type":"resume","by":"ana","down_ms":1,"dropped_bytes":19,"runbook_changed":false})"
          "\n");
  REQUIRE(rbk::append_note(run.string(), "bo", "after the resume"));
  auto seen = follower.poll();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].as<rbk::ev::TimelineNote>()->text.value == "after the resume");
}

TEST_CASE("a run is going while an rbk holds its lock exclusively, and a look takes no lock",
          "[notes]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  const fs::path run = tmp.dir("runs/r3");
  write_file((run / "lock").string(), "");
  CHECK_FALSE(rbk::record_in_use(run.string()));
  const int fd = ::open((run / "lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_SH) == 0);  // a reader, as an older probe was
  CHECK_FALSE(rbk::record_in_use(run.string()));
  REQUIRE(::flock(fd, LOCK_EX) == 0);  // the rbk writing the record
  CHECK(rbk::record_in_use(run.string()));
  // Asking took no lock: another exclusive taker is not turned away.
  const int other = ::open((run / "lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(other >= 0);
  ::close(fd);
  CHECK(::flock(other, LOCK_EX | LOCK_NB) == 0);
  ::close(other);
  CHECK_FALSE(rbk::record_in_use(run.string()));
}

TEST_CASE("a held lock is seen however busy the machine's lock list is", "[notes]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  const fs::path run = tmp.dir("runs/r4");
  write_file((run / "lock").string(), "");
  const int held = ::open((run / "lock").c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX) == 0);
  // Over a page of lock lines, and locks taken and dropped all the while:
  // /proc/locks, read a page at a time, dropped lines then.
  std::vector<int> others;
  for (int i = 0; i < 150; ++i) {
    const int fd = ::open((run.parent_path() / ("other" + std::to_string(i))).c_str(),
                          O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    others.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> churn;
  const std::string busy = (run.parent_path() / "busy").string();
  for (int t = 0; t < 3; ++t)
    churn.emplace_back([&] {
      const int fd = ::open(busy.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) return;
      while (!stop) {
        ::flock(fd, LOCK_EX);
        ::flock(fd, LOCK_UN);
      }
      ::close(fd);
    });
  int missed = 0;
  for (int i = 0; i < 3000; ++i)
    if (!rbk::record_in_use(run.string())) ++missed;
  stop = true;
  for (auto& t : churn) t.join();
  for (int fd : others) ::close(fd);
  ::close(held);
  CHECK(missed == 0);
  CHECK_FALSE(rbk::record_in_use(run.string()));
}

TEST_CASE("looking whether a run is going never turns away the rbk that resumes it", "[notes]") {
  rbk::test::TempDir tmp;
  tmp.synthetic_records = true;
  const fs::path run = tmp.dir("runs/r5");
  write_file((run / "events.jsonl").string(), run_start_line("r5"));
  std::atomic<bool> stop{false};
  std::vector<std::thread> lookers;
  for (int t = 0; t < 2; ++t)
    lookers.emplace_back([&] {
      while (!stop) rbk::record_in_use(run.string());
    });
  int refused = 0;
  std::string why;
  for (int i = 0; i < 3000; ++i) {
    auto record = rbk::RunRecord::reopen(run.string());
    if (!record) {
      ++refused;
      why = record.error();
    }
  }
  stop = true;
  for (auto& t : lookers) t.join();
  INFO(why);
  CHECK(refused == 0);
}
