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
#include <array>
#include <cctype>
#include <cstdlib>
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
  // A command that may call a function (defined before or after it: which
  // are is known once the text is read, build_arguments()) fills that
  // function's $1, …; `set -- WORDS` (or `set WORDS` whose first is no
  // option) the scope it is written in. `command` and `time` run functions too.
  size_t k = 0;
  while (k < w.size() && !w[k].expands &&
         (w[k].text == "command" || w[k].text == "time" || w[k].text == "-p" || w[k].text == "--"))
    ++k;
  if (k >= w.size() || w[k].expands || w[k].globs || w[k].text.find('/') != std::string::npos)
    return;
  if (w[k].text == "shift") {
    shifting_.emplace(this->scope());
    return;
  }
  size_t from = k + 1;
  const bool set = w[k].text == "set";
  std::string scope = set ? std::string(this->scope()) : w[k].text;
  if (set) {
    // Options, each `-o NAME` with its name, then `--` or the words.
    bool dashes = false;
    while (from < w.size() && (w[from].text.starts_with('-') || w[from].text.starts_with('+'))) {
      if (w[from].text == "--" || w[from].text == "-") {
        dashes = true;
        ++from;
        break;
      }
      if (w[from].text.back() == 'o') ++from;  // -o NAME, -eo NAME
      ++from;
    }
    if (from >= w.size() && !dashes) return;  // `set -e`: options only
  }
  // The same call again adds nothing; a scope called in more ways than the
  // readings cover is reported when its parameters are read.
  std::string key = scope + '\x1f' + std::string(this->scope());
  for (size_t n = from; n < w.size(); ++n) key += '\x1f' + w[n].text;
  if (!call_keys_.insert(std::move(key)).second) return;
  if (++calls_per_scope_[scope] > kMaxReadings) {
    crowded_.insert(scope);
    return;
  }
  calls_.push_back({std::move(scope),
                    std::string(this->scope()),
                    {w.begin() + static_cast<std::ptrdiff_t>(from), w.end()},
                    set});
}

}  // namespace shell_detail

namespace {

// Whether the text reads a positional parameter in any form: $1…$9, $@,
// $*, ${1}, ${1:-x}, ….
bool mentions_positional(std::string_view text) {
  for (size_t at = text.find('$'); at != std::string_view::npos; at = text.find('$', at + 1)) {
    size_t k = at + 1;
    if (k < text.size() && text[k] == '{') ++k;
    if (k < text.size() && positional(text[k])) return true;
  }
  return false;
}

// Whether the text may read a positional parameter: it mentions one, or
// has a `for NAME; do` loop over "$@".
bool reads_positional(std::string_view text) {
  if (mentions_positional(text)) return true;
  // `for NAME; do`, `for NAME do`: a loop with no `in`.
  for (std::string_view loop : {"for", "select"}) {
    for (size_t at = text.find(loop); at != std::string_view::npos; at = text.find(loop, at + 1)) {
      size_t k = at + loop.size();
      if ((at > 0 && name_char(text[at - 1])) || k >= text.size() || !blank(text[k])) continue;
      while (k < text.size() && blank(text[k])) ++k;
      if (k >= text.size() || !name_start(text[k])) continue;
      while (k < text.size() && name_char(text[k])) ++k;
      while (k < text.size() && blank(text[k])) ++k;
      if (k >= text.size() || text[k] == ';' || text[k] == '\n' || text.substr(k, 2) == "do")
        return true;
    }
  }
  return false;
}

// What a call's word gives a positional parameter: itself when literal;
// when it reads a name (`"$verb"`), that name's candidates (the run's value,
// what the command assigns it); when it passes positional parameters on
// (`"$@"`, `"${1:-x}"` in a function that calls another), those of the scope
// it is in; else a word not known (Analyser::kOpaque), so that one reading
// keeps the parameter unknown.
class Resolver {
 public:
  /// A scope's candidates: for $@ and $* ('@'), and for $1…$9.
  using Lists = std::map<char, std::vector<std::string>>;

  Resolver(const Analyser& first, const ShellValues* values, std::vector<Analyser::Call> calls,
           std::set<std::string, std::less<>> moving)
      : first_(first), values_(values), calls_(std::move(calls)), moving_(std::move(moving)) {
    for (const auto& c : calls_) by_scope_[c.scope].push_back(&c);
  }

  /// Set when resolve() gave up: too much work for what it may find.
  bool exhausted = false;

