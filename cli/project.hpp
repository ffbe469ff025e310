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

/// The configuration `file` is run, planned, linted and tested under: the
/// rbk.yaml nearest to it (its folder, then the folders above); with none,
/// the working directory's. Sets `config` and the runbook `path` it gives;
/// false after printing the nearest rbk.yaml's errors.
bool use_nearest_config(const Project& project, const std::string& file, Config& config,
                        std::vector<std::string>& path);

}  // namespace rbk::cli
