// Finding and parsing the modules a runbook imports. Reading files is a side
// effect, so it sits behind an interface; tests can hand in modules directly.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "grammar/parse.hpp"
#include "interpreter/ast.hpp"

namespace rbk {

/// Resolves an `import "path"` seen in `from_file` to a parsed module.
class ModuleLoader {
 public:
  virtual ~ModuleLoader() = default;
  /// The module, or nullptr with `error` set ("not found", or its syntax
  /// errors summarised). Results are cached by resolved path.
  virtual const ast::Module* load(const std::string& import_path, const std::string& from_file,
                                  std::string& error) = 0;
};

/// Looks for `path` (".rbk" added when missing) next to the importing file,
/// then in each directory above it, then beside rbk's own stdlib/.
class FileModuleLoader : public ModuleLoader {
 public:
  const ast::Module* load(const std::string& import_path, const std::string& from_file,
                          std::string& error) override;

 private:
  std::map<std::string, ParseResult> cache_;
  std::map<std::string, Diagnostics> check_errors_;
};

}  // namespace rbk