  /// Every scope's lists, worked out again until none changes, so that
  /// calls that go round (a function calling itself, two calling each
  /// other) pass on all they may.
  std::map<std::string, Lists, std::less<>> resolve() {
    // A worklist: a scope is worked out again only when a scope it is
    // called from changed. Each change adds a candidate, and the work bound
    // ends a search too long to be worth it.
    std::map<std::string, std::set<std::string, std::less<>>, std::less<>> callees;
    for (const auto& c : calls_) callees[c.from].insert(c.scope);
    std::vector<std::string> work;
    std::set<std::string, std::less<>> queued;
    for (const auto& [s, calls] : by_scope_) work.push_back(s), queued.insert(s);
    while (!work.empty() && !exhausted) {
      std::string s = std::move(work.back());
      work.pop_back();
      queued.erase(s);
      Lists now = lists(s);
      if (now == table_[s]) continue;
      table_[s] = std::move(now);
      for (const auto& next : callees[s])
        if (queued.insert(next).second) work.push_back(next);
    }
    return table_;
  }

 private:
  // One way the scope may be called: $1…$9, then $@ (Analyser::kUnset
  // where a place has no word). A scope's lists hold one entry per
  // reading, aligned: reading N takes the Nth of every place, so that
  // "$1" "$2" come from the same call (`g clean -fd`, not `g status -fd`).
  using Places = std::array<std::string, 10>;

  Lists lists(const std::string& scope) {
    std::vector<Places> ways;
    const bool moves = moving_.count(scope) > 0;
    // The scope's own `set -- x "$@"` reads what its callers gave it: the
    // calls from elsewhere first, then those from inside on what they gave
    // (not on their own result, which would grow at every round).
    std::vector<const Analyser::Call*> order;
    for (const Analyser::Call* c : by_scope_[scope])
      if (c->from != scope) order.push_back(c);
    const size_t outside = order.size();
    for (const Analyser::Call* c : by_scope_[scope])
      if (c->from == scope) order.push_back(c);
    Lists given_from_outside;
    for (size_t n = 0; n < order.size() && ways.size() <= Analyser::kMaxReadings; ++n) {
      if (n == outside) given_from_outside = aligned(ways);
      const Analyser::Call& call = *order[n];
      const Lists& caller = call.from == scope ? given_from_outside : table_[call.from];
      std::vector<std::vector<std::string>> given;
      std::vector<bool> many;     // "$@" passed on: each candidate is several words
      std::vector<size_t> digit;  // which of `sources` each word's candidates come from
      std::vector<std::string> sources;
      bool split = false;  // a word not literal may be several, or none
      for (const ShellWord& w : call.words) {
        given.push_back(word(w, caller, call.from));
        if (given.back().empty()) given.back().push_back(Analyser::kUnset);
        many.push_back(passes_all(w));
        split = split || w.expands || w.globs;
        const std::string from = source(w, call.from);
        auto at = std::find(sources.begin(), sources.end(), from);
        digit.push_back(static_cast<size_t>(at - sources.begin()));
        if (at == sources.end()) sources.push_back(from);
      }
      // The words' candidates in every combination: one digit per name
      // they read, and one for the caller's places (which stay together: a
      // call in a call's way); past kMaxReadings combinations the widest
      // go in step (number_readings()). A word that may split is read
      // both whole and in fields; after a `shift` (or the scope's own
      // `set`) the words may start at any of them.
      std::vector<size_t> radix(sources.size(), 1);
      for (size_t k = 0; k < given.size(); ++k)
        radix[digit[k]] = std::max(radix[digit[k]], given[k].size());
      std::vector<size_t> below;
      const size_t readings = number_readings(radix, Analyser::kMaxReadings, below);
      for (size_t r = 0; r < readings; ++r) {
        std::vector<size_t> chosen(sources.size());
        for (size_t j = 0; j < sources.size(); ++j) chosen[j] = (r / below[j]) % radix[j];
        std::vector<std::string> whole;
        for (size_t k = 0; k < given.size(); ++k) {
          const std::string& v = given[k][chosen[digit[k]] % given[k].size()];
          if (v == Analyser::kUnset) continue;
          if (many[k] && v != Analyser::kOpaque) {
            for (std::string_view f : fields_of(v)) whole.emplace_back(f);
          } else {
            whole.push_back(v);
          }
        }
        std::vector<std::vector<std::string>> variants{whole};
        if (split) {
          std::vector<std::string> fields;
          for (const auto& v : whole) {
            if (v == Analyser::kOpaque) {
              fields.push_back(v);
              continue;
            }
            for (std::string_view f : fields_of(v)) fields.emplace_back(f);
          }
          if (fields != whole) variants.push_back(std::move(fields));
        }
        for (const auto& words : variants)
          for (size_t from = 0; from < (moves ? std::max<size_t>(words.size(), 1) : 1); ++from)
            place(ways, words, from);
      }
    }
    return aligned(ways);
  }

