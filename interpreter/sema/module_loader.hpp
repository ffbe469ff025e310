// The modules a runbook imports, behind an interface: reading files is a side
// effect, so the check pass sees only this, and tests hand in modules
// directly. The one that reads files is FileModuleLoader (file_modules.hpp).
#pragma once

#include <string>

#include "interpreter/syntax/ast.hpp"

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

}  // namespace rbk
