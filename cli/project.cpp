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

}  // namespace rbk::cli
