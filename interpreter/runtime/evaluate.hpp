// Evaluating expressions and strings at run time, against what the run has
// seen so far. The check pass has already refused what it can see is wrong;
// what remains (JSON shapes, text that is not a number) is an EvalError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/runtime/value.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// A command's result as a capture: what `NAME`, `NAME.stdout`, … read.
struct CaptureData {
  bool ran = false;  // false: the step did not run; every field reads empty
  std::string stdout_text;
  std::string stderr_text;
  int exit_code = -1;
  bool ok = false;
  bool timed_out = false;
  int64_t duration_ms = 0;

  /// What `NAME` reads as, and what later commands get as `$NAME`: standard
  /// output with surrounding whitespace trimmed.
  std::string value() const;
};

/// A capture of a step `on` targets: one result per host it ran on.
using TargetCaptures = std::vector<std::pair<std::string, CaptureData>>;

/// What names mean at run time. The engine implements it.
class Scope {
 public:
  virtual ~Scope() = default;
  /// A parameter, template parameter or built-in; nullopt when not one.
  virtual std::optional<Value> variable(const std::string& name) const = 0;
  /// A capture (nullptr when `name` is not a capture of this runbook).
  virtual const CaptureData* capture(const std::string& name) const = 0;
  /// A capture made by a step `on` targets: host id → its result, in the
  /// order the targets ended; nullptr when `name` is not one (or not made yet).
  virtual const TargetCaptures* target_capture(const std::string& /*name*/) const {
    return nullptr;
  }
  /// Whether cause ID matched (false when unknown or not evaluated yet).
  virtual bool cause(const std::string& id) const = 0;
  /// step.ID.FIELD (ran, ok, failed, skipped, refused); false when not run yet.
  virtual bool step_field(const std::string& id, const std::string& field) const = 0;
  /// The severity levels of rbk.yaml, the most severe first (empty: none).
  virtual const std::vector<std::string>* severity_order() const { return nullptr; }
};

/// A value that cannot be computed: where, and why (one line). An expected
/// failure (a JSON shape, text that is not a number), returned, never thrown.
struct EvalError {
  Span span;
  std::string message;
  /// Why, in one line.
  const std::string& what() const { return message; }
};

/// A value of T, or the EvalError that kept it from being computed.
template <class T>
using Eval = Expected<T, EvalError>;

/// Evaluates an expression.
Eval<Value> evaluate(const ast::Expr& e, const Scope& scope);

/// Evaluates a condition: a Bool, or Empty (a capture of a step that did
/// not run) as false; anything else is an error.
Eval<bool> evaluate_condition(const ast::Expr& e, const Scope& scope);

/// The text of a string with every `${…}` evaluated and shown with to_display.
/// The first error; or, given `failed`, never one: a part that cannot be
/// evaluated is kept as written (`${expr}`), its error appended to `failed`,
/// so the other parts still show their values.
Eval<std::string> interpolate(const ast::StringLit& s, const Scope& scope,
                              std::vector<EvalError>* failed = nullptr);

/// Whether `text` matches `re` as `matches /re/` does (anywhere in it; the
/// `i` flag ignores case). False with `error` set when the pattern is invalid.
bool regex_matches(const ast::Regex& re, const std::string& text, std::string* error = nullptr);

/// Two values equal as `==` sees them: numbers when both read as numbers,
/// otherwise text (lists element by element).
bool values_equal(const Value& a, const Value& b);

}  // namespace rbk
