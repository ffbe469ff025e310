// Binding a runbook's parameters: `-p name=value` text checked against the
// declared types, defaults filled in, required ones reported when missing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "interpreter/runtime/value.hpp"
#include "interpreter/syntax/ast.hpp"

#include "interpreter/base/expected.hpp"

namespace rbk {

/// One `-p name=value` as given on the command line.
struct ParamArg {
  std::string name;
  std::string value;
};

/// Splits "name=value" at the first '='; false when there is no '=' or the name is empty.
bool split_param_arg(const std::string& arg, ParamArg& out);

/// Converts text to a parameter's type: int (whole number), bool
/// (true/false/yes/no/1/0), duration (30s, 1h30m), enum (one of its values),
/// list (comma-separated), string (anything, verbatim). On failure, one
/// line saying why, e.g. "'abc' is not a whole number".
Expected<Value, std::string> convert_param(const ast::Param& p, const std::string& text);

/// A duration's milliseconds: a literal's, or the value `value` gives its
/// name (`timeout settle`): a duration, or text as written ("5m", as a
/// template's argument arrives). 0 when there is no value or it is no duration.
int64_t duration_ms(const ast::Duration& d, const Value* value);

/// Converts an `ask`'s answer to its type, as convert_param does; an empty
/// answer, or a string one that does not match its `matches /re/`, is refused.
Expected<Value, std::string> convert_answer(const ast::Ask& a, const std::string& text);

/// A parameter's value as the record wrote it (run_start's JSON: a string,
/// a whole number, a boolean, a list) as `-p NAME=VALUE` gives it back;
/// what `rbk resume` and the fixture recorder hand to convert_param.
std::string param_arg_text(const nlohmann::json& recorded);

/// The result of binding.
struct BoundParams {
  std::map<std::string, Value> values;     // every parameter that has a value
  std::vector<std::string> defaulted;      // names that took their default
  std::vector<const ast::Param*> missing;  // required and not given
  std::vector<std::string> errors;         // one line each: unknown name, bad value, given twice
};

/// Binds `args` to the runbook's declared parameters. Unknown names get a
/// "did you mean"; nothing is prompted here (the CLI asks for `missing` on a terminal).
BoundParams bind_params(const ast::Runbook& rb, const std::vector<ParamArg>& args);

/// The declared parameters of a runbook, in file order.
std::vector<const ast::Param*> declared_params(const ast::Runbook& rb);

/// The value of a parameter's default (a literal, or an enum word).
Value default_value(const ast::Param& p);

}  // namespace rbk
