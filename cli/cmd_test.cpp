// `rbk test [PATH…]`: load every fixture and its runbook, check the fixture
// against the runbook, run all cases in parallel (virtual time, scripted
// commands and answers, never a real process), then report in fixture order.
#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/testing/junit.hpp"
#include "interpreter/testing/suite.hpp"

namespace rbk::cli {

namespace fs = std::filesystem;

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

  bool fixture_errors = false;
  TestSuite suite(*project, *patterns);
  for (const auto& file : files) {
    Diagnostics warnings;
    auto added = suite.add(file, warnings);
    print_diagnostics(warnings);
    if (!added) {
      print_problem(added.error());
      fixture_errors = true;
    }
  }
  const std::vector<CaseResult> jobs = suite.run();

  size_t passed = 0, failed = 0;
  for (const auto& j : jobs) (j.report.passed ? passed : failed)++;
  if (opts.format == "junit") {
    std::vector<JUnitSuite> suites;
    for (const auto& j : jobs) {
      const std::string& path = j.fixture->fixture.file->path();
      if (suites.empty() || suites.back().name != path) suites.push_back({path, {}});
      JUnitCase c;
      c.name = j.report.name;
      c.classname = j.fixture->target.doc->runbook()->name.name;
      c.file = path;
      c.line = j.report.pos.line;
      c.passed = j.report.passed;
      c.failure = describe_failures(j.report);
      c.seconds = j.seconds;
      suites.back().cases.push_back(std::move(c));
    }
    write(stdout, to_junit(suites));
  } else {
    const bool color = use_color(stdout);
    auto paint = [&](const char* code, const std::string& s) {
      return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
    };
    std::string out;
    for (const auto& j : jobs) {
      const std::string where =
          j.fixture->fixture.file->path() + ":" + std::to_string(j.report.pos.line);
      out += (j.report.passed ? paint("32", "PASS") : paint("31;1", "FAIL")) + "  " + where + "  " +
             j.report.name + "\n";
      if (!j.report.passed) out += describe_failures(j.report);
    }
    out += std::to_string(passed) + " passed, " + std::to_string(failed) + " failed\n";
    write(stdout, out);
  }
  if (fixture_errors) return kExitUsage;
  return failed > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
