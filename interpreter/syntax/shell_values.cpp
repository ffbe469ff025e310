// What a name may hold when the command is read with the run's values:
// the run's value, the words the command assigns it anywhere in its text,
// the positional parameters' candidates of the scope it is read in, and
// which of them one reading takes (ShellCrossing).
#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "interpreter/syntax/shell_analysis.hpp"
#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

Analyser::Known Analyser::value(std::string_view name, bool maybe_unset) const {
  if (!values_ || collecting_) return {};
  const auto run = values_->find(name);
  const bool positional = name.size() == 1 && shell_detail::positional(name[0]);
  const auto own = assigned_.find(name);
  // What the text assigns it elsewhere, as the readings so far found it
  // (ShellArguments::assigned), that may have been assigned when this read
  // runs: in a function's body (read where it is defined, before its
  // calls), any assignment, even another function's `local` (a function
  // sees its caller's); in a loop, one made after the read in the same
  // loop (its next turn). A `local` of the body's own keeps only its own.
  // Otherwise the text before the read gives it (own).
  std::vector<const ShellArguments::Later*> later;
  std::string context;  // what `later` depends on, for the cache's key
  // Only a read in a function's body or in a loop can see an assignment
  // written after it; elsewhere nothing is looked up or noted (a second
  // round of readings for every `x=…; echo $x` would double the work).
  if (arguments_ && !positional && (!loops_.empty() || !function().empty())) {
    const std::string_view fn = function();
    const bool local = !fn.empty() && locals_.count(std::string(fn) + '\x1f' + std::string(name));
    // Made after the read, in a loop around both: the loop's next turn.
    // (One made before it, in this turn, is in `own` already; another
    // reading's copy of it, `x=$v`, is not this one's.)
    auto in_loop = [&](const ShellArguments::Later& e) {
      return e.at > at_ && std::any_of(e.loops.begin(), e.loops.end(), [&](size_t id) {
               return std::find(loops_.begin(), loops_.end(), id) != loops_.end();
             });
    };
    auto at = arguments_->assigned.find(name);
    if (at != arguments_->assigned.end())
      for (const auto& e : at->second) {
        // (A function's `local` is seen by the functions it calls.)
        const bool reaches = local         ? e.local_in == fn && in_loop(e)
                             : !fn.empty() ? true
                                           : e.local_in.empty() && in_loop(e);
        if (reaches) later.push_back(&e);
      }
    // (Where in a loop it is read is not in the key: what reaches it only
    // shrinks as the reading goes on, so its count tells it.)
    context = std::string(local ? fn : std::string_view()) + (fn.empty() ? "" : "\x1d");
    for (size_t id : loops_) context += std::to_string(id) + ',';

    // How much this read saw: analyse_shell() reads again when the text
    // assigns more (ShellArguments::assigned_later).
    const size_t seen = at == arguments_->assigned.end() ? 0 : at->second.size();
    auto [read, fresh] = reads_.emplace(std::string(name), seen);
    if (!fresh) read->second = std::min(read->second, seen);
  }
  // More than the readings can cover: not read (and no list built for it).
  if (later.size() > kMaxReadings) {
    overflow_ = true;
    return {};
  }
  const bool opened = open_.count(name) || (!later.empty() && arguments_->open.count(name));
  if (run == values_->end() && !positional && own == assigned_.end() && later.empty()) return {};
  // What it may hold: the run's value, what the command gave it (from run
  // values first), and, when that came from a value or is not all known
  // (or it is a positional parameter), any value the command reads, whole
  // and word by word (`set -- $x; … "$2"`); for a ${x-W} form of a name the
  // command assigns, unset too ("").
  // Built once for each name, place, context and form while what it
  // depends on stays (a text that reads one name a thousand times in each
  // of 64 readings must not build its list each time).
  // The place it reads of the scope's ways: $1, or `local v=$1`'s $1.
  char place = '\0';
  if (arguments_ && positional) {
    place = name == "*" ? '@' : name[0];
  } else if (arguments_) {
    auto alias = arguments_->aliases.find(std::string(scope()) + '\x1f' + std::string(name));
    if (alias != arguments_->aliases.end()) place = alias->second;
  }
  std::string key = std::string(name) + '\x1f' + context + '\x1f' +
                    (place ? std::string(scope()) : std::string()) + (maybe_unset ? "-" : "");
  const size_t given = own == assigned_.end() ? 0 : own->second.size();
  Candidates& c = candidates_[std::move(key)];
  if (!c.built || c.given != given || c.opened != opened || c.reach != later.size()) {
    c = Candidates{
        .built = true, .given = given, .opened = opened, .reach = later.size(), .list = {}};
    build(c, name, maybe_unset, positional, place, own, later);
  }
  const std::vector<std::string>& list = c.list;
  if (list.empty()) return {};
  // One candidate per reading: the reading's digit for this name, or for
  // the scope's ways when it reads a place (ShellCrossing; judge() makes as
  // many readings as it asks for).
  const size_t digit = arguments_ ? arguments_->crossing.digit(
                                        place ? "\x1e" + std::string(scope()) : std::string(name),
                                        list.size(), choice_)
                                  : choice_;
  const std::string& pick = list[digit % list.size()];
  if (pick == kOpaque) return {};
  Known k = pick == kUnset ? Known{true, "", true} : Known{true, pick};
  // Bounded work and memory: past a total, a value reads as unknown (the
  // text's own reading stands).
  if (k.text.size() > budget_) return {};
  budget_ -= k.text.size();
  return k;
}

