// A copied rbk behaves as the one in the build tree: the stdlib modules and
// the destructive-command patterns are inside the binary, so a binary
// copied to a directory of its own, run from a directory with no rbk
// source above it, still resolves `import "stdlib/…"`, still gates a
// destructive command, and records runs outside any project under
// $XDG_STATE_HOME/rbk/runs. (scripts/test.sh also installs the .deb the
// build makes and runs the installed rbk on the shipped runbooks.)
#include <catch2/catch.hpp>

#include <filesystem>

#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::run_detached;
using rbk::test::TempDir;
using rbk::test::write_file;

namespace {

const char* kRunbook = R"(import "stdlib/systemd"

runbook copied {
  title "A copied rbk still has its stdlib and its safety list"
  severity sev3
  diagnose {
    step look "Look" { use systemd.status with unit = "nothing.service" }
  }
  remediate {
    step wipe "Wipe" { run `rm -rf ./scratch` }
  }
}
)";

}  // namespace

TEST_CASE("a copied rbk resolves the stdlib, gates destructive commands, records outside a project",
          "[install]") {
  TempDir tmp;
  // Below the temporary directory: no rbk.yaml, no stdlib/ folder above it.
  const fs::path bin = tmp.dir("bin");
  fs::copy_file(rbk::test::rbk_binary(), bin / "rbk");
  const fs::path work = tmp.dir("work");
  const fs::path state = tmp.dir("state");
  write_file((work / "copied.rbk").string(), kRunbook);
  // The helpers run the copy (rbk_binary() reads RBK_TEST_BINARY).
  rbk::test::ScopedEnv copied("RBK_TEST_BINARY", (bin / "rbk").c_str());

  Exit check = run_detached(work.string(), {"check", "copied.rbk"});
  INFO(check.out << check.err);
  CHECK(check.code == 0);

  // The import resolves to the module inside the binary, named as such.
  Exit show = run_detached(work.string(), {"plan", "copied.rbk", "--format", "json"});
  INFO(show.out << show.err);
  CHECK(show.code == 0);
  CHECK(show.out.find("systemctl") != std::string::npos);

  // The destructive step is gated: without a terminal or --approve, refused.
  Exit run = run_detached(work.string(), {"run", "copied.rbk", "--non-interactive"},
                          {"XDG_STATE_HOME=" + state.string()});
  INFO(run.out << run.err);
  CHECK(run.code == 4);
  CHECK(run.out.find("approve it with --approve wipe") != std::string::npos);
  // Recorded in the state directory, not beside the runbook.
  CHECK_FALSE(fs::exists(work / ".rbk"));
  size_t runs = 0;
  for (const auto& d : fs::directory_iterator(state / "rbk" / "runs")) {
    ++runs;
    CHECK(fs::is_regular_file(d.path() / "events.jsonl"));
  }
  CHECK(runs == 1);
  Exit history = run_detached(work.string(), {"history"}, {"XDG_STATE_HOME=" + state.string()});
  CHECK(history.code == 0);
  CHECK(history.out.find("copied") != std::string::npos);
}

TEST_CASE("rbk names no file of its source tree's stdlib", "[install]") {
  // Were the stdlib found through a path compiled in, a copied binary would
  // work on the machine that built it and nowhere else; this catches that
  // even here, where the source tree is present.
  const std::string binary = rbk::test::read_file(rbk::test::rbk_binary());
  REQUIRE(binary.size() > 100000);
  CHECK(binary.find(rbk::test::source_dir() + "/stdlib") == std::string::npos);
}

TEST_CASE("a module of the project's own overrides the stdlib one of the same name", "[install]") {
  TempDir tmp;
  const fs::path work = tmp.dir("work");
  tmp.dir("work/stdlib");
  write_file((work / "stdlib" / "systemd.rbk").string(),
             "module systemd {\n  template status \"Ours\" {\n    param unit : string\n"
             "    run `echo our own status of \"$unit\"`\n  }\n}\n");
  write_file((work / "copied.rbk").string(), kRunbook);
  Exit show = run_detached(work.string(), {"plan", "copied.rbk"});
  INFO(show.out << show.err);
  CHECK(show.code == 0);
  CHECK(show.out.find("our own status") != std::string::npos);
}
