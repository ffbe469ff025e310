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
#include <map>
#include <set>
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

namespace shell_detail {

void Analyser::note_call(const std::vector<ShellWord>& w) {
  // A call of a function the command defines fills that function's $1, …;
  // `set -- WORDS` (or `set WORDS` whose first is no option) the scope it
  // is written in.
  size_t from = 1;
  std::string scope;
  if (w[0].text == "set") {
    while (from < w.size() && w[from].text != "--" &&
           (w[from].text.starts_with('-') || w[from].text.starts_with('+')))
      ++from;
    if (from < w.size() && w[from].text == "--")
      ++from;
    else if (from > 1)
      return;  // `set -e`: options only
    scope = std::string(this->scope());
  } else if (functions_.count(w[0].text)) {
    scope = w[0].text;
  } else {
    return;
  }
  if (calls_.size() < kMaxReadings * 4)
    calls_.push_back({std::move(scope),
                      std::string(this->scope()),
                      {w.begin() + static_cast<std::ptrdiff_t>(from), w.end()}});
  else
    overflow_ = true;
}

}  // namespace shell_detail

namespace {

// Whether `word` is in the text as a word of its own.
bool has_word(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const size_t end = at + word.size();
    if ((at == 0 || !name_char(text[at - 1])) && (end >= text.size() || !name_char(text[end])))
      return true;
  }
  return false;
}

// Whether the text may read a positional parameter: $1…$9, $@, $*, ${1},
// …, or a `for NAME; do` loop over "$@".
bool reads_positional(std::string_view text) {
  for (size_t at = text.find('$'); at != std::string_view::npos; at = text.find('$', at + 1)) {
    size_t k = at + 1;
    if (k < text.size() && text[k] == '{') ++k;
    if (k < text.size() && positional(text[k])) return true;
  }
  return has_word(text, "for") || has_word(text, "select");
}

// What a call's word gives a positional parameter: itself when literal;
// when it reads a name (`"$verb"`), that name's candidates (the run's value,
// what the command assigns it); when it passes positional parameters on
// (`"$@"` in a function that calls another), those of the scope it is in;
// else a word not known (Analyser::kOpaque), so that one reading keeps the
// parameter unknown.
class Resolver {
 public:
  /// A scope's candidates: for $@ and $* ('@'), and for $1…$9.
  using Lists = std::map<char, std::vector<std::string>>;

  Resolver(const Analyser& first, const ShellValues* values, bool shifts)
      : first_(first), values_(values), shifts_(shifts) {}

  const Lists& scope(const std::string& name) {
    if (auto done = done_.find(name); done != done_.end()) return done->second;
    static const Lists kNothing;
    if (!visiting_.insert(name).second) return kNothing;  // a function calling itself
    Lists out;
    std::vector<std::string> words;  // every word's candidates, for '@'
    for (const Analyser::Call& call : first_.calls()) {
      if (call.scope != name) continue;
      std::vector<std::vector<std::string>> given;
      bool passes_on = false;  // a word is "$@": positions are not known
      for (const ShellWord& w : call.words) {
        given.push_back(word(w, call.from));
        passes_on = passes_on || positional_ref(w) == '@';
      }
      // For $@: the call's words joined (their first candidates), then each.
      std::string all;
      for (const auto& g : given) {
        if (g.empty() || g.front() == Analyser::kOpaque) continue;
        if (!all.empty()) all += ' ';
        all += g.front();
      }
      if (!all.empty()) add(out['@'], std::move(all));
      for (const auto& g : given)
        for (const auto& v : g) add(words, v);
      // For $1…$9: the word at that place, or any word when a `shift` (or a
      // "$@" passed on) moves them.
      for (size_t k = 0; k < 9; ++k) {
        auto& list = out[static_cast<char>('1' + k)];
        if (shifts_ || passes_on) {
          for (const auto& g : given)
            for (const auto& v : g) add(list, v);
        } else if (k < given.size()) {
          for (const auto& v : given[k]) add(list, v);
        }
      }
    }
    for (auto& w : words) add(out['@'], std::move(w));
    visiting_.erase(name);
    return done_[name] = std::move(out);
  }

