// The subcommands. main.cpp parses arguments (CLI11 lives only there) and
// calls one of these; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace rbk::cli {

/// Exit codes shared by every subcommand (documented in docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,        // success, nothing found
  kExitFindings = 1,  // errors found in the input (check), or the command failed
  kExitUsage = 2,     // bad arguments, unreadable paths
};

/// Options of `rbk check`.
struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";  // text | json
};
/// `rbk check PATH…`: parse and validate; print diagnostics.
int run_check(const CheckOptions& opts);

/// Options of `rbk parse`.
struct ParseOptions {
  std::string path;
  bool ast = false;
};
/// `rbk parse FILE --ast`: print the AST as JSON.
int run_parse(const ParseOptions& opts);

}  // namespace rbk::cli
