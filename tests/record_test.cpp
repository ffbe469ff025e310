#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interpreter/record/record.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::Event;
using rbk::RunRecord;
using rbk::Stream;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

/// These tests write events of their own making (types and fields no run
/// emits): not records for the schema check (test_support.hpp).
struct TempDir : rbk::test::TempDir {
  TempDir() { synthetic_records = true; }
};

// Known modes whatever the environment's umask: the record asks for 0600 and
// 0700, which a umask of 022 leaves as they are.
struct Umask {
  mode_t old = ::umask(022);
  ~Umask() { ::umask(old); }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

Event event(std::string type, nlohmann::json data, int64_t t) {
  Event e;
  e.type = std::move(type);
  e.data = std::move(data);
  e.elapsed_ms = t;
  e.time = "2026-01-02T03:04:05.678Z";
  return e;
}

const char* const kRunId = "20260102T030405Z-abc123";

}  // namespace

TEST_CASE("a record is a directory with one JSON line per event", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = RunRecord::create((tmp.path / "runs").string(), kRunId, error);
  REQUIRE(rec);
  CHECK(error.empty());
  const fs::path dir = tmp.path / "runs" / kRunId;
  CHECK(rec->dir() == dir.string());
  CHECK(fs::is_regular_file(dir / "events.jsonl"));
  CHECK_FALSE(fs::exists(dir / "output"));  // made on the first output only

  rec->event(event("run_start", {{"run_id", kRunId}, {"runbook", "db-down"}}, 0));
  rec->event(event("command_start", {{"step", "restart"}, {"seq", 1}, {"command", "echo"}}, 5));
  rec->output(1, Stream::Out, "hello ");
  rec->output(1, Stream::Err, "oops\n");
  rec->output(1, Stream::Out, "world\n");
  rec->output(1, Stream::Out, "");
  rec->event(event("command_end", {{"step", "restart"}, {"seq", 1}, {"exit", 0}}, 17));
  rec->output(2, Stream::Out, "second command\n");
  rec->event(event("note", {{"step", "restart"}, {"text", "two\nlines"}}, 20));
  rec->event(event("not_firing", nlohmann::json::object(), 21));
  rec->event(event("run_end", {{"outcome", "resolved"}, {"exit_code", 0}}, 1234));
  rec->sync();
  CHECK(rec->error().empty());

  std::string text = read_file((dir / "events.jsonl").string());
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  auto lines = lines_of(text);
  REQUIRE(lines.size() == 6);
  // The fixed fields first, in this order, then the event's own.
  CHECK(lines[0] == R"({"t":0,"time":"2026-01-02T03:04:05.678Z","type":"run_start",)"
                    R"("run_id":"20260102T030405Z-abc123","runbook":"db-down"})");
  CHECK(lines[4] == R"({"t":21,"time":"2026-01-02T03:04:05.678Z","type":"not_firing"})");
  std::vector<std::string> types;
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);  // throws, failing the test, if not JSON
    REQUIRE(j.is_object());
    types.push_back(j.at("type").get<std::string>());
  }
  CHECK(types == std::vector<std::string>{"run_start", "command_start", "command_end", "note",
                                          "not_firing", "run_end"});
  auto note = nlohmann::json::parse(lines[3]);
  CHECK(note["text"] == "two\nlines");
  CHECK(note["t"] == 20);
  CHECK(nlohmann::json::parse(lines[5])["t"] == 1234);

  CHECK(read_file((dir / "output/0001.stdout").string()) == "hello world\n");
  CHECK(read_file((dir / "output/0001.stderr").string()) == "oops\n");
  CHECK(read_file((dir / "output/0002.stdout").string()) == "second command\n");
  CHECK_FALSE(fs::exists(dir / "output/0002.stderr"));
}

TEST_CASE("a record is private: directories 0700, files 0600", "[record]") {
  TempDir tmp;
  Umask umask;
  std::string error;
  const fs::path records = tmp.path / "a" / "b" / "runs";  // parents made as needed
  auto rec = RunRecord::create(records.string(), kRunId, error);
  REQUIRE(rec);
  rec->event(event("run_start", nlohmann::json::object(), 0));
  rec->output(7, Stream::Out, "x");
  rec->output(7, Stream::Err, "y");
  rec->sync();
  CHECK(rec->error().empty());
  CHECK(mode_of(tmp.path / "a") == 0700);
  CHECK(mode_of(records) == 0700);
  CHECK(mode_of(records / kRunId) == 0700);
  CHECK(mode_of(records / kRunId / "output") == 0700);
  CHECK(mode_of(records / kRunId / "events.jsonl") == 0600);
  CHECK(mode_of(records / kRunId / "output/0007.stdout") == 0600);
  CHECK(mode_of(records / kRunId / "output/0007.stderr") == 0600);
}

TEST_CASE("an existing records directory is used as it is", "[record]") {
  TempDir tmp;
  Umask umask;
  fs::permissions(tmp.path, fs::perms(0755));
  std::string error;
  auto first = RunRecord::create(tmp.path.string(), "one", error);
  auto second = RunRecord::create(tmp.path.string() + "/", "two", error);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(mode_of(tmp.path) == 0755);
  CHECK(second->dir() == (tmp.path / "two").string());
}

