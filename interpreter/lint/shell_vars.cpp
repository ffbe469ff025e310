#include "interpreter/lint/shell_vars.hpp"

#include <cctype>

namespace rbk::lint_detail {

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

/// Variable references outside single quotes, bare names inside `$((…))`
/// included. A simple scan: it does not
/// parse the shell (here-documents, nested quoting in $(…) and `eval` are
/// taken as plain text).
std::vector<VarRef> shell_vars(const std::string& t) {
  std::vector<VarRef> out;
  bool in_double = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '\'' && !in_double) {
      size_t end = t.find('\'', i + 1);
      if (end == std::string::npos) break;
      i = end;
      continue;
    }
    if (c == '#' && !in_double && (i == 0 || std::isspace(static_cast<unsigned char>(t[i - 1])))) {
      size_t end = t.find('\n', i);  // a shell comment
      if (end == std::string::npos) break;
      i = end;
      continue;
    }
    if (c == '"') {
      in_double = !in_double;
      continue;
    }
    if (c != '$' || i + 1 >= t.size()) continue;
    if (t.compare(i + 1, 2, "((") == 0) {
      // Arithmetic expansion: bare names inside are variables ($((count + 1))).
      // `$…` inside is left to this loop (it goes on right after "$(("), and
      // a nested $(command) or ${…} is skipped here, not read as names.
      int depth = 2;
      for (size_t j = i + 3; j < t.size() && depth > 0;) {
        char d = t[j];
        if (d == '(') {
          ++depth, ++j;
        } else if (d == ')') {
          --depth, ++j;
        } else if (d == '$' && j + 1 < t.size() && (t[j + 1] == '(' || t[j + 1] == '{')) {
          const char open = t[j + 1], close = open == '(' ? ')' : '}';
          int inner = 0;
          size_t k = j + 1;
          for (; k < t.size(); ++k) {
            if (t[k] == open) ++inner;
            if (t[k] == close && --inner == 0) break;
          }
          j = k + 1;
        } else if (d == '$') {
          ++j;
          while (j < t.size() && ident_char(t[j])) ++j;
        } else if (ident_start(d) && !ident_char(t[j - 1])) {
          size_t k = j;
          while (k < t.size() && ident_char(t[k])) ++k;
          out.push_back({t.substr(j, k - j), j, k - j});
          j = k;
        } else {
          ++j;
        }
      }
      i += 2;
      continue;
    }
    if (ident_start(t[i + 1])) {
      size_t j = i + 1;
      while (j < t.size() && ident_char(t[j])) ++j;
      out.push_back({t.substr(i + 1, j - i - 1), i, j - i});
      i = j - 1;
    } else if (t[i + 1] == '{') {
      size_t j = i + 2;
      if (j < t.size() && t[j] == '#') ++j;
      size_t s = j;
      while (j < t.size() && ident_char(t[j])) ++j;
      if (j > s && ident_start(t[s])) {
        size_t close = t.find('}', j);
        out.push_back({t.substr(s, j - s), i, (close == std::string::npos ? j : close + 1) - i});
      }
    }
  }
  return out;
}

/// Names a shell literal assigns itself: `name=`, `for name in`, `read [-r] name…`,
/// `local`/`export`/`readonly name`.
std::set<std::string> assigned_in(const std::string& t) {
  std::set<std::string> out;
  auto word_before_ok = [&](size_t i) {
    return i == 0 || std::isspace(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == ';' ||
           t[i - 1] == '&' || t[i - 1] == '|' || t[i - 1] == '(' || t[i - 1] == '{';
  };
  for (size_t i = 0; i < t.size(); ++i) {
    if (!ident_start(t[i]) || !word_before_ok(i)) continue;
    size_t j = i;
    while (j < t.size() && ident_char(t[j])) ++j;
    std::string w = t.substr(i, j - i);
    if (j < t.size() && t[j] == '=') out.insert(w);
    if (w == "for" || w == "read" || w == "local" || w == "export" || w == "readonly" ||
        w == "getopts") {
      // The following words up to the end of the command.
      size_t k = j;
      bool first = true;
      while (k < t.size() && t[k] != '\n' && t[k] != ';' && t[k] != '|' && t[k] != '&') {
        while (k < t.size() && (t[k] == ' ' || t[k] == '\t')) ++k;
        size_t s = k;
        while (k < t.size() && !std::isspace(static_cast<unsigned char>(t[k])) && t[k] != ';' &&
               t[k] != '|' && t[k] != '&')
          ++k;
        std::string arg = t.substr(s, k - s);
        if (arg.empty()) break;
        if (w == "for" && !first) break;
        if (arg == "in" || arg == "do") break;
        size_t eq = arg.find('=');
        std::string name = arg.substr(0, eq);
        if (!name.empty() && ident_start(name[0]) &&
            std::all_of(name.begin(), name.end(), ident_char))
          out.insert(name);
        first = false;
      }
    }
    i = j;
  }
  return out;
}

const std::set<std::string>& common_env() {
  static const std::set<std::string> s{
      "HOME",    "PATH",   "USER", "PWD",  "HOSTNAME", "TMPDIR", "LANG",    "SHELL",
      "LOGNAME", "OLDPWD", "IFS",  "TERM", "LC_ALL",   "RANDOM", "LINENO",  "PPID",
      "OPTARG",  "OPTIND", "UID",  "EUID", "SECONDS",  "REPLY",  "COLUMNS", "LINES"};
  return s;
}

}  // namespace rbk::lint_detail
