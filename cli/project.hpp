// The project a command works in: rbk.yaml found from the working directory
// and the runbook path it gives. Every subcommand that reads rbk.yaml starts
// here, so a config error reads and exits the same everywhere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/config.hpp"

namespace rbk::cli {

/// The working directory, its configuration and the runbook path.
struct Project {
  std::string cwd;
  Config config;
  std::vector<std::string> path;  // RBK_PATH, then rbk.yaml's paths
};

/// Loads the project; prints rbk.yaml's diagnostics to stderr, and returns
/// nullopt (the caller exits with the usage code) when any is an error.
std::optional<Project> load_project();

}  // namespace rbk::cli
