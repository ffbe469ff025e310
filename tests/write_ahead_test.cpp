// The write-ahead of a destructive step, seen from outside: strace follows
// rbk and every process it starts, and its log puts each write to the
// record, each fsync and each execve in the order they happened. A
// destructive command's shell starts only after the write of its
// command_start was synced (the file, the run's directory and, the first
// time, the directory of runs); the write of its command_end is synced
// before the record's next line. A step that is not destructive syncs
// nothing around its command: that is what shows the test can tell.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

constexpr const char* kRunbook = R"(runbook wa {
  title "Write-ahead"
  diagnose {
    step look "Look" { run `echo looked` }
  }
  remediate {
    step prep "Prepare" { run `echo prep-step` }
    step wipe "Wipe" {
      MARKER
      run `echo wiped-step`
      run `echo wiped-again`
    }
    step after "After" { run `echo after-step` }
  }
}
)";

// The lines of strace's log.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

// The index of the first line holding `needle`, at or after `from`.
size_t find_line(const std::vector<std::string>& lines, const std::string& needle,
                 size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i)
    if (lines[i].find(needle) != std::string::npos) return i;
  return lines.size();
}

// True when a line in [from, to) is an fsync of `path` (strace -y prints the
// descriptor with its path, `fsync(5</…/events.jsonl>) = 0`, or, when
// another traced call came between, `fsync(5</…/events.jsonl> <unfinished …>`).
bool synced_between(const std::vector<std::string>& lines, size_t from, size_t to,
                    const std::string& path) {
  for (size_t i = from; i < to && i < lines.size(); ++i)
    if (lines[i].find("fsync(") != std::string::npos &&
        lines[i].find("<" + path + ">") != std::string::npos)
      return true;
  return false;
}

// The index of the first write to the record at or after `from` whose line
// holds every one of `parts` (strace escapes the line's quotes: \"type\").
size_t find_write(const std::vector<std::string>& lines, const std::vector<std::string>& parts,
                  size_t from = 0) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (lines[i].find("write(") == std::string::npos ||
        lines[i].find("events.jsonl>") == std::string::npos)
      continue;
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& p) { return lines[i].find(p) != std::string::npos; }))
      return i;
  }
  return lines.size();
}

struct Traced {
  std::vector<std::string> lines;
  size_t prep = 0, wipe = 0, after = 0;  // each command's shell's execve
  std::string run_dir;                   // the run's directory, as strace prints it
};

Traced trace_run(const std::string& marker) {
  if (std::system("command -v strace >/dev/null 2>&1") != 0) FAIL("strace is not installed");
  rbk::test::TempDir tmp;
  std::string text = kRunbook;
  text.replace(text.find("MARKER"), 6, marker);
  write_file((tmp.path / "wa.rbk").string(), text);
  write_file((tmp.path / "rbk.yaml").string(), "records: .rbk/runs\n");
  const std::string log = (tmp.path / "strace.log").string();
  // LeakSanitizer cannot run under ptrace; leaks are the other tests' job.
  auto r = rbk::test::run_rbk_in(tmp.path.string(), "run wa.rbk --non-interactive --approve wipe",
                                 "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -s 100000 -e "
                                 "trace=fsync,fdatasync,execve,write -o '" +
                                     log + "' env");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("wiped-step"));
  Traced t;
  t.lines = lines_of(read_file(log));
  t.prep = find_line(t.lines, R"("-c", "echo prep-step")");
  t.wipe = find_line(t.lines, R"("-c", "echo wiped-step")");
  t.after = find_line(t.lines, R"("-c", "echo after-step")");
  REQUIRE(t.prep < t.wipe);
  REQUIRE(t.wipe < t.after);
  REQUIRE(t.after < t.lines.size());
  for (const auto& file : fs::recursive_directory_iterator(tmp.path))
    if (file.path().filename() == "events.jsonl")
      t.run_dir = fs::canonical(file.path().parent_path()).string();
  REQUIRE_FALSE(t.run_dir.empty());
  return t;
}

}  // namespace

TEST_CASE(
    "a destructive command starts only once its start is on disk, and its end is on disk "
    "before anything else runs",
    "[record][processes]") {
  const Traced t = trace_run("destructive");
  // Its command_start written, then synced with the run's directory (and,
  // the first sync of the run, the directory of runs), then its shell.
  const size_t start = find_write(t.lines, {R"(\"type\":\"command_start\")", "echo wiped-step"});
  REQUIRE(start < t.wipe);
  CHECK(synced_between(t.lines, start, t.wipe, t.run_dir + "/events.jsonl"));
  CHECK(synced_between(t.lines, start, t.wipe, t.run_dir));
  CHECK(synced_between(t.lines, 0, t.wipe, fs::path(t.run_dir).parent_path().string()));
  // Its command_end written, then synced before the record's next line (the
  // start of the step's second command).
  const size_t end = find_write(t.lines, {R"(\"type\":\"command_end\")"}, t.wipe);
  const size_t next = find_write(t.lines, {R"({\"t\":)"}, end + 1);
  REQUIRE(end < next);
  REQUIRE(next < t.after);
  CHECK(synced_between(t.lines, end, next, t.run_dir + "/events.jsonl"));
}

TEST_CASE("a step that is not destructive syncs nothing around its command",
          "[record][processes]") {
  const Traced t = trace_run("note \"harmless\"");
  const size_t start = find_write(t.lines, {R"(\"type\":\"command_start\")", "echo prep-step"});
  REQUIRE(start < t.prep);
  CHECK_FALSE(synced_between(t.lines, start, t.after, t.run_dir + "/events.jsonl"));
  CHECK_FALSE(synced_between(t.lines, start, t.after, t.run_dir));
}
