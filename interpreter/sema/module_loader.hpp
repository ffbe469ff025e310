// The modules a runbook imports, behind an interface: reading files is a side
// effect, so the check pass sees only this, and tests hand in modules
// directly. The one that reads files is FileModuleLoader (file_modules.hpp).
#pragma once

#include <string>

#include "interpreter/base/expected.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// Resolves an `import "path"` seen in `from_file` to a parsed module.
class ModuleLoader {
 public:
  virtual ~ModuleLoader() = default;
  /// The module, or why not ("not found", or its syntax errors
  /// summarised). Results are cached by resolved path.
  virtual Expected<const ast::Module*, std::string> load(const std::string& import_path,
                                                         const std::string& from_file) = 0;
};

}  // namespace rbk
