#include "cli/project.hpp"

#include <filesystem>

#include "cli/terminal.hpp"
#include "interpreter/catalog.hpp"

namespace rbk::cli {

std::optional<Project> load_project() {
  Project p;
  std::error_code ec;
  p.cwd = std::filesystem::current_path(ec).string();
  if (ec) {
    write(stderr, "rbk: error: cannot read the working directory: " + ec.message() + "\n");
    return std::nullopt;
  }
  Diagnostics diags;
  p.config = load_config(p.cwd, diags);
  print_diagnostics(diags);
  if (has_errors(diags)) return std::nullopt;
  p.path = runbook_path(p.config, p.cwd);
  return p;
}

bool use_nearest_config(const Project& project, const std::string& file, Config& config,
                        std::vector<std::string>& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  Diagnostics diags;
  Config nearest = load_config(fs::absolute(file, ec).parent_path().string(), diags);
  print_diagnostics(diags);
  if (has_errors(diags)) return false;
  if (nearest.path.empty()) {  // no rbk.yaml above the file
    config = project.config;
    path = project.path;
  } else {
    path = runbook_path(nearest, project.cwd);
    config = std::move(nearest);
  }
  return true;
}

}  // namespace rbk::cli
