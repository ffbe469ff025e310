// No secret reaches a report: every shipped runbook's fixture cases, with
// every command's output carrying the fixture's secret values and a string
// a redaction pattern matches, are run as records (TestSuite::keep_records),
// and each record's report, in Markdown and JSON, and the record's own files
// are searched for them.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "interpreter/record/history.hpp"
#include "interpreter/report/report.hpp"
#include "interpreter/sema/workspace.hpp"
#include "interpreter/testing/suite.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::read_file;
using rbk::test::write_file;

namespace {

// Matched by the redaction pattern the test adds to the project's rbk.yaml.
const std::string kRedacted = "tok_Zq81Lm02Xr77";

// A line every scripted output gets: the secrets and the redacted token.
std::string leak_line(const std::vector<std::string>& secrets) {
  std::string line = "leak";
  for (const auto& s : secrets) line += " " + s;
  return line + " " + kRedacted + "\n";
}

// Adds `leak` to a scripted command's stderr, and to its stdout unless that
// is JSON (a parser would then fail and end the case before its gates,
// prompts and notes, where a leak would show).
void add_leak(YAML::Node entry, const std::string& leak) {
  if (!entry.IsMap()) return;
  if (entry["results"] && entry["results"].IsSequence()) {  // one output per result
    for (auto result : entry["results"]) add_leak(result, leak);
    return;
  }
  entry["stderr"] = entry["stderr"].as<std::string>("") + leak;
  const std::string out = entry["stdout"].as<std::string>("");
  const size_t first = out.find_first_not_of(" \n\t");
  if (first == std::string::npos || (out[first] != '{' && out[first] != '['))
    entry["stdout"] = out + leak;
}

// Rewrites a fixture so that every output leaks; returns its secret values.
std::vector<std::string> leak_everywhere(const fs::path& fixture) {
  YAML::Node root = YAML::LoadFile(fixture.string());
  std::vector<std::string> secrets;
  if (root["secrets"])
    for (const auto& kv : root["secrets"]) secrets.push_back(kv.second.as<std::string>());
  const std::string leak = leak_line(secrets);
  if (root["commands"])
    for (auto entry : root["commands"]) add_leak(entry, leak);
  if (root["cases"])
    for (auto c : root["cases"])
      if (c["commands"])
        for (auto entry : c["commands"]) add_leak(entry, leak);
  YAML::Emitter out;
  out << root;
  write_file(fixture.string(), std::string(out.c_str()) + "\n");
  return secrets;
}

// Every file under `dir`, as text.
std::map<std::string, std::string> files_under(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs::recursive_directory_iterator(dir))
    if (f.is_regular_file()) out[f.path().string()] = read_file(f.path().string());
  return out;
}

}  // namespace

TEST_CASE("no secret of any shipped runbook reaches its report or its record", "[report]") {
  rbk::test::TempDir tmp;
  const fs::path src = rbk::test::source_dir();
  fs::copy(src / "runbooks", tmp.path / "runbooks", fs::copy_options::recursive);
  write_file((tmp.path / "rbk.yaml").string(),
             read_file((src / "rbk.yaml").string()) + "\nredact:\n  - \"tok_[A-Za-z0-9]{12}\"\n");

  std::set<std::string> secrets;
  std::vector<fs::path> fixtures;
  for (const auto& f : fs::directory_iterator(tmp.path / "runbooks")) {
    if (f.path().filename().string().find(".test.yaml") == std::string::npos) continue;
    fixtures.push_back(f.path());
    for (auto& s : leak_everywhere(f.path())) secrets.insert(s);
  }
  REQUIRE(fixtures.size() >= 15);
  // The shipped runbooks declare secrets, and their fixtures give them.
  REQUIRE(secrets.size() >= 5);
  // Under the sanitizers one fixture in three, in name order (45 s for all;
  // the gcc build runs every one).
  std::sort(fixtures.begin(), fixtures.end());
  if (rbk::test::sanitized_build()) {
    std::vector<fs::path> some;
    for (size_t i = 0; i < fixtures.size(); i += 3) some.push_back(fixtures[i]);
    fixtures = std::move(some);
  }

  auto ws = rbk::Workspace::open(tmp.path.string());
  REQUIRE(ws);
  auto patterns = rbk::load_patterns();
  REQUIRE(patterns);
  rbk::TestSuite suite(**ws, *patterns);
  for (const auto& f : fixtures) {
    rbk::Diagnostics warnings;
    auto added = suite.add(f.string(), warnings);
    std::string why;
    if (!added) {
      why = added.error().message;
      for (const auto& d : added.error().diagnostics) why += "\n" + rbk::render(d);
    }
    INFO(f.string() << "\n" << why);
    REQUIRE(added);
  }
  const fs::path records = tmp.path / "records";
  suite.keep_records(records.string());
  const auto results = suite.run();
  REQUIRE(results.size() >= (rbk::test::sanitized_build() ? 10u : 30u));

  const std::string tmpl_text(rbk::default_report_template());
  const rbk::SourceFile tmpl("default.md", tmpl_text);
  size_t reports = 0;
  size_t masked_outputs = 0;
  for (const auto& run : fs::directory_iterator(records)) {
    std::vector<std::string> problems;
    auto events = rbk::read_events(run.path().string(), problems);
    INFO(run.path().string());
    REQUIRE(problems.empty());
    const nlohmann::json data = rbk::report_data(events, run.path().string());
    auto md = rbk::render_report(data, tmpl);
    REQUIRE(md);
    ++reports;
    std::map<std::string, std::string> texts = files_under(run.path());
    texts["report (Markdown)"] = *md;
    texts["report (JSON)"] = data.dump();
    for (const auto& [where, text] : texts) {
      INFO(where);
      // The leak got this far, masked: the test shows what it claims to.
      if (where.find("/output/") != std::string::npos && text.find("leak ***") != std::string::npos)
        ++masked_outputs;
      for (const auto& s : secrets) CHECK(text.find(s) == std::string::npos);
      CHECK(text.find(kRedacted) == std::string::npos);
    }
  }
  CHECK(reports == results.size());
  CHECK(masked_outputs >= results.size());
}