 private:
  // '@' for $@ or $*, '1'…'9' for $N, '\0' for any other word.
  static char positional_ref(const ShellWord& w) {
    std::string_view ref = reference(w);
    return ref.size() == 1 && positional(ref[0]) ? (ref[0] == '*' ? '@' : ref[0]) : '\0';
  }
  // NAME of a word that is `$NAME` or `${NAME}` alone, else empty.
  static std::string_view reference(const ShellWord& w) {
    std::string_view ref = w.text;
    if (!w.expands) return {};
    if (ref.starts_with("${") && ref.ends_with("}")) return ref.substr(2, ref.size() - 3);
    if (ref.starts_with("$")) return ref.substr(1);
    return {};
  }

  std::vector<std::string> word(const ShellWord& w, const std::string& from) {
    if (!w.expands) return {w.text};
    if (char p = positional_ref(w)) {
      const Lists& passed = scope(from);
      auto at = passed.find(p);
      return at == passed.end() ? std::vector<std::string>{Analyser::kOpaque} : at->second;
    }
    std::string_view ref = reference(w);
    if (ref.empty() || !name_start(ref[0]) || !std::all_of(ref.begin(), ref.end(), name_char))
      return {Analyser::kOpaque};
    std::vector<std::string> out;
    if (values_)
      if (auto run = values_->find(ref); run != values_->end()) out.push_back(run->second);
    const auto& assigned = first_.assignments();
    if (auto own = assigned.find(ref); own != assigned.end())
      for (const auto& [words, from_value] : own->second) add(out, words);
    if (out.empty() || first_.open(ref)) out.push_back(Analyser::kOpaque);
    return out;
  }

  // Adds a new candidate; a list stops one past what the readings cover
  // (Analyser::value then reports it), which bounds the work.
  static void add(std::vector<std::string>& to, std::string v) {
    if (to.size() > Analyser::kMaxReadings) return;
    if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(std::move(v));
  }

  const Analyser& first_;
  const ShellValues* values_;
  const bool shifts_;
  std::map<std::string, Lists, std::less<>> done_;
  std::set<std::string, std::less<>> visiting_;
};

// The first pass: every scope's positional candidates (ShellArguments).
// It reads no value in, so that each call's words are seen as written, and
// it runs once for all readings, since a function's body is read before
// its calls.
void build_arguments(std::string_view text, const ShellValues* values, ShellArguments& out) {
  out.built = true;
  static const ShellValues kNone;
  ShellAnalysis first;
  Analyser a(first, values ? values : &kNone);
  a.collect();
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    return;  // the reading proper reports it
  }
  Resolver r(a, values, has_word(text, "shift"));
  for (const Analyser::Call& call : a.calls())
    for (const auto& [which, list] : r.scope(call.scope))
      out.by_scope[call.scope + '\x1f' + which] = list;
  out.overflow = a.overflowed();
}

}  // namespace

ShellAnalysis analyse_shell(std::string_view text, const ShellValues* values, size_t choice,
                            ShellArguments* arguments) {
  ShellAnalysis out;
  // The run's values the command reads, any of which a name it assigns
  // itself may hold (Analyser::value).
  std::vector<std::string> spread;
  if (values)
    for (const auto& [name, v] : *values)
      if (Analyser::verb_like(v) && mentions_variable(text, name) && spread.size() < 64)
        spread.push_back(v);
  Analyser a(out, values, std::move(spread), choice);
  ShellArguments own;
  if (!arguments) arguments = &own;
  if (values && !arguments->built && reads_positional(text))
    build_arguments(text, values, *arguments);
  a.arguments(arguments);
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    out.unknowns.push_back({{0, text.size()}, "the command nests too deeply to analyse"});
  }
  if (a.overflowed() || arguments->overflow)
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
