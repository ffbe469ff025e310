// The project a command works in, opened through the library's Workspace,
// with what went wrong printed: every subcommand that reads rbk.yaml starts
// here, so a config error reads and exits the same everywhere.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

/// The working directory's project, rbk.yaml's warnings printed; nullptr
/// after printing why it cannot be used (the caller exits with the usage code).
std::unique_ptr<Workspace> open_workspace();

/// The record directory of run RUN_ID in the project's records directory;
/// "" after printing why there is none (not a run id, or no such run). For
/// the commands that name a run: resume, note, report.
std::string named_run_dir(const Config& config, const std::string& run_id);

/// Prints a problem: its diagnostics, then "rbk: error: MESSAGE" when it has one.
void print_problem(const LoadProblem& problem);

/// A problem of `file` for `--format json`: its diagnostics as `rbk check`
/// writes them, then its message as one more error naming just the file, so
/// a tool reads one shape for both.
nlohmann::json problem_json(const LoadProblem& problem, const std::string& file);

}  // namespace rbk::cli
