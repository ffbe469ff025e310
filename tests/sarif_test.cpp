// SARIF 2.1.0 logs (validated against the published schema, a copy of which
// is tests/data/sarif-schema-2.1.0.json) and GitHub workflow commands.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "interpreter/lint/sarif.hpp"
#include "test_support.hpp"

using namespace rbk;
using nlohmann::json;

namespace {

std::vector<RuleInfo> test_rules() {
  RuleInfo a;
  a.id = "RBK101";
  a.name = "destructive-without-gate";
  a.category = "safety";
  a.default_severity = Severity::Error;
  a.summary = "A destructive command runs without a gate";
  a.help = "Put the step behind `gate`, or mark it safe with a suppression and a reason.";
  RuleInfo b;
  b.id = "RBK203";
  b.name = "missing-section";
  b.category = "structure";
  b.default_severity = Severity::Warning;
  b.summary = "A required section is missing";
  b.help = "Add the section named in rbk.yaml.";
  RuleInfo c;
  c.id = "RBK401";
  c.name = "shellcheck";
  c.category = "shell";
  c.default_severity = Severity::Warning;
  c.summary = "ShellCheck reports a problem in a shell literal";
  return {a, b, c};
}

// A finding covering `needle`'s first occurrence in `file`.
Diagnostic at(const std::shared_ptr<SourceFile>& file, const std::string& needle, std::string code,
              Severity sev, std::string message, std::string help = {}) {
  auto pos = file->text().find(needle);
  REQUIRE(pos != std::string::npos);
  Diagnostic d;
  d.severity = sev;
  d.span = Span::of(*file, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + needle.size()));
  d.code = std::move(code);
  d.message = std::move(message);
  d.help = std::move(help);
  d.file_owner = file;
  return d;
}

const std::string kRunbook =
    "runbook \"db-restart\"\n"
    "\n"
    "step \"stop\" {\n"
    "  run `systemctl stop postgresql`\n"
    "  run `rm -rf $dir`\n"
    "}\n";

const std::string kOther =
    "runbook \"cache\"\n"
    "step \"flush\" {\n"
    "  run `echo é; redis-cli FLUSHALL`\n"
    "}\n";

struct Cmd {
  int status = -1;
  std::string out;
};

Cmd sh(const std::string& command) {
  Cmd c;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return c;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), n);
  int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

// A Python with jsonschema: Debian's (python3-jsonschema, installed by
// scripts/install-deps.sh) first, then whatever python3 is on the PATH.
std::string python_with_jsonschema() {
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (sh(std::string(py) + " -c 'import jsonschema'").status == 0) return py;
  return {};
}

}  // namespace

