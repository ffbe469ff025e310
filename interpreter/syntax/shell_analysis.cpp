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

namespace {

/// `text` holds `$name` or `${name…` (a cheap look, not a parse).
bool reads_variable(std::string_view text, std::string_view name) {
  for (size_t at = text.find('$'); at != std::string_view::npos; at = text.find('$', at + 1)) {
    size_t n = at + 1;
    if (n < text.size() && text[n] == '{') ++n;
    if (text.compare(n, name.size(), name) == 0 &&
        (n + name.size() == text.size() || !name_char(text[n + name.size()])))
      return true;
  }
  return false;
}

}  // namespace

ShellAnalysis analyse_shell(std::string_view text, const ShellValues* values, size_t choice) {
  ShellAnalysis out;
  // The run's values the command reads, any of which a name it assigns
  // itself may hold (Analyser::value).
  std::vector<std::string> spread;
  if (values)
    for (const auto& [name, v] : *values)
      if (Analyser::verb_like(v) && reads_variable(text, name) && spread.size() < 64)
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
