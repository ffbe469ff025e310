// Imports and `use`: resolving a runbook's modules and flattening a step's
// body so the engine and the planner see the statements a `use` brings in,
// each with the template it came from (its names are the template's).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// How deep `call`s may nest: the engine stops a deeper one (a runbook that
/// calls itself through others), and the plan stops following there.
inline constexpr int kMaxCallDepth = 8;

/// Modules by the name `use` refers to them (alias, else the module's name).
using Imports = std::map<std::string, const ast::Module*>;

/// Loads every import of `doc`; an import that cannot be loaded adds one line to `errors`.
Imports resolve_imports(const ast::Document& doc, ModuleLoader& loader,
                        std::vector<std::string>& errors);

/// One statement to execute, and where it came from.
struct StepStatement {
  const ast::Statement* stmt = nullptr;
  const ast::Use* use = nullptr;        // set when it came from a template
  const ast::Template* tmpl = nullptr;  // the template (when `use` is set)
};

/// The statements of `body` with each `use` replaced by its template's
/// statements (comments dropped). A `use` of an unknown module or template
/// is left out (the check pass reports those before anything runs).
std::vector<StepStatement> expand_body(const ast::Body& body, const Imports& imports);

/// The template a `use` names, or nullptr.
const ast::Template* find_template(const ast::Use& use, const Imports& imports);

}  // namespace rbk
