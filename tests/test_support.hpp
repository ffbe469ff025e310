// Helpers shared by the test files: reading and writing files, running the
// rbk binary, golden-file comparison (RBK_UPDATE_GOLDEN=1 rewrites goldens).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rbk::test {

/// The project's source root (tests run from there).
std::string source_dir();
/// Whole file as a string; "" if it cannot be read.
std::string read_file(const std::string& path);
/// Writes (replaces) a file.
void write_file(const std::string& path, const std::string& text);
/// Files in `dir` ending in `ext`, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& ext);
/// Damaged copies of `text` for robustness tests: cut every `step` bytes,
/// and with each of its first `max_lines` lines deleted.
std::vector<std::string> damaged_variants(const std::string& text, size_t step, size_t max_lines);
/// True when goldens should be rewritten rather than compared.
bool update_goldens();

/// A fresh directory under the system's temporary one (canonical path),
/// removed with everything in it at scope exit.
struct TempDir {
  std::filesystem::path path;
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

/// The result of running the rbk binary.
struct Run {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};
/// Runs `rbk ARGS` through /bin/sh from the source root, with NO_COLOR set
/// and a hard time limit (a hang fails the test instead of blocking CI).
Run run_rbk(const std::string& args);

}  // namespace rbk::test