  // Adds the way `words` from `from` give: $1… from there, $@ their rest
  // joined (and, when one of them is not known, a way whose $@ is not).
  void place(std::vector<Places>& ways, const std::vector<std::string>& words, size_t from) {
    Places p;
    bool opaque = false;
    std::string all;
    for (size_t k = 0; k < 9; ++k)
      p[k] = from + k < words.size() ? words[from + k] : std::string(Analyser::kUnset);
    for (size_t at = from; at < words.size() && all.size() <= kLongest; ++at) {
      // A word with blanks in it ("reset --hard" as a grep pattern) is one
      // word, which "$@" joined with blanks would split: not known there.
      if (words[at] == Analyser::kOpaque || words[at].find_first_of(" \t\n") != std::string::npos) {
        opaque = true;
        continue;
      }
      if (!all.empty()) all += ' ';
      all += words[at];
    }
    // Longer than any value read in (Analyser::verb_like): not known.
    p[9] = all.size() > kLongest ? std::string(Analyser::kOpaque) : std::move(all);
    work_ += p[9].size() + 10 + ways.size();
    if (work_ > kMostWork) exhausted = true;
    auto keep = [&](const Places& q) {
      if (ways.size() <= Analyser::kMaxReadings &&
          std::find(ways.begin(), ways.end(), q) == ways.end())
        ways.push_back(q);
    };
    keep(p);
    if (opaque) {
      p[9] = Analyser::kOpaque;
      keep(p);
    }
  }

  // The ways as one list per place, aligned.
  static Lists aligned(const std::vector<Places>& ways) {
    Lists out;
    for (const Places& p : ways) {
      for (size_t k = 0; k < 9; ++k) out[static_cast<char>('1' + k)].push_back(p[k]);
      out['@'].push_back(p[9]);
    }
    return out;
  }

  // NAME of a word that is `$NAME` or `${NAME}` alone, else empty.
  static std::string_view reference(const ShellWord& w) {
    std::string_view ref = w.text;
    if (!w.expands) return {};
    if (ref.starts_with("${") && ref.ends_with("}")) return ref.substr(2, ref.size() - 3);
    if (ref.starts_with("$")) return ref.substr(1);
    return {};
  }

  // Where a call's word takes its candidates from, for crossing them: the
  // name it reads, "\x1e" for the places of the scope it is written in
  // (aligned with each other), "" for a word with one candidate.
  std::string source(const ShellWord& w, const std::string& from) const {
    if (!w.expands) return {};
    std::string_view ref = reference(w);
    if ((ref.size() == 1 && positional(ref[0])) || mentions_positional(w.text)) return "\x1e";
    if (ref.empty() || !name_start(ref[0]) || !std::all_of(ref.begin(), ref.end(), name_char))
      return {};
    if (first_.aliases().count(from + '\x1f' + std::string(ref))) return "\x1e";
    return std::string(ref);
  }

  // Whether the word is "$@" or "$*" (or "${@}"): all the caller's words.
  static bool passes_all(const ShellWord& w) {
    std::string_view ref = reference(w);
    return ref == "@" || ref == "*";
  }

