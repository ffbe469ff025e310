// `rbk lint` as data: tests/lint/RULE-NAME.rbk triggers the rule and
// RULE-NAME.expected holds every finding, rendered; RULE-NAME.fixed.rbk is
// the fixed runbook and must not trigger the rule. Other NAME.rbk files
// (suppressions) have a golden only. RBK_UPDATE_GOLDEN=1 rewrites goldens.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "grammar/parse.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace test = rbk::test;
using rbk::Diagnostics;
namespace fs = std::filesystem;

namespace {

/// The rbk.yaml the data cases are linted with.
rbk::Config lint_config() {
  rbk::Config c;
  c.roles["oncall"] = {"On call", "oncall@example.com"};
  c.roles["dba"] = {"DBA", "dba@example.com"};
  c.severities["critical"] = {};
  c.severities["high"] = {};
  c.severities["low"] = {};
  return c;
}

const rbk::DestructivePatterns& patterns() {
  static const rbk::DestructivePatterns p = [] {
    Diagnostics errs;
    auto x = rbk::DestructivePatterns::load_shipped(errs);
    REQUIRE(errs.empty());
    return x;
  }();
  return p;
}

/// Lints `text` as the file `path` (shown in diagnostics).
Diagnostics lint_text(const std::string& path, const std::string& text, const rbk::Config& config,
                      bool shellcheck = false, std::vector<std::string>* notes_out = nullptr) {
  auto file = std::make_shared<rbk::SourceFile>(path, text);
  rbk::ParseResult r = rbk::parse(file);
  Diagnostics out = r.diagnostics;
  if (!r.document) return out;
  rbk::LintOptions opts;
  opts.config = &config;
  opts.patterns = &patterns();
  opts.runbook_path = {test::source_dir() + "/tests/lint/path"};
  opts.shellcheck = shellcheck;
  rbk::FileModuleLoader loader;
  std::vector<std::string> notes;
  Diagnostics more = rbk::lint_document(*r.document, opts, loader, notes);
  out.insert(out.end(), more.begin(), more.end());
  if (notes_out) *notes_out = notes;
  return out;
}

std::string rendered(const Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += rbk::render(d, false);
  return out;
}

size_t count_code(const Diagnostics& ds, const std::string& code) {
  return static_cast<size_t>(
      std::count_if(ds.begin(), ds.end(), [&](const auto& d) { return d.code == code; }));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string base_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

TEST_CASE("lint data cases: each rule, its golden and its fix", "[lint]") {
  const std::string dir = test::source_dir() + "/tests/lint";
  const rbk::Config config = lint_config();
  std::set<std::string> covered;
  for (const auto& f : test::files_in(dir, ".rbk")) {
    if (ends_with(f, ".fixed.rbk")) continue;
    const std::string name = base_name(f).substr(0, base_name(f).size() - 4);
    SECTION(name) {
      Diagnostics ds = lint_text("tests/lint/" + name + ".rbk", test::read_file(f), config);
      std::string actual = rendered(ds);
      const std::string expected_path = dir + "/" + name + ".expected";
      if (test::update_goldens()) test::write_file(expected_path, actual);
      CHECK(test::read_file(expected_path) == actual);
      if (name.rfind("RBK", 0) == 0) {
        const std::string rule = name.substr(0, 6);
        REQUIRE(rbk::find_rule(rule) != nullptr);
        CHECK(count_code(ds, rule) > 0);
        const std::string fixed = dir + "/" + name + ".fixed.rbk";
        Diagnostics fixed_ds =
            lint_text("tests/lint/" + name + ".fixed.rbk", test::read_file(fixed), config);
        INFO(rendered(fixed_ds));
        CHECK(count_code(fixed_ds, rule) == 0);
        CHECK_FALSE(rbk::has_errors(fixed_ds));
      }
    }
    if (name.rfind("RBK", 0) == 0) covered.insert(name.substr(0, 6));
  }
  // Every rule has a case, except RBK401 (ShellCheck: tested below).
  for (const auto& r : rbk::lint_rules()) {
    if (r.id == "RBK401") continue;
    INFO(r.id);
    CHECK(covered.count(r.id) == 1);
  }
}

TEST_CASE("lint rule table", "[lint]") {
  const auto& rules = rbk::lint_rules();
  REQUIRE(rules.size() == 24);
  std::set<std::string> names;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    CHECK(r.id.size() == 6);
    if (i > 0) CHECK(rules[i - 1].id < r.id);
    CHECK(names.insert(r.name).second);
    CHECK_FALSE(r.summary.empty());
    CHECK_FALSE(r.help.empty());
    CHECK(rbk::find_rule(r.id) == &r);
  }
  CHECK(rbk::find_rule("RBK999") == nullptr);
  // docs/lint.md documents every rule with a bad and a fixed example.
  std::string doc = test::read_file(test::source_dir() + "/docs/lint.md");
  for (const auto& r : rules) {
    INFO(r.id);
    CHECK(doc.find("## " + r.id + " " + r.name) != std::string::npos);
  }
}

TEST_CASE("rbk lint on the project's runbooks, stdlib and examples reports nothing", "[lint]") {
  // The acceptance as CI runs it: ShellCheck on, each folder under its own rbk.yaml.
  auto r = test::run_detached(test::source_dir(), {"lint", "runbooks", "stdlib", "examples"});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(std::regex_match(r.out, std::regex("no findings in [0-9]+ files\n")));
}

TEST_CASE("lint levels from rbk.yaml", "[lint]") {
  const std::string text =
      test::read_file(test::source_dir() + "/tests/lint/RBK302-unused-parameter.rbk");
  rbk::Config config = lint_config();
  Diagnostics plain = lint_text("a.rbk", text, config);
  REQUIRE(count_code(plain, "RBK302") == 2);
  CHECK(plain[0].severity == rbk::Severity::Warning);

  SECTION("a rule raised to error") {
    config.lint.rules["RBK302"] = "error";
    Diagnostics ds = lint_text("a.rbk", text, config);
    REQUIRE(count_code(ds, "RBK302") == 2);
    for (const auto& d : ds)
      if (d.code == "RBK302") CHECK(d.severity == rbk::Severity::Error);
  }
  SECTION("a rule switched off") {
    config.lint.rules["RBK302"] = "off";
    CHECK(lint_text("a.rbk", text, config).empty());
  }
  SECTION("required sections") {
    config.lint.required_sections = std::vector<std::string>{"causes", "verify"};
    Diagnostics ds = lint_text("a.rbk", text, config);
    REQUIRE(count_code(ds, "RBK201") == 1);
    CHECK(rendered(ds).find("has no 'causes' section") != std::string::npos);
  }
  SECTION("a suppression of a rule that is off is not reported as unused") {
    std::string t = text;
    t.replace(t.find("param lines"), 0, "# rbk: ignore RBK301 -- capture kept on purpose\n  ");
    config.lint.rules["RBK301"] = "off";
    CHECK(count_code(lint_text("a.rbk", t, config), "RBK502") == 0);
  }
}

TEST_CASE("critical is what rbk.yaml makes type its confirmations, not only the word",
          "[lint][config]") {
  // A project whose levels are sev1…sev4: sev1 is its critical level.
  auto as_sev1 = [](const std::string& name) {
    std::string t = test::read_file(test::source_dir() + "/tests/lint/" + name + ".rbk");
    t.replace(t.find("severity critical"), 17, "severity sev1");
    return t;
  };
  rbk::Config config = lint_config();
  for (const char* level : {"sev1", "sev2", "sev3", "sev4"}) config.severities[level] = {};
  const std::string confirm = as_sev1("RBK104-critical-untyped-confirm");
  const std::string escalation = as_sev1("RBK208-critical-without-timed-escalation");
  CHECK(count_code(lint_text("a.rbk", confirm, config), "RBK104") == 0);
  CHECK(count_code(lint_text("b.rbk", escalation, config), "RBK208") == 0);
  config.policy.typed_confirm_for = {"sev1"};
  CHECK(count_code(lint_text("a.rbk", confirm, config), "RBK104") == 1);
  CHECK(count_code(lint_text("b.rbk", escalation, config), "RBK208") == 1);
}

TEST_CASE("the lint section of rbk.yaml", "[lint][config]") {
  auto parse = [](const std::string& yaml, Diagnostics& errs) {
    auto file = std::make_shared<rbk::SourceFile>("rbk.yaml", yaml);
    return rbk::parse_config(file, "/project", errs);
  };
  Diagnostics errs;
  rbk::Config c = parse(
      "lint:\n  rules:\n    RBK101: warning\n    RBK305: off\n  required_sections: [alert, "
      "remediate]\n",
      errs);
  CHECK(errs.empty());
  CHECK(c.lint.rules.at("RBK101") == "warning");
  CHECK(c.lint.rules.at("RBK305") == "off");
  REQUIRE(c.lint.required_sections);
  CHECK(*c.lint.required_sections == std::vector<std::string>{"alert", "remediate"});

  errs.clear();
  c = parse("lint:\n  rules:\n    RBK10: error\n    RBK102: loud\n  sections: []\n", errs);
  std::string all = rendered(errs);
  CHECK(all.find("unknown lint setting 'sections'") != std::string::npos);
  CHECK(all.find("unknown lint rule 'RBK10'") != std::string::npos);
  CHECK(all.find("did you mean") != std::string::npos);
  CHECK(all.find("invalid level 'loud' for RBK102") != std::string::npos);
  CHECK(c.lint.rules.empty());
}

// ShellCheck is installed by the test command (scripts/install-deps.sh); a
// missing one is tested with a fake runner in shellcheck_test.cpp.
TEST_CASE("shellcheck findings come back as RBK401", "[lint]") {
  const std::string text =
      "runbook sc {\n  diagnose {\n    step a \"A\" {\n"
      "      run `for f in $(ls /tmp); do echo $f; done`\n    }\n  }\n}\n";
  rbk::Config config;
  std::vector<std::string> notes;
  Diagnostics ds = lint_text("sc.rbk", text, config, true, &notes);
  INFO((notes.empty() ? std::string() : notes.front()));
  REQUIRE(notes.empty());
  CHECK(count_code(ds, "RBK401") > 0);
}

TEST_CASE("rbk lint: exit codes and formats", "[lint]") {
  test::TempDir tmp;
  auto runbooks = tmp.dir("runbooks");
  const std::string lint_dir = test::source_dir() + "/tests/lint/";
  test::write_file(tmp.path / "rbk.yaml",
                   "roles:\n  oncall: {name: On call}\n  dba: {name: DBA}\n"
                   "severities:\n  high: {}\n  critical: {}\n");
  test::write_file(runbooks / "good.rbk",
                   test::read_file(lint_dir + "RBK302-unused-parameter.fixed.rbk"));
  const std::string dir = tmp.path.string();

  SECTION("clean: exit 0, the runbook path by default") {
    auto r = test::run_detached(dir, {"lint", "--no-shellcheck"});
    CHECK(r.code == 0);
    CHECK(r.out == "no findings in 1 file\n");
  }
  SECTION("warnings pass unless --max-warnings is exceeded") {
    test::write_file(runbooks / "warn.rbk",
                     test::read_file(lint_dir + "RBK302-unused-parameter.rbk"));
    auto r = test::run_detached(dir, {"lint", "--no-shellcheck"});
    CHECK(r.code == 0);
    CHECK(r.out.find("0 errors, 2 warnings, 0 notes in 2 files\n") != std::string::npos);
    CHECK(r.out.find("warning: parameter 'unit' is never used [RBK302]") != std::string::npos);
    CHECK(test::run_detached(dir, {"lint", "--no-shellcheck", "--max-warnings", "2"}).code == 0);
    auto over = test::run_detached(dir, {"lint", "--no-shellcheck", "--max-warnings", "1"});
    CHECK(over.code == 1);
    CHECK(over.err.find("2 warnings (at most 1 allowed)") != std::string::npos);
  }
  SECTION("an error finding: exit 1; json carries rule ids") {
    test::write_file(runbooks / "bad.rbk",
                     test::read_file(lint_dir + "RBK101-destructive-without-gate.rbk"));
    auto r = test::run_detached(dir, {"lint", "--no-shellcheck", "runbooks/bad.rbk"});
    CHECK(r.code == 1);
    CHECK(r.out.find("runbooks/bad.rbk:23:17: error: runs 'systemctl restart'") !=
          std::string::npos);
    auto j = test::run_detached(dir, {"lint", "--no-shellcheck", "--format", "json", "runbooks"});
    CHECK(j.code == 1);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["files"] == 2);
    CHECK(doc["errors"] == 1);
    REQUIRE(doc["diagnostics"].size() == 1);
    CHECK(doc["diagnostics"][0]["code"] == "RBK101");
    CHECK(doc["diagnostics"][0]["rule"] == "destructive-without-gate");
    auto gh =
        test::run_detached(dir, {"lint", "--no-shellcheck", "--format", "github", "runbooks"});
    CHECK(gh.code == 1);
    CHECK(gh.out.rfind("::error file=runbooks/bad.rbk,line=23,", 0) == 0);
    CHECK(gh.out.back() == '\n');
    auto sarif = test::run_detached(dir, {"lint", "--no-shellcheck", "--format", "sarif"});
    CHECK(sarif.code == 1);
    CHECK(nlohmann::json::parse(sarif.out)["runs"][0]["results"].size() == 1);
  }
  SECTION("usage errors: exit 2") {
    CHECK(test::run_detached(dir, {"lint", "--no-shellcheck", "nowhere.rbk"}).code == 2);
    CHECK(test::run_detached(dir, {"lint", "--format", "xml"}).code == 2);
    test::write_file(tmp.path / "rbk.yaml", "lint:\n  rules:\n    RBK999: off\n");
    auto r = test::run_detached(dir, {"lint", "--no-shellcheck"});
    CHECK(r.code == 2);
    CHECK(r.err.find("unknown lint rule 'RBK999'") != std::string::npos);
  }
}

