// Run-time values: what parameters hold and what expressions evaluate to.
// The check pass types expressions statically where it can (check.cpp); these
// are the values the engine actually has once commands have run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rbk {

/// Which alternative a Value holds.
enum class ValueKind { Empty, Text, Number, Bool, Duration, List, Json };

/// A run-time value. Empty is what a capture of a step that did not run reads as.
struct Value {
  ValueKind kind = ValueKind::Empty;
  std::string text;          // Text; for Number and Duration, the spelling when known
  double number = 0;         // Number
  bool boolean = false;      // Bool
  int64_t ms = 0;            // Duration
  std::vector<Value> items;  // List
  nlohmann::json json;       // Json: a node of a capture's parsed output

  static Value of_text(std::string s);
  static Value of_number(double n);
  static Value of_bool(bool b);
  static Value of_duration(int64_t ms, std::string spelling = {});
  static Value of_list(std::vector<Value> items);
  /// A JSON node; scalars become Text/Number/Bool/Empty, arrays and objects stay Json.
  static Value of_json(const nlohmann::json& j);
};

/// How a value reads in a string, a message or an environment variable:
/// text as is, numbers without a trailing ".0", durations as written (else
/// normalised, e.g. "1h30m"), lists one element per line, JSON as compact JSON.
std::string to_display(const Value& v);

/// A duration in canonical spelling: "1h30m", "250ms".
std::string format_duration(int64_t ms);

/// The JSON form used in the run record: whole numbers as integers.
nlohmann::json to_json(const Value& v);

}  // namespace rbk
