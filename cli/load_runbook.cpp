#include "cli/load_runbook.hpp"

#include "cli/project.hpp"
#include "cli/terminal.hpp"

namespace rbk::cli {

std::unique_ptr<RunTarget> load_run_target(const std::string& target,
                                           const std::vector<std::string>& param_args) {
  auto out = std::make_unique<RunTarget>();
  auto workspace = open_workspace();
  if (!workspace) return nullptr;
  auto loaded = workspace->load_runbook(target);
  if (!loaded) {
    print_problem(loaded.error());
    return nullptr;
  }
  out->runbook = std::move(*loaded);
  print_diagnostics(out->runbook->warnings);
  std::vector<ParamArg> args;
  for (const auto& a : param_args) {
    ParamArg pa;
    if (!split_param_arg(a, pa)) {
      write(stderr, "rbk: error: -p " + a + ": expected NAME=VALUE\n");
      return nullptr;
    }
    args.push_back(std::move(pa));
  }
  out->params = bind_params(*out->runbook->parsed.document->runbook(), args);
  if (!out->params.errors.empty()) {
    for (const auto& e : out->params.errors) write(stderr, "rbk: error: " + e + "\n");
    return nullptr;
  }
  auto patterns = load_patterns();
  if (!patterns) {
    print_problem(patterns.error());
    return nullptr;
  }
  out->patterns = std::move(*patterns);
  return out;
}

}  // namespace rbk::cli
