#include "interpreter/sema/file_modules.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/base/sha256.hpp"
#include "interpreter/base/shipped.hpp"
#include "interpreter/sema/check.hpp"

namespace rbk {

namespace fs = std::filesystem;

Expected<const ast::Module*, std::string> FileModuleLoader::load(const std::string& import_path,
                                                                 const std::string& from_file) {
  std::string rel = import_path;
  if (fs::path(rel).extension() != ".rbk") rel += ".rbk";
  if (fs::path(rel).is_absolute()) {
    return fail("imports are relative paths, such as \"stdlib/postgres\"");
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(from_file), ec).parent_path();
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    candidates.push_back(d / rel);
    if (d == d.parent_path()) break;
  }

  // A project's own file wins, so a project can add or override a stdlib
  // module by path; then the module compiled into rbk, so an installed or
  // copied rbk finds its stdlib wherever it is.
  auto it = cache_.end();
  std::string key;
  std::string shown;
  for (const auto& found : candidates) {
    if (!fs::is_regular_file(found, ec)) continue;
    // Paths in messages are relative to the working directory, as the user typed them.
    const fs::path c = fs::proximate(found, ec);
    key = fs::weakly_canonical(c, ec).string();
    shown = c.string();
    it = cache_.find(key);
    if (it == cache_.end()) {
      auto file = SourceFile::load(shown);
      if (!file) return fail(shown + ": " + file.error());
      it = cache_.emplace(key, parse(*file)).first;
    }
    break;
  }
  if (it == cache_.end()) {
    const std::string name = fs::path(rel).lexically_normal().generic_string();
    auto text = shipped_file(name);
    if (!text)
      return fail("module not found (looked beside " + from_file +
                  ", in the directories above it, and in rbk's stdlib)");
    key = shown = std::string(kShippedPrefix) + name;
    it = cache_.find(key);
    if (it == cache_.end())
      it = cache_.emplace(key, parse(std::make_shared<SourceFile>(key, std::string(*text)))).first;
  }
  const ParseResult& r = it->second;
  auto first = [](const Diagnostics& ds) {
    const auto& d = ds.front();
    return "(first: " + d.span.file->path() + ":" + d.span.where() + ": " + d.message + ")";
  };
  if (!r.document) {
    return fail("it has syntax errors " + first(r.diagnostics));
  }
  if (!r.document->module()) {
    return fail(shown + " is a runbook, not a module of templates");
  }
  // A module with check errors (a duplicate template, an undefined name)
  // is refused as a whole rather than used half-valid.
  // Inserted before checking, so a module that imports itself ends the recursion.
  auto [checked, fresh] = check_errors_.try_emplace(key);
  if (fresh) checked->second = check(*r.document, this);
  if (has_errors(checked->second)) {
    return fail("it has errors " + first(checked->second));
  }
  return r.document->module();
}

std::map<std::string, std::string> FileModuleLoader::digests() const {
  std::map<std::string, std::string> out;
  for (const auto& [path, parsed] : cache_)
    if (parsed.source) out[path] = sha256_hex(parsed.source->text());
  return out;
}

}  // namespace rbk
