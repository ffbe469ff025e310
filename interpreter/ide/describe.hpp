// What hover shows about a name, as Markdown: a parameter's type, default
// and help; a capture's step and command; a cause's condition; a
// template's parameters; a role's name and contact from rbk.yaml; what a
// built-in holds. Written from the AST and the config, so it says what the
// check pass and the engine will use.
#pragma once

#include <string>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/index.hpp"

namespace rbk::ide {

/// The Markdown hover text of `symbol`, a symbol of `analysis`.
std::string describe(const Symbol& symbol, const Analysis& analysis);

/// One line about built-in `name` ("the run's id"), "" for another name.
std::string builtin_summary(const std::string& name);

}  // namespace rbk::ide
