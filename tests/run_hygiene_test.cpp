// `rbk run` and the processes a step starts: whatever ends the run (Ctrl-C,
// Ctrl-\, SIGTERM or SIGQUIT to rbk, or rbk killed outright with SIGKILL),
// every process the step started ends too, in the command's process group or
// not, and so does the command's supervisor. Real processes on a real
// pseudo-terminal; the only waits are for output and bounded polls for the
// kernel to finish off killed processes.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace rbk::test;

namespace {

/// A project whose one step starts processes that escape its process group
/// and waits for them; the step writes their pids to `pids` and its parent's
/// (the supervisor's) to `pids`.supervisor.
struct EscapeProject {
  TempDir tmp;
  std::string pids = (tmp.path / "pids").string();

  EscapeProject() {
    write_file((tmp.path / "rbk.yaml").string(), "paths: [runbooks]\npolicy:\n  grace: 1s\n");
    write_file((tmp.dir("runbooks") / "escape.rbk").string(),
               "runbook escape {\n  remediate {\n    step wait \"Start children and wait\" {\n"
               "      safe \"the children only sleep; perl -e starts them\"\n"
               "      run ```\necho $PPID >> \"$PIDS.supervisor\"\n" +
                   escaping_children_script() + "```  timeout 10m\n    }\n  }\n}\n");
  }
  /// Runs `rbk run escape` on a pseudo-terminal with $PIDS set.
  std::unique_ptr<PtySession> start() const {
    return std::make_unique<PtySession>(tmp.path.string(),
                                        std::vector<std::string>{"run", "escape"},
                                        std::vector<std::string>{"PIDS=" + pids});
  }
  /// Every process the step started, the step's shell and its supervisor.
  std::vector<int> started() const {
    return pids_in(read_file(pids) + " " + read_file(pids + ".supervisor"));
  }
  /// The last event of the run's record.
  json last_event() const {
    json last;
    for (const auto& run : fs::directory_iterator(tmp.path / ".rbk" / "runs")) {
      std::ifstream in(run.path() / "events.jsonl");
      for (std::string line; std::getline(in, line);) last = json::parse(line);
    }
    return last;
  }
};

}  // namespace

TEST_CASE("a signal to rbk ends every process the step started, in its group or not",
          "[run][pty][orphans]") {
  EscapeProject p;
  // From the terminal (to rbk's foreground group, the supervisor included) or
  // sent to rbk alone.
  const std::string how = GENERATE(as<std::string>{}, "Ctrl-C", "Ctrl-\\", "SIGQUIT", "SIGTERM");
  INFO(how);
  auto s = p.start();
  REQUIRE(s->expect("started"));
  REQUIRE(p.started().size() == kEscapingPids + 1);
  if (how == "Ctrl-C")
    s->send("\x03");
  else if (how == "Ctrl-\\")
    s->send("\x1c");
  else
    s->kill(how == "SIGQUIT" ? SIGQUIT : SIGTERM);
  Exit e = s->wait();
  CHECK(e.code == 130);
  CHECK(e.signal == 0);
  CHECK(still_alive(p.started()) == "");
  json end = p.last_event();
  CHECK(end["type"] == "run_end");
  CHECK(end["outcome"] == "interrupted");
  CHECK(end["exit_code"] == 130);
}

TEST_CASE("rbk killed with SIGKILL: the running command and all it started end",
          "[run][pty][orphans]") {
  EscapeProject p;
  auto s = p.start();
  REQUIRE(s->expect("started"));
  std::vector<int> pids = p.started();
  REQUIRE(pids.size() == kEscapingPids + 1);
  s->kill(SIGKILL);
  Exit e = s->wait();
  CHECK(e.signal == SIGKILL);
  // The supervisor saw rbk go (end of file on its channel): TERM, the grace
  // period from rbk.yaml, KILL, then it exits itself.
  CHECK(still_alive(pids) == "");
}
