// `rbk test [PATH…]`: load every fixture and its runbook, check the fixture
// against the runbook, run all cases in parallel (virtual time, scripted
// commands and answers, never a real process), then report in fixture order:
// text, JUnit XML or JSON, each from the same per-case summary.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/testing/junit.hpp"
#include "interpreter/testing/suite.hpp"

namespace rbk::cli {

namespace fs = std::filesystem;

namespace {

/// One case as every report names it: where, which runbook, how it went.
JUnitCase summary(const CaseResult& j) {
  JUnitCase c;
  c.name = j.report.name;
  c.classname = j.fixture->target.doc->runbook()->name.name;
  c.file = j.fixture->fixture.file->path();
  c.line = j.report.pos.line;
  c.passed = j.report.passed;
  c.failure = describe_failures(j.report);
  c.seconds = j.seconds;
  return c;
}

/// `--format junit`: one testsuite per fixture file.
std::string junit_report(const std::vector<CaseResult>& jobs) {
  std::vector<JUnitSuite> suites;
  for (const auto& j : jobs) {
    JUnitCase c = summary(j);
    if (suites.empty() || suites.back().name != c.file) suites.push_back({c.file, {}});
    suites.back().cases.push_back(std::move(c));
  }
  return to_junit(suites);
}

/// `--format json`: every case with the texts the text report gives (each
/// failure, and for a failing case the run's trace), the counts, and the
/// fixtures that could not run with their diagnostics.
std::string json_report(const std::vector<CaseResult>& jobs, size_t passed, size_t failed,
                        const nlohmann::json& fixture_errors) {
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& j : jobs) {
    const JUnitCase c = summary(j);
    cases.push_back({{"fixture", c.file},
                     {"name", c.name},
                     {"line", c.line},
                     {"runbook", c.classname},
                     {"passed", c.passed},
                     {"outcome", j.report.outcome},
                     {"failures", j.report.failures},
                     {"trace", c.passed ? std::vector<std::string>{} : j.report.trace},
                     {"seconds", c.seconds}});
  }
  return json_text({{"cases", cases},
                    {"passed", passed},
                    {"failed", failed},
                    {"fixture_errors", fixture_errors}},
                   2) +
         "\n";
}

/// The text report: a line per case, what went wrong under a failing one,
/// then the counts.
std::string text_report(const std::vector<CaseResult>& jobs, size_t passed, size_t failed) {
  const bool color = use_color(stdout);
  auto paint = [&](const char* code, const std::string& s) {
    return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  std::string out;
  for (const auto& j : jobs) {
    const JUnitCase c = summary(j);
    out += (c.passed ? paint("32", "PASS") : paint("31;1", "FAIL")) + "  " + c.file + ":" +
           std::to_string(c.line) + "  " + c.name + "\n" + (c.passed ? "" : c.failure);
  }
  return out + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed\n";
}

}  // namespace

int run_test(const TestOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  auto patterns = load_patterns();
  if (!patterns) {
    print_problem(patterns.error());
    return kExitUsage;
  }

  // Which fixtures: files and folders given (a runbook file means its
  // fixtures), else every fixture on the runbook path.
  std::vector<std::string> paths = opts.paths;
  if (paths.empty()) paths = project->runbook_dirs();
  std::vector<std::string> missing;
  std::vector<std::string> files;
  for (const auto& f : expand_paths(paths, missing, is_fixture_file)) {
    if (fs::path(f).extension() == ".rbk") {
      const std::vector<std::string> own = fixtures_for(f);
      if (own.empty()) write(stderr, "rbk: note: " + f + " has no fixture file\n");
      files.insert(files.end(), own.begin(), own.end());
    } else {
      files.push_back(f);
    }
  }
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  if (files.empty()) {
    write(stderr, "rbk: error: no fixtures (*.test.yaml) found in the given paths\n");
    return kExitUsage;
  }

  const bool json_out = opts.format == "json";
  bool fixture_failed = false;
  nlohmann::json fixture_errors = nlohmann::json::array();
  TestSuite suite(*project, *patterns);
  for (const auto& file : files) {
    Diagnostics warnings;
    auto added = suite.add(file, warnings);
    print_diagnostics(warnings);
    if (added) continue;
    fixture_failed = true;
    // In JSON the fixture's errors are part of the document, as check's are.
    if (!json_out) print_problem(added.error());
    for (auto& d : problem_json(added.error(), file)) fixture_errors.push_back(std::move(d));
  }
  const std::vector<CaseResult> jobs = suite.run();

  size_t passed = 0, failed = 0;
  for (const auto& j : jobs) (j.report.passed ? passed : failed)++;
  if (opts.format == "junit")
    write(stdout, junit_report(jobs));
  else if (json_out)
    write(stdout, json_report(jobs, passed, failed, fixture_errors));
  else
    write(stdout, text_report(jobs, passed, failed));
  if (fixture_failed) return kExitUsage;
  return failed > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
