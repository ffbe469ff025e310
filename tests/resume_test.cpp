// `rbk resume` with real processes: rbk is killed (SIGKILL) or interrupted
// while a command runs, then resumed. What must hold: no process of the
// dead run survives, nothing the record saw end runs again, a destructive
// command that was running never runs again without a decision, and the
// record stays whole JSON lines with one `resume` where the run went on.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "interpreter/engine/resume.hpp"
#include "interpreter/runtime/leftovers.hpp"
#include "interpreter/runtime/spawner.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::PtySession;
using rbk::test::read_file;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

constexpr int kHangGuardMs = 120'000;  // for a hang only

// A diagnose step that counts its runs; a remediate step whose command
// counts its runs and, the first time only, says its pid through a FIFO (so
// the test knows it is running, without polling) and sleeps; then a check.
constexpr const char* kRunbook = R"(runbook crashy {
  title "Crash and resume"
  diagnose {
    step look "Look" { run `echo run >> look.count; echo seen` as seen }
  }
  remediate {
    step fix "Fix" {
      MARKER
      run `echo run >> fix.count; if mkdir once.d 2>/dev/null; then echo $$ >> running.fifo; exec sleep 3600; fi`
    }
  }
  verify {
    check done "Done" { run `test -s fix.count` }
  }
  escalate {
    on interrupted notify oncall "stopped"
  }
}
)";

struct Project {
  rbk::test::TempDir tmp;
  explicit Project(bool destructive) {
    write_runbook(destructive ? "destructive" : "note \"harmless\"");
    // Notifications land in a file: the test sees who was told what.
    write_file((tmp.path / "rbk.yaml").string(),
               "notify:\n  notify: 'echo \"$RBK_MESSAGE\" >> notified.txt'\n");
  }
  void write_runbook(const std::string& marker) {
    std::string text = kRunbook;
    text.replace(text.find("MARKER"), 6, marker);
    write_file((tmp.path / "crashy.rbk").string(), text);
    std::error_code ec;
    if (!fs::exists(tmp.path / "running.fifo", ec))
      REQUIRE(::mkfifo((tmp.path / "running.fifo").c_str(), 0600) == 0);
  }
  std::string dir() const { return tmp.path.string(); }
  std::string read(const std::string& name) const {
    std::error_code ec;
    return fs::exists(tmp.path / name, ec) ? read_file((tmp.path / name).string()) : "";
  }
  std::string events_path() const {
    for (const auto& run : fs::directory_iterator(tmp.path / ".rbk" / "runs"))
      return (run.path() / "events.jsonl").string();
    return "";
  }
  // Every line of the run's events.jsonl, parsed (one that is not JSON
  // fails the test).
  std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(events_path());
    std::string line;
    while (std::getline(in, line)) {
      INFO(line);
      REQUIRE(nlohmann::json::accept(line));
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (auto& e : events())
      if (e["type"] == type) out.push_back(e);
    return out;
  }
  // Waits until the step's command says its pid (a hang guard names it).
  int command_pid() const {
    const std::string fifo = (tmp.path / "running.fifo").string();
    int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::string got;
    while (got.find('\n') == std::string::npos) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, kHangGuardMs) <= 0) {
        ::close(fd);
        FAIL("the step's command did not start (nothing on " + fifo + ")");
      }
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return std::atoi(got.c_str());
  }
  // Starts the run on a terminal, waits until the step's command runs, and
  // sends rbk `sig`. Returns the command's pid.
  int run_until_fix_then(int sig, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"run", "crashy.rbk"};
    args.insert(args.end(), extra.begin(), extra.end());
    PtySession s(dir(), args);
    const int pid = command_pid();
    s.kill(sig);
    last_output = s.wait().out + s.output();
    return pid;
  }
  // Resumes on a terminal: waits for each of `shown` in turn, then answers
  // the question about the command that was running (output in last_output).
  Exit resume_answering(const std::vector<std::string>& shown, const std::string& answer,
                        const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"resume"};
    args.insert(args.end(), extra.begin(), extra.end());
    PtySession s(dir(), args);
    for (const auto& text : shown) REQUIRE(s.expect(text));
    REQUIRE(s.expect("[s]top: "));
    s.send(answer + "\n");
    Exit e = s.wait();
    last_output = s.output();
    return e;
  }
  std::string last_output;
};

}  // namespace

