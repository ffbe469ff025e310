// The static check pass: everything that makes a runbook invalid, found
// without running anything. `rbk check` reports these; lint builds on them.
#pragma once

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// Checks a parsed document (runbook or module): duplicate and undefined
/// names, captures used before they are defined, misplaced statements,
/// invalid regexes, type mismatches visible without running, bad values.
/// `loader` resolves imports (nullptr: imports are not followed).
Diagnostics check(const ast::Document& doc, ModuleLoader* loader);

}  // namespace rbk
