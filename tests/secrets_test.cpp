// Secrets stay secret: known before the first event is written (so a secret
// inside a -p value is masked in run_start, --json, the fixture and the
// plan), and given only to the commands of the runbook that declares them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::read_file;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

/// A throwaway project directory (with runbooks/) and file helpers.
struct Scratch : rbk::test::TempDir {
  Scratch() { fs::create_directories(path / "runbooks"); }
  void file(const std::string& rel, const std::string& text) const {
    write_file((path / rel).string(), text);
  }
  std::string read(const std::string& rel) const { return read_file((path / rel).string()); }
  /// Every file below the project's directory that contains `needle`.
  std::vector<std::string> files_holding(const std::string& needle) const {
    return rbk::test::files_holding(path.string(), needle);
  }
};

using Files = std::vector<std::string>;

}  // namespace

TEST_CASE("a secret inside a -p value is masked in run_start, --json, the fixture and the plan",
          "[run][secrets]") {
  Scratch s;
  s.file("rbk.yaml", "paths: [runbooks]\n");
  s.file("runbooks/deploy.rbk", R"(
runbook deploy {
  severity low
  param msg : string = ""
  secret token from env "DEPLOY_TOKEN"
  secret other from `printf cmd-s3cret-42`
  diagnose {
    step look "Look" { run `printf 'msg=%s\n' "$msg"` }
  }
}
)");
  const std::vector<std::string> env = {"DEPLOY_TOKEN=env-s3cret-77"};
  Exit run = run_detached(s.path.string(),
                          {"run", "deploy", "--json", "--record-fixture", "deploy.test.yaml", "-p",
                           "msg=with env-s3cret-77 and cmd-s3cret-42 inside"},
                          env);
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.out.find("s3cret") == std::string::npos);
  CHECK(run.err.find("s3cret") == std::string::npos);
  CHECK(run.out.find("\"type\":\"run_start\"") != std::string::npos);
  // Only the runbook itself names the secret command's text.
  CHECK(s.files_holding("s3cret") == Files{"runbooks/deploy.rbk"});
  CHECK(s.read("deploy.test.yaml").find("with *** and *** inside") != std::string::npos);

  Exit plan =
      run_detached(s.path.string(), {"plan", "deploy", "-p", "msg=with env-s3cret-77 inside"}, env);
  INFO(plan.out << plan.err);
  CHECK(plan.code == 0);
  CHECK(plan.out.find("env-s3cret-77") == std::string::npos);
  CHECK(plan.out.find("with *** inside") != std::string::npos);
}

TEST_CASE("a command gets the secrets its runbook declares, never their sources or a callee's",
          "[run][secrets]") {
  Scratch s;
  s.file("rbk.yaml", R"(paths: [runbooks]
roles:
  primary: {name: On-call, contact: oncall}
notify:
  notify: 'env >> notify.env'
)");
  s.file("runbooks/caller.rbk", R"(
runbook caller {
  severity low
  secret mine from env "CALLER_TOKEN"
  remediate {
    step before "Before" { run `env >> before.env` }
    step inner "Inner" { call callee }
    step after "After" { run `env >> after.env` }
  }
  escalate {
    notify primary "started"
  }
}
)");
  s.file("runbooks/callee.rbk", R"(
runbook callee {
  severity low
  secret theirs from env "CALLEE_TOKEN"
  remediate {
    step dump "Dump" { run `env >> callee.env` }
  }
}
)");
  Exit e = run_detached(s.path.string(), {"run", "caller"},
                        {"CALLER_TOKEN=caller-v4lue-1", "CALLEE_TOKEN=callee-v4lue-2"});
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  const std::string before = s.read("before.env"), after = s.read("after.env");
  const std::string callee = s.read("callee.env"), notify = s.read("notify.env");
  // The caller's commands: its own secret by its name, nothing of the callee's.
  CHECK(before.find("mine=caller-v4lue-1") != std::string::npos);
  CHECK(before.find("callee-v4lue-2") == std::string::npos);
  CHECK(after.find("callee-v4lue-2") == std::string::npos);
  // The variables secrets are read from reach no command.
  for (const auto* text : {&before, &after, &callee, &notify}) {
    CHECK(text->find("CALLER_TOKEN=") == std::string::npos);
    CHECK(text->find("CALLEE_TOKEN=") == std::string::npos);
  }
  // The callee's commands get its secret, not the caller's.
  CHECK(callee.find("theirs=callee-v4lue-2") != std::string::npos);
  CHECK(callee.find("caller-v4lue-1") == std::string::npos);
  // A notification command gets no secret at all.
  CHECK(notify.find("v4lue") == std::string::npos);
  CHECK(notify.find("RBK_MESSAGE=") != std::string::npos);  // it did run
}

TEST_CASE("a runbook run from another directory keeps its rbk.yaml: redaction, notifications",
          "[run][secrets][config]") {
  Scratch project, elsewhere;
  project.file("rbk.yaml", R"(paths: [runbooks]
redact: ['tok-[0-9]+']
roles:
  primary: {name: On-call, contact: oncall}
notify:
  notify: 'printf "%s\n" "$RBK_MESSAGE" >> notified.log'
)");
  project.file("runbooks/leak.rbk", R"(
runbook leak {
  severity low
  diagnose {
    step show "Show" { run `echo "token tok-123456"` }
  }
  escalate {
    notify primary "started"
  }
}
)");
  elsewhere.file("rbk.yaml", "paths: [runbooks]\n");  // a different project, no redaction
  Exit e = run_detached(elsewhere.path.string(),
                        {"run", (project.path / "runbooks" / "leak.rbk").string()});
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  CHECK(e.out.find("tok-123456") == std::string::npos);
  CHECK(e.out.find("token ***") != std::string::npos);
  CHECK(e.out.find("config " + (project.path / "rbk.yaml").string()) != std::string::npos);
  // The notification command of the runbook's rbk.yaml ran (commands run
  // in the working directory).
  CHECK(elsewhere.read("notified.log").find("started") != std::string::npos);
  // The record is the runbook's project's, and holds no token either.
  CHECK(fs::exists(project.path / ".rbk" / "runs"));
  CHECK_FALSE(fs::exists(elsewhere.path / ".rbk"));
  CHECK(project.files_holding("tok-123456") == Files{"runbooks/leak.rbk"});
}
