#include "cli/load_runbook.hpp"

#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/catalog.hpp"
#include "interpreter/check.hpp"

namespace rbk::cli {

std::unique_ptr<LoadedRunbook> load_runbook(const std::string& target,
                                            const std::vector<std::string>& param_args) {
  auto out = std::make_unique<LoadedRunbook>();
  auto project = load_project();
  if (!project) return nullptr;
  out->config = project->config;
  out->path = project->path;
  Diagnostics errors;
  FoundRunbook found = find_runbook(target, out->path);
  if (found.path.empty()) {
    write(stderr, "rbk: error: " + found.error + "\n");
    return nullptr;
  }
  out->file = found.path;
  // The runbook runs under the rbk.yaml nearest to it, as lint and test
  // check it, wherever rbk is started from: its redaction patterns, policy
  // and notification commands must not depend on the working directory.
  if (!use_nearest_config(*project, found.path, out->config, out->path)) return nullptr;
  auto source = load_source(found.path, errors);
  if (!source) {
    print_diagnostics(errors);
    return nullptr;
  }
  out->parsed = parse(source);
  if (!out->parsed.document) {
    print_diagnostics(out->parsed.diagnostics);
    return nullptr;
  }
  out->modules = std::make_unique<FileModuleLoader>();
  Diagnostics diags = check(*out->parsed.document, out->modules.get());
  if (has_errors(diags)) {
    print_diagnostics(diags);
    write(stderr, "rbk: error: " + found.path + " has errors; nothing was run\n");
    return nullptr;
  }
  const ast::Runbook* rb = out->parsed.document->runbook();
  if (!rb) {
    write(stderr, "rbk: error: " + found.path + " is a module, not a runbook\n");
    return nullptr;
  }
  std::vector<ParamArg> args;
  for (const auto& a : param_args) {
    ParamArg pa;
    if (!split_param_arg(a, pa)) {
      write(stderr, "rbk: error: -p " + a + ": expected NAME=VALUE\n");
      return nullptr;
    }
    args.push_back(std::move(pa));
  }
  out->params = bind_params(*rb, args);
  if (!out->params.errors.empty()) {
    for (const auto& e : out->params.errors) write(stderr, "rbk: error: " + e + "\n");
    return nullptr;
  }
  out->patterns = DestructivePatterns::load(DestructivePatterns::default_path(), errors);
  if (has_errors(errors)) {
    print_diagnostics(errors);
    return nullptr;
  }
  return out;
}

std::unique_ptr<ParseResult> load_called(const std::string& file, ModuleLoader& modules,
                                         std::string& error) {
  Diagnostics errors;
  auto source = load_source(file, errors);
  if (!source) {
    error = errors.empty() ? "cannot read " + file : errors.front().message;
    return nullptr;
  }
  auto r = std::make_unique<ParseResult>(parse(source));
  if (!r->document) {
    error = file + " has syntax errors (run 'rbk check " + file + "')";
    return nullptr;
  }
  if (has_errors(check(*r->document, &modules))) {
    error = file + " has errors (run 'rbk check " + file + "')";
    return nullptr;
  }
  if (!r->document->runbook()) {
    error = file + " is a module, not a runbook";
    return nullptr;
  }
  return r;
}

}  // namespace rbk::cli
