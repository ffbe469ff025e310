// What a document declares and where it uses each name: parameters,
// secrets, messages, captures, answers, steps, signals, checks, causes,
// imported modules and their templates, roles, called runbooks and the
// built-ins. Hover, go-to-definition and completion all read this one
// table, built once per analysis from the AST the check pass saw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "interpreter/syntax/ast.hpp"

namespace rbk::ide {

/// What an `import` names: the module loaded, or why it could not be.
struct ImportTarget {
  const ast::Import* import = nullptr;
  const ast::Module* module = nullptr;  // null when it could not be loaded
  std::string error;                    // why not, when module is null
};

/// The kinds of names a runbook or module has.
enum class SymbolKind {
  Param,          // `param NAME` of the runbook
  Secret,         // `secret NAME`
  Message,        // `message NAME`
  Capture,        // `run … as NAME` (in a step, or in a template the step uses)
  Answer,         // `ask NAME`
  Step,           // `step ID`
  Signal,         // `signal ID`
  Check,          // `check ID`
  Cause,          // `cause ID`
  Module,         // an import, by the name `use` refers to it
  Template,       // a template, of an imported module or of this module
  TemplateParam,  // a template's `param`
  Role,           // a role named by `page`, `notify` or `owner` (from rbk.yaml)
  Runbook,        // a runbook named by `call`
  Builtin,        // `severity`, `now`, …
};

/// The declaration a symbol stands for, when it has one in an AST.
using SymbolNode =
    std::variant<std::monostate, const ast::Param*, const ast::Secret*, const ast::Message*,
                 const ast::Run*, const ast::Ask*, const ast::Step*, const ast::Signal*,
                 const ast::Check*, const ast::Cause*, const ast::Template*, const ImportTarget*>;

/// A name and what is known about it.
struct Symbol {
  SymbolKind kind = SymbolKind::Param;
  std::string name;
  /// Where it is declared: in this document or in an imported module's
  /// file; invalid when it has no declaration in rbk's files (a role, a
  /// built-in, a called runbook: the runbook is found when asked).
  Span decl;
  SymbolNode node;
  /// Who makes it: "step `conns`" for a capture or an answer, the template
  /// for a template's parameter, the module for a template.
  std::string owner;
  /// The section it is made in (captures, answers, steps, signals, checks,
  /// causes), for what completion offers where.
  std::optional<ast::SectionKind> section;
  /// The template a name belongs to, in a module (nullptr: the runbook's).
  const ast::Template* scope = nullptr;
};

/// A place in the document that names a symbol (its declaration included).
struct Occurrence {
  uint32_t begin = 0, end = 0;  // byte offsets in the document
  size_t symbol = 0;            // index into SymbolIndex::symbols
};

/// Every symbol of a document and every place that names one.
struct SymbolIndex {
  std::vector<Symbol> symbols;
  std::vector<Occurrence> occurrences;

  /// The occurrence at byte `offset`: the smallest one holding it, or ending
  /// just before it (a cursor right after a name is on that name).
  const Occurrence* at(size_t offset) const;
  /// The symbol of `kind` called `name`, or nullptr.
  const Symbol* find(SymbolKind kind, std::string_view name) const;
};

/// The table of `doc`, with `imports` (one per import, in order) for the
/// templates that `use` names.
SymbolIndex build_index(const ast::Document& doc, const std::vector<ImportTarget>& imports);

}  // namespace rbk::ide
