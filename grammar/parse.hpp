// parse(SourceFile) → Document | Diagnostics: the grammar's one entry point.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// What parsing one file gives: a document when there were no syntax errors,
/// and every syntax error found (the parser recovers at item boundaries).
struct ParseResult {
  std::unique_ptr<ast::Document> document;
  Diagnostics diagnostics;
  /// Keeps the file alive for as long as the diagnostics point into it.
  std::shared_ptr<const SourceFile> source;
};

/// Parses a whole .rbk file. Never throws for bad input.
ParseResult parse(std::shared_ptr<const SourceFile> file);

/// The NAME of `runbook NAME` at the head of a .rbk text (after blank
/// space, comments and imports), read without parsing the rest; "" when the
/// head is anything else (a module, a malformed import). The file may still
/// not parse: only parse() says so.
std::string declared_runbook_name(std::string_view text);

/// Number of grammar rules PEGTL's analysis flags as able to loop without
/// consuming input (0 for a sound grammar); used by a test.
size_t analyze_grammar();

}  // namespace rbk