TEST_CASE("a run killed with SIGKILL leaves nothing running and resumes without repeating",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  const int pid = p.run_until_fix_then(SIGKILL, {"--yes"});
  REQUIRE(pid > 0);
  // Its supervisor ends the command when rbk's end of the channel closes.
  CHECK(rbk::test::still_alive({pid}) == "");
  CHECK(p.read("fix.count") == "run\n");
  CHECK(p.of_type("run_end").empty());

  // Only reads: it runs again, with no question and no flag.
  Exit e = run_detached(p.dir(), {"resume"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(p.read("look.count") == "run\n");        // the record had its result
  CHECK(p.read("notified.txt") == "stopped\n");  // the death, told at resume
  CHECK(p.read("fix.count") == "run\nrun\n");
  auto resumes = p.of_type("resume");
  REQUIRE(resumes.size() == 1);
  CHECK(resumes[0]["step"] == "fix");
  CHECK(resumes[0]["decision"] == "run_again");
  auto ends = p.of_type("run_end");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["outcome"] == "resolved");
  // The rerun has a number of its own; the dead one has no end.
  std::vector<uint64_t> started, ended;
  for (auto& c : p.of_type("command_start"))
    if (c["step"] == "fix") started.push_back(c["seq"]);
  for (auto& c : p.of_type("command_end"))
    if (c["step"] == "fix") ended.push_back(c["seq"]);
  REQUIRE(started.size() == 2);
  CHECK(started[1] > started[0]);
  CHECK(ended == std::vector<uint64_t>{started[1]});

  // Over: nothing to resume.
  e = run_detached(p.dir(), {"resume"});
  CHECK(e.code == 2);
  CHECK_THAT(e.err, Catch::Contains("no run to resume"));
}

TEST_CASE("a SIGKILL to rbk's whole process group still ends the command", "[resume]") {
  // As `kill -9 -- -PGID`, `timeout -s KILL` or a CI runner ending the job
  // send it: the spawner and the supervisors must not be in that group, or
  // nothing is left to end the command.
  rbk::test::TempDir tmp;
  write_file((tmp.path / "hold.rbk").string(),
             "runbook hold {\n  diagnose {\n"
             "    step hold \"Hold\" { run `sleep 300 & echo $! >> sleep.pid; wait` timeout 10m }\n"
             "  }\n}\n");
  const fs::path pid_file = tmp.path / "sleep.pid";
  auto started = [&](const std::string&) {
    return fs::exists(pid_file) && !rbk::test::pids_in(read_file(pid_file.string())).empty();
  };
  Exit e =
      rbk::test::run_signalled_when(tmp.path.string(), {"run", "hold.rbk", "--non-interactive"},
                                    started, SIGKILL, /*whole_group=*/true);
  CHECK(e.signal == SIGKILL);
  const std::vector<int> pids = rbk::test::pids_in(read_file(pid_file.string()));
  REQUIRE(pids.size() == 1);
  CHECK(rbk::test::still_alive(pids) == "");
}

TEST_CASE("rbk resume never counts its own spawner among the dead run's processes", "[resume]") {
  // The spawner carries rbk's environment (a resume started from a shell a
  // step opened has the run's RBK_RUN_ID) and has a process group of its
  // own: only being rbk's child spares it. An entry of this process's own
  // environment as it started (what /proc shows) stands for RBK_RUN_ID.
  const std::string own = read_file("/proc/self/environ");
  const std::string entry = own.substr(0, own.find('\0'));
  REQUIRE(entry.find('=') != std::string::npos);
  rbk::Spawner spawner;
  spawner.prepare();
  const pid_t helper = spawner.helper_pid();
  REQUIRE(helper > 0);
  const std::vector<int> found =
      rbk::processes_with_env(entry.substr(0, entry.find('=')), entry.substr(entry.find('=') + 1));
  CHECK(std::find(found.begin(), found.end(), helper) == found.end());
}

TEST_CASE("a destructive command that was running never runs again without a decision",
          "[resume][pty]") {
  Project p(/*destructive=*/true);
  const int pid = p.run_until_fix_then(SIGKILL, {"--approve", "fix"});
  CHECK(rbk::test::still_alive({pid}) == "");
  // As if rbk had died in the middle of writing a line.
  const std::string cut = R"({"t":99,"time":"2026-)";
  {
    std::ofstream append(p.events_path(), std::ios::app);
    append << cut;
  }
  const std::string before = read_file(p.events_path());

  // Without a terminal only a flag decides; nothing happens without one,
  // not even to the cut line.
  Exit e = run_detached(p.dir(), {"resume"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("--assume-done fix"));
  CHECK_THAT(e.err, Catch::Contains("--approve fix"));
  CHECK(read_file(p.events_path()) == before);
  CHECK(p.read("fix.count") == "run\n");

  SECTION("counted as done") {
    e = run_detached(p.dir(), {"resume", "--assume-done", "fix"});
    INFO(e.out << e.err);
    CHECK(e.code == 0);
    CHECK(p.read("fix.count") == "run\n");
    auto resumes = p.of_type("resume");
    REQUIRE(resumes.size() == 1);
    CHECK(resumes[0]["decision"] == "done");
    CHECK(resumes[0]["via"] == "approve");
    CHECK(resumes[0]["dropped_bytes"] == cut.size());  // and every line parses (of_type)
  }
  SECTION("run again, chosen on the terminal") {
    Exit done = p.resume_answering({"no result was recorded", "[r]un it again"}, "r");
    INFO(p.last_output);
    CHECK(done.code == 0);
    CHECK(p.read("fix.count") == "run\nrun\n");
    auto resumes = p.of_type("resume");
    REQUIRE(resumes.size() == 1);
    CHECK(resumes[0]["decision"] == "run_again");
    CHECK(resumes[0]["via"] == "tty");
  }
  SECTION("counted as failed: the run fails") {
    e = run_detached(p.dir(), {"resume", "--assume-failed", "fix"});
    CHECK(e.code == 1);
    CHECK(p.read("fix.count") == "run\n");
    CHECK(p.of_type("run_end").at(0)["failed_step"] == "fix");
  }
  CHECK(p.read("look.count") == "run\n");
}

TEST_CASE("before it asks, resume runs the step's verify probe and shows what it says",
          "[resume][pty]") {
  Project p(/*destructive=*/true);
  p.write_runbook("destructive\n      verify `echo checked >> probe.count; cat fix.count`");
  p.run_until_fix_then(SIGKILL, {"--approve", "fix"});
  const std::string before = read_file(p.events_path());

  SECTION("stopped at the question: nothing more runs, nothing is written") {
    Exit e = p.resume_answering(
        {"no result was recorded",
         "Its check `echo checked >> probe.count; cat fix.count` passes now: exit 0"},
        "s");
    INFO(p.last_output);
    CHECK(e.code == 4);
    CHECK_THAT(p.last_output, Catch::Contains("rbk resume"));
    CHECK(read_file(p.events_path()) == before);
    CHECK(p.read("fix.count") == "run\n");
    CHECK(p.read("probe.count") == "checked\n");
    // Nobody was told of a resume that did not happen (`on interrupted`
    // waits for the decision): the next resume tells them, once.
    CHECK(p.read("notified.txt") == "");
  }
  SECTION("counted as done after the probe") {
    Exit e = p.resume_answering({"passes now: exit 0"}, "d");
    INFO(p.last_output);
    CHECK(e.code == 0);
    CHECK(p.read("fix.count") == "run\n");
    auto resumes = p.of_type("resume");
    REQUIRE(resumes.size() == 1);
    CHECK(resumes[0]["decision"] == "done");
    CHECK(resumes[0]["via"] == "tty");
    CHECK(resumes[0]["probe"] == "echo checked >> probe.count; cat fix.count");
    CHECK(resumes[0]["probe_passed"] == true);
    CHECK(resumes[0]["probe_result"] == "exit 0\nrun");
    CHECK(p.read("notified.txt") == "stopped\n");  // `on interrupted`, after the decision
    // The report's timeline says what the check said when the operator decided.
    Exit report = run_detached(p.dir(), {"report"});
    CHECK(report.code == 0);
    CHECK_THAT(report.out, Catch::Contains("counted as done after its check `echo checked >> "
                                           "probe.count; cat fix.count` passed"));
  }
  // A probe that looks destructive, or whose shell code is made at run time
  // (it may delete as well as read), is not run: the question says why.
  auto not_run = [&](const std::string& probe, const std::string& why) {
    p.write_runbook("destructive\n      verify `" + probe + "`");
    REQUIRE(fs::create_directory(p.tmp.path / "keep.d"));
    Exit e = p.resume_answering({"not run: " + why}, "d", {"--allow-changed"});
    INFO(p.last_output);
    CHECK(e.code == 0);
    CHECK(fs::exists(p.tmp.path / "keep.d"));
    const auto resume = p.of_type("resume").at(0);
    CHECK_FALSE(resume.contains("probe_passed"));  // it did not run: neither passed nor failed
    CHECK_THAT(resume["probe_result"].get<std::string>(), Catch::StartsWith("not run: " + why));
  };
  SECTION("a probe that looks destructive is not run") {
    not_run("rm -rf keep.d", "it looks destructive");
  }
  SECTION("a probe rbk cannot analyse is not run either") {
    not_run("sh -c \"$(printf 'rm -rf keep.d')\"", "rbk cannot analyse it");
  }
}

TEST_CASE("Ctrl-C or a lost terminal: the stopped command is the one in flight on resume",
          "[resume][pty]") {
  const int sig = GENERATE(SIGINT, SIGHUP);
  CAPTURE(sig);
  Project p(/*destructive=*/true);
  const int pid = p.run_until_fix_then(sig, {"--approve", "fix"});
  CHECK(rbk::test::still_alive({pid}) == "");
  // How to go on, with the run's id: on the terminal after Ctrl-C; after a
  // SIGHUP wherever stderr still goes (here the terminal was not closed).
  const std::string run_id = fs::path(p.events_path()).parent_path().filename().string();
  CHECK_THAT(p.last_output, Catch::Contains("rbk resume " + run_id + " continues it"));
  REQUIRE(p.of_type("run_end").at(0)["outcome"] == "interrupted");
  // `on interrupted` reached someone although the run was cancelled.
  CHECK(p.read("notified.txt") == "stopped\n");
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive", "--approve", "fix"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(p.read("fix.count") == "run\nrun\n");
  CHECK(p.of_type("resume").size() == 1);
  auto ends = p.of_type("run_end");
  REQUIRE(ends.size() == 2);  // the interruption's, then the resumed run's
  CHECK(ends[1]["outcome"] == "resolved");
  CHECK(p.read("notified.txt") == "stopped\n");  // told once, not again at resume
}

TEST_CASE("resume refuses a run still going and a changed runbook, unless allowed",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  {
    PtySession s(p.dir(), {"run", "crashy.rbk", "--yes"});
    const int pid = p.command_pid();
    Exit e = run_detached(p.dir(), {"resume"});
    CHECK(e.code == 2);
    CHECK_THAT(e.err, Catch::Contains("no run to resume"));
    s.kill(SIGKILL);
    s.wait();
    CHECK(rbk::test::still_alive({pid}) == "");
  }
  // A changed title: the replay still matches, but the text is not the same.
  std::string text = read_file((p.tmp.path / "crashy.rbk").string());
  text.replace(text.find("Crash and resume"), 16, "Crash, then resume");
  write_file((p.tmp.path / "crashy.rbk").string(), text);
  Exit e = run_detached(p.dir(), {"resume"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("changed since the run started"));
  CHECK(p.of_type("resume").empty());
  e = run_detached(p.dir(), {"resume", "--allow-changed"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  auto resumes = p.of_type("resume");
  REQUIRE(resumes.size() == 1);
  CHECK(resumes[0]["runbook_changed"] == true);
}

namespace {

// Every command counts its runs; `prep` and `fix` have an undo (not
// destructive itself), `fix` is destructive; `tidy` fails when the file `tidy-fails` is there (the
// run then rolls back and fix's undo runs). fix's command waits while the
// file `hold-before` (before it counts; it says so in `waiting`) or
// `hold-after` (after) is there: the test kills rbk while it waits, with or
// without its work done. The
// `after 1ms` page fires during the run, and the diagnose step waits until
// it was delivered, so every run pages once at the same point (a resume
// fires it at once when its moment passed while the run was down).
constexpr const char* kMatrix = R"(runbook matrix {
  title "Crash matrix"
  diagnose {
    step look "Look" {
      run `echo run >> look.count; until [ -s paged.txt ]; do sleep 0.01; done; echo seen` as seen
    }
  }
  remediate {
    step prep "Prepare" {
      run `echo run >> prep.count`
      undo { run `echo run >> prep-undo.count` }
    }
    step fix "Fix" {
      destructive
      run `while [ -e hold-before ]; do echo >> waiting; sleep 0.01; done; echo run >> fix.count; while [ -e hold-after ]; do sleep 0.01; done`
      verify `test -s fix.count`
      undo { run `echo run >> undo.count` }
    }
    step tidy "Tidy" { run `echo run >> tidy.count; test ! -e tidy-fails` }
  }
  verify {
    check done "Done" { run `test -s fix.count` }
  }
  escalate {
    notify oncall "started"
    after 1ms page oncall "still going"
  }
}
)";

// The record's lines; every one but the last must be whole JSON, and the
// last too unless `cut_ok`.
std::vector<nlohmann::json> record_lines(const std::string& path, bool cut_ok) {
  std::vector<nlohmann::json> out;
  std::string text = read_file(path);
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (nl == std::string::npos && cut_ok) break;  // a cut last line
    INFO(path << ": " << line);
    REQUIRE(nlohmann::json::accept(line));
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// The last status of each step, and the run's last outcome.
std::map<std::string, std::string> ending(const std::vector<nlohmann::json>& events) {
  std::map<std::string, std::string> out;
  for (const auto& e : events) {
    if (e["type"] == "step_end")
      out[e["step"].get<std::string>() + " (" + e["section"].get<std::string>() + ")"] =
          e["status"];
    if (e["type"] == "run_end") out["(outcome)"] = e["outcome"];
  }
  return out;
}

// Each escalation delivered: kind, role, message and what fired it, sorted
// (a timer's place among the events is the machine's).
std::vector<std::string> escalations(const std::vector<nlohmann::json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e["type"] == "escalation")
      out.push_back(e["kind"].get<std::string>() + " " + e["role"].get<std::string>() + " \"" +
                    e["message"].get<std::string>() + "\" on " + e["trigger"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

// The matrix's steps that are not destructive, and the files their
// commands count their runs in.
const std::map<std::string, std::string> kCounting = {{"look", "look.count"},
                                                      {"prep", "prep.count"},
                                                      {"tidy", "tidy.count"},
                                                      {"fix.undo", "undo.count"},
                                                      {"prep.undo", "prep-undo.count"}};

// How a crash-matrix run is resumed.
enum class Way {
  Flags,         // --non-interactive --approve fix
  Terminal,      // on a terminal: --approve fix; fix in flight: answered after its probe
  Decided,       // fix in flight: --assume-done fix when its work is there, else --approve fix
  AssumeFailed,  // fix in flight: --assume-failed fix (counted failed: rollback follows)
};

// One crash-matrix project: the runbook, rbk.yaml with notify and page
// commands that write files, and the file that makes tidy fail.
struct Matrix {
  rbk::test::TempDir tmp;
  explicit Matrix(bool tidy_fails) {
    write_file((tmp.path / "matrix.rbk").string(), kMatrix);
    write_file((tmp.path / "rbk.yaml").string(),
               "records: .rbk/runs\nnotify:\n  notify: 'echo \"$RBK_MESSAGE\" >> notified.txt'\n"
               "  page: 'echo \"$RBK_MESSAGE\" >> paged.txt'\n");
    if (tidy_fails) write_file((tmp.path / "tidy-fails").string(), "");
  }
  std::string dir() const { return tmp.path.string(); }
  fs::path file(const std::string& name) const { return tmp.path / name; }
  std::string count(const std::string& name) const { return read_file(file(name).string()); }
  std::string events_path() const {
    for (const auto& d : fs::directory_iterator(tmp.path / ".rbk" / "runs"))
      return (d.path() / "events.jsonl").string();
    return std::string();
  }
};

const std::vector<std::string> kMatrixRun = {"run",       "matrix.rbk", "--non-interactive",
                                             "--approve", "fix",        "--json"};

// What the uninterrupted run came to.
struct Whole {
  std::map<std::string, std::string> ending{};
  std::vector<std::string> told{};
  std::map<std::string, std::string> counted{};  // by step, as in kCounting
  std::string out{};                             // its --json output
};

Whole whole_run(bool tidy_fails) {
  Matrix m(tidy_fails);
  Exit e = run_detached(m.dir(), kMatrixRun);
  REQUIRE(e.code == (tidy_fails ? 1 : 0));
  const auto events = record_lines(m.events_path(), false);
  Whole w{.ending = ending(events), .told = escalations(events), .out = e.out};
  for (const auto& [step, file] : kCounting) w.counted[step] = m.count(file);
  REQUIRE(w.ending.at("(outcome)") == (tidy_fails ? "failed" : "resolved"));
  REQUIRE(w.told.size() == 2);  // started, still going
  CHECK(w.counted.at("fix.undo") == (tidy_fails ? "run\n" : ""));
  CHECK(w.counted.at("prep.undo") == (tidy_fails ? "run\n" : ""));
  return w;
}

// Resumes the killed run in `m` the way `way` says, and checks that it ends
// as the uninterrupted run `w` did (or as a failed fix, when counted so).
// Returns the command that was in flight ("" when none).
std::string resume_and_check(const Matrix& m, Way way, bool tidy_fails, const Whole& w) {
  const std::string path = m.events_path();
  // No process of the killed run outlives it (its commands carry its id).
  const std::string run_id = fs::path(path).parent_path().filename().string();
  CHECK(rbk::test::still_alive(rbk::processes_with_env("RBK_RUN_ID", run_id)) == "");
  bool ended = false;
  std::string in_flight;  // a command_start without its command_end
  for (const auto& ev : record_lines(path, true)) {
    if (ev["type"] == "run_end") ended = true;
    if (ev["type"] == "command_start") in_flight = ev["step"];
    if (ev["type"] == "command_end") in_flight.clear();
  }
  const bool fix_in_flight = in_flight == "fix";
  const bool done = fs::exists(m.file("fix.count"));
  // fix in flight, kill points that fell there by chance: as an operator
  // would, on a terminal after the probe.
  if (fix_in_flight && way == Way::Flags) way = Way::Terminal;
  const bool failed_fix = way == Way::AssumeFailed && fix_in_flight;
  const int code = tidy_fails || failed_fix ? 1 : 0;
  if (!ended) {
    if (way == Way::Terminal && fix_in_flight) {
      // The step's verify probe says whether the command did its work, and
      // the answer follows it. (Its gate was answered before the command
      // started: the record has the answer.)
      PtySession s(m.dir(), {"resume"});
      REQUIRE(s.expect("Its check `test -s fix.count` "));
      REQUIRE(s.expect("[s]top: "));
      const bool passes = s.output().find("` passes now") != std::string::npos;
      CHECK(passes == done);
      s.send(passes ? "d\n" : "r\n");
      Exit e = s.wait();
      INFO(s.output());
      REQUIRE(e.code == code);
    } else if (way == Way::Terminal) {
      // Gates the record has not answered yet are approved by the flag.
      PtySession s(m.dir(), {"resume", "--approve", "fix"});
      Exit e = s.wait();
      INFO(s.output());
      REQUIRE(e.code == code);
    } else {
      std::vector<std::string> args = {"resume", "--non-interactive"};
      if (way == Way::Flags || (way == Way::Decided && !done))
        args.insert(args.end(), {"--approve", "fix"});
      if (way == Way::Decided && done) args.insert(args.end(), {"--assume-done", "fix"});
      if (way == Way::AssumeFailed) args.insert(args.end(), {"--assume-failed", "fix"});
      Exit e = run_detached(m.dir(), args);
      INFO(e.out << e.err);
      REQUIRE(e.code == code);
    }
  }
  const auto after = record_lines(path, false);
  if (failed_fix) {
    // Counted as failed, not run again: it never completed, so it has
    // nothing to undo, but the step before it did and is undone; tidy
    // never runs, and the run fails.
    const auto got = ending(after);
    CHECK(got.at("fix (remediate)") == "failed");
    CHECK(got.at("prep.undo (undo)") == "ok");
    CHECK(got.at("(outcome)") == "failed");
    CHECK_FALSE(got.count("tidy (remediate)"));
    CHECK_FALSE(fs::exists(m.file("undo.count")));
    CHECK(m.count("prep-undo.count") == "run\n");
    CHECK(m.count("prep.count") == "run\n");
    CHECK_FALSE(fs::exists(m.file("tidy.count")));
    CHECK(fs::exists(m.file("fix.count")) == done);
  } else {
    CHECK(ending(after) == w.ending);
    // Each step that is not destructive ran as in the uninterrupted run
    // (the undo once when tidy failed). The one whose command was in
    // flight ran again, as such a command does (a destructive one is asked
    // about), so twice when the dead run's try got as far as counting: its
    // supervisor may still start it in the moment after rbk died, before
    // it sees rbk gone and ends it.
    for (const auto& [step, file] : kCounting) {
      CAPTURE(step);
      const std::string got = m.count(file);
      if (in_flight == step)
        CHECK((got == "run\n" || got == "run\nrun\n"));
      else
        CHECK(got == w.counted.at(step));
    }
    // The same escalations, each once: the timer kept the run's clock.
    CHECK(escalations(after) == w.told);
    // Nothing ran twice that changes something.
    CHECK(m.count("fix.count") == "run\n");
  }
  int resumes = 0;
  for (const auto& ev : after)
    if (ev["type"] == "resume") ++resumes;
  CHECK(resumes == (ended ? 0 : 1));
  return in_flight;
}

}  // namespace

TEST_CASE("crash matrix: killed after each event, resumed, the run ends as if uninterrupted",
          "[resume]") {
  const bool tidy_fails = GENERATE(false, true);
  CAPTURE(tidy_fails);
  const Whole w = whole_run(tidy_fails);
  // Kill points: after each line of --json (events and output chunks).
  const size_t n = static_cast<size_t>(std::count(w.out.begin(), w.out.end(), '\n'));
  // Under sanitizers every other point: the gcc build tries each, and the
  // sanitizers look at the same resume code from half as many states.
  const size_t every = rbk::test::sanitized_build() ? 2 : 1;
  for (size_t k = 1; k < n; k += every) {
    CAPTURE(k);
    Matrix m(tidy_fails);
    rbk::test::run_signalled_after(m.dir(), kMatrixRun, k, SIGKILL);
    // Resumed without a terminal, or on one.
    resume_and_check(m, k % 2 ? Way::Flags : Way::Terminal, tidy_fails, w);
  }
}

TEST_CASE(
    "crash matrix: killed while the destructive command runs, with and without its work "
    "done, each way of deciding",
    "[resume]") {
  const bool tidy_fails = GENERATE(false, true);
  const std::string hold = GENERATE("hold-before", "hold-after");
  const Way way = GENERATE(Way::Terminal, Way::Decided, Way::AssumeFailed);
  CAPTURE(tidy_fails, hold, static_cast<int>(way));
  const Whole w = whole_run(tidy_fails);
  Matrix m(tidy_fails);
  write_file(m.file(hold).string(), "");
  // Killed once fix's command waits on `hold`, with its work done
  // (hold-after: fix.count holds its line) or not (hold-before: it said
  // `waiting`). Not as soon as the file exists: `>>` makes it before it
  // writes, and a kill in between left it empty (work not done, as the
  // probe rightly said) where the test counted it done.
  const fs::path waits_on = m.file(hold == "hold-after" ? "fix.count" : "waiting");
  auto written = [&](const std::string&) {
    std::error_code ec;
    const auto size = fs::file_size(waits_on, ec);
    return !ec && size > 0;
  };
  rbk::test::run_signalled_when(m.dir(), kMatrixRun, written, SIGKILL);
  // Released only once nothing of the dead run is left to go on.
  const std::string run_id = fs::path(m.events_path()).parent_path().filename().string();
  CHECK(rbk::test::still_alive(rbk::processes_with_env("RBK_RUN_ID", run_id)) == "");
  fs::remove(m.file(hold));
  CHECK(resume_and_check(m, way, tidy_fails, w) == "fix");
}

TEST_CASE("a record the runbook no longer reproduces is refused, and nothing more runs",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  const int pid = p.run_until_fix_then(SIGKILL, {"--yes"});
  CHECK(rbk::test::still_alive({pid}) == "");
  // A note where the record has the step's command: the replay cannot match.
  std::string text = read_file((p.tmp.path / "crashy.rbk").string());
  text.replace(text.find("{ run `echo run >> look.count"), 1, "{ note \"new\"\n      ");
  write_file((p.tmp.path / "crashy.rbk").string(), text);
  const std::string before = read_file(p.events_path());
  Exit e = run_detached(p.dir(), {"resume", "--allow-changed"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("no longer makes the run"));
  CHECK(read_file(p.events_path()) == before);
  CHECK(p.read("look.count") == "run\n");
  CHECK(p.read("fix.count") == "run\n");
}

TEST_CASE("a resumed run reads its secrets again and rebuilds captures from the record",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  std::string text = read_file((p.tmp.path / "crashy.rbk").string());
  text.replace(text.find("  diagnose {"), 0, "  secret TOKEN from env\n");
  // fix says what it sees of look's capture and of the secret (its length).
  const std::string fix = "run `echo run >> fix.count;";
  text.replace(
      text.find(fix), fix.size(),
      "run `printf '%s %s\\n' \"$seen\" \"${#TOKEN}\" >> seen.txt; echo run >> fix.count;");
  write_file((p.tmp.path / "crashy.rbk").string(), text);
  {
    PtySession s(p.dir(), {"run", "crashy.rbk", "--yes"}, {"TOKEN=abc"});
    p.command_pid();
    s.kill(SIGKILL);
    s.wait();
  }
  // The secret changed at its source since (rotated): the resume reads it
  // there, never from the record; look is not run again, its output is read
  // back from the record's file.
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive"}, {"TOKEN=abcdefgh"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(p.read("look.count") == "run\n");
  CHECK(p.read("seen.txt") == "seen 3\nseen 8\n");
}

TEST_CASE("rbk resume with no run id takes the newest run that can be resumed", "[resume][pty]") {
  Project p(/*destructive=*/false);
  const int first = p.run_until_fix_then(SIGINT, {"--yes"});
  CHECK(rbk::test::still_alive({first}) == "");
  fs::remove_all(p.tmp.path / "once.d");  // the second run's command waits too
  const int second = p.run_until_fix_then(SIGKILL, {"--yes"});
  CHECK(rbk::test::still_alive({second}) == "");
  std::vector<fs::path> runs;
  for (const auto& d : fs::directory_iterator(p.tmp.path / ".rbk" / "runs")) runs.push_back(d);
  REQUIRE(runs.size() == 2);
  auto has_resume = [](const fs::path& run) {
    return read_file((run / "events.jsonl").string()).find(R"("type":"resume")") !=
           std::string::npos;
  };
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  // The killed run started last (by run_start's time: both ids may name the
  // same second): it is the one resumed; the other waits.
  auto started = [](const fs::path& run) {
    const std::string text = read_file((run / "events.jsonl").string());
    return nlohmann::json::parse(text.substr(0, text.find('\n')))["time"].get<std::string>();
  };
  const fs::path newest = started(runs[0]) > started(runs[1]) ? runs[0] : runs[1];
  CHECK_THAT(e.err + e.out, Catch::Contains(newest.filename().string()));
  CHECK(has_resume(runs[0]) != has_resume(runs[1]));
  CHECK(has_resume(newest));
  // Then the older one, interrupted.
  e = run_detached(p.dir(), {"resume", "--non-interactive"});
  CHECK(e.code == 0);
  CHECK((has_resume(runs[0]) && has_resume(runs[1])));
}

TEST_CASE(
    "a resume killed right after it recorded its decision: the next one carries the "
    "decision out, never runs the command unasked",
    "[resume][pty]") {
  const std::string decided = GENERATE("--assume-done", "--assume-failed", "--approve");
  CAPTURE(decided);
  Project p(/*destructive=*/true);
  const int pid = p.run_until_fix_then(SIGKILL, {"--approve", "fix"});
  CHECK(rbk::test::still_alive({pid}) == "");
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive", decided, "fix"});
  INFO(e.out << e.err);
  REQUIRE(e.code == (decided == "--assume-failed" ? 1 : 0));
  const std::string ran = p.read("fix.count");
  // The record as a death right after the resume event would leave it: the
  // decision written, nothing of it carried out.
  std::string text = read_file(p.events_path());
  const size_t resume_at = text.find(R"("type":"resume")");
  REQUIRE(resume_at != std::string::npos);
  text.resize(text.find('\n', resume_at) + 1);
  write_file(p.events_path(), text);
  const uint64_t in_flight = p.of_type("resume").at(0)["seq"];
  // A flag that says otherwise is refused: the decision stands.
  const std::string other = decided == "--assume-done" ? "--assume-failed" : "--assume-done";
  e = run_detached(p.dir(), {"resume", "--non-interactive", other, "fix"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("that decision stands"));
  CHECK(p.of_type("resume").size() == 1);
  // No flag, no terminal: the earlier decision stands, nobody is asked, and
  // it says so.
  e = run_detached(p.dir(), {"resume", "--non-interactive"});
  INFO(e.out << e.err);
  CHECK(e.code == (decided == "--assume-failed" ? 1 : 0));
  CHECK_THAT(e.err, Catch::Contains("the resume before decided to"));
  const auto events = p.events();
  auto last_resume = std::find_if(events.rbegin(), events.rend(),
                                  [](const auto& ev) { return ev["type"] == "resume"; });
  REQUIRE(last_resume != events.rend());
  std::vector<nlohmann::json> after(last_resume.base(), events.end());
  std::vector<nlohmann::json> fix_starts, fix_ends;
  for (const auto& ev : after) {
    if (ev["type"] == "command_start" && ev["step"] == "fix") fix_starts.push_back(ev);
    if (ev["type"] == "command_end" && ev["step"] == "fix") fix_ends.push_back(ev);
  }
  if (decided != "--approve") {
    // Counted as decided: not run, its end recorded under its number.
    const std::string as = decided == "--assume-done" ? "counted as done" : "counted as failed";
    CHECK(p.read("fix.count") == ran);
    CHECK(fix_starts.empty());
    REQUIRE(fix_ends.size() == 1);
    CHECK(fix_ends[0]["seq"] == in_flight);
    CHECK_THAT(fix_ends[0]["error"].get<std::string>(), Catch::Contains(as));
  } else {
    // Run again as decided: under a new number, its start on disk first.
    CHECK(p.read("fix.count") == ran + "run\n");
    REQUIRE(fix_starts.size() == 1);
    CHECK(fix_starts[0]["seq"].get<uint64_t>() > in_flight);
    REQUIRE(fix_ends.size() == 1);
    CHECK(fix_ends[0]["seq"] == fix_starts[0]["seq"]);
  }
  CHECK(p.of_type("run_end").back()["outcome"] ==
        (decided == "--assume-failed" ? "failed" : "resolved"));
}

TEST_CASE("a run resumed, killed again while the command runs again, resumes again",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  // The step's command blocks on its first two runs.
  std::string text = read_file((p.tmp.path / "crashy.rbk").string());
  const std::string once = "if mkdir once.d 2>/dev/null; then";
  text.replace(text.find(once), once.size(), "if [ \"$(wc -l < fix.count)\" -le 2 ]; then");
  write_file((p.tmp.path / "crashy.rbk").string(), text);
  const int first = p.run_until_fix_then(SIGKILL, {"--yes"});
  CHECK(rbk::test::still_alive({first}) == "");
  {
    PtySession s(p.dir(), {"resume"});
    const int second = p.command_pid();
    // The first death is told (shown once the notification went out and is
    // in the record) before this resume dies in turn.
    REQUIRE(s.expect("NOTIFY oncall"));
    s.kill(SIGKILL);
    s.wait();
    CHECK(rbk::test::still_alive({second}) == "");
  }
  Exit e = run_detached(p.dir(), {"resume"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(p.read("look.count") == "run\n");
  CHECK(p.read("fix.count") == "run\nrun\nrun\n");
  CHECK(p.of_type("resume").size() == 2);
  // Each death told once, at the resume after it: nobody watched either.
  CHECK(p.read("notified.txt") == "stopped\nstopped\n");
  auto ends = p.of_type("run_end");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["outcome"] == "resolved");
}

namespace {

// The parent of `pid`, from /proc/PID/stat (0 when it cannot be read).
int parent_pid(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  char state = 0;
  int ppid = 0;
  if (close == std::string::npos ||
      std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2)
    return 0;
  return ppid;
}

// Runs `args` on a terminal with `fix_command` in place of the fix step's
// first-run branch (which must say its pid on running.fifo), then kills
// rbk and the command's supervisor at once, as a crash of both would: both
// are frozen first, so neither can end the command. Returns the
// command's shell, left running unwatched.
int orphan_fix_command(Project& p, const std::vector<std::string>& args,
                       const std::string& fix_command) {
  write_file((p.tmp.path / "rbk.yaml").string(),
             "notify:\n  notify: 'echo \"$RBK_MESSAGE\" >> notified.txt'\npolicy:\n  grace: 1s\n");
  std::string text = read_file((p.tmp.path / "crashy.rbk").string());
  const std::string first = "then echo $$ >> running.fifo; exec sleep 3600; fi";
  text.replace(text.find(first), first.size(), "then " + fix_command + "; fi");
  write_file((p.tmp.path / "crashy.rbk").string(), text);
  int shell = 0, supervisor = 0;
  {
    PtySession s(p.dir(), args);
    shell = p.command_pid();
    supervisor = parent_pid(shell);
    REQUIRE(supervisor > 1);
    // Both frozen before either dies, so that neither acts on the other's
    // death: the supervisor, in a process group of its own, would be
    // continued by the kernel when rbk's death orphans its stopped group.
    REQUIRE(::kill(supervisor, SIGSTOP) == 0);
    s.kill(SIGSTOP);
    ::kill(supervisor, SIGKILL);
    s.kill(SIGKILL);
    s.wait();
  }
  CHECK(rbk::test::still_alive({supervisor}) == "");
  REQUIRE_FALSE(rbk::test::dead(shell));  // the command runs on, unwatched
  return shell;
}

// The pids rbk says are "still running (pid A, B)": in pid order, which is
// not the order they started in once pid numbers wrap.
std::vector<int> still_running_pids(const std::string& err) {
  std::vector<int> pids;
  const std::string lead = "still running (pid ";
  size_t at = err.find(lead);
  if (at == std::string::npos) return pids;
  at += lead.size();
  const size_t end = err.find(')', at);
  for (size_t k = at; k < end && k < err.size();) {
    size_t next = err.find(", ", k);
    if (next == std::string::npos || next > end) next = end;
    pids.push_back(std::atoi(err.substr(k, next - k).c_str()));
    k = next + 2;
  }
  return pids;
}

}  // namespace

TEST_CASE("a recorded process group is ended only while it is the same group, and only ours",
          "[resume]") {
  rbk::test::TempDir tmp;
  const std::string pids = (tmp.path / "pids").string();
  // A group whose leader is gone: a shell leads it, starts a member, exits.
  REQUIRE(
      std::system(("setsid sh -c 'sleep 1000 & echo $! > " + pids + "' </dev/null >/dev/null 2>&1")
                      .c_str()) == 0);
  const int member = std::atoi(read_file(pids).c_str());
  REQUIRE(member > 1);
  const int pgid = ::getpgid(member);
  REQUIRE(pgid != member);
  const uint64_t started = rbk::start_ticks(member);
  REQUIRE(started > 10);
  const std::string boot = rbk::boot_id();
  // The run was known alive once the member ran: the group is the run's.
  CHECK(rbk::recorded_group_members(pgid, started - 5, boot, started) == std::vector<int>{member});
  // Known alive only before any member started: the number may have gone to
  // a new group since, which is left alone.
  CHECK(rbk::recorded_group_members(pgid, started - 5, boot, started - 1).empty());
  // Another boot, or a member older than the recorded leader: not the group.
  CHECK(rbk::recorded_group_members(pgid, started - 5, "another-boot", started).empty());
  CHECK(rbk::recorded_group_members(pgid, started + 1, boot, started + 10).empty());
  ::kill(member, SIGKILL);
  CHECK(rbk::test::still_alive({member}) == "");
  if (::geteuid() != 0) return;
  // Another user's group, even to root, even when everything else matches.
  // (Its pid is told once it runs as that user.)
  REQUIRE(std::system(("setsid sh -c 'setpriv --reuid=65534 --regid=65534 --clear-groups sleep "
                       "1000 & p=$!; until [ \"$(stat -c %u /proc/$p)\" = 65534 ]; do :; done; "
                       "echo $p > " +
                       pids + "' </dev/null >/dev/null 2>&1")
                          .c_str()) == 0);
  const int other = std::atoi(read_file(pids).c_str());
  REQUIRE(other > 1);
  const uint64_t other_started = rbk::start_ticks(other);
  CHECK(rbk::recorded_group_members(::getpgid(other), other_started - 5, boot, other_started)
            .empty());
  ::kill(other, SIGKILL);
  CHECK(rbk::test::still_alive({other}) == "");
}

TEST_CASE("a command that outlived rbk and its supervisor is ended before the resume goes on",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  // The first run's command ignores TERM and outlives everything above it.
  const int shell =
      orphan_fix_command(p, {"run", "crashy.rbk"},
                         "trap '' TERM; echo $$ >> running.fifo; while true; do sleep 1; done");
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  const std::vector<int> said = still_running_pids(e.err);
  CHECK(std::find(said.begin(), said.end(), shell) != said.end());
  CHECK(rbk::test::still_alive({shell}, std::chrono::seconds(1)) == "");
  auto ended = p.of_type("leftovers_ended");
  REQUIRE(ended.size() == 1);
  // The shell, and the `sleep` it may be waiting on at that moment.
  const auto& left = ended[0]["pids"];
  CHECK(std::find(left.begin(), left.end(), shell) != left.end());
  CHECK(ended[0]["killed"] == true);  // it ignored TERM
  REQUIRE(p.of_type("resume").size() == 1);
  CHECK(p.read("fix.count") == "run\nrun\n");  // then ran again, once
}

TEST_CASE(
    "a command that cleared its environment and outlived rbk and its supervisor is ended by "
    "its recorded process group, and that is recorded even when the resume is refused",
    "[resume][pty]") {
  Project p(/*destructive=*/true);
  // The command says its pid only once the record names its group, then
  // drops RBK_RUN_ID and everything else: only the group can find it.
  const int shell = orphan_fix_command(
      p, {"run", "crashy.rbk", "--yes"},
      "until grep -q command_[g]roup \"$RBK_RECORD_DIR/events.jsonl\"; do sleep 0.01; done; "
      "echo $$ >> running.fifo; exec env -i /bin/sh -c 'while :; do sleep 1; done'");
  auto groups = p.of_type("command_group");
  REQUIRE(groups.size() == 1);
  CHECK(groups[0]["pgid"] == shell);
  CHECK(groups[0]["step"] == "fix");
  // Nobody decided about the destructive command: refused, but the group
  // is ended and the record says so.
  Exit refused = run_detached(p.dir(), {"resume", "--non-interactive"});
  INFO(refused.out << refused.err);
  CHECK(refused.code == 4);
  const std::vector<int> said = still_running_pids(refused.err);
  CHECK(std::find(said.begin(), said.end(), shell) != said.end());
  CHECK(rbk::test::still_alive({shell}, std::chrono::seconds(1)) == "");
  auto ended = p.of_type("leftovers_ended");
  REQUIRE(ended.size() == 1);
  CHECK(ended[0]["groups"] == nlohmann::json::array({shell}));
  const auto& left = ended[0]["pids"];
  CHECK(std::find(left.begin(), left.end(), shell) != left.end());
  CHECK(p.of_type("resume").empty());
  // The next resume finds nothing left, and goes on.
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive", "--assume-done", "fix"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK_THAT(e.err, !Catch::Contains("still running"));
  CHECK(p.of_type("leftovers_ended").size() == 1);
  CHECK(p.of_type("resume").size() == 1);
  CHECK(p.read("fix.count") == "run\n");  // counted done, not run again
}

TEST_CASE(
    "a run killed inside a called runbook resumes there, and a changed callee or module is "
    "refused, then allowed",
    "[resume][pty]") {
  Project p(/*destructive=*/false);
  const fs::path& dir = p.tmp.path;
  const std::string module =
      "module tools {\n  template mark \"Mark\" {\n    param what : string\n"
      "    run `echo \"$what\" >> marks.log`\n  }\n}\n";
  fs::create_directories(dir / "modules");
  write_file((dir / "modules/tools.rbk").string(), module);
  write_file((dir / "main.rbk").string(), R"(import "modules/tools"

runbook main {
  title "Main"
  diagnose {
    step mark "Mark the start" { use tools.mark with what = "main" }
  }
  remediate {
    step sub "Run the sub runbook" { call sub }
  }
}
)");
  const std::string sub = R"(runbook sub {
  title "Sub"
  remediate {
    step work "Work" {
      run `echo run >> sub.count; if mkdir once.d 2>/dev/null; then echo $$ >> running.fifo; exec sleep 3600; fi`
    }
  }
}
)";
  write_file((dir / "sub.rbk").string(), sub);
  int pid = 0;
  {
    PtySession s(p.dir(), {"run", "main.rbk"});
    pid = p.command_pid();  // the callee's command runs
    s.kill(SIGKILL);
    s.wait();
  }
  CHECK(rbk::test::still_alive({pid}) == "");
  const std::string before = read_file(p.events_path());

  // The callee changed: refused where the replay reaches the call.
  write_file((dir / "sub.rbk").string(), std::string(sub).replace(sub.find("Sub"), 3, "Sub v2"));
  Exit e = run_detached(p.dir(), {"resume", "--non-interactive"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("the called runbook sub"));
  CHECK_THAT(e.err, Catch::Contains("changed since the run started"));
  CHECK(read_file(p.events_path()) == before);
  write_file((dir / "sub.rbk").string(), sub);

  // A module changed: refused before anything is replayed.
  write_file((dir / "modules/tools.rbk").string(), "# v2\n" + module);
  e = run_detached(p.dir(), {"resume", "--non-interactive"});
  CHECK(e.code == 4);
  CHECK_THAT(e.err, Catch::Contains("module"));
  CHECK_THAT(e.err, Catch::Contains("tools.rbk"));
  CHECK(read_file(p.events_path()) == before);

  // Allowed: recorded, and the run goes on inside the callee.
  e = run_detached(p.dir(), {"resume", "--non-interactive", "--allow-changed"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  CHECK(p.read("marks.log") == "main\n");      // replayed, not run again
  CHECK(p.read("sub.count") == "run\nrun\n");  // the command in flight ran again
  auto resumes = p.of_type("resume");
  REQUIRE(resumes.size() == 1);
  CHECK(resumes[0]["runbook_changed"] == true);
  CHECK(resumes[0]["step"] == "sub/work");
  auto ends = p.of_type("run_end");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["outcome"] == "resolved");
  CHECK(p.of_type("call_run_end").size() == 1);
}

TEST_CASE("a run killed while its gate waits asks again on resume, and nothing gated ran",
          "[resume][pty]") {
  Project p(/*destructive=*/true);
  {
    PtySession s(p.dir(), {"run", "crashy.rbk"});
    REQUIRE(s.expect("[y/N]"));  // the fix step's gate waits for an answer
    s.kill(SIGKILL);
    s.wait();
  }
  CHECK(p.read("fix.count") == "");
  CHECK(p.of_type("gate").size() == 1);
  CHECK(p.of_type("answer").empty());
  // The gate was never answered: the resume asks it again, on the terminal.
  PtySession s(p.dir(), {"resume"});
  REQUIRE(s.expect("[y/N]"));
  s.send("y\n");
  const int pid = p.command_pid();  // the step runs now, and blocks the first time
  s.kill(SIGTERM);
  Exit e = s.wait();
  CHECK(e.code == 130);
  CHECK(rbk::test::still_alive({pid}) == "");
  CHECK(p.read("look.count") == "run\n");  // the diagnosis was replayed, not run again
  CHECK(p.read("fix.count") == "run\n");
  auto answers = p.of_type("answer");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0]["passed"] == true);
  CHECK(answers[0]["via"] == "tty");
  CHECK(p.of_type("resume").size() == 1);
}

TEST_CASE("a resumed run's clock: recorded time in the replay, then the original start's",
          "[resume]") {
  using rbk::Millis;
  const Millis down{10 * 60 * 1000};  // the run started 10 minutes ago
  rbk::SystemClock system;
  rbk::ResumeClock clock(system, down);
  CHECK(clock.now() == Millis(0));
  clock.replay_at(Millis(5000));  // a replayed event's recorded time
  CHECK(clock.now() == Millis(5000));
  CHECK(clock.sleep_until(Millis(9000), nullptr));  // a recorded wait: over at once
  CHECK(clock.now() == Millis(9000));
  // A timer due 5 minutes into the run fell due while it was down: it fires
  // at once, told the run's time (past 5 minutes, short of the next due).
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Millis> fired;
  auto timer = clock.schedule({Millis(5 * 60 * 1000), Millis(60 * 60 * 1000)}, [&](Millis t) {
    std::lock_guard lock(mu);
    fired.push_back(t);
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    REQUIRE(
        cv.wait_for(lock, std::chrono::milliseconds(kHangGuardMs), [&] { return !fired.empty(); }));
    CHECK(fired.front() >= Millis(5 * 60 * 1000));
    CHECK(fired.front() < Millis(60 * 60 * 1000));
  }
  timer.reset();
  clock.go_live();
  CHECK(clock.now() >= down);  // real time since the original start
  CHECK(clock.now() < Millis(60 * 60 * 1000));
}

TEST_CASE("a run interrupted twice repeats nothing that its first resume finished",
          "[resume][pty]") {
  Project p(/*destructive=*/false);
  // Each waiting step blocks once; the destructive step between them counts its runs.
  write_file((p.tmp.path / "crashy.rbk").string(), R"(runbook crashy {
  remediate {
    step one "Wait once" {
      run `if mkdir one.d 2>/dev/null; then echo $$ >> running.fifo; exec sleep 3600; fi`
    }
    step two "Change" {
      destructive
      run `echo run >> two.count`
    }
    step three "Wait once" {
      run `if mkdir three.d 2>/dev/null; then echo $$ >> running.fifo; exec sleep 3600; fi`
    }
  }
}
)");
  // Ctrl-C records the interruption (run_end `interrupted`), unlike SIGKILL.
  p.run_until_fix_then(SIGINT, {"--approve", "two"});
  {
    PtySession s(p.dir(), {"resume", "--approve", "two"});
    p.command_pid();  // step three runs: step two ran in this resume
    s.kill(SIGINT);
    s.wait();
  }
  CHECK(p.read("two.count") == "run\n");
  Exit e = run_detached(p.dir(), {"resume", "--approve", "two"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  // The second resume replays what the first one did: step two is not run again.
  CHECK(p.read("two.count") == "run\n");
  CHECK(p.of_type("resume").size() == 2);
  auto ends = p.of_type("run_end");
  REQUIRE(ends.size() == 3);
  CHECK(ends[2]["outcome"] == "resolved");
}

TEST_CASE("a run interrupted at one gate, then at the next, resumes each time", "[resume][pty]") {
  Project p(/*destructive=*/false);
  write_file((p.tmp.path / "crashy.rbk").string(), R"(runbook crashy {
  remediate {
    step one "First" {
      destructive
      confirm "First change?"
      run `echo run >> one.count`
    }
    step two "Second" {
      destructive
      confirm "Second change?"
      run `echo run >> two.count`
    }
  }
}
)");
  {
    PtySession s(p.dir(), {"run", "crashy.rbk"});
    REQUIRE(s.expect("First change?"));
    s.kill(SIGINT);  // recorded: the gate's answer is `interrupted`
    CHECK(s.wait().code == 130);
  }
  {
    PtySession s(p.dir(), {"resume"});
    REQUIRE(s.expect("First change?"));
    s.send("y\n");
    REQUIRE(s.expect("Second change?"));
    s.kill(SIGINT);
    CHECK(s.wait().code == 130);
  }
  CHECK(p.read("one.count") == "run\n");
  PtySession s(p.dir(), {"resume"});
  REQUIRE(s.expect("Second change?"));  // the first gate's answer is the record's
  s.send("y\n");
  Exit e = s.wait();
  INFO(s.output());
  CHECK(e.code == 0);
  CHECK(p.read("one.count") == "run\n");
  CHECK(p.read("two.count") == "run\n");
  // One gate event per gate (a resume asks the same gate again); every
  // answer, the interrupted ones too.
  CHECK(p.of_type("gate").size() == 2);
  CHECK(p.of_type("answer").size() == 4);
}
