// The static check pass: everything that makes a runbook invalid, found
// without running anything. `rbk check` reports these; lint builds on them.
#pragma once

#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// Checks a parsed document (runbook or module): duplicate and undefined
/// names, captures used before they are defined, misplaced statements,
/// invalid regexes, type mismatches visible without running, bad values.
/// `loader` resolves imports (nullptr: imports are not followed).
Diagnostics check(const ast::Document& doc, ModuleLoader* loader);

/// The built-in names every expression sees (`severity`, `now`, …): the
/// check pass's own list, for editors that complete and explain names.
const std::vector<std::string>& builtin_names();
/// The fields of a step's state (`step.ID.ok`), as the check pass knows them.
const std::vector<std::string>& step_state_fields();

}  // namespace rbk
