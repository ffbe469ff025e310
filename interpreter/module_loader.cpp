#include "interpreter/module_loader.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/check.hpp"

namespace rbk {

namespace fs = std::filesystem;

const ast::Module* FileModuleLoader::load(const std::string& import_path,
                                          const std::string& from_file, std::string& error) {
  std::string rel = import_path;
  if (fs::path(rel).extension() != ".rbk") rel += ".rbk";
  if (fs::path(rel).is_absolute()) {
    error = "imports are relative paths, such as \"stdlib/postgres\"";
    return nullptr;
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(from_file), ec).parent_path();
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    candidates.push_back(d / rel);
    if (d == d.parent_path()) break;
  }
  candidates.push_back(fs::path(RBK_STDLIB_DIR).parent_path() / rel);

  for (const auto& found : candidates) {
    if (!fs::is_regular_file(found, ec)) continue;
    // Paths in messages are relative to the working directory, as the user typed them.
    const fs::path c = fs::proximate(found, ec);
    std::string key = fs::weakly_canonical(c, ec).string();
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      std::string read_error;
      auto file = SourceFile::load(c.string(), read_error);
      if (!file) {
        error = c.string() + ": " + read_error;
        return nullptr;
      }
      it = cache_.emplace(key, parse(file)).first;
    }
    const ParseResult& r = it->second;
    if (!r.document) {
      const auto& d = r.diagnostics.front();
      error = "it has syntax errors (first: " + d.span.file->path() + ":" + d.span.where() + ": " +
              d.message + ")";
      return nullptr;
    }
    if (!r.document->module()) {
      error = c.string() + " is a runbook, not a module of templates";
      return nullptr;
    }
    // A module with check errors (a duplicate template, an undefined name)
    // is refused as a whole rather than used half-valid.
    if (checked_.insert(key).second) check_errors_[key] = check(*r.document, this);
    if (const auto& errs = check_errors_[key]; has_errors(errs)) {
      const auto& d = errs.front();
      error = "it has errors (first: " + d.span.file->path() + ":" + d.span.where() + ": " +
              d.message + ")";
      return nullptr;
    }
    return r.document->module();
  }
  error = "module not found (looked beside " + from_file +
          ", in the directories above it, and in rbk's stdlib)";
  return nullptr;
}

}  // namespace rbk
