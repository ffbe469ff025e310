// The shell analysis: a lexer and a flat parser that finds simple commands
// (it does not need the shell's full grammar, only where each command starts
// and ends), then resolves each command through the wrappers that run
// another command (sudo, env, timeout, xargs, find -exec, sh -c, ssh, …).
// Every position is a byte offset of the analysed text; text decoded from a
// quoted word (an `sh -c` argument) maps back exactly when it is a verbatim
// copy, else to the whole word.
// The parts: shell_lexer.cpp, shell_parser.cpp, shell_commands.cpp
// (declared in shell_parser.hpp).
#include "interpreter/syntax/shell_analysis.hpp"

#include <algorithm>
#include <string>

#include "interpreter/syntax/shell_parser.hpp"

namespace rbk {

using namespace shell_detail;

bool mentions_variable(std::string_view script, std::string_view name) {
  for (size_t at = script.find(name); at != std::string_view::npos;
       at = script.find(name, at + 1)) {
    size_t end = at + name.size();
    if (end < script.size() && name_char(script[end])) continue;
    if (at >= 1 && script[at - 1] == '$') return true;
    if (at >= 2 && script[at - 1] == '{' && script[at - 2] == '$') return true;
  }
  return false;
}

namespace {

// Whether the text reads a positional parameter: $1…$9, $@, $*, ${1}, ….
bool reads_positional(std::string_view text) {
  for (size_t at = text.find('$'); at != std::string_view::npos; at = text.find('$', at + 1)) {
    size_t k = at + 1;
    if (k < text.size() && text[k] == '{') ++k;
    if (k < text.size() && positional(text[k])) return true;
  }
  return false;
}

// The literal words the command passes the functions it defines, `set` and
// `sh -c CODE NAME` (`k() { kubectl "$@"; }; k delete pod web-1`): what $1, $@, … may
// hold. A first, text-only pass finds them, since a function's body is read
// before its calls. Each call's words joined (for $@) come first, then each
// word.
std::vector<std::string> literal_arguments(std::string_view text) {
  ShellAnalysis first;
  Analyser a(first);
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    return {};  // the reading proper reports it
  }
  std::vector<std::string> joined, words;
  auto add = [](std::vector<std::string>& to, std::string v) {
    if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(std::move(v));
  };
  auto take = [&](const std::vector<ShellWord>& given, size_t from) {
    std::string all;
    for (size_t k = from; k < given.size(); ++k) {
      if (given[k].expands) continue;  // a value: the run's values stand for it
      if (!all.empty()) all += ' ';
      all += given[k].text;
      add(words, given[k].text);
    }
    if (!all.empty()) add(joined, std::move(all));
  };
  for (const ShellCommand& c : first.commands) {
    if (c.words.empty()) continue;
    const std::vector<ShellWord>& w = c.words;
    size_t from = 1;
    if (w[0].text == "set") {
      // `set -- WORDS`, or `set WORDS` when the first is no option.
      while (from < w.size() && w[from].text != "--" &&
             (w[from].text.starts_with('-') || w[from].text.starts_with('+')))
        ++from;
      if (from < w.size() && w[from].text == "--")
        ++from;
      else if (from > 1)
        continue;  // `set -e`: options only
    } else if (!a.functions().count(w[0].text)) {
      continue;
    }
    take(w, from);
  }
  for (const auto& given : a.code_arguments()) take(given, 0);
  for (auto& w : words) add(joined, std::move(w));
  return joined;
}

}  // namespace

ShellAnalysis analyse_shell(std::string_view text, const ShellValues* values, size_t choice) {
  ShellAnalysis out;
  // The run's values the command reads, any of which a name it assigns
  // itself may hold (Analyser::value).
  std::vector<std::string> spread;
  if (values)
    for (const auto& [name, v] : *values)
      if (Analyser::verb_like(v) && mentions_variable(text, name) && spread.size() < 64)
        spread.push_back(v);
  Analyser a(out, values, std::move(spread), choice);
  if (values && reads_positional(text)) a.arguments(literal_arguments(text));
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    out.unknowns.push_back({{0, text.size()}, "the command nests too deeply to analyse"});
  }
  if (a.overflowed())
    out.unknowns.push_back({{0, text.size()},
                            "a variable may hold more values than rbk reads (over " +
                                std::to_string(Analyser::kMaxReadings) + ")"});
  out.readings = a.readings();
  auto by_position = [](const auto& x, const auto& y) { return x.at.begin < y.at.begin; };
  std::stable_sort(out.unknowns.begin(), out.unknowns.end(), by_position);
  std::stable_sort(out.commands.begin(), out.commands.end(),
                   [](const ShellCommand& x, const ShellCommand& y) {
                     auto first = [](const ShellCommand& c) {
                       if (!c.words.empty()) return c.words[0].at.begin;
                       if (!c.redirects.empty()) return c.redirects[0].target.at.begin;
                       return c.input.empty() ? size_t{0} : c.input[0].at.begin;
                     };
                     return first(x) < first(y);
                   });
  return out;
}

}  // namespace rbk
