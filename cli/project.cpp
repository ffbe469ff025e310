#include "cli/project.hpp"

#include "cli/terminal.hpp"

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

}  // namespace rbk::cli
