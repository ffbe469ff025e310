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
  // What the text assigns it anywhere, as the readings so far found it,
  // for a read that may come after assignments written below it: in a
  // function's body (read where it is defined, before its calls) of a name
  // the body has not assigned itself yet, or of a name nothing assigned so
  // far (a loop's next turn). A name already given a value where it is
  // read keeps that value: a `local` of its own, `x=$y` just before.
  const std::vector<std::pair<std::string, bool>>* later = nullptr;
  bool mine = true;
  if (arguments_ && !positional) {
    const std::string_view in = scope();
    // In a function's body, or in `sh -c` code written in one.
    const bool body = std::any_of(scopes_.begin(), scopes_.end(),
                                  [](const std::string& s) { return !s.starts_with('#'); });
    mine = body ? scoped_.count(std::string(in) + '\x1f' + std::string(name)) > 0
                : own != assigned_.end();
    if (!mine) {
      auto at = arguments_->assigned.find(name);
      if (at != arguments_->assigned.end()) later = &at->second;
      // How much of it this read saw: analyse_shell() reads again when the
      // text assigns more (ShellArguments::assigned_later).
      const size_t seen = later ? later->size() : 0;
      auto [read, fresh] = reads_.emplace(std::string(name), seen);
      if (!fresh) read->second = std::min(read->second, seen);
    }
  }
  const bool opened = open_.count(name) || (later && arguments_->open.count(name));
  if (run == values_->end() && !positional && own == assigned_.end() && !later) return {};
  // What it may hold: the run's value, what the command gave it (from run
  // values first), and, when that came from a value or is not all known
  // (or it is a positional parameter), any value the command reads, whole
  // and word by word (`set -- $x; … "$2"`); for a ${x-W} form of a name the
  // command assigns, unset too ("").
  // Built once for each name, scope and form while what it depends on
  // stays (a text that reads one name a thousand times in each of 64
  // readings must not build its list each time).
  std::string key = std::string(name) + '\x1f' + std::string(scope()) + (maybe_unset ? "-" : "");
  const size_t given = own == assigned_.end() ? 0 : own->second.size();
  Candidates& c = candidates_[std::move(key)];
  if (!c.built || c.given != given || c.opened != opened || c.mine != mine) {
    c = Candidates{
        .built = true, .given = given, .opened = opened, .mine = mine, .place = 0, .list = {}};
    build(c, name, maybe_unset, positional, own, later);
  }
  const std::vector<std::string>& list = c.list;
  if (list.empty()) return {};
  // One candidate per reading: the reading's digit for this name, or for
  // the scope's ways when it reads a place (ShellCrossing; judge() makes as
  // many readings as it asks for).
  const size_t digit = arguments_ ? arguments_->crossing.digit(
                                        c.place ? "\x1e" + std::string(scope()) : std::string(name),
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
                     Assigned::const_iterator own,
                     const std::vector<std::pair<std::string, bool>>* later) const {
  const auto run = values_->find(name);
  const bool opened = c.opened;
  std::vector<std::string>& list = c.list;
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
  c.place = place;
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
  readings_ = std::max(readings_, std::min(list.size(), kMaxReadings));
  if (list.size() > kMaxReadings) overflow_ = true;
}

void Analyser::assigned(std::string_view name, const std::string* words, bool from_value) {
  if (!values_) return;
  // A run value's name keeps the run's value as a candidate on every path,
  // with what the command gives it (`[ -n "$x" ] || x=-delete`).
  auto& all = assigned_[std::string(name)];
  scoped_.insert(std::string(scope()) + '\x1f' + std::string(name));
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
  if (!crossed()) return reading;
  return (reading / below_[at->second]) % radix_[at->second];
}

void ShellCrossing::renumber() {
  constexpr size_t kMost = shell_detail::Analyser::kMaxReadings;
  below_.resize(radix_.size());
  product_ = 1;
  widest_ = 1;
  for (size_t d = 0; d < radix_.size(); ++d) {
    below_[d] = product_;
    widest_ = std::max(widest_, radix_[d]);
    product_ = std::min(product_ * radix_[d], kMost + 1);
  }
}

bool ShellCrossing::crossed() const {
  return product_ <= shell_detail::Analyser::kMaxReadings;
}

size_t ShellCrossing::readings() const {
  return crossed() ? product_ : std::min(widest_, shell_detail::Analyser::kMaxReadings);
}

}  // namespace rbk
