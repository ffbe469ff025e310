// The AST as JSON, with a span on every node: `rbk parse FILE --ast`, the
// golden tests, and anyone writing tools on top of rbk.
#pragma once

#include <nlohmann/json.hpp>

#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// The whole document; `file` is named once at the top, spans are
/// {"line","col","end_line","end_col"} on every node.
nlohmann::json to_json(const ast::Document& doc);

}  // namespace rbk
