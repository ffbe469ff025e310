// Source text as the plan shows it. The plan evaluates nothing: strings keep
// their `${…}`, conditions and arguments are their source text, and only a
// literal has a value before a run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/plan/plan_types.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::plan {

/// A string literal as written: a one-line string exactly as between its
/// quotes (escapes kept); a `"""` text dedented as rbk reads it, with each
/// `${expr}` as written.
std::string written(const ast::StringLit& s);

/// An expression as written; null when there is none.
OrNull<std::string> text_or_null(const ast::ExprPtr& e);
/// A string as written; null when there is none.
OrNull<std::string> text_or_null(const std::optional<ast::StringLit>& s);
/// A duration as written; null when there is none.
OrNull<std::string> text_or_null(const std::optional<ast::Duration>& d);

/// The value an argument expression would give, when it is a literal;
/// otherwise "<value of EXPR>" (nothing is evaluated at plan time).
std::string arg_value(const ast::Expr& e);

/// Appends the cause ids a condition refers to as `cause.ID`, in order of
/// appearance, each once.
void causes_in(const ast::Expr* e, std::vector<std::string>& out);

}  // namespace rbk::plan