  // `caller`: the lists of the scope `from` the word is written in.
  std::vector<std::string> word(const ShellWord& w, const Lists& caller, const std::string& from) {
    if (!w.expands) return {w.text};
    std::string_view ref = reference(w);
    std::vector<std::string> out;
    if (ref.size() == 1 && positional(ref[0])) {
      // "$@", "$1": what the scope it is written in was given, there.
      // (Aligned with the caller's other places: the same reading index.)
      if (auto at = caller.find(ref[0] == '*' ? '@' : ref[0]); at != caller.end()) out = at->second;
      return out;
    }
    if (mentions_positional(w.text)) {
      // "${1:-get}", "${2:+x}", "${@:2}": the caller's ways first, aligned
      // (repeats kept), as the place it reads; then, as for "$1x", any of
      // them, or not known.
      std::string_view t = w.text;
      if (t.starts_with("${") && t.size() > 3 && positional(t[2]) && !name_char(t[3]))
        if (auto at = caller.find(t[2] == '*' ? '@' : t[2]); at != caller.end()) {
          size_t skip = 0;  // ${@:K}: from the Kth word on
          if (t[2] == '@' && t[3] == ':' && t.size() > 4 &&
              std::isdigit(static_cast<unsigned char>(t[4])))
            skip =
                static_cast<size_t>(std::max(1, std::atoi(std::string(t.substr(4)).c_str())) - 1);
          for (const std::string& v : at->second) {
            if (skip == 0 || v == Analyser::kOpaque || v == Analyser::kUnset) {
              out.push_back(v);
              continue;
            }
            std::vector<std::string_view> f = fields_of(v);
            std::string rest;
            for (size_t k = skip; k < f.size(); ++k)
              rest += (rest.empty() ? "" : " ") + std::string(f[k]);
            out.push_back(std::move(rest));
          }
        }
      for (const auto& [which, list] : caller)
        for (const auto& v : list) add(out, v);
      add(out, Analyser::kOpaque);
      return out;
    }
    if (ref.empty() || !name_start(ref[0]) || !std::all_of(ref.begin(), ref.end(), name_char))
      return {Analyser::kOpaque};
    // `local verb=$1; k "$verb"`: that place of the caller's ways, aligned.
    if (auto alias = first_.aliases().find(from + '\x1f' + std::string(ref));
        alias != first_.aliases().end())
      if (auto at = caller.find(alias->second); at != caller.end()) return at->second;
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
  void add(std::vector<std::string>& to, std::string v) {
    if (to.size() > Analyser::kMaxReadings) return;
    work_ += to.size() + 1;  // the look for a copy
    if (work_ > kMostWork) exhausted = true;
    if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(std::move(v));
  }

  // Bounds: a joined candidate's length, and the bytes of them built in
  // all (calls that pass "$@" round and round grow them at every round).
  static constexpr size_t kLongest = 256;
  static constexpr size_t kMostWork = 8 << 20;
  size_t work_ = 0;

  const Analyser& first_;
  const ShellValues* values_;
  const std::vector<Analyser::Call> calls_;
  std::map<std::string, std::vector<const Analyser::Call*>, std::less<>> by_scope_;
  const std::set<std::string, std::less<>> moving_;
  std::map<std::string, Lists, std::less<>> table_;
};

// The first pass: every scope's positional candidates (ShellArguments).
// It reads no value in, so that each call's words are seen as written, and
// it runs once for all readings, since a function's body is read before
// its calls (or after: `main() { f delete; }; f() { … }; main`).
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
  // The calls of functions the text defines, and its `set`s. A function
  // whose body is not `{ … }` or `( … )` (`f() if …; fi`) is read in the
  // scope it is defined in: its calls fill that scope too.
  std::vector<Analyser::Call> calls;

  for (const Analyser::Call& c : a.calls()) {
    // (A scope "#…" is `sh -c` code's.)
    if (!c.set && !c.scope.starts_with('#') && !a.functions().count(c.scope)) continue;
    calls.push_back(c);
    if (auto body = a.unscoped().find(c.scope); !c.set && body != a.unscoped().end()) {
      calls.push_back(c);
      calls.back().scope = body->second;
    }
  }
  // A `shift` in a scope, or its own `set`, moves its places.
  std::set<std::string, std::less<>> moving = a.shifting();
  for (const auto& c : calls)
    if (c.set) moving.insert(c.scope);
  Resolver r(a, values, calls, moving);
  for (const auto& [scope, lists] : r.resolve()) {
    for (const auto& [which, list] : lists) out.by_scope[scope + '\x1f' + which] = list;
    if (r.exhausted) out.crowded.insert(scope);  // what it found may be short of all
  }
  for (const auto& scope : a.crowded()) out.crowded.insert(scope);
  out.aliases = a.aliases();
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
  // What this reading found the text assigns joins what the readings
  // share; a name read before some of it makes them start over.
  arguments->assigned_later = false;
  for (const auto& [name, made] : a.made()) {
    auto& all = arguments->assigned[name];
    for (const auto& e : made)
      if (all.size() < ShellArguments::kMostAssigned &&
          std::find(all.begin(), all.end(), e) == all.end())
        all.push_back(e);
    if (auto read = a.reads().find(name); read != a.reads().end() && read->second < all.size())
      arguments->assigned_later = true;
  }
  for (const auto& name : a.opened())
    if (arguments->open.insert(name).second && a.reads().count(name))
      arguments->assigned_later = true;
  if (a.overflowed())
    out.unknowns.push_back({{0, text.size()},
                            "a variable may hold more values than rbk reads (over " +
                                std::to_string(Analyser::kMaxReadings) + ")"});
  out.readings = arguments->crossing.readings();
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
