// Inside the shell analysis: reading a program's options as getopt_long
// does, and lines of text, for the programs that run shell code written in
// their arguments (shell_programs.cpp, shell_clients.cpp).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/syntax/shell_analysis.hpp"

namespace rbk::shell_detail {

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// A long option that takes a value: always (`--to-command CMD` or
/// `--to-command=CMD`) or only attached (`--checkpoint[=N]`).
struct LongOption {
  // Implicit, so that a table may list a plain name: {"user", "group"}.
  constexpr LongOption(const char* n, bool attached = false, bool is_flag = false)
      : name(n), attached_only(attached), flag(is_flag) {}
  std::string_view name;
  bool attached_only = false;
  bool flag = false;  // takes no value: listed because it abbreviates another (--start, --startas)
};

/// How a program reads its options (getopt_long): short letters that take a
/// value (`-cCMD` or `-c CMD`), letters whose value can only be attached
/// (`-i[SUFFIX]`), and long options with a value.
struct OptionSyntax {
  const char* short_value = "";
  const char* short_attached = "";
  std::vector<LongOption> long_options;
};

/// One option's value as written: the word that holds it and where in it.
struct OptionValue {
  std::string option;  // "c", or the long name as the table spells it
  const ShellWord* word = nullptr;
  size_t offset = 0;  // where the value starts in word->text
};

/// The options with a value and the operands of w[from…], as getopt_long
/// reads them (options and operands mixed, `--` ends the options).
struct Parsed {
  std::vector<OptionValue> values;
  std::vector<size_t> operands;         // indexes into w
  std::vector<std::string_view> flags;  // the long flags given, as the table spells them
  size_t dashes = std::string::npos;    // the index of the `--` that ended the options
};

/// The table's long option `name` stands for: an exact name, else the one
/// it abbreviates (getopt_long accepts any unambiguous prefix), else null.
inline const LongOption* long_option(const OptionSyntax& s, std::string_view name) {
  const LongOption* found = nullptr;
  for (const auto& o : s.long_options) {
    if (o.name == name) return &o;
    if (!name.empty() && starts_with(o.name, name)) found = found ? found : &o;
  }
  return found;
}

inline Parsed parse_options(const std::vector<ShellWord>& w, size_t from, const OptionSyntax& s,
                            size_t to = std::string::npos) {
  Parsed out;
  const size_t end = std::min(to, w.size());
  for (size_t j = from; j < end; ++j) {
    const std::string& t = w[j].text;
    if (t == "--" && !w[j].expands) {
      out.dashes = j;
      for (++j; j < end; ++j) out.operands.push_back(j);
      break;
    }
    if (t.size() < 2 || t[0] != '-') {  // a leading `-` is never an expansion's
      out.operands.push_back(j);
      continue;
    }
    if (starts_with(t, "--")) {
      size_t eq = t.find('=');
      std::string_view name =
          std::string_view(t).substr(2, eq == std::string::npos ? t.npos : eq - 2);
      const LongOption* o = long_option(s, name);
      if (o && o->flag) out.flags.push_back(o->name);
      if (!o || o->flag) continue;
      if (eq != std::string::npos)
        out.values.push_back({std::string(o->name), &w[j], eq + 1});
      else if (!o->attached_only && j + 1 < end)
        out.values.push_back({std::string(o->name), &w[++j], 0});
      continue;
    }
    for (size_t p = 1; p < t.size(); ++p) {
      if (std::strchr(s.short_attached, t[p])) {
        out.values.push_back({std::string(1, t[p]), &w[j], p + 1});
        break;
      }
      if (!std::strchr(s.short_value, t[p])) continue;
      if (p + 1 < t.size())
        out.values.push_back({std::string(1, t[p]), &w[j], p + 1});
      else if (j + 1 < end)
        out.values.push_back({std::string(1, t[p]), &w[++j], 0});
      break;
    }
  }
  return out;
}

/// The values of the options named in `names` (short letters or long names).
inline std::vector<OptionValue> values_of(const Parsed& p,
                                          std::initializer_list<std::string_view> names) {
  std::vector<OptionValue> out;
  for (const auto& v : p.values)
    if (std::find(names.begin(), names.end(), v.option) != names.end()) out.push_back(v);
  return out;
}

/// The end of the line that starts at `from` in `t`.
inline size_t line_end(const std::string& t, size_t from) {
  size_t e = t.find('\n', from);
  return e == std::string::npos ? t.size() : e;
}

inline size_t skip_blanks_in(const std::string& t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  return i;
}

/// Where each line of `t` starts (after its blanks).
inline std::vector<size_t> line_starts(const std::string& t) {
  std::vector<size_t> out;
  for (size_t i = 0; i <= t.size();) {
    out.push_back(skip_blanks_in(t, i));
    size_t e = line_end(t, i);
    if (e == t.size()) break;
    i = e + 1;
  }
  return out;
}

}  // namespace rbk::shell_detail
