// rbk test: fixtures as data. tests/fixtures/bad/*.test.yaml are fixtures
// with mistakes and their .expected diagnostics; target.test.yaml exercises
// every fixture feature and must pass; failing/failing.test.yaml must fail,
// each case for its own reason, with the report in failing.expected. Then the
// command itself: exit codes, JUnit, JSON, that nothing real runs, and a real
// run recorded with --record-fixture and replayed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "grammar/parse.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "interpreter/testing/fixture.hpp"
#include "interpreter/testing/fixture_replay.hpp"
#include "interpreter/testing/junit.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace rbk;

const std::string kDir = "tests/fixtures/";

/// target.rbk parsed and checked, with its rbk.yaml: what the cases run against.
struct Target {
  Target() {
    const std::string root = test::source_dir() + "/";
    parsed = parse(std::make_shared<SourceFile>(kDir + "target.rbk",
                                                test::read_file(root + kDir + "target.rbk")));
    REQUIRE(parsed.document);
    REQUIRE(parsed.diagnostics.empty());
    REQUIRE_FALSE(has_errors(check(*parsed.document, &modules)));
    Diagnostics errors;
    config = load_config(root + kDir, errors);
    patterns = DestructivePatterns::load_shipped(errors);
    REQUIRE(errors.empty());
    target.doc = parsed.document.get();
    target.file = kDir + "target.rbk";
    target.config = &config;
    target.patterns = &patterns;
  }
  ParseResult parsed;
  FileModuleLoader modules;
  Config config;
  DestructivePatterns patterns;
  FixtureTarget target;
};

Fixture load(const std::string& rel, Diagnostics& errors) {
  auto file = std::make_shared<SourceFile>(rel, test::read_file(test::source_dir() + "/" + rel));
  return parse_fixture(file, errors);
}

/// Compares `actual` with the golden file, or rewrites it (RBK_UPDATE_GOLDEN=1).
void golden(const std::string& expected_path, const std::string& actual) {
  if (test::update_goldens()) {
    test::write_file(expected_path, actual);
    return;
  }
  CHECK(test::read_file(expected_path) == actual);
}

}  // namespace

TEST_CASE("bad fixtures are diagnostics at file:line:col", "[fixture]") {
  Target t;
  const auto files = test::files_in(test::source_dir() + "/" + kDir + "bad", ".yaml");
  REQUIRE(files.size() >= 10);
  for (const auto& path : files) {
    const std::string rel = kDir + "bad/" + fs::path(path).filename().string();
    INFO(rel);
    Diagnostics errors;
    Fixture f = load(rel, errors);
    if (!has_errors(errors)) {
      Diagnostics more = check_fixture(f, *t.parsed.document);
      errors.insert(errors.end(), more.begin(), more.end());
    }
    CHECK(has_errors(errors));  // every file here has a mistake
    std::string rendered;
    for (const auto& d : errors) rendered += render(d);
    CHECK(rendered.find("what()") == std::string::npos);
    golden(path.substr(0, path.size() - std::string(".test.yaml").size()) + ".expected", rendered);
  }
}

TEST_CASE("every case of target.test.yaml passes", "[fixture]") {
  Target t;
  Diagnostics errors;
  Fixture f = load(kDir + "target.test.yaml", errors);
  Diagnostics more = check_fixture(f, *t.parsed.document);
  errors.insert(errors.end(), more.begin(), more.end());
  REQUIRE(errors.empty());
  REQUIRE(f.cases.size() >= 10);
  for (const auto& c : f.cases) {
    CaseReport r = run_case(f, c, t.target, t.modules);
    INFO(c.name << "\n" << describe_failures(r));
    CHECK(r.passed);
  }
}

TEST_CASE("wrong expectations and fixture gaps fail with a readable report", "[fixture]") {
  Target t;
  Diagnostics errors;
  Fixture f = load(kDir + "failing/failing.test.yaml", errors);
  REQUIRE(errors.empty());
  std::string report;
  for (const auto& c : f.cases) {
    CaseReport r = run_case(f, c, t.target, t.modules);
    CHECK_FALSE(r.passed);
    CHECK_FALSE(r.failures.empty());
    report += "FAIL " + c.name + "\n" + describe_failures(r);
  }
  golden(test::source_dir() + "/" + kDir + "failing/failing.expected", report);
}

