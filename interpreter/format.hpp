// `rbk fmt`: one canonical layout for .rbk files. Keeps every comment and
// every shell literal byte for byte, changes no meaning (the AST before and
// after is equal but for positions), and is idempotent.
#pragma once

#include <string>

#include "interpreter/ast.hpp"

namespace rbk {

/// The canonical text of a parsed document (see docs/fmt.md).
std::string format_document(const ast::Document& doc);

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, @@ hunks, 3 lines of context)
/// between two texts; "" when they are equal.
std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& path);

}  // namespace rbk
