// One open document analysed as `rbk check` and `rbk lint` would see it,
// but from the editor's text, not the file on disk: the rbk.yaml nearest to
// the document's path, its imports resolved from that path, the parse, the
// check pass (and the lint rules, for diagnostics), and the symbol table the
// editor features read. Everything goes through the library's front end
// (Workspace, FileModuleLoader, parse, check, lint_document); nothing here
// is a second copy of it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grammar/parse.hpp"
#include "interpreter/base/diagnostic.hpp"
#include "interpreter/ide/index.hpp"
#include "interpreter/ide/position.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/file_modules.hpp"

namespace rbk::ide {

/// What to run besides parsing and the check pass.
struct AnalyzeOptions {
  bool lint = false;                              // the lint rules (RBK1xx…) as well
  bool shellcheck = false;                        // with lint: ShellCheck on shell literals
  const DestructivePatterns* patterns = nullptr;  // with lint: the shipped list (required)
};

/// A diagnostic placed for an editor.
struct Finding {
  Range range;
  Severity severity = Severity::Error;
  /// The diagnostic's message; one about another file (rbk.yaml, an
  /// imported module) sits at the document's start and begins with
  /// "FILE:LINE:COL: ".
  std::string message;
  std::string help;  // "" when there is none
  std::string code;  // the rule id ("RBK104"), "" for check and parse errors
};

/// An analysed document. Built once by analyze() and then only read, so one
/// can be shared between threads; it points into itself, so it never moves.
struct Analysis {
  Analysis() = default;
  Analysis(const Analysis&) = delete;
  Analysis& operator=(const Analysis&) = delete;

  std::string path;                           // the document's file path
  std::shared_ptr<const SourceFile> source;   // the text analysed
  LineMap lines{std::string_view{}};          // positions in `source`
  ParseResult parsed;                         // parsed.document null on syntax errors
  std::unique_ptr<FileModuleLoader> modules;  // owns the imported modules' ASTs
  std::vector<ImportTarget> imports;          // one per import, in order
  Config config;                              // the nearest rbk.yaml (defaults without one)
  bool config_ok = false;                     // rbk.yaml was read without errors
  std::vector<std::string> call_path;         // where `call`ed runbooks are found
  std::vector<Finding> findings;              // rbk.yaml's, the parse's, check's (and lint's)
  std::vector<std::string> notes;             // lint's one-line notes ("shellcheck not found")
  SymbolIndex index;                          // empty on syntax errors

  /// The parsed document, or nullptr on syntax errors.
  const ast::Document* document() const { return parsed.document.get(); }
};

/// Analyses `text` as the document at `path` (a file path; "" for a
/// document with none: rbk.yaml is then looked up from the working
/// directory). Never throws for bad input.
std::unique_ptr<const Analysis> analyze(const std::string& path, std::string text,
                                        const AnalyzeOptions& options);

}  // namespace rbk::ide
