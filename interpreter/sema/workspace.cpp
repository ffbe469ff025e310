#include "interpreter/sema/workspace.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/project/catalog.hpp"
#include "interpreter/sema/check.hpp"

namespace rbk {

namespace fs = std::filesystem;

LoadedFile load_file(const std::string& file, ModuleLoader& modules) {
  LoadedFile out;
  out.source = load_source(file, out.diagnostics);
  if (!out.source) return out;
  out.parsed = parse(out.source);
  out.diagnostics = out.parsed.diagnostics;
  if (out.parsed.document) {
    Diagnostics more = check(*out.parsed.document, &modules);
    out.diagnostics.insert(out.diagnostics.end(), more.begin(), more.end());
  }
  return out;
}

Expected<std::unique_ptr<Workspace>, LoadProblem> Workspace::open(const std::string& cwd) {
  auto ws = std::unique_ptr<Workspace>(new Workspace());
  ws->cwd_ = cwd;
  Diagnostics diags;
  ws->root_.config = load_config(cwd, diags);
  if (has_errors(diags)) return fail(LoadProblem{std::move(diags), ""});
  ws->warnings_ = std::move(diags);
  ws->root_.path = runbook_path(ws->root_.config, cwd);
  // Already read and reported: a file under the same rbk.yaml reuses it.
  ws->by_config_.emplace(ws->root_.config.path, &ws->root_);
  return ws;
}

Expected<std::unique_ptr<Workspace>, LoadProblem> Workspace::open_here() {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return fail(LoadProblem{{}, "cannot read the working directory: " + ec.message()});
  return open(cwd.string());
}

std::vector<std::string> Workspace::runbook_dirs() const {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& dir : root_.path)
    if (fs::is_directory(dir, ec)) {
      fs::path p = fs::proximate(dir, ec);
      dirs.push_back(ec ? dir : p.string());
    }
  return dirs;
}

Expected<const ProjectScope*, LoadProblem> Workspace::scope_for(const std::string& file,
                                                                Diagnostics& warnings) {
  std::error_code ec;
  const std::string dir = fs::absolute(fs::path(file), ec).parent_path().string();
  if (auto known = by_dir_.find(dir); known != by_dir_.end()) return known->second;
  Diagnostics diags;
  Config nearest = load_config(dir, diags);
  // No rbk.yaml above the file: the working directory's applies.
  const std::string key = nearest.path.empty() ? root_.config.path : nearest.path;
  auto same = by_config_.find(key);
  if (same == by_config_.end()) {
    if (has_errors(diags)) return fail(LoadProblem{std::move(diags), ""});
    warnings.insert(warnings.end(), diags.begin(), diags.end());
    std::vector<std::string> path = runbook_path(nearest, cwd_);
    const ProjectScope* scope =
        &scopes_.emplace_back(ProjectScope{std::move(nearest), std::move(path)});
    same = by_config_.emplace(key, scope).first;
  }
  by_dir_.emplace(dir, same->second);
  return same->second;
}

Expected<std::unique_ptr<LoadedRunbook>, LoadProblem> Workspace::load_runbook(
    const std::string& target) {
  FoundRunbook found = find_runbook(target, root_.path);
  if (found.path.empty()) return fail(LoadProblem{{}, found.error});
  auto out = std::make_unique<LoadedRunbook>();
  out->file = found.path;
  // The runbook runs under the rbk.yaml nearest to it, as lint and test
  // check it, wherever rbk is started from: its redaction patterns, policy
  // and notification commands must not depend on the working directory.
  Diagnostics warnings;
  auto scope = scope_for(found.path, warnings);
  if (!scope) return fail(std::move(scope.error()));
  out->scope = **scope;
  out->modules = std::make_unique<FileModuleLoader>();
  LoadedFile loaded = load_file(found.path, *out->modules);
  auto problem = [&](const Diagnostics& more, std::string message) {
    Diagnostics all = warnings;
    all.insert(all.end(), more.begin(), more.end());
    return fail(LoadProblem{std::move(all), std::move(message)});
  };
  if (!loaded.source || !loaded.parsed.document) return problem(loaded.diagnostics, "");
  if (has_errors(loaded.diagnostics))
    return problem(loaded.diagnostics, found.path + " has errors; nothing was run");
  if (!loaded.parsed.document->runbook())
    return problem({}, found.path + " is a module, not a runbook");
  out->warnings = std::move(warnings);
  out->parsed = std::move(loaded.parsed);
  return out;
}

Expected<DestructivePatterns, LoadProblem> load_patterns() {
  Diagnostics errors;
  DestructivePatterns patterns = DestructivePatterns::load_shipped(errors);
  if (has_errors(errors)) return fail(LoadProblem{std::move(errors), ""});
  return patterns;
}

Expected<std::unique_ptr<ParseResult>, std::string> load_called(const std::string& file,
                                                                ModuleLoader& modules) {
  LoadedFile loaded = load_file(file, modules);
  if (!loaded.source) {
    return fail(loaded.diagnostics.empty() ? "cannot read " + file
                                           : loaded.diagnostics.front().message);
  }
  if (!loaded.parsed.document)
    return fail(file + " has syntax errors (run 'rbk check " + file + "')");
  if (has_errors(loaded.diagnostics))
    return fail(file + " has errors (run 'rbk check " + file + "')");
  if (!loaded.parsed.document->runbook()) return fail(file + " is a module, not a runbook");
  return std::make_unique<ParseResult>(std::move(loaded.parsed));
}

Expected<const ast::Document*, std::string> CalledRunbooks::find(
    const std::vector<std::string>& path, const std::string& name) {
  std::string key = name;
  for (const auto& p : path) key += '\n' + p;
  std::lock_guard lock(mu_);
  auto it = docs_.find(key);
  if (it == docs_.end()) {
    std::unique_ptr<ParseResult> r;
    FoundRunbook f = find_runbook(name, path);
    std::string err = f.error;
    if (!f.path.empty()) {
      auto loaded = load_called(f.path, modules_);
      if (loaded)
        r = std::move(*loaded);
      else
        err = loaded.error();
    }
    it = docs_.emplace(key, std::make_pair(std::move(r), err)).first;
  }
  if (!it->second.first) return fail(it->second.second);
  return it->second.first->document.get();
}

}  // namespace rbk