void Analyser::build(Candidates& c, std::string_view name, bool maybe_unset, bool positional,
                     char place, Assigned::const_iterator own,
                     const std::vector<const ShellArguments::Later*>& later) const {
  const auto run = values_->find(name);
  const bool opened = c.opened;
  std::vector<std::string>& list = c.list;
  auto add = [&](const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  // The place it reads comes first, as it is, repeats kept: every place's
  // list is aligned (reading N takes the Nth of each, one way the scope is
  // called).
  if (place) {
    if (arguments_->crowded.count(scope())) overflow_ = true;
    if (auto at = arguments_->by_scope.find(std::string(scope()) + '\x1f' + place);
        at != arguments_->by_scope.end())
      list.insert(list.end(), at->second.begin(), at->second.end());
  }
  if (run != values_->end()) add(run->second);
  if (own != assigned_.end())
    for (const auto& [words, from_value] : own->second)
      if (from_value) add(words);
  if (run == values_->end() && (positional || opened))
    for (const auto& v : spread_) {
      add(v);
      for (std::string_view field : fields_of(v)) add(std::string(field));
    }
  if (own != assigned_.end())
    for (const auto& [words, from_value] : own->second)
      if (!from_value) add(words);
  if (!later.empty()) {
    // Given only something not known so far, it stays not known in one
    // reading (`for c in "$@"` of a call rbk cannot read).
    if (list.empty() && open_.count(name)) add(kOpaque);
    for (const ShellArguments::Later* e : later) add(e->words);
  }
  if (maybe_unset && run == values_->end()) add(kUnset);
  if (list.size() > kMaxReadings) overflow_ = true;
}

size_t number_readings(const std::vector<size_t>& radix, size_t most, std::vector<size_t>& below) {
  // The narrowest digits are crossed while the readings stay within
  // `most`; the widest ones past that go in step with each other, after
  // them (with one of them alone, still every combination).
  std::vector<size_t> order(radix.size());
  for (size_t d = 0; d < order.size(); ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return radix[x] < radix[y]; });
  below.assign(radix.size(), 1);
  const size_t widest = order.empty() ? 1 : std::max<size_t>(radix[order.back()], 1);
  size_t crossed = 1, k = 0;
  for (; k < order.size(); ++k) {
    const size_t size = std::max<size_t>(radix[order[k]], 1);
    const size_t after = k + 1 < order.size() ? widest : 1;  // what the stepped ones need
    if (crossed * size * after > most) break;
    below[order[k]] = crossed;
    crossed *= size;
  }
  size_t stepped = 1;
  for (size_t j = k; j < order.size(); ++j) {
    below[order[j]] = crossed;  // in step: the same index for each
    stepped = std::max(stepped, radix[order[j]]);
  }
  return std::min(crossed * stepped, most);
}

std::string_view Analyser::function() const {
  for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s)
    if (!s->starts_with('#')) return *s;
  return {};
}

void Analyser::assigned(std::string_view name, const std::string* words, bool from_value,
                        bool local) {
  if (!values_) return;
  // A run value's name keeps the run's value as a candidate on every path,
  // with what the command gives it (`[ -n "$x" ] || x=-delete`).
  auto& all = assigned_[std::string(name)];
  const std::string_view fn = function();
  const std::string key = std::string(fn) + '\x1f' + std::string(name);
  if (local && !fn.empty()) locals_.insert(key);
  // A plain assignment of a name the body made `local` is to that local.
  local = local || (!fn.empty() && locals_.count(key) > 0);
  if (words) {
    auto& where = made_[std::string(name)];
    ShellArguments::Later e{.words = *words,
                            .local_in = local ? std::string(fn) : std::string(),
                            .loops = loops_,
                            .at = at_};
    if (where.size() < ShellArguments::kMostAssigned &&
        std::find(where.begin(), where.end(), e) == where.end())
      where.push_back(std::move(e));
  }
  if ((!words || from_value) && !values_->count(name)) open_.emplace(name);
  // Bounded: a loop of assignments must not grow this without end.
  if (words && std::find(all.begin(), all.end(), std::make_pair(*words, from_value)) == all.end()) {
    if (all.size() < kMaxReadings)
      all.emplace_back(*words, from_value);
    else
      overflow_ = true;  // a word past the readings would go unread
  }
}

}  // namespace rbk::shell_detail

namespace rbk {

size_t ShellCrossing::digit(const std::string& key, size_t size, size_t reading) {
  size = std::max<size_t>(size, 1);
  auto [at, fresh] = slot_.emplace(key, radix_.size());
  if (fresh) {
    radix_.push_back(size);
    grown_ = true;
    renumber();
  } else if (size > radix_[at->second]) {
    radix_[at->second] = size;
    grown_ = true;
    renumber();
  }
  const size_t d = at->second;
  return (reading / below_[d]) % radix_[d];
}

void ShellCrossing::renumber() {
  readings_ = shell_detail::number_readings(radix_, kMostReadings, below_);
}

}  // namespace rbk