TEST_CASE("SARIF log for findings in two files", "[sarif]") {
  auto f1 = std::make_shared<SourceFile>("runbooks/db-restart.rbk", kRunbook);
  auto f2 = std::make_shared<SourceFile>("runbooks/my cache.rbk", kOther);
  std::vector<FileFindings> files(2);
  files[0].path = "runbooks/db-restart.rbk";
  files[0].findings.push_back(at(f1, "rm -rf $dir", "RBK101", Severity::Error,
                                 "destructive command without a gate", "add `gate` before it"));
  files[0].findings.push_back(at(f1, "$dir", "RBK401", Severity::Note,
                                 "SC2086: Double quote to prevent globbing and word splitting."));
  files[1].path = "./runbooks/my cache.rbk";
  files[1].findings.push_back(
      at(f2, "FLUSHALL", "RBK101", Severity::Warning, "destructive command without a gate"));
  files[1].findings.push_back(at(f2, "\"cache\"", "", Severity::Error, "unknown name 'cache'"));

  json log = to_sarif(files, test_rules());

  CHECK(log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json");
  CHECK(log["version"] == "2.1.0");
  REQUIRE(log["runs"].size() == 1);
  const json& run = log["runs"][0];
  CHECK(run["columnKind"] == "unicodeCodePoints");
  const json& driver = run["tool"]["driver"];
  CHECK(driver["name"] == "rbk");
  CHECK(driver["version"] == RBK_VERSION);
  CHECK(driver["informationUri"] == "https://github.com/rbk-runbooks/rbk");

  const json& rules = driver["rules"];
  REQUIRE(rules.size() == 4);  // the three given, then RBK000 for the check error
  CHECK(rules[0]["id"] == "RBK101");
  CHECK(rules[0]["name"] == "destructive-without-gate");
  CHECK(rules[0]["shortDescription"]["text"] == "A destructive command runs without a gate");
  CHECK(rules[0]["fullDescription"]["text"] ==
        "Put the step behind `gate`, or mark it safe with a suppression and a reason.");
  CHECK(rules[0]["help"]["text"] == rules[0]["fullDescription"]["text"]);
  CHECK(rules[0]["defaultConfiguration"]["level"] == "error");
  CHECK(rules[0]["properties"]["tags"] == json::array({"safety"}));
  CHECK(rules[1]["defaultConfiguration"]["level"] == "warning");
  CHECK(rules[2]["fullDescription"]["text"] == "ShellCheck reports a problem in a shell literal");
  CHECK(rules[3]["id"] == "RBK000");
  CHECK(rules[3]["name"] == "check");
  CHECK(rules[3]["defaultConfiguration"]["level"] == "error");
  CHECK(rules[3]["properties"]["tags"] == json::array({"correctness"}));

  const json& results = run["results"];
  REQUIRE(results.size() == 4);
  const json& r0 = results[0];
  CHECK(r0["ruleId"] == "RBK101");
  CHECK(r0["ruleIndex"] == 0);
  CHECK(r0["level"] == "error");
  CHECK(r0["message"]["text"] == "destructive command without a gate\nhelp: add `gate` before it");
  const json& loc0 = r0["locations"][0]["physicalLocation"];
  CHECK(loc0["artifactLocation"]["uri"] == "runbooks/db-restart.rbk");
  CHECK(loc0["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
  // "  run `rm -rf $dir`": 'r' of rm is column 8; the span ends after 'r' of
  // $dir (column 18), so endColumn (just past the end) is 19.
  CHECK(loc0["region"] ==
        json({{"startLine", 5}, {"startColumn", 8}, {"endLine", 5}, {"endColumn", 19}}));

  const json& r1 = results[1];
  CHECK(r1["ruleId"] == "RBK401");
  CHECK(r1["ruleIndex"] == 2);
  CHECK(r1["level"] == "note");
  CHECK(r1["message"]["text"] == "SC2086: Double quote to prevent globbing and word splitting.");
  CHECK(r1["locations"][0]["physicalLocation"]["region"] ==
        json({{"startLine", 5}, {"startColumn", 15}, {"endLine", 5}, {"endColumn", 19}}));
  // Two findings on one line keep distinct fingerprints.
  CHECK(r0["partialFingerprints"]["primaryLocationLineHash"] !=
        r1["partialFingerprints"]["primaryLocationLineHash"]);

  const json& r2 = results[2];
  CHECK(r2["level"] == "warning");
  // "./" dropped, the space percent-encoded.
  CHECK(r2["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
        "runbooks/my%20cache.rbk");
  CHECK(r2["locations"][0]["physicalLocation"]["region"]["startLine"] == 3);
  CHECK(r2["locations"][0]["physicalLocation"]["region"]["startColumn"] ==
        26);  // code points, not bytes

  const json& r3 = results[3];
  CHECK(r3["ruleId"] == "RBK000");
  CHECK(r3["ruleIndex"] == 3);
  CHECK(r3["level"] == "error");
  CHECK(r3["message"]["text"] == "unknown name 'cache'");

  for (const json& r : results) {
    std::string fp = r["partialFingerprints"]["primaryLocationLineHash"];
    CHECK(fp.size() == 34);  // 32 hex digits, ':', occurrence
    CHECK(fp.substr(32) == ":1");
  }
}

TEST_CASE("SARIF log validates against the SARIF 2.1.0 schema", "[sarif]") {
  const std::string schema = test::source_dir() + "/tests/data/sarif-schema-2.1.0.json";
  REQUIRE(!test::read_file(schema).empty());
  const std::string py = python_with_jsonschema();
  INFO("needs Python's jsonschema: bash scripts/install-deps.sh python3-jsonschema");
  REQUIRE(!py.empty());

  auto f1 = std::make_shared<SourceFile>("a.rbk", kRunbook);
  auto f2 = std::make_shared<SourceFile>("dir/b.rbk", kOther);
  std::vector<FileFindings> files(3);
  files[0].path = "a.rbk";
  files[0].findings.push_back(
      at(f1, "rm -rf $dir", "RBK101", Severity::Error, "destructive", "gate it"));
  files[0].findings.push_back(at(f1, "$dir", "RBK401", Severity::Note, "SC2086: quote it."));
  files[0].findings.push_back(
      at(f1, "step \"stop\" {\n  run", "RBK999", Severity::Warning, "multi-line"));
  files[1].path = "dir/b.rbk";
  files[1].findings.push_back(at(f2, "cache", "", Severity::Error, "check error"));
  Diagnostic unreadable;  // no span at all: an unreadable file
  unreadable.message = "cannot read 'gone.rbk'";
  unreadable.path = "gone.rbk";
  files[2].path = "gone.rbk";
  files[2].findings.push_back(unreadable);
  json log = to_sarif(files, test_rules());

  test::TempDir tmp;
  const std::string out = (tmp.path / "rbk.sarif").string();
  test::write_file(out, log.dump(2));
  const std::string script =
      "import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "doc = json.load(open(sys.argv[2]))\n"
      "jsonschema.Draft7Validator.check_schema(schema)\n"
      // This copy keeps the log's own schema under definitions/Root with
      // nothing at the top, which would accept anything: validate against
      // Root then (the published form has its properties at the top).
      "if 'properties' not in schema and '$ref' not in schema:\n"
      "    assert 'Root' in schema.get('definitions', {}), 'schema checks nothing'\n"
      "    schema = dict(schema, **{'$ref': '#/definitions/Root'})\n"
      "errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))\n"
      "for e in errors: print(list(e.absolute_path), e.message)\n"
      "sys.exit(1 if errors else 0)\n";
  const std::string script_path = (tmp.path / "validate.py").string();
  test::write_file(script_path, script);
  Cmd c = sh(py + " '" + script_path + "' '" + schema + "' '" + out + "'");
  INFO(c.out);
  CHECK(c.status == 0);

  // The real thing: what `rbk lint --format sarif` writes for every rule's
  // trigger in tests/lint/ (the whole rule table in tool.driver.rules).
  const auto real = test::run_rbk("lint --no-shellcheck --format sarif tests/lint/");
  CHECK(real.exit_code == 1);
  test::write_file(out, real.out);
  const json real_log = json::parse(real.out);
  CHECK(real_log["runs"][0]["tool"]["driver"]["rules"].size() == lint_rules().size());
  CHECK(real_log["runs"][0]["results"].size() > 30);
  c = sh(py + " '" + script_path + "' '" + schema + "' '" + out + "'");
  INFO(c.out);
  CHECK(c.status == 0);

  // The schema catches a broken log: the check is not vacuous.
  json broken = log;
  broken["runs"][0]["results"][0]["level"] = "fatal";
  test::write_file(out, broken.dump());
  CHECK(sh(py + " '" + script_path + "' '" + schema + "' '" + out + "'").status == 1);

  // Span-less finding: a location with no region; multi-line one: endLine 4.
  const json& results = log["runs"][0]["results"];
  CHECK(results[2]["ruleId"] == "RBK999");  // not in the list: a rule of its own
  CHECK(results[2]["locations"][0]["physicalLocation"]["region"] ==
        json({{"startLine", 3}, {"startColumn", 1}, {"endLine", 4}, {"endColumn", 6}}));
  CHECK(!results[4]["locations"][0]["physicalLocation"].contains("region"));
  CHECK(results[4]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "gone.rbk");
}

TEST_CASE("SARIF fingerprints survive unrelated edits", "[sarif]") {
  const std::string before = kRunbook;
  std::string after = kRunbook;
  after.insert(after.find("step"), "# a comment added above\n\n");  // two lines above
  // The same line elsewhere in the file, before it: occurrence 2 after.
  std::string dup = kRunbook;
  dup.insert(dup.find("step"), "  run `rm -rf $dir`\n");

  auto fp = [](const std::string& text, const std::string& path, std::string code, json* region) {
    auto f = std::make_shared<SourceFile>(path, text);
    std::vector<FileFindings> files(1);
    files[0].path = path;
    auto pos = text.rfind("rm -rf");
    Diagnostic d;
    d.severity = Severity::Error;
    d.span = Span::of(*f, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + 2));
    d.code = std::move(code);
    d.message = "destructive";
    files[0].findings.push_back(d);
    json log = to_sarif(files, test_rules());
    const json& r = log["runs"][0]["results"][0];
    if (region) *region = r["locations"][0]["physicalLocation"]["region"];
    return r["partialFingerprints"]["primaryLocationLineHash"].get<std::string>();
  };
  json reg_before, reg_after;
  const std::string a = fp(before, "a.rbk", "RBK101", &reg_before);
  const std::string b = fp(after, "a.rbk", "RBK101", &reg_after);
  CHECK(a == b);
  CHECK(reg_before["startLine"] == 5);
  CHECK(reg_after["startLine"] == 7);
  // Re-indenting the line does not change it either.
  std::string reindented = kRunbook;
  reindented.replace(reindented.find("  run `rm"), 2, "    ");
  CHECK(fp(reindented, "a.rbk", "RBK101", nullptr) == a);
  // Another rule, file, or line text does.
  CHECK(fp(before, "a.rbk", "RBK102", nullptr) != a);
  CHECK(fp(before, "b.rbk", "RBK101", nullptr) != a);
  std::string edited = kRunbook;
  edited.replace(edited.find("$dir"), 4, "$tmp");
  CHECK(fp(edited, "a.rbk", "RBK101", nullptr) != a);
  // An identical line above: same hash, occurrence 2.
  const std::string d = fp(dup, "a.rbk", "RBK101", nullptr);
  CHECK(d.substr(0, 32) == a.substr(0, 32));
  CHECK(a.substr(32) == ":1");
  CHECK(d.substr(32) == ":2");
}

TEST_CASE("GitHub workflow commands", "[sarif]") {
  auto f = std::make_shared<SourceFile>("a.rbk", kRunbook);
  Diagnostic d = at(f, "rm -rf $dir", "RBK101", Severity::Error,
                    "destructive command without a gate", "add `gate` before it");
  CHECK(to_github(d, "runbooks/a.rbk") ==
        "::error file=runbooks/a.rbk,line=5,col=8,endLine=5,endColumn=18,title=RBK101::"
        "destructive command without a gate%0Ahelp: add `gate` before it");

  Diagnostic w = at(f, "$", "RBK401", Severity::Warning, "SC2086: 100% unquoted, really:\r\nyes");
  CHECK(to_github(w, "dir,with:odd%name.rbk") ==
        "::warning file=dir%2Cwith%3Aodd%25name.rbk,line=5,col=15,endLine=5,endColumn=15,"
        "title=RBK401::SC2086: 100%25 unquoted, really:%0D%0Ayes");

  // Several lines: no columns (GitHub takes them only on one line).
  Diagnostic n = at(f, "step \"stop\" {\n  run", "RBK203", Severity::Note, "note");
  CHECK(to_github(n, "a.rbk") == "::notice file=a.rbk,line=3,endLine=4,title=RBK203::note");

  // No code, no span: a check error about an unreadable file.
  Diagnostic e;
  e.message = "cannot read 'x.rbk'";
  e.path = "x.rbk";
  CHECK(to_github(e, "x.rbk") == "::error file=x.rbk::cannot read 'x.rbk'");
}