TEST_CASE("rbk lint reads the rbk.yaml nearest to each file", "[lint]") {
  test::TempDir tmp;
  const std::string lint_dir = test::source_dir() + "/tests/lint/";
  const std::string unused = test::read_file(lint_dir + "RBK302-unused-parameter.rbk");
  test::write_file(tmp.dir("runbooks") / "a.rbk", unused);
  test::write_file(tmp.dir("examples") / "b.rbk", unused);
  test::write_file(tmp.path / "examples" / "rbk.yaml", "lint:\n  rules:\n    RBK302: off\n");
  auto r = test::run_detached(
      tmp.path.string(), {"lint", "--no-shellcheck", "--format", "json", "runbooks", "examples"});
  auto doc = nlohmann::json::parse(r.out);
  std::set<std::string> flagged;
  for (const auto& d : doc["diagnostics"])
    if (d["code"] == "RBK302") flagged.insert(d["file"].get<std::string>());
  // The working directory has no rbk.yaml: runbooks/ gets the defaults.
  CHECK(flagged == std::set<std::string>{"runbooks/a.rbk"});

  SECTION("a broken rbk.yaml below is an error at its own position") {
    test::write_file(tmp.path / "examples" / "rbk.yaml", "lint:\n  rules:\n    RBK302: loud\n");
    auto bad = test::run_detached(tmp.path.string(), {"lint", "--no-shellcheck", "examples"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("examples/rbk.yaml:3:13: error:") != std::string::npos);
  }
}

TEST_CASE("lint never throws on truncated or line-deleted runbooks", "[lint]") {
  const rbk::Config config = lint_config();
  size_t variants = 0;
  for (const char* sub : {"/runbooks", "/examples", "/tests/lint"}) {
    for (const auto& f : test::files_in(test::source_dir() + sub, ".rbk")) {
      const std::string text = test::read_file(f);
      const std::vector<std::string> inputs = test::damaged_variants(text, 37, 40);
      for (const auto& in : inputs) {
        INFO(f << " variant of " << in.size() << " bytes");
        CHECK_NOTHROW(lint_text(f, in, config));
        ++variants;
      }
    }
  }
  CHECK(variants > 1000 / test::variant_sample());
}

TEST_CASE("RBK103: a step that chose not to roll back is not reported", "[lint]") {
  std::string text =
      test::read_file(test::source_dir() + "/tests/lint/RBK103-destructive-without-undo.rbk");
  const rbk::Config config = lint_config();
  REQUIRE(count_code(lint_text("a.rbk", text, config), "RBK103") == 1);
  for (const char* policy : {"abort", "continue"}) {
    std::string t = text;
    t.replace(t.find("      destructive\n"), 0, std::string("      on failure ") + policy + "\n");
    CHECK(count_code(lint_text("a.rbk", t, config), "RBK103") == 0);
  }
  std::string t = text;
  t.replace(t.find("      destructive\n"), 0, "      on failure rollback\n");
  CHECK(count_code(lint_text("a.rbk", t, config), "RBK103") == 1);
}

TEST_CASE(
    "rbk lint runs one ShellCheck process per batch of files, and each finding stays with its file",
    "[lint][shellcheck][threads]") {
  if (std::system("command -v shellcheck >/dev/null 2>&1") != 0) {
    WARN("shellcheck is not installed: skipped");
    return;
  }
  test::TempDir tmp;
  // A PATH shim counts the ShellCheck processes rbk starts.
  const std::string shim = (tmp.path / "shim").string();
  fs::create_directories(shim);
  const std::string count = (tmp.path / "count").string();
  test::write_file(shim + "/shellcheck",
                   "#!/bin/sh\necho >> '" + count + "'\nexec /usr/bin/shellcheck \"$@\"\n");
  fs::permissions(shim + "/shellcheck", fs::perms::owner_all);
  const fs::path dir = tmp.path / "books";
  fs::create_directories(dir);
  constexpr int kFiles = 40;
  for (int i = 0; i < kFiles; ++i) {
    // Line i + 4 of file i: where ShellCheck's finding must be reported.
    std::string text = "runbook r" + std::to_string(i) + " {\n  diagnose {\n    step s \"S\" {\n";
    for (int k = 0; k < i; ++k) text += "      # filler\n";
    text += "      run `echo $undefined_" + std::to_string(i) + "`\n    }\n  }\n}\n";
    test::write_file((dir / ("r" + std::to_string(i) + ".rbk")).string(), text);
  }
  auto r = test::run_detached(dir.string(), {"lint", "--format", "json", "."},
                              {"PATH=" + shim + ":/usr/sbin:/usr/bin:/sbin:/bin"});
  INFO(r.err);
  nlohmann::json doc = nlohmann::json::parse(r.out);
  std::set<std::string> placed;
  for (const auto& d : doc["diagnostics"]) {
    if (d["code"] != "RBK401" || d["message"].get<std::string>().rfind("SC2154", 0) != 0) continue;
    const std::string file = d["file"].get<std::string>();
    const int i = std::stoi(file.substr(file.find('r') + 1));
    CHECK(d["line"].get<int>() == i + 4);
    CHECK(d["message"].get<std::string>().find("undefined_" + std::to_string(i)) !=
          std::string::npos);
    placed.insert(file);
  }
  CHECK(placed.size() == kFiles);
  // One per worker and batch of 32 files: at most a worker's share of 40
  // files spans two batches.
  const size_t workers =
      std::min<size_t>(kFiles, std::max(1u, std::thread::hardware_concurrency()));
  const auto started = test::read_file(count);
  const size_t processes = static_cast<size_t>(std::count(started.begin(), started.end(), '\n'));
  CHECK(processes >= 1);
  CHECK(processes <= workers + 1);
}
