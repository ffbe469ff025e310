// The environment variables a runbook's secrets are read from, through
// every runbook it calls: what no command that is not the runbook's own (a
// notifier, rbk serve's notices) may inherit.
#pragma once

#include <string>
#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::engine {

/// The variables `secret … from env` reads in `doc`'s runbook and in every
/// runbook its steps, signals, checks and undo blocks call, through its
/// templates too (`use` expanded as a run expands it), each runbook once.
/// A call `find_runbook` cannot resolve adds nothing (the step fails when it
/// runs); without `find_runbook`, only `doc`'s own.
std::vector<std::string> secret_sources(const ast::Document& doc, ModuleLoader& modules,
                                        const RunbookFinder& find_runbook);

}  // namespace rbk::engine