TEST_CASE("creating a record that exists fails cleanly", "[record]") {
  TempDir tmp;
  std::string error;
  auto first = RunRecord::create(tmp.path.string(), kRunId, error);
  REQUIRE(first);
  first->event(event("run_start", nlohmann::json::object(), 0));
  const std::string before = read_file((tmp.path / kRunId / "events.jsonl").string());

  auto second = RunRecord::create(tmp.path.string(), kRunId, error);
  CHECK_FALSE(second);
  const std::string dir = (tmp.path / kRunId).string();
  CHECK(error == "cannot create run record " + dir + ": File exists");
  // The first record is untouched.
  CHECK(read_file((tmp.path / kRunId / "events.jsonl").string()) == before);
}

TEST_CASE("a records directory that cannot be made fails cleanly", "[record]") {
  TempDir tmp;
  write_file((tmp.path / "file").string(), "not a directory");
  std::string error;
  auto rec = RunRecord::create((tmp.path / "file" / "runs").string(), kRunId, error);
  CHECK_FALSE(rec);
  CHECK(error ==
        "cannot create records directory " + (tmp.path / "file").string() + ": Not a directory");
  CHECK(error.find('\n') == std::string::npos);

  for (const char* bad : {"", ".", "..", "a/b"}) {
    error.clear();
    CHECK_FALSE(RunRecord::create(tmp.path.string(), bad, error));
    CHECK(error.rfind("cannot create a run record: invalid run id", 0) == 0);
  }
  error.clear();
  CHECK_FALSE(RunRecord::create("", kRunId, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("invalid UTF-8 in an event does not throw", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = RunRecord::create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  const std::string bad = "ok \xff\xfe end";
  CHECK_NOTHROW(rec->event(event("note", {{"text", bad}, {"list", {bad}}}, 3)));
  CHECK_NOTHROW(rec->output(1, Stream::Out, bad));
  CHECK(rec->error().empty());
  auto lines = lines_of(read_file((tmp.path / kRunId / "events.jsonl").string()));
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["text"] == "ok \xEF\xBF\xBD\xEF\xBF\xBD end");  // U+FFFD for each bad byte
  CHECK(j["list"][0] == j["text"]);
  // Output files keep the bytes as they came.
  CHECK(read_file((tmp.path / kRunId / "output/0001.stdout").string()) == bad);
}

TEST_CASE("event fields named like the fixed ones do not make duplicate keys", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = RunRecord::create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  rec->event(event("warning", {{"type", "x"}, {"t", 9}, {"message", "m"}}, 4));
  rec->event(event("warning", "not an object", 5));
  auto lines = lines_of(read_file((tmp.path / kRunId / "events.jsonl").string()));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"({"t":4,"time":"2026-01-02T03:04:05.678Z","type":"warning",)"
                    R"("data_t":9,"data_type":"x","message":"m"})");
  CHECK(lines[1] ==
        R"({"t":5,"time":"2026-01-02T03:04:05.678Z","type":"warning","data":"not an object"})");
}

TEST_CASE("a command's output files close at its end and still sync", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = RunRecord::create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  {
    // With few descriptors allowed, many commands one after another still
    // get their output stored: each command's files close at its end.
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    struct rlimit low = old;
    low.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (uint64_t seq = 1; seq <= 200; ++seq) {
      rec->output(seq, Stream::Out, "out\n");
      rec->output(seq, Stream::Err, "err\n");
      rec->event(event("command_end", {{"seq", seq}}, 1));
    }
    rec->sync();
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &old) == 0);
  }
  CHECK(rec->error().empty());
  CHECK(read_file((tmp.path / kRunId / "output/0200.stdout").string()) == "out\n");
  CHECK(read_file((tmp.path / kRunId / "output/0200.stderr").string()) == "err\n");
  // Output after the end (not expected, but harmless) appends.
  rec->output(1, Stream::Out, "late\n");
  rec->sync();
  CHECK(read_file((tmp.path / kRunId / "output/0001.stdout").string()) == "out\nlate\n");
  CHECK(rec->error().empty());
}

TEST_CASE("a write error is kept, not thrown", "[record]") {
  TempDir tmp;
  std::string error;
  auto rec = RunRecord::create(tmp.path.string(), kRunId, error);
  REQUIRE(rec);
  // Where the output directory should go, a file: output cannot be stored.
  write_file((tmp.path / kRunId / "output").string(), "in the way");
  CHECK_NOTHROW(rec->output(3, Stream::Out, "lost"));
  CHECK_NOTHROW(rec->output(3, Stream::Out, "lost too"));
  CHECK(rec->error() ==
        "cannot create " + (tmp.path / kRunId / "output").string() + ": Not a directory");
  // The events still go on.
  rec->event(event("note", {{"text", "still here"}}, 1));
  CHECK_NOTHROW(rec->sync());
  CHECK(read_file((tmp.path / kRunId / "events.jsonl").string()).find("still here") !=
        std::string::npos);
}

TEST_CASE("run ids are the UTC time and a random suffix", "[record]") {
  const std::regex shape("[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}");
  std::string a = rbk::new_run_id(), b = rbk::new_run_id(), c = rbk::new_run_id();
  CHECK(std::regex_match(a, shape));
  CHECK(std::regex_match(b, shape));
  // 24 random bits each: three equal suffixes would be a broken source.
  CHECK_FALSE((a.substr(17) == b.substr(17) && b.substr(17) == c.substr(17)));
}
