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
  // What the text assigns it anywhere, as the readings so far found it: a
  // function's body is read where it is defined, before its calls.
  const std::vector<std::pair<std::string, bool>>* later = nullptr;
  if (arguments_)
    if (auto at = arguments_->assigned.find(name); at != arguments_->assigned.end())
      later = &at->second;
  if (!positional) {
    // How many words this read knew of, for analyse_shell() to tell
    // whether the text assigns more after it.
    std::set<std::string_view> known;
    if (own != assigned_.end())
      for (const auto& w : own->second) known.insert(w.first);
    if (later)
      for (const auto& w : *later) known.insert(w.first);
    auto [at, fresh] = reads_.emplace(std::string(name), known.size());
    if (!fresh) at->second = std::min(at->second, known.size());
  }
  const bool opened = open_.count(name) || (arguments_ && arguments_->open.count(name));
  if (run == values_->end() && !positional && own == assigned_.end() && !later) return {};
  // What it may hold: the run's value, what the command gave it (from run
  // values first), and, when that came from a value or is not all known
  // (or it is a positional parameter), any value the command reads, whole
  // and word by word (`set -- $x; … "$2"`); for a ${x-W} form of a name the
  // command assigns, unset too ("").
  std::vector<std::string> list;
  auto add = [&](const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  // The place it reads of the scope's ways ($1, or `local v=$1`'s $1) comes
  // first, as it is, repeats kept: every place's list is aligned (reading N
  // takes the Nth of each, one way the scope is called).
  char place = '\0';
  if (arguments_ && positional) {
    place = name == "*" ? '@' : name[0];
  } else if (arguments_) {
    auto alias = arguments_->aliases.find(std::string(scope()) + '\x1f' + std::string(name));
    if (alias != arguments_->aliases.end()) place = alias->second;
  }
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
  if (later) {
    // Given only something not known so far, it stays not known in one
    // reading (`for c in "$@"` of a call rbk cannot read).
    if (list.empty() && open_.count(name)) add(kOpaque);
    for (const auto& [words, from_value] : *later) add(words);
  }
  if (maybe_unset && run == values_->end()) add(kUnset);
  if (list.empty()) return {};
  // One candidate per reading: the reading's digit for this name, or for
  // the scope's ways when it reads a place (ShellCrossing; judge() makes as
  // many readings as it asks for).
  readings_ = std::max(readings_, std::min(list.size(), kMaxReadings));
  if (list.size() > kMaxReadings) overflow_ = true;
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

void Analyser::assigned(std::string_view name, const std::string* words, bool from_value) {
  if (!values_) return;
  // A run value's name keeps the run's value as a candidate on every path,
  // with what the command gives it (`[ -n "$x" ] || x=-delete`).
  auto& all = assigned_[std::string(name)];
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
  auto at =
      std::find_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s.first == key; });
  if (at == slots_.end()) {
    slots_.emplace_back(key, size);
    grown_ = true;
    at = slots_.end() - 1;
  } else if (size > at->second) {
    at->second = size;
    grown_ = true;
  }
  if (!crossed()) return reading;
  size_t below = 1;  // the product of the radices of the digits before this one
  for (auto s = slots_.begin(); s != at; ++s) below *= std::max<size_t>(s->second, 1);
  return (reading / below) % std::max<size_t>(at->second, 1);
}

bool ShellCrossing::crossed() const {
  size_t product = 1;
  for (const auto& s : slots_)
    if ((product *= std::max<size_t>(s.second, 1)) > shell_detail::Analyser::kMaxReadings)
      return false;
  return true;
}

size_t ShellCrossing::readings() const {
  size_t product = 1, widest = 1;
  for (const auto& s : slots_) {
    widest = std::max(widest, s.second);
    product =
        std::min(product * std::max<size_t>(s.second, 1), shell_detail::Analyser::kMaxReadings + 1);
  }
  return product <= shell_detail::Analyser::kMaxReadings
             ? product
             : std::min(widest, shell_detail::Analyser::kMaxReadings);
}

}  // namespace rbk
