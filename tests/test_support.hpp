// Helpers shared by the test files: reading and writing files, running the
// rbk binary, golden-file comparison (RBK_UPDATE_GOLDEN=1 rewrites goldens).
#pragma once

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace rbk::test {

/// The project's source root (tests run from there).
std::string source_dir();
/// The rbk binary the tests run: this build's, or RBK_TEST_BINARY when set
/// (scripts/test.sh runs the [threads] tests against the ThreadSanitizer build's).
std::string rbk_binary();
/// Whole file as a string; "" if it cannot be read.
std::string read_file(const std::string& path);
/// Writes (replaces) a file.
void write_file(const std::string& path, const std::string& text);
/// Files in `dir` ending in `ext`, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& ext);
/// Every file below `dir` that contains `needle`, relative to `dir`.
std::vector<std::string> files_holding(const std::string& dir, const std::string& needle);
/// Damaged copies of `text` for robustness tests: cut every `step` bytes,
/// and with each of its first `max_lines` lines deleted; under sanitizers,
/// one in variant_sample() of them (the gcc build runs them all).
std::vector<std::string> damaged_variants(const std::string& text, size_t step, size_t max_lines);
/// 1, or 32 in the sanitizer build: robustness tests there check a sample of
/// their variants, since instrumented code is ~15x slower and the fuzzers
/// already cover damaged input under sanitizers.
size_t variant_sample();
/// True in the sanitizer build (RBK_EXPECT_SANITIZERS).
bool sanitized_build();
/// True when goldens should be rewritten rather than compared.
bool update_goldens();

/// Under ctest (RBK_TEST_RECORDS names a directory), keeps a copy of a run
/// record's events for tests/validate_records.py, which checks every record
/// the suite writes against docs/schemas/record.schema.json. `lines` is the
/// text of an events.jsonl; `origin` names where it came from.
void collect_record(const std::string& lines, const std::string& origin);
/// True under ctest, when records are collected (nothing to prepare otherwise).
bool collecting_records();

/// A fresh directory under the system's temporary one (canonical path),
/// removed with everything in it at scope exit. Every events.jsonl in it is
/// collected first (collect_record), unless `synthetic_records` says the
/// test wrote events of its own making (record and history unit tests).
struct TempDir {
  std::filesystem::path path;
  bool synthetic_records = false;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// Creates the subdirectory `name` (and its parents) and returns its path.
  std::filesystem::path dir(const std::string& name) const;
};

/// The one-letter state of a process from /proc, or 0 when it does not exist.
char proc_state(int pid);
/// Gone, or dead and only waiting to be reaped by init (which may be slow).
bool dead(int pid);

/// How long a helper waits for a process before calling it hung. A hang
/// guard, not a measurement: only a bug makes a test wait this long, however
/// slow the machine (a sanitizer build on two busy cores took two minutes to
/// lint the project's runbooks).
inline constexpr std::chrono::minutes kHangGuard{15};

/// What a helper throws when a process it waits for outlives kHangGuard (the
/// process is killed first); the message names its command line, so the
/// failing test says what hung.
struct Hung : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Sets (or, with nullptr, unsets) an environment variable of the test
/// process for its lifetime, restoring what was there after: the rbk
/// processes a test starts inherit it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  bool had_ = false;
  std::string was_;
};

/// The result of running the rbk binary.
struct Run {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};
/// Runs `rbk ARGS` through /bin/sh from the source root, with NO_COLOR set;
/// throws Hung after kHangGuard (a hang fails the test instead of blocking CI).
Run run_rbk(const std::string& args);
/// The same in `dir`, with `env` ("NAME=value …", shell-quoted) before rbk.
Run run_rbk_in(const std::string& dir, const std::string& args, const std::string& env = "");

}  // namespace rbk::test
