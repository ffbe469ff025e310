// `rbk test` over many fixtures: each fixture loaded with its runbook (found
// beside it or on the runbook path, checked, under its rbk.yaml or the
// fixture's own config), then every case run on worker threads in virtual
// time with scripted commands and answers — never a real process.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/sema/workspace.hpp"
#include "interpreter/testing/fixture.hpp"
#include "interpreter/testing/fixture_replay.hpp"

namespace rbk {

/// A fixture with its runbook, ready to run.
struct LoadedFixture {
  Fixture fixture;
  std::unique_ptr<ParseResult> runbook;
  Config config;
  FixtureTarget target;
};

/// One case run.
struct CaseResult {
  const LoadedFixture* fixture = nullptr;
  const FixtureCase* fixture_case = nullptr;
  CaseReport report;
  double seconds = 0;  // wall time, for JUnit
};

/// The fixtures of one `rbk test`.
class TestSuite {
 public:
  /// Fixtures of `ws`, checked against `patterns` (which must outlive this).
  TestSuite(Workspace& ws, const DestructivePatterns& patterns) : ws_(ws), patterns_(patterns) {}
  /// Loads the fixture `file` and its runbook; the problem when it cannot
  /// run. Warnings about it go to `warnings` either way.
  Expected<void, LoadProblem> add(const std::string& file, Diagnostics& warnings);
  /// Runs every case of every fixture added, on up to 16 threads; the
  /// results in fixture order, then case order.
  std::vector<CaseResult> run() const;
  /// Keeps each case's run as a record in `records_dir`, under the run id
  /// FIXTURE-caseN (the fixture's file name without `.test.yaml`, then `.2`,
  /// `.3`… until it is unique, for fixtures of one name; N from 1).
  void keep_records(std::string records_dir) { records_dir_ = std::move(records_dir); }

 private:
  Workspace& ws_;
  const DestructivePatterns& patterns_;
  FileModuleLoader modules_;         // for loading, on this thread
  std::list<LoadedFixture> loaded_;  // stable addresses: cases point into their fixture
  mutable CalledRunbooks called_;    // shared by the workers
  std::string records_dir_;          // keep_records(); empty: no records
};

}  // namespace rbk
