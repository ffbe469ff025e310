// Modules read from files: an `import "stdlib/postgres"` looked up beside the
// importing file, in the folders above it, then among the stdlib modules
// compiled into rbk (interpreter/base/shipped.hpp, named "rbk:stdlib/…");
// each module parsed and checked once, and refused as a whole when it has
// errors. Not thread-safe: one per thread.
#pragma once

#include <map>
#include <string>

#include "grammar/parse.hpp"
#include "interpreter/sema/module_loader.hpp"

namespace rbk {

/// The ModuleLoader of every command: reads, parses and checks modules.
class FileModuleLoader : public ModuleLoader {
 public:
  Expected<const ast::Module*, std::string> load(const std::string& import_path,
                                                 const std::string& from_file) override;
  /// The SHA-256 of every module read so far, by its resolved path (or
  /// "rbk:stdlib/…" for one compiled into rbk): the
  /// record keeps them, so `rbk resume` knows a module changed.
  std::map<std::string, std::string> digests() const;

 private:
  std::map<std::string, ParseResult> cache_;
  std::map<std::string, Diagnostics> check_errors_;
};

}  // namespace rbk
