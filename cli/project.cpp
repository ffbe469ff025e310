#include "cli/project.hpp"

#include "cli/terminal.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/project/catalog.hpp"
#include "interpreter/record/record.hpp"

namespace rbk::cli {

std::unique_ptr<Workspace> open_workspace() {
  auto ws = Workspace::open_here();
  if (!ws) {
    print_problem(ws.error());
    return nullptr;
  }
  print_diagnostics((*ws)->warnings());
  return std::move(*ws);
}

void print_problem(const LoadProblem& problem) {
  print_diagnostics(problem.diagnostics);
  if (!problem.message.empty()) write(stderr, "rbk: error: " + problem.message + "\n");
}

nlohmann::json problem_json(const LoadProblem& problem, const std::string& file) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& d : problem.diagnostics) all.push_back(to_json(d));
  if (!problem.message.empty()) {
    Diagnostic d;
    d.path = file;
    d.message = problem.message;
    all.push_back(to_json(d));
  }
  return all;
}

std::string named_run_dir(const Config& config, const std::string& run_id) {
  if (!is_run_id(run_id)) {
    write(stderr, "rbk: error: '" + run_id + "' is not a run id (see rbk history)\n");
    return "";
  }
  const std::string dir = config.records_dir + "/" + run_id;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir + "/events.jsonl", ec)) {
    write(stderr, "rbk: error: no run " + run_id + " in " + display_path(config.records_dir) +
                      " (see rbk history)\n");
    return "";
  }
  return dir;
}

}  // namespace rbk::cli
