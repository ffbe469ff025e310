// `rbk fmt`: one canonical layout for .rbk files. Keeps every comment and
// every shell literal byte for byte, changes no meaning (the AST before and
// after is equal but for positions), and is idempotent.
#pragma once

#include <string>

#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// The canonical text of a parsed document (see docs/fmt.md).
std::string format_document(const ast::Document& doc);
/// True when two documents mean the same: equal ASTs but for positions (and
/// comment placement that cannot survive formatting). The guard `rbk fmt`
/// applies before it rewrites a file, and the fuzz target's invariant.
bool same_meaning(const ast::Document& a, const ast::Document& b);
}  // namespace rbk
