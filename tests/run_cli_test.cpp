// `rbk run` end to end with real processes: gates answered through a real
// pseudo-terminal, runs without a terminal (refusal, --approve, --yes),
// values that must not become shell source, Ctrl-C with grandchildren, a
// display nobody reads (deadlines and pages still hold), and the record each
// of those leaves behind.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "interpreter/base/sha256.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using rbk::test::Exit;
using rbk::test::PtySession;
using rbk::test::read_file;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

/// A scratch project: rbk.yaml, runbooks/, records in .rbk/runs.
struct Project {
  fs::path dir;
  Project() {
    char tmpl[] = "/tmp/rbk-run-test-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::create_directories(dir / "runbooks");
    write_file((dir / "rbk.yaml").string(), "paths: [runbooks]\n");
  }
  ~Project() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void runbook(const std::string& name, const std::string& text) const {
    write_file((dir / "runbooks" / (name + ".rbk")).string(), text);
  }
  std::string path(const std::string& rel) const { return (dir / rel).string(); }
  bool exists(const std::string& rel) const { return fs::exists(dir / rel); }

  /// The newest run's directory (run ids share a second: compare start times).
  fs::path run_dir() const {
    fs::path newest;
    std::string newest_time;
    for (const auto& e : fs::directory_iterator(dir / ".rbk" / "runs")) {
      std::ifstream in(e.path() / "events.jsonl");
      std::string first;
      std::getline(in, first);
      std::string time = json::parse(first)["time"];
      if (time >= newest_time) newest = e.path(), newest_time = time;
    }
    return newest;
  }
  /// The events of the newest run.
  std::vector<json> events() const {
    std::vector<json> out;
    std::ifstream in(run_dir() / "events.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
};

std::vector<json> of_type(const std::vector<json>& events, const std::string& type) {
  std::vector<json> out;
  for (const auto& e : events)
    if (e["type"] == type) out.push_back(e);
  return out;
}

const char* kGates = R"(
runbook gates {
  severity high
  param env : string = "staging"
  remediate {
    step restart "Restart the app" {
      destructive
      confirm "Restart the app in ${env}?"
      run `touch restarted`
    }
    step flush "Flush the cache" {
      confirm typed env
      run `touch flushed`
    }
  }
}
)";

/// A runbook `sweep` whose one step `sweep` runs `body`, with `params`, and
/// cache/old.tmp for it to find.
void sweep_runbook(const Project& p, const std::string& params, const std::string& body) {
  fs::create_directories(p.dir / "cache");
  write_file(p.path("cache/old.tmp"), "x");
  p.runbook("sweep", "runbook sweep {\n  " + params +
                         "\n  remediate {\n    step sweep \"Sweep the cache\" {\n      " + body +
                         "\n    }\n  }\n}\n");
}

/// `rbk ARGS…` in `dir` with its stdout a pipe the test does not read until
/// finish(): a terminal paused with Ctrl-S, `| less` with nobody scrolling.
/// rbk and what it started are killed if the test ends first.
class UnreadStdout {
 public:
  UnreadStdout(const std::string& dir, const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_ = rbk::test::start_detached(dir, args, out[1]);
    ::close(out[1]);
    read_end_ = out[0];
  }
  ~UnreadStdout() {
    if (read_end_ >= 0) ::close(read_end_);
    if (reaped_) return;
    ::kill(-pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  UnreadStdout(const UnreadStdout&) = delete;
  UnreadStdout& operator=(const UnreadStdout&) = delete;

  /// Reads rbk's stdout to its end, then reaps rbk; false when rbk outlives
  /// `guard` (a hang guard).
  bool finish(std::chrono::steady_clock::time_point guard, std::string& shown, int& status) {
    char buf[65536];
    for (;;) {
      pollfd p{read_end_, POLLIN, 0};
      if (::poll(&p, 1, rbk::test::ms_until(guard)) <= 0) break;
      ssize_t n = ::read(read_end_, buf, sizeof buf);
      if (n <= 0) break;
      shown.append(buf, static_cast<size_t>(n));
    }
    ::close(read_end_);
    read_end_ = -1;
    reaped_ = rbk::test::reap_until(pid_, guard, status);
    return reaped_;
  }

 private:
  pid_t pid_ = -1;
  int read_end_ = -1;
  bool reaped_ = false;
};

/// True once `dir`'s run record (the one run under .rbk/runs) has `text`.
bool recorded(const fs::path& dir, const std::string& text) {
  std::error_code ec;
  for (const auto& run : fs::directory_iterator(dir / ".rbk" / "runs", ec))
    if (read_file((run.path() / "events.jsonl").string()).find(text) != std::string::npos)
      return true;
  return false;
}

/// A runbook `flood` whose step prints with `printer`, then waits until its
/// own record shows the page that an `after 1s` rule sends meanwhile
/// (rbk.yaml's notify command appends the role to notified.txt).
void flood_runbook(const Project& p, const std::string& printer) {
  write_file(p.path("rbk.yaml"),
             "paths: [runbooks]\nnotify:\n  notify: 'echo \"$RBK_ROLE\" >> notified.txt'\n");
  p.runbook("flood",
            "runbook flood {\n  remediate {\n    step flood \"Flood\" {\n      run `" + printer +
                "; while ! grep -q '\"type\":\"escalation\"' "
                "\"$RBK_RECORD_DIR/events.jsonl\"; do sleep 0.05; done` timeout 10m\n"
                "    }\n  }\n  escalate { after 1s notify second \"still flooding\" }\n}\n");
}

/// Runs `flood` with its stdout unread until the page is in the record (the
/// run's end waits for it): what rbk showed, once read, and its exit status.
std::string flood_unread(const Project& p, const std::vector<std::string>& extra, int& status) {
  std::vector<std::string> args{"run", "flood", "--non-interactive"};
  args.insert(args.end(), extra.begin(), extra.end());
  UnreadStdout rbk(p.dir.string(), args);
  const auto guard = std::chrono::steady_clock::now() + rbk::test::kHangGuard;
  while (!recorded(p.dir, "\"type\":\"escalation\"")) {
    INFO("the page was not recorded while nobody read rbk's output");
    REQUIRE(std::chrono::steady_clock::now() < guard);
    ::poll(nullptr, 0, 10);
  }
  CHECK(read_file(p.path("notified.txt")) == "second\n");
  std::string shown;
  REQUIRE(rbk.finish(guard, shown, status));
  return shown;
}

}  // namespace

TEST_CASE("a y/N gate on a terminal: yes runs the step, Enter refuses it", "[run][pty]") {
  Project p;
  p.runbook("gates", kGates);
  {
    PtySession s(p.dir, {"run", "gates"});
    REQUIRE(s.expect("Restart the app in staging? [y/N]"));
    s.send("y\n");
    REQUIRE(s.expect("Type staging to go ahead"));
    s.send("staging\n");
    Exit e = s.wait();
    CHECK(e.code == 0);
    CHECK(p.exists("restarted"));
    CHECK(p.exists("flushed"));
    auto answers = of_type(p.events(), "answer");
    REQUIRE(answers.size() == 2);
    CHECK(answers[0]["passed"] == true);
    CHECK(answers[0]["answer"] == "yes");
    CHECK(answers[0]["via"] == "tty");
    CHECK(!answers[0]["by"].get<std::string>().empty());
    CHECK(answers[1]["answer"] == "staging");
  }
  fs::remove(p.path("restarted"));
  fs::remove(p.path("flushed"));
  {
    PtySession s(p.dir, {"run", "gates"});
    REQUIRE(s.expect("[y/N]"));
    s.send("\n");  // the default is No
    Exit e = s.wait();
    CHECK(e.code == 4);
    CHECK(!p.exists("restarted"));
    CHECK(e.out.find("refused") != std::string::npos);
    auto end = of_type(p.events(), "run_end").at(0);
    CHECK(end["outcome"] == "refused");
    CHECK(end["failed_step"] == "restart");
  }
}

TEST_CASE("a typed gate refuses a value that is not exactly the one asked for", "[run][pty]") {
  Project p;
  p.runbook("gates", kGates);
  PtySession s(p.dir, {"run", "gates", "-p", "env=prod"});
  REQUIRE(s.expect("[y/N]"));
  s.send("yes\n");
  REQUIRE(s.expect("Type prod to go ahead"));
  s.send("production\n");
  Exit e = s.wait();
  CHECK(e.code == 4);
  CHECK(p.exists("restarted"));
  CHECK(!p.exists("flushed"));
  auto answers = of_type(p.events(), "answer");
  CHECK(answers.back()["reason"] == "typed 'production', not 'prod'");
}

TEST_CASE("without a terminal a destructive gate passes only with --approve, --yes never types",
          "[run]") {
  Project p;
  p.runbook("gates", kGates);
  Exit refused = run_detached(p.dir, {"run", "gates"});
  CHECK(refused.code == 4);
  CHECK(!p.exists("restarted"));
  CHECK(refused.out.find("approve it with --approve restart") != std::string::npos);

  // --yes does not name the destructive step: refused.
  Exit yes = run_detached(p.dir, {"run", "gates", "--yes"});
  CHECK(yes.code == 4);
  CHECK(!p.exists("restarted"));
  CHECK(yes.out.find("without a terminal --yes never passes a destructive step") !=
        std::string::npos);

  Exit named = run_detached(p.dir, {"run", "gates", "--yes", "--approve", "restart"});
  CHECK(named.code == 4);
  CHECK(p.exists("restarted"));
  CHECK(!p.exists("flushed"));
  CHECK(named.out.find("--yes never passes a typed confirmation") != std::string::npos);

  Exit approved =
      run_detached(p.dir, {"run", "gates", "--approve", "restart", "--approve", "flush"});
  CHECK(approved.code == 0);
  CHECK(p.exists("flushed"));
  auto answers = of_type(p.events(), "answer");
  CHECK(answers.at(1)["via"] == "approve");
}

TEST_CASE("non-interactive mode never prompts, even on a terminal", "[run][pty]") {
  Project p;
  p.runbook("gates", kGates);
  PtySession s(p.dir, {"run", "gates", "--non-interactive"});
  Exit e = s.wait();
  CHECK(e.code == 4);
  CHECK(e.out.find("[y/N]") == std::string::npos);
  CHECK(!p.exists("restarted"));
}

TEST_CASE("a command's deadline holds while nobody reads rbk's output", "[run]") {
  // `rbk run … | less` with nobody scrolling, or Ctrl-S on a terminal: rbk
  // blocks writing its display. The command must still end at its deadline.
  // (The display shows about a command's first 1,000 lines: long ones, so
  // that they fill the 64 KiB pipe.)
  rbk::test::TempDir tmp;
  write_file((tmp.path / "flood.rbk").string(),
             "runbook flood {\n  diagnose {\n    step flood \"Flood\" {\n"
             "      run `echo $$ >> shell.pid; i=0; while [ $i -lt 3000 ]; do "
             "echo \"line $i, " +
                 std::string(200, 'x') +
                 "\"; i=$((i+1)); done; "
                 "exec sleep 300` timeout 2s\n    }\n  }\n}\n");
  UnreadStdout rbk(tmp.path.string(), {"run", "flood.rbk", "--non-interactive"});
  const fs::path pid_file = tmp.path / "shell.pid";
  const auto guard = std::chrono::steady_clock::now() + rbk::test::kHangGuard;
  while (!fs::exists(pid_file) || rbk::test::pids_in(read_file(pid_file.string())).empty()) {
    REQUIRE(std::chrono::steady_clock::now() < guard);  // the command never started
    ::poll(nullptr, 0, 10);
  }
  // The shell became `sleep 300`, and rbk is stuck on its output by now.
  CHECK(rbk::test::still_alive(rbk::test::pids_in(read_file(pid_file.string()))) == "");
  // Read at last: rbk goes on, and says the command timed out.
  std::string shown;
  int status = 0;
  REQUIRE(rbk.finish(guard, shown, status));
  CHECK(WIFEXITED(status));
  CHECK_THAT(shown, Catch::Contains("timed out"));
}

TEST_CASE("a page goes out while nobody reads rbk's --json output", "[run][escalation][threads]") {
  // A --json reader that stopped reading: the display falls behind, not the
  // run. The page is sent and recorded on time; output past the display's
  // queue is counted in `output_skipped` lines, and the record has all of it.
  Project p;
  flood_runbook(p, "yes | head -c 8000000");
  int status = 0;
  const std::string shown = flood_unread(p, {"--json"}, status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  std::vector<json> lines;
  std::istringstream in(shown);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(!lines.empty());
  CHECK(lines.back()["type"] == "run_end");
  CHECK(lines.back()["outcome"] == "resolved");
  uint64_t seq = of_type(lines, "command_start").at(0)["seq"];
  uint64_t shown_bytes = 0, skipped_bytes = 0;
  size_t page = 0, last_skip = 0, end = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const json& l = lines[i];
    if (l["type"] == "output") shown_bytes += l["text"].get<std::string>().size();
    if (l["type"] == "output_skipped") {
      CHECK(l["seq"] == seq);
      CHECK(l["stream"] == "stdout");
      skipped_bytes += l["bytes"].get<uint64_t>();
      last_skip = i;
    }
    if (l["type"] == "escalation") page = i;
    if (l["type"] == "command_end") end = i;
  }
  CHECK(skipped_bytes > 0);  // the queue's bound held
  CHECK(shown_bytes + skipped_bytes == 8000000);
  CHECK(last_skip < end);
  CHECK(page > 0);

  // The record is untouched by what the display skipped.
  auto events = p.events();
  CHECK(of_type(events, "output_skipped").empty());
  CHECK(of_type(events, "escalation").at(0)["delivered"] == true);
  CHECK(events.back()["type"] == "run_end");
  auto cmd_end = of_type(events, "command_end").at(0);
  CHECK(fs::file_size(p.run_dir() / cmd_end["stdout_file"].get<std::string>()) == 8000000);
}

TEST_CASE("a page goes out while nobody reads rbk's text output", "[run][escalation][threads]") {
  // `rbk run … | less` with nobody scrolling: lines of 2,000 bytes, so that
  // the 1,000 the display shows fill the pipe. What the display's queue did
  // not keep is said in a line, and the summary still comes last.
  Project p;
  flood_runbook(p, "yes \"$(printf '%2000s' .)\" | head -n 3000");
  int status = 0;
  const std::string shown = flood_unread(p, {}, status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(shown, Catch::Contains(" of output not shown: the terminal did not keep up (all of "
                                    "it is in the record)"));
  const size_t page = shown.find("NOTIFY second");
  const size_t summary = shown.find("── summary");
  CHECK(page != std::string::npos);
  CHECK(page < summary);
  CHECK(shown.find("outcome  resolved") > summary);
  auto cmd_end = of_type(p.events(), "command_end").at(0);
  CHECK(fs::file_size(p.run_dir() / cmd_end["stdout_file"].get<std::string>()) == 3000 * 2001);
}

TEST_CASE("a destructive-looking command is gated though its author wrote no gate", "[run]") {
  Project p;
  fs::create_directories(p.dir / "victim");
  p.runbook("wipe", R"(
runbook wipe {
  remediate {
    step wipe "Wipe" { run `rm -rf victim` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "wipe"});
  CHECK(e.code == 4);
  CHECK(p.exists("victim"));
  auto gate = of_type(p.events(), "gate").at(0);
  CHECK(gate["reason"].get<std::string>().find("rm -rf") != std::string::npos);
}

TEST_CASE("a value that makes a command destructive gates it as if it were written so",
          "[run][injection]") {
  // `find … "$action"` reads nothing destructive; with action=-delete it
  // deletes. The gate judges the command with the run's values in too, and
  // `rbk plan` shows the gate the run will ask.
  Project p;
  sweep_runbook(p, R"(param action : string = "-print" "what find does with each match")",
                R"(run `find cache -name '*.tmp' "$action"`)");
  Exit plain = run_detached(p.dir, {"run", "sweep"});
  CHECK(plain.code == 0);
  CHECK(of_type(p.events(), "gate").empty());

  Exit refused = run_detached(p.dir, {"run", "sweep", "-p", "action=-delete"});
  CHECK(refused.code == 4);
  CHECK(p.exists("cache/old.tmp"));
  auto gates = of_type(p.events(), "gate");
  REQUIRE(gates.size() == 1);
  CHECK(gates[0]["reason"] ==
        "runs 'find cache -name *.tmp -delete' with the values it gets (find deleting what it "
        "matches)");

  Exit plan = run_detached(p.dir, {"plan", "sweep", "-p", "action=-delete"});
  CHECK(plan.code == 0);
  CHECK(plan.out.find("GATE: y/N confirmation (runs 'find cache -name *.tmp -delete' with the "
                      "values it gets") != std::string::npos);

  Exit approved =
      run_detached(p.dir, {"run", "sweep", "-p", "action=-delete", "--approve", "sweep"});
  CHECK(approved.code == 0);
  CHECK(!p.exists("cache/old.tmp"));
}

TEST_CASE("a capture that makes a later command of its ungated step destructive stops it",
          "[run][injection]") {
  // Known only once the step's first command has run, after its gate was
  // decided: the command does not start, and the step fails.
  Project p;
  sweep_runbook(p, "",
                "run `echo -delete` as action\n      run `find cache -name '*.tmp' $action`");
  Exit e = run_detached(p.dir, {"run", "sweep"});
  CHECK(e.code == 1);
  CHECK(p.exists("cache/old.tmp"));
  auto ends = of_type(p.events(), "command_end");
  REQUIRE(ends.size() == 2);
  CHECK(ends[1]["error"] ==
        "it runs 'find cache -name *.tmp -delete' with the values it gets (find deleting what it "
        "matches), and its step passed no gate for that (a step a value can make destructive is "
        "marked `destructive`, so that it asks first)");
}

/// Every file of the newest run's record, and what rbk printed, as one text.
std::string everything_shown(const Project& p, const Exit& e) {
  std::string all = e.out + e.err;
  for (const auto& f : fs::recursive_directory_iterator(p.run_dir()))
    if (f.is_regular_file()) all += read_file(f.path().string());
  return all;
}

// A gate's reason quotes the command as its values make it, cut to a few
// dozen characters: a secret cut in two there would escape masking. A value
// holding a secret, or one the config redacts, is never read in.
const char* kLongToken = "LeakTok0123456789abcdefghijklmnopqrstuvwxyz";

TEST_CASE("a template's argument holding a secret never reaches a gate's reason",
          "[run][injection][secret]") {
  Project p;
  fs::create_directories(p.dir / "cache");
  write_file(p.path("cache/old.tmp"), "x");
  fs::create_directories(p.dir / "runbooks" / "modules");
  write_file(p.path("runbooks/modules/m.rbk"), R"(
module m {
  template sweep "Sweep" {
    param action : string
    param tag : string
    run `find cache/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -name "$tag" "$action"`
  }
}
)");
  p.runbook("leak", std::string(R"(
import "modules/m"
runbook leak {
  secret tok from `printf '%s' )") +
                        kLongToken + R"(`
  diagnose {
    step read "Read the token" { run `printf '%s' "$tok"` as t }
  }
  remediate {
    step s "Sweep" { use m.sweep with action = "-delete", tag = t }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "leak"});
  CHECK(e.code == 4);
  CHECK(p.exists("cache/old.tmp"));
  auto gates = of_type(p.events(), "gate");
  REQUIRE(gates.size() == 1);
  CHECK(gates[0]["reason"] ==
        "runs 'find cache/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -name $tag -delete' with the values it "
        "gets (find deleting what it matches)");
  CHECK(everything_shown(p, e).find("LeakTok") == std::string::npos);
}

TEST_CASE("a redacted parameter never reaches a gate's reason, in the run or the plan",
          "[run][injection][secret]") {
  Project p;
  write_file(p.path("rbk.yaml"), "paths: [runbooks]\nredact: ['LeakTok[0-9a-z]{30,}']\n");
  sweep_runbook(p, "param action : string = \"-print\"\n  param tag : string = \"x\"",
                "run `find cache/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -name \"$tag\" \"$action\"`");
  const std::vector<std::string> params = {"-p", "action=-delete", "-p",
                                           std::string("tag=") + kLongToken};
  std::vector<std::string> run = {"run", "sweep"}, plan = {"plan", "sweep"};
  run.insert(run.end(), params.begin(), params.end());
  plan.insert(plan.end(), params.begin(), params.end());
  const std::string reason =
      "runs 'find cache/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -name $tag -delete' with the values it "
      "gets (find deleting what it matches)";

  Exit e = run_detached(p.dir, run);
  CHECK(e.code == 4);
  CHECK(p.exists("cache/old.tmp"));
  auto gates = of_type(p.events(), "gate");
  REQUIRE(gates.size() == 1);
  CHECK(gates[0]["reason"] == reason);
  CHECK(everything_shown(p, e).find("LeakTok") == std::string::npos);

  Exit planned = run_detached(p.dir, plan);
  CHECK(planned.code == 0);
  CHECK(planned.out.find("GATE: y/N confirmation (" + reason + ")") != std::string::npos);
  CHECK((planned.out + planned.err).find("LeakTok") == std::string::npos);
}

TEST_CASE("parameter values reach commands verbatim and never run", "[run][injection]") {
  Project p;
  p.runbook("echo", R"(
runbook echo {
  param value : string
  remediate {
    step write "Write the value" { run `printf '%s' "$value" > value.txt` }
  }
}
)");
  const std::string marker = p.path("pwned");
  for (const std::string& value :
       {"$(touch " + marker + ")", "`touch " + marker + "`", "; touch " + marker,
        "x\ntouch " + marker, "' ; touch " + marker + " ; '", std::string("$value ${IFS} * ~")}) {
    Exit e = run_detached(p.dir, {"run", "echo", "-p", "value=" + value, "--approve", "write"});
    INFO(value);
    CHECK(e.code == 0);
    CHECK(read_file(p.path("value.txt")) == value);
    CHECK(!fs::exists(marker));
  }
}

TEST_CASE("a missing required parameter is an error without a terminal, asked on one",
          "[run][pty]") {
  Project p;
  p.runbook("needs", R"(
runbook needs {
  param host : string "Database host"
  param port : int
  remediate { step s "S" { run `printf '%s:%s' "$host" "$port" >> target.txt` } }
}
)");
  Exit e = run_detached(p.dir, {"run", "needs", "-p", "port=5432"});
  CHECK(e.code == 2);
  CHECK(e.err ==
        "rbk: error: missing required parameter 'host' (string); give it with -p "
        "host=VALUE\n");
  CHECK(!p.exists(".rbk"));  // nothing ran, nothing recorded

  Exit bad = run_detached(p.dir, {"run", "needs", "-p", "host=db1", "-p", "port=five"});
  CHECK(bad.code == 2);
  CHECK(bad.err == "rbk: error: parameter 'port' (int): 'five' is not a whole number\n");

  PtySession s(p.dir, {"run", "needs"});
  REQUIRE(s.expect("host (string, Database host): "));
  s.send("db1\n");
  REQUIRE(s.expect("port (int): "));
  s.send("x\n");
  REQUIRE(s.expect("'x' is not a whole number"));
  REQUIRE(s.expect("port (int): "));
  s.send("5433\n");
  CHECK(s.wait().code == 0);
  CHECK(read_file(p.path("target.txt")) == "db1:5433");
}

TEST_CASE(
    "an ask on a terminal: a wrong answer is asked again, the typed value reaches the command",
    "[run][pty]") {
  Project p;
  p.runbook("asks", R"(
runbook asks {
  remediate {
    step identify "Name the ETA" {
      ask eta "How long until the fix is out?" : duration
      run `printf '%s' "$eta" >> eta.txt`
    }
  }
}
)");
  PtySession s(p.dir, {"run", "asks"});
  REQUIRE(s.expect("How long until the fix is out? [duration]"));
  s.send("soon\n");
  REQUIRE(s.expect("'soon' is not a duration"));
  REQUIRE(s.expect("How long until the fix is out? [duration]"));
  s.send("45m\n");
  CHECK(s.wait().code == 0);
  CHECK(read_file(p.path("eta.txt")) == "45m");
  auto asks = of_type(p.events(), "ask");
  REQUIRE(asks.size() == 1);
  CHECK(asks[0]["answer"] == "45m");
  CHECK(asks[0]["via"] == "tty");
  CHECK(asks[0]["attempts"] == 2);

  // Without a terminal: --answer, checked before anything runs for its name.
  Exit unknown = run_detached(p.dir, {"run", "asks", "--answer", "etaa=5m"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err ==
        "rbk: error: --answer etaa: runbook asks asks no question 'etaa'\n"
        "help: did you mean 'eta'?\n");
  Exit given = run_detached(p.dir, {"run", "asks", "--answer", "eta=2h"});
  CHECK(given.code == 0);
  CHECK(read_file(p.path("eta.txt")) == "45m2h");
  Exit none = run_detached(p.dir, {"run", "asks"});
  CHECK(none.code == 4);
}

TEST_CASE("Ctrl-C or SIGTERM or SIGHUP stops the command's process group and is recorded",
          "[run][pty][threads]") {
  Project p;
  // The command starts grandchildren that ignore TERM, records their pids,
  // says it is ready, and waits.
  p.runbook("hang", R"(
runbook hang {
  remediate {
    step wait "Wait forever" {
      run ```
        for i in 1 2 3; do (trap '' TERM; exec sleep 600) & echo $! >> pids; done
        echo ready-to-interrupt
        wait
      ``` timeout 10m
      undo { run `touch undone` }
    }
  }
  rollback { step rb "Rollback" { run `touch rolled-back` } }
}
)");
  write_file(p.path("rbk.yaml"), "paths: [runbooks]\npolicy:\n  grace: 1s\n");
  // Ctrl-C from the terminal, or SIGTERM / SIGHUP sent to rbk: the same end.
  const int how = GENERATE(0, SIGTERM, SIGHUP);
  INFO("signal " << how);
  fs::remove(p.path("pids"));
  PtySession s(p.dir, {"run", "hang"});
  REQUIRE(s.expect("ready-to-interrupt"));
  if (how == 0)
    s.send("\x03");  // Ctrl-C, delivered by the terminal
  else
    s.kill(how);
  Exit e = s.wait();
  CHECK(e.code == 130);
  // Every grandchild is gone (TERM ignored, so KILL after the grace period).
  std::ifstream pids(p.path("pids"));
  int n = 0;
  for (int pid; pids >> pid; ++n) CHECK(rbk::test::dead(pid));
  CHECK(n == 3);
  CHECK(!p.exists("undone"));
  CHECK(!p.exists("rolled-back"));
  auto events = p.events();
  CHECK(events.back()["type"] == "run_end");
  CHECK(events.back()["outcome"] == "interrupted");
  CHECK(events.back()["exit_code"] == 130);
}

TEST_CASE("the record of a run: events as JSON lines, full output, hash, masked secrets",
          "[run][record]") {
  Project p;
  p.runbook("rec", R"(
runbook rec {
  severity low
  param n : int = 3
  secret TOKEN from env "RBK_RECORD_TEST_TOKEN"
  alert {
    signal s "Always" { run `true` as a firing when a.ok }
  }
  diagnose {
    step many "Many lines" { run `seq 1 5000; echo "token=$TOKEN" >&2` as many }
  }
  remediate {
    step fail "Fails" { run `exit 7` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "rec"}, {"RBK_RECORD_TEST_TOKEN=s3cr3t-value"});
  CHECK(e.code == 1);
  auto events = p.events();
  REQUIRE(events.size() > 5);
  const json& start = events.front();
  CHECK(start["type"] == "run_start");
  CHECK(start["runbook"] == "rec");
  CHECK(start["params"]["n"] == 3);
  CHECK(start["sha256"].get<std::string>().size() == 64);
  CHECK(start["secrets"] == json::array({"TOKEN"}));
  const json& end = events.back();
  CHECK(end["type"] == "run_end");
  CHECK(end["outcome"] == "failed");
  CHECK(end["failed_step"] == "fail");
  // The full output is in the record, and the secret is not.
  auto many = of_type(events, "command_end").at(1);
  std::string out = read_file((p.run_dir() / many["stdout_file"].get<std::string>()).string());
  CHECK(out.size() == many["stdout_bytes"].get<size_t>());
  CHECK(out.rfind("1\n2\n3\n", 0) == 0);
  CHECK(out.find("\n5000\n") != std::string::npos);
  std::string err = read_file((p.run_dir() / many["stderr_file"].get<std::string>()).string());
  CHECK(err == "token=***\n");
  for (const auto& f : fs::recursive_directory_iterator(p.run_dir()))
    if (f.is_regular_file())
      CHECK(read_file(f.path().string()).find("s3cr3t") == std::string::npos);
  CHECK(e.out.find("s3cr3t") == std::string::npos);
  auto failed = of_type(events, "command_end").at(2);
  CHECK(failed["exit"] == 7);
}

TEST_CASE("a command's large output: its files and the digests the record keeps agree",
          "[run][record]") {
  // Megabytes in 64 KiB slices, on both streams: the digest of each file is
  // of every byte written to it, in order.
  Project p;
  p.runbook("big", R"(
runbook big {
  severity low
  diagnose {
    step big "Big" { run `yes 0123456789abcdef | head -c 12582912; yes e | head -c 3000001 >&2` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "big"});
  CHECK(e.code == 0);
  auto end = of_type(p.events(), "command_end").at(0);
  std::string out = read_file((p.run_dir() / end["stdout_file"].get<std::string>()).string());
  std::string err = read_file((p.run_dir() / end["stderr_file"].get<std::string>()).string());
  CHECK(out.size() == 12582912);
  CHECK(err.size() == 3000001);
  CHECK(end["stdout_sha256"] == rbk::sha256_hex(out));
  CHECK(end["stderr_sha256"] == rbk::sha256_hex(err));
}

TEST_CASE("a quiet alert ends the run at once with exit 0", "[run]") {
  Project p;
  p.runbook("quiet", R"(
runbook quiet {
  alert { signal s "Broken" { run `false` as probe firing when probe.ok } }
  remediate { step r "R" { run `touch changed` } }
}
)");
  Exit e = run_detached(p.dir, {"run", "quiet"});
  CHECK(e.code == 0);
  CHECK(e.out.find("No alert signal is firing") != std::string::npos);
  CHECK(!p.exists("changed"));
  Exit forced = run_detached(p.dir, {"run", "quiet", "--force"});
  CHECK(forced.code == 0);
  CHECK(p.exists("changed"));
}

TEST_CASE("rbk run --format json (or --json) prints the event stream as JSON lines", "[run]") {
  Project p;
  p.runbook("j", R"(
runbook j {
  remediate { step r "R" { run `echo hello` } }
}
)");
  // --json is the older spelling of --format json: the same stream.
  for (const auto& how : std::vector<std::vector<std::string>>{
           {"--json"}, {"--format", "json"}, {"--json", "--format", "json"}}) {
    std::vector<std::string> args = {"run", "j"};
    args.insert(args.end(), how.begin(), how.end());
    Exit e = run_detached(p.dir, args);
    INFO(how.size() << " option words, the first " << how.front());
    CHECK(e.code == 0);
    std::vector<std::string> types;
    std::istringstream in(e.out);
    for (std::string line; std::getline(in, line);) {
      // A command still running after 20 ms also has its process group
      // recorded (a slow machine, a sanitizer build): not this test's point.
      if (json::parse(line)["type"] != "command_group") types.push_back(json::parse(line)["type"]);
    }
    CHECK(types == std::vector<std::string>{"run_start", "section", "step_start", "command_start",
                                            "output", "command_end", "step_end", "run_end"});
  }
  // Both, disagreeing: a usage error before anything runs.
  Exit both = run_detached(p.dir, {"run", "j", "--json", "--format", "text"});
  CHECK(both.code == 2);
  CHECK(both.out.empty());
  CHECK(both.err.find("--json: means --format json") != std::string::npos);
  // --dry-run with --format json: the plan as JSON, as `rbk plan --format json`.
  Exit plan = run_detached(p.dir, {"run", "j", "--dry-run", "--format", "json"});
  CHECK(plan.code == 0);
  CHECK(json::parse(plan.out) ==
        json::parse(run_detached(p.dir, {"plan", "j", "--format", "json"}).out));
}

TEST_CASE("a command's output is kept whole in the record and bounded in its capture",
          "[run][record]") {
  Project p;
  write_file(p.path("rbk.yaml"), "paths: [runbooks]\npolicy:\n  capture_limit: 64KiB\n");
  p.runbook("big", R"(
runbook big {
  diagnose {
    step loud "Prints 5 MB" { run `head -c 5000000 /dev/zero | tr '\0' x` as big }
    step measure "Measures the capture" { run `printf '%s' "$big" | wc -c >> size.txt` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "big", "--json"});
  CHECK(e.code == 0);
  auto end = of_type(p.events(), "command_end").at(0);
  CHECK(end["stdout_bytes"] == 5'000'000);
  CHECK(fs::file_size(p.run_dir() / end["stdout_file"].get<std::string>()) == 5'000'000);
  // Head and tail of 32 KiB each, and the marker line between them.
  size_t kept = std::stoul(read_file(p.path("size.txt")));
  CHECK(kept > 64 * 1024);
  CHECK(kept < 64 * 1024 + 100);
}

TEST_CASE("a flood of output: the first 1,000 lines and the last 10 shown, all of it recorded",
          "[run][display]") {
  Project p;
  p.runbook("flood", R"(
runbook flood {
  diagnose {
    step loud "Prints 1,020 lines and three more" { run `seq 1 1020; printf 'x\ny\nz'` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "flood", "--non-interactive"});
  CHECK(e.code == 0);
  INFO(e.out);
  CHECK(e.out.find("    │ 1000\n") != std::string::npos);
  CHECK(e.out.find("│ … more than 1000 lines: the rest is in the record") != std::string::npos);
  for (const char* hidden : {"│ 1001\n", "│ 1012\n"})
    CHECK(e.out.find(hidden) == std::string::npos);
  // 1001..1020, x and y are 22 hidden lines; 10 are shown at the end, then
  // the unterminated z.
  CHECK(e.out.find("│ … 12 lines not shown (the record has all of them)\n    │ 1013\n") !=
        std::string::npos);
  CHECK(e.out.find("    │ 1020\n    │ x\n    │ y\n    │ z\n    exit 0") != std::string::npos);
  auto end = of_type(p.events(), "command_end").at(0);
  std::string recorded = read_file((p.run_dir() / end["stdout_file"].get<std::string>()).string());
  CHECK(recorded.find("\n1001\n1002\n") != std::string::npos);
  CHECK(recorded.size() == 3998);  // seq 1 1020: 9×2 + 90×3 + 900×4 + 21×5 bytes, then 5

  // Exactly 1,000 lines, and 1,000 with an unterminated piece: all shown, no notice.
  p.runbook("thousand", R"(
runbook thousand {
  diagnose {
    step a "1,000 lines" { run `seq 1 1000` }
    step b "1,000 lines and a piece" { run `seq 1 1000; printf end` }
  }
}
)");
  Exit t = run_detached(p.dir, {"run", "thousand", "--non-interactive"});
  CHECK(t.code == 0);
  INFO(t.out);
  CHECK(t.out.find("not shown") == std::string::npos);
  CHECK(t.out.find("more than") == std::string::npos);
  CHECK(t.out.find("    │ 1000\n    exit 0") != std::string::npos);
  CHECK(t.out.find("    │ 1000\n    │ end\n    exit 0") != std::string::npos);
}

TEST_CASE("an after-timer fires on the real clock while a command is still running",
          "[run][escalation][threads]") {
  Project p;
  write_file(p.path("rbk.yaml"),
             "paths: [runbooks]\nroles:\n  second: {name: Second, contact: second@example.com}\n"
             "notify:\n  page: 'printf \"%s|%s|%s\\n\" \"$RBK_ROLE\" \"$RBK_CONTACT\" "
             "\"$RBK_MESSAGE\" >> paged.txt'\n");
  // The command waits until the page is in the record, so the page must fire
  // (and be recorded) while it runs; 3 s in, so that the command has
  // started by then however loaded the machine.
  p.runbook("slow", R"(
runbook slow {
  remediate {
    step wait "Wait for the page" {
      run `while ! grep -q '"type":"escalation"' "$RBK_RECORD_DIR/events.jsonl"; do sleep 0.05; done` timeout 10m
    }
  }
  escalate { after 3s page second "still slow" }
}
)");
  Exit e = run_detached(p.dir, {"run", "slow"});
  CHECK(e.code == 0);
  CHECK(read_file(p.path("paged.txt")) == "second|second@example.com|still slow\n");
  auto events = p.events();
  auto esc = of_type(events, "escalation").at(0);
  CHECK(esc["trigger"] == "after");
  CHECK(esc["delivered"] == true);
  // Recorded between the command's start and its end.
  size_t start = 0, page = 0, end = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i]["type"] == "command_start") start = i;
    if (events[i]["type"] == "escalation") page = i;
    if (events[i]["type"] == "command_end") end = i;
  }
  CHECK(start < page);
  CHECK(page < end);
}

TEST_CASE("notifications delay neither the run nor each other", "[run][escalation][threads]") {
  Project p;
  REQUIRE(mkfifo(p.path("ready.fifo").c_str(), 0600) == 0);
  // `first` cannot end before `second` has run (it reads what `second`
  // writes into the FIFO), and the run's one step waits for `first` to end:
  // with notifications sent one at a time on the run's thread, `first`
  // would block the start rules, `second` and the step until timeouts.
  write_file(p.path("rbk.yaml"),
             "paths: [runbooks]\n"
             "notify:\n  notify: 'case \"$RBK_ROLE\" in first) read x < ready.fifo; echo \"first "
             "$x\" >> got.txt ;; second) echo go >> ready.fifo ;; esac'\n");
  p.runbook("n", R"(
runbook n {
  remediate {
    step wait "Wait for the first notification" {
      run `while ! grep -q 'first go' got.txt 2>/dev/null; do sleep 0.05; done` timeout 2m
    }
  }
  escalate {
    notify first "one"
    notify second "two"
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "n"});
  CHECK(e.code == 0);
  CHECK(read_file(p.path("got.txt")) == "first go\n");
  auto events = p.events();
  auto esc = of_type(events, "escalation");
  REQUIRE(esc.size() == 2);
  CHECK(esc[0]["delivered"] == true);
  CHECK(esc[1]["delivered"] == true);
  // Both are in the record before its end, which counts them.
  CHECK(events.back()["type"] == "run_end");
  CHECK(events.back()["escalations"] == 2);
}

TEST_CASE("colour only on a terminal, unless asked, a silent command shows its elapsed time",
          "[run][pty][threads]") {
  Project p;
  p.runbook("wait", R"(
runbook wait {
  remediate {
    step w "Wait for the go" { run `while [ ! -f go ]; do sleep 0.05; done` timeout 10m }
  }
}
)");
  p.runbook("quick", R"(
runbook quick {
  remediate { step q "Quick" { run `true` } }
}
)");
  const std::string esc = "\033[";
  // Not a terminal: plain text, whatever NO_COLOR says; --color always wins.
  CHECK(run_detached(p.dir, {"run", "quick"}, {"NO_COLOR="}).out.find(esc) == std::string::npos);
  CHECK(run_detached(p.dir, {"run", "quick", "--color", "always"}).out.find(esc) !=
        std::string::npos);
  {
    // A terminal: colour, unless NO_COLOR is set (the harness sets it).
    PtySession coloured(p.dir, {"run", "quick"}, {"NO_COLOR="});
    CHECK(coloured.wait().out.find(esc + "1m") != std::string::npos);
    PtySession plain(p.dir, {"run", "quick"});
    CHECK(plain.wait().out.find(esc + "1m") == std::string::npos);
  }
  // The live line appears while the command is silent; the test then lets it finish.
  PtySession s(p.dir, {"run", "wait"});
  REQUIRE(s.expect("w running "));
  write_file(p.path("go"), "");
  Exit e = s.wait();
  CHECK(e.code == 0);
  CHECK(e.out.find("(Ctrl-C stops it)") != std::string::npos);
}

TEST_CASE("a capture too large for the environment is read from its file, never silently empty",
          "[run][captures]") {
  Project p;
  p.runbook("big", R"(
runbook big {
  severity low
  diagnose {
    step dump "Dump" { run `head -c 200000 /dev/zero | tr '\0' x` as big }
    step size "Size of the file" { run `wc -c < "$RBK_CAPTURES/big"` as size }
    step later "Later" { run `echo still-runs` as later }
    step reads "Reads the capture" { run `printf %s "$big" | wc -c` }
  }
}
)");
  Exit e = run_detached(p.dir, {"run", "big", "--json"});
  INFO(e.out << e.err);
  CHECK(e.code == 0);
  auto events = p.events();
  auto ends = of_type(events, "command_end");
  REQUIRE(ends.size() == 4);
  // Every later command still starts (no E2BIG), and the file holds it whole.
  CHECK(ends[1]["ok"] == true);
  CHECK(read_file((p.run_dir() / ends[1]["stdout_file"].get<std::string>()).string()) ==
        "200000\n");
  CHECK(ends[2]["ok"] == true);
  // The one that reads $big is not started with an empty value: its step fails and says why.
  CHECK(ends[3]["spawn_failed"] == true);
  CHECK(ends[3]["error"].get<std::string>().find(
            "capture 'big' (196 KiB) is too large for the environment") != std::string::npos);
  CHECK(ends[3]["error"].get<std::string>().find("$RBK_CAPTURES/big") != std::string::npos);
  auto steps = of_type(events, "step_end");
  CHECK(steps[3]["step"] == "reads");
  CHECK(steps[3]["status"] == "failed");
  // The private folder of capture files is gone once the run is over.
  auto start = of_type(events, "command_start").at(1);
  bool has_captures = false;
  for (const auto& name : start["env"]) has_captures = has_captures || name == "RBK_CAPTURES";
  CHECK(has_captures);
}
