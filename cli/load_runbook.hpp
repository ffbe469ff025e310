// What `rbk run` and `rbk plan` do before anything runs: read rbk.yaml, find
// the runbook on the path, parse and check it (with its imports), and bind
// the -p parameters. Every problem is printed as a diagnostic; the caller
// exits with the usage code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grammar/parse.hpp"
#include "interpreter/config.hpp"
#include "interpreter/destructive.hpp"
#include "interpreter/module_loader.hpp"
#include "interpreter/params.hpp"

namespace rbk::cli {

/// A runbook ready to run or plan.
struct LoadedRunbook {
  Config config;
  std::vector<std::string> path;  // the runbook path searched
  std::string file;               // the runbook's file
  ParseResult parsed;             // parsed.document is the runbook
  BoundParams params;             // missing ones still listed in params.missing
  DestructivePatterns patterns;
  std::unique_ptr<FileModuleLoader> modules;
};

/// Loads `target` (a name on the runbook path, or a file) with `-p` args.
/// Returns nullptr after printing what went wrong (to stderr).
std::unique_ptr<LoadedRunbook> load_runbook(const std::string& target,
                                            const std::vector<std::string>& param_args);

/// Parses and checks one runbook file found by name (for `call`); nullptr
/// with `error` set (one line) when it cannot be used.
std::unique_ptr<ParseResult> load_called(const std::string& file, ModuleLoader& modules,
                                         std::string& error);

}  // namespace rbk::cli
