// Keyword tables used for error messages and recovery: which words start a
// statement, a section item or a runbook item. Kept beside the grammar so a
// new keyword is added in one place with its rule.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace rbk::grammar::keywords {

using List = std::vector<std::string>;

inline bool contains(const List& l, std::string_view w) {
  return std::find(l.begin(), l.end(), w) != l.end();
}

/// Words that start a statement inside a step, signal, check or undo block.
inline const List& statements() {
  static const List l{"run",  "destructive", "confirm", "until",  "verify", "undo",
                      "on",   "evidence",    "safe",    "note",   "manual", "ask",
                      "call", "page",        "notify",  "firing", "passes", "use"};
  return l;
}
/// Statements plus the option words that may follow one (for suggestions).
inline const List& statement_like() {
  static const List l = [] {
    List x = statements();
    for (const char* w : {"as", "timeout", "retry", "every", "within", "typed", "when", "serial",
                          "max_fail", "parallel"})
      x.push_back(w);
    return x;
  }();
  return l;
}
/// Words that can never be a name in an expression: the operators and
/// literals, and the words that start a statement. Must match the grammar's
/// `reserved` rule (grammar/rules.hpp); a test compares the two.
inline const List& reserved_in_expressions() {
  static const List l = [] {
    List x{"and", "or", "not", "in", "contains", "matches", "true", "false", "when"};
    for (const auto& w : statements()) x.push_back(w);
    return x;
  }();
  return l;
}
/// Words that start an item directly inside `runbook { … }`.
inline const List& runbook_items() {
  static const List l{"title",  "severity", "owner",   "tags",     "summary", "param",
                      "secret", "message",  "alert",   "diagnose", "causes",  "remediate",
                      "verify", "rollback", "finally", "escalate"};
  return l;
}
/// Words that start an item inside `module { … }`.
inline const List& module_items() {
  static const List l{"template"};
  return l;
}
/// Words that start an item inside the named section.
inline const List& section_items(std::string_view section) {
  static const List steps{"step"}, signals{"signal"}, causes{"cause"}, checks{"check"},
      rules{"page", "notify", "after", "every", "on"}, none{};
  if (section == "alert") return signals;
  if (section == "diagnose" || section == "remediate" || section == "rollback" ||
      section == "finally")
    return steps;
  if (section == "causes") return causes;
  if (section == "verify") return checks;
  if (section == "escalate") return rules;
  return none;
}
/// The section(s) an item keyword belongs to, for "'cause' items go in …".
inline std::string section_of_item(std::string_view w) {
  if (w == "step") return "diagnose, remediate, rollback or finally";
  if (w == "signal") return "alert";
  if (w == "cause") return "causes";
  if (w == "check") return "verify";
  if (w == "after") return "escalate";
  return "";
}

inline bool is_runbook_item(std::string_view w) {
  return contains(runbook_items(), w);
}
inline bool is_section_item(std::string_view section, std::string_view w) {
  return contains(section_items(section), w);
}
/// A word that, found inside a block where it does not belong, means the
/// block's '}' is missing rather than that the word is misspelt.
inline bool is_structural(std::string_view w) {
  return is_runbook_item(w) || w == "step" || w == "signal" || w == "cause" || w == "check" ||
         w == "after" || w == "runbook" || w == "module" || w == "template" || w == "import";
}
/// "a, b and c"
inline std::string join(const List& l) {
  std::string out;
  for (size_t i = 0; i < l.size(); ++i) {
    if (i > 0) out += (i + 1 == l.size()) ? " and " : ", ";
    out += l[i];
  }
  return out;
}

}  // namespace rbk::grammar::keywords