TEST_CASE("JUnit XML escapes what XML cannot hold", "[fixture]") {
  CHECK(xml_escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  CHECK(xml_escape(std::string("bell\x07")) == "bell\xEF\xBF\xBD");
  JUnitSuite s{"f.test.yaml",
               {{"ok", "rb", "f.test.yaml", 3, true, "", 0.001},
                {"bad", "rb", "f.test.yaml", 9, false, "outcome: x\nmore", 0.002}}};
  std::string xml = to_junit({s});
  CHECK(xml.find("<testsuites name=\"rbk test\" tests=\"2\" failures=\"1\">") != std::string::npos);
  CHECK(xml.find("<testcase name=\"ok\" classname=\"rb\" file=\"f.test.yaml\" line=\"3\"") !=
        std::string::npos);
  CHECK(xml.find("<failure message=\"outcome: x\">outcome: x\nmore</failure>") !=
        std::string::npos);
}

TEST_CASE("rbk test: exit codes, report, JUnit, and never a real command", "[fixture][threads]") {
  test::TempDir tmp;
  const std::string dir = tmp.path.string();
  const std::string fixtures = test::source_dir() + "/" + kDir;
  const std::string mark = dir + "/paged";
  const std::vector<std::string> env = {"RBK_PAGE_MARK=" + mark};

  SECTION("all pass: exit 0, one line per case, the count") {
    auto r = test::run_detached(dir, {"test", fixtures + "target.test.yaml"}, env);
    CHECK(r.code == 0);
    CHECK(r.out.find("PASS  " + fixtures + "target.test.yaml:14  API down;") != std::string::npos);
    CHECK(r.out.find("\n15 passed, 0 failed\n") != std::string::npos);
    // rbk.yaml there has a page command; rbk test never sends a page.
    CHECK_FALSE(fs::exists(mark));
  }
  SECTION("a failing case: exit 1; JUnit lists it") {
    auto r = test::run_detached(dir, {"test", fixtures + "failing"}, env);
    CHECK(r.code == 1);
    CHECK(r.out.find("0 passed, 7 failed") != std::string::npos);
    auto j = test::run_detached(dir, {"test", "--format", "junit", fixtures + "failing"}, env);
    CHECK(j.code == 1);
    CHECK(j.out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 0) == 0);
    CHECK(j.out.find("failures=\"7\"") != std::string::npos);
  }
  SECTION("JSON: every case with the text report's failures, the counts") {
    auto all = test::run_detached(dir, {"test", "--format", "json", fixtures + "target.test.yaml"});
    CHECK(all.code == 0);
    auto doc = nlohmann::json::parse(all.out);
    CHECK(doc.at("passed") == 15);
    CHECK(doc.at("failed") == 0);
    CHECK(doc.at("fixture_errors").empty());
    REQUIRE(doc.at("cases").size() == 15);
    const auto& first = doc.at("cases").at(0);
    CHECK(first.at("fixture") == fixtures + "target.test.yaml");
    CHECK(first.at("line") == 14);
    CHECK(first.at("name").get<std::string>().rfind("API down;", 0) == 0);
    CHECK(first.at("runbook") == "api-down");
    CHECK(first.at("passed") == true);
    CHECK(first.at("failures").empty());
    CHECK(first.at("trace").empty());
    CHECK(first.at("seconds").get<double>() >= 0);

    auto failing = test::run_detached(dir, {"test", "--format", "json", fixtures + "failing"});
    CHECK(failing.code == 1);
    auto bad = nlohmann::json::parse(failing.out);
    CHECK(bad.at("passed") == 0);
    CHECK(bad.at("failed") == 7);
    // Each failure and trace line is the text report's, without its indent.
    const std::string text = test::run_detached(dir, {"test", fixtures + "failing"}).out;
    size_t texts = 0, traces = 0;
    for (const auto& c : bad.at("cases")) {
      CHECK(c.at("passed") == false);
      CHECK_FALSE(c.at("failures").empty());
      for (const auto& f : c.at("failures")) {
        ++texts;
        CHECK(text.find("\n  " + f.get<std::string>() + "\n") != std::string::npos);
      }
      for (const auto& t : c.at("trace")) {
        ++traces;
        CHECK(text.find("\n    " + t.get<std::string>() + "\n") != std::string::npos);
      }
      CHECK(text.find("FAIL  " + c.at("fixture").get<std::string>() + ":" +
                      std::to_string(c.at("line").get<int>()) + "  " +
                      c.at("name").get<std::string>() + "\n") != std::string::npos);
    }
    CHECK(texts >= 7);
    CHECK(traces > 0);

    // A fixture that cannot run: its diagnostics in the document, exit 2.
    auto broken = test::run_detached(
        dir, {"test", "--format", "json", fixtures + "bad/unknown-key.test.yaml"});
    CHECK(broken.code == 2);
    CHECK(broken.err.empty());
    auto errors = nlohmann::json::parse(broken.out).at("fixture_errors");
    REQUIRE(errors.size() == 2);
    CHECK(errors.at(1).at("message") == "unknown fixture key 'case'");
    CHECK(errors.at(1).at("line") == 3);
  }
  SECTION("a bad fixture: exit 2 with its diagnostics") {
    auto r = test::run_detached(dir, {"test", fixtures + "bad/unknown-key.test.yaml"});
    CHECK(r.code == 2);
    CHECK(r.err.find("unknown-key.test.yaml:3:1: error: unknown fixture key 'case'") !=
          std::string::npos);
    CHECK(test::run_detached(dir, {"test", dir + "/nowhere"}).code == 2);
    CHECK(test::run_detached(dir, {"test", "--format", "xml"}).code == 2);
  }
  SECTION("commands that would leave a trace leave none, matched or not") {
    test::write_file(tmp.dir("runbooks") / "touchy.rbk",
                     "runbook touchy {\n  title \"Touchy\"\n  alert {\n    signal \"s\" {\n"
                     "      run `touch \"$MARK\"-alert`\n    }\n  }\n  remediate {\n"
                     "    step fix \"Fix\" {\n      run `touch \"$MARK\"-fix`\n    }\n  }\n}\n");
    test::write_file(tmp.dir("runbooks") / "touchy.test.yaml",
                     "runbook: touchy\ncases:\n  - name: alert matched, fix not\n"
                     "    commands:\n      - {step: signal-1, exit: 1}\n"
                     "    expect: {outcome: resolved}\n");
    auto r = test::run_detached(dir, {"test"}, {"MARK=" + dir + "/touched"});
    CHECK(r.code == 1);
    CHECK(r.out.find("no fixture entry matches the command of step 'fix'") != std::string::npos);
    CHECK(r.out.find("`touch \"$MARK\"-fix`") != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/touched-alert"));
    CHECK_FALSE(fs::exists(dir + "/touched-fix"));
  }
}

TEST_CASE("a real run recorded with --record-fixture replays to the same end", "[fixture]") {
  test::TempDir tmp;
  const std::string dir = tmp.path.string();
  // Real commands, harmless: output, stderr, a non-zero exit, polling, a secret.
  test::write_file(tmp.dir("runbooks") / "drill.rbk", R"(runbook drill {
  title "Drill"
  param n : int = 3
  secret TOKEN from env "DRILL_TOKEN"
  alert {
    signal "flag" {
      run `printf 'state=%s\n' down` as flag
      firing when flag contains "down"
    }
  }
  diagnose {
    step count "Count" {
      run `seq "$n" | wc -l` as count
    }
    step token "Token" {
      run `echo "token is $TOKEN"; echo oops >&2; exit 3`
    }
  }
  causes {
    cause many "Many" when count >= 3
  }
  remediate {
    step fix "Fix" when cause.many {
      destructive
      confirm "Fix it?"
      run `echo fixing`
      until `test -e fixed || { touch fixed; false; }` within 10m every 10ms
    }
  }
  verify {
    check "fixed" { run `cat fixed && echo verified` }
  }
  escalate {
    page oncall
  }
}
)");
  const std::vector<std::string> env = {"DRILL_TOKEN=hunter2-secret"};
  auto run = test::run_detached(
      dir, {"run", "drill", "--approve", "fix", "--record-fixture", "drill.test.yaml"}, env);
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.err.find("fixture written to drill.test.yaml") != std::string::npos);
  const std::string fixture = test::read_file(dir + "/drill.test.yaml");
  INFO(fixture);
  CHECK(fixture.find("hunter2") == std::string::npos);  // the secret is masked
  CHECK(fixture.find("token is ***") != std::string::npos);
  CHECK(fixture.find("stderr: \"oops\\n\"") != std::string::npos);
  CHECK(fixture.find("exit: 3") != std::string::npos);
  CHECK(fixture.find("approve: [fix]") != std::string::npos);

  fs::remove(tmp.path / "fixed");  // the replay must not need (or make) it
  auto replay = test::run_detached(dir, {"test", "drill.test.yaml"});
  INFO(replay.out << replay.err);
  CHECK(replay.code == 0);
  CHECK(replay.out.find("1 passed, 0 failed") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path / "fixed"));

  SECTION("an existing file is refused before anything runs") {
    auto again = test::run_detached(
        dir, {"run", "drill", "--approve", "fix", "--record-fixture", "drill.test.yaml"}, env);
    CHECK(again.code == 2);
    CHECK(again.err.find("drill.test.yaml: already exists") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "fixed"));
  }
  SECTION("a missing directory is refused before anything runs") {
    fs::remove(tmp.path / "fixed");
    auto missing = test::run_detached(
        dir, {"run", "drill", "--approve", "fix", "--record-fixture", "no/such/dir/f.test.yaml"},
        env);
    CHECK(missing.code == 2);
    CHECK(missing.err.find("no/such/dir/f.test.yaml: directory ") != std::string::npos);
    CHECK(missing.err.find("does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "fixed"));  // the step never ran
  }
}

TEST_CASE("every runbook in examples/ and runbooks/ has fixtures, and they pass", "[fixture]") {
  const std::string root = test::source_dir();
  size_t runbooks = 0;
  for (const char* sub : {"/examples", "/runbooks"}) {
    for (const auto& f : test::files_in(root + sub, ".rbk")) {
      auto parsed = parse(std::make_shared<SourceFile>(f, test::read_file(f)));
      if (!parsed.document || !parsed.document->runbook()) continue;  // a module
      ++runbooks;
      INFO(f);
      CHECK_FALSE(fixtures_for(f).empty());
    }
  }
  CHECK(runbooks >= 30);
  auto r = test::run_detached(root, {"test", "examples", "runbooks"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find(" 0 failed\n") != std::string::npos);
}

TEST_CASE("truncated or line-deleted fixtures are diagnostics, never a crash", "[fixture]") {
  Target t;
  size_t variants = 0;
  for (const auto& f : test::files_in(test::source_dir() + "/" + kDir, ".yaml")) {
    const std::string text = test::read_file(f);
    const std::vector<std::string> inputs = test::damaged_variants(text, 23, SIZE_MAX);
    for (const auto& in : inputs) {
      INFO(f << " variant of " << in.size() << " bytes");
      Diagnostics errors;
      Fixture fx;
      CHECK_NOTHROW(fx = parse_fixture(std::make_shared<SourceFile>("v.test.yaml", in), errors));
      if (!has_errors(errors)) {
        CHECK_NOTHROW(check_fixture(fx, *t.parsed.document));
        if (has_errors(check_fixture(fx, *t.parsed.document))) continue;
        for (const auto& c : fx.cases) CHECK_NOTHROW(run_case(fx, c, t.target, t.modules));
      }
      ++variants;
    }
  }
  CHECK(variants > 300 / test::variant_sample());
}

TEST_CASE("each shipped runbook's fixture covers every cause, a refusal, a rollback, a timer",
          "[fixture]") {
  size_t runbooks = 0;
  for (const auto& f : test::files_in(test::source_dir() + "/runbooks", ".rbk")) {
    INFO(f);
    auto parsed = parse(std::make_shared<SourceFile>(f, test::read_file(f)));
    REQUIRE(parsed.document);
    REQUIRE(parsed.document->runbook());
    ++runbooks;
    std::set<std::string> causes;
    for (const auto& item : parsed.document->runbook()->items)
      if (const auto* sec = std::get_if<ast::Section>(&item))
        for (const auto& si : sec->items)
          if (const auto* c = std::get_if<ast::Cause>(&si)) causes.insert(c->id.name);
    const auto fixtures = fixtures_for(f);
    REQUIRE(!fixtures.empty());
    Diagnostics errors;
    Fixture fx = parse_fixture(
        std::make_shared<SourceFile>(fixtures[0], test::read_file(fixtures[0])), errors);
    REQUIRE(errors.empty());
    bool refused = false, rolled_back = false, timed = false;
    for (const auto& c : fx.cases) {
      const Expectation& x = c.expect;
      if (x.causes)
        for (const auto& id : *x.causes) causes.erase(id);
      refused = refused || x.outcome == std::optional<std::string>("refused");
      rolled_back =
          rolled_back || (x.rollback && !x.rollback->empty()) || (x.undo && !x.undo->empty());
      if (x.escalations)
        for (const auto& e : *x.escalations)
          timed = timed || (e.rule && e.rule->rfind("after ", 0) == 0 && e.at);
    }
    CHECK(causes.empty());  // a case per cause
    CHECK(refused);
    CHECK(rolled_back);
    CHECK(timed);
  }
  CHECK(runbooks >= 15);
}

TEST_CASE("a called runbook's undo, escalations, gate names and causes hold in its caller",
          "[fixture]") {
  // tests/call/fix-api.test.yaml states each: the callee's undo runs when the
  // caller fails later, its rules fire, its gates are CALLED/STEP.
  auto r = test::run_detached(test::source_dir(), {"test", "tests/call"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("8 passed, 0 failed") != std::string::npos);
}

TEST_CASE("a resumed run asks again for an answer its record masked", "[fixture][ask]") {
  // tests/fixtures/masked-answer: a redact pattern matches the answer, so
  // the record holds "***"; the resume must not hand that to the command.
  auto r = test::run_detached(test::source_dir(), {"test", "tests/fixtures/masked-answer"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("1 passed, 0 failed") != std::string::npos);
}

TEST_CASE("a real run with a call, recorded with --record-fixture, replays", "[fixture]") {
  test::TempDir tmp;
  const std::string dir = tmp.path.string();
  test::write_file(tmp.dir("runbooks") / "inner.rbk", R"(runbook inner {
  title "Inner"
  diagnose {
    step look "Look" { run `echo down` as state }
  }
  causes {
    cause down "Down" when state contains "down"
  }
  remediate {
    step mark "Mark" when cause.down {
      run `echo marked`
      undo { run `echo unmarked` }
    }
  }
}
)");
  test::write_file(tmp.dir("runbooks") / "outer.rbk", R"(runbook outer {
  title "Outer"
  remediate {
    step first "Call inner" { call inner }
    step breaks "Fails" { run `echo broken >&2; exit 4` }
  }
}
)");
  auto run = test::run_detached(dir, {"run", "outer", "--record-fixture", "outer.test.yaml"});
  INFO(run.out << run.err);
  REQUIRE(run.code == 1);
  CHECK(run.out.find("unmarked") != std::string::npos);  // the callee's undo ran
  CHECK(run.out.find("── inner › remediate") != std::string::npos);
  const std::string fixture = test::read_file(dir + "/outer.test.yaml");
  INFO(fixture);
  CHECK(fixture.find("causes: [inner/down]") != std::string::npos);
  CHECK(fixture.find("- inner/mark.undo ok") != std::string::npos);
  auto replay = test::run_detached(dir, {"test", "outer.test.yaml"});
  INFO(replay.out << replay.err);
  CHECK(replay.code == 0);
  CHECK(replay.out.find("1 passed, 0 failed") != std::string::npos);
}
