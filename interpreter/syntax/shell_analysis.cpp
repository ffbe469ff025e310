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
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    out.unknowns.push_back({{0, text.size()}, "the command nests too deeply to analyse"});
  }
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
