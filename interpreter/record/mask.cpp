#include "interpreter/record/mask.hpp"

#include <algorithm>
#include <set>
#include <type_traits>

#include <re2/re2.h>

#include "interpreter/base/fields_walk.hpp"

namespace rbk {

namespace {

using Range = std::pair<size_t, size_t>;

// Spaces, tabs and line ends around a secret's value or one of its lines.
std::string_view trim_blanks(std::string_view s) {
  const char* blanks = " \t\r\n";
  size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}

// Sorts ranges and merges the ones that overlap or touch: two secrets side by
// side become one kMask, and an overlap never leaves a fragment between masks.
void merge(std::vector<Range>& ranges) {
  if (ranges.size() < 2) return;
  std::sort(ranges.begin(), ranges.end());
  size_t out = 0;
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first <= ranges[out].second) {
      ranges[out].second = std::max(ranges[out].second, ranges[i].second);
    } else {
      ranges[++out] = ranges[i];
    }
  }
  ranges.resize(out + 1);
}

}  // namespace

Masker::Masker(std::vector<std::string> secrets, const std::vector<std::string>& patterns) {
  for (auto& s : secrets) add_secret(std::move(s));
  RE2::Options opts;
  opts.set_log_errors(false);
  for (const auto& p : patterns) {
    auto re = std::make_shared<const re2::RE2>(p, opts);
    if (re->ok()) patterns_.push_back(std::move(re));
  }
}

void Masker::add_secret(std::string value) {
  if (value.empty()) return;
  // What a command is likely to print of a secret besides the whole value:
  // the value without surrounding blanks, and each line of a multi-line one
  // (a PEM key, a JSON document), also without blanks. Fragments shorter
  // than kMinFragment are left alone: masking every "}" of a JSON secret
  // would garble all output and hide nothing worth hiding.
  auto fragment = [&](std::string_view f) {
    f = trim_blanks(f);
    if (f.size() >= kMinFragment && f.size() < value.size()) add_literal(std::string(f));
  };
  fragment(value);
  if (value.find('\n') != std::string::npos) {
    for (size_t begin = 0; begin <= value.size();) {
      size_t nl = value.find('\n', begin);
      size_t end = nl == std::string::npos ? value.size() : nl;
      fragment(std::string_view(value).substr(begin, end - begin));
      if (nl == std::string::npos) break;
      begin = nl + 1;
    }
  }
  add_literal(std::move(value));
}

void Masker::add_literal(std::string value) {
  if (value.empty()) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  // Longest first; among equal lengths, in the order learned.
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const std::string& s) { return s.size() < value.size(); });
  secrets_.insert(at, std::move(value));
}

std::vector<Range> Masker::ranges(std::string_view text) const {
  std::vector<Range> out;
  for (const auto& s : secrets_) {
    // Every occurrence, overlapping ones too ("aa" twice in "aaa"): their
    // union is masked, so no part of any occurrence survives.
    for (size_t pos = text.find(s); pos != std::string_view::npos; pos = text.find(s, pos + 1))
      out.emplace_back(pos, pos + s.size());
  }
  if (!patterns_.empty()) {
    size_t begin = 0;
    while (begin < text.size()) {
      size_t nl = text.find('\n', begin);
      size_t end = nl == std::string_view::npos ? text.size() : nl;
      // The line alone is the text, so ^ and $ mean its start and end.
      std::string_view line = text.substr(begin, end - begin);
      for (const auto& re : patterns_) {
        size_t pos = 0;
        re2::StringPiece m;
        while (pos <= line.size() && re->Match(line, pos, line.size(), RE2::UNANCHORED, &m, 1)) {
          size_t b = static_cast<size_t>(m.data() - line.data());
          size_t e = b + m.size();
          if (e > b) out.emplace_back(begin + b, begin + e);
          pos = e > b ? e : b + 1;  // an empty match masks nothing; move on
        }
      }
      if (nl == std::string_view::npos) break;
      begin = nl + 1;
    }
  }
  merge(out);
  return out;
}

std::string Masker::mask(std::string_view text) const {
  if (empty()) return std::string(text);
  std::vector<Range> rs = ranges(text);
  if (rs.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const auto& [b, e] : rs) {
    out.append(text.substr(pos, b - pos));
    out.append(kMask);
    pos = e;
  }
  out.append(text.substr(pos));
  return out;
}

nlohmann::json Masker::mask(const nlohmann::json& j) const {
  if (empty()) return j;
  if (j.is_string()) return mask(std::string_view(j.get_ref<const std::string&>()));
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = mask(it.value());
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(mask(v));
    return out;
  }
  return j;  // numbers, booleans, null, binary: nothing to mask
}

namespace {

/// Masks one leaf of an event by its type: Text and JsonValue are masked;
/// names, enums, numbers and booleans not.
struct EventLeafMasker {
  const Masker& m;
  void operator()(ev::Text& t) const { t.value = m.mask(t.value); }
  void operator()(ev::JsonValue& j) const { j.value = m.mask(j.value); }
  template <class T>
  void operator()(T&) const {
    static_assert(!std::is_class_v<T> || std::is_same_v<T, std::string>,
                  "a field type EventLeafMasker does not know: say whether it is masked");
  }
};

}  // namespace

void Masker::mask(Event& e) const {
  if (empty()) return;
  EventLeafMasker leaf{*this};
  std::visit([&](auto& b) { for_each_leaf(b, leaf); }, e.body);
}

size_t Masker::longest_secret() const {
  return secrets_.empty() ? 0 : secrets_.front().size();
}

size_t Masker::longest_multiline_secret() const {
  for (const auto& s : secrets_)  // longest first: the first one found is the answer
    if (s.find('\n') != std::string::npos) return s.size();
  return 0;
}

bool Masker::empty() const {
  return secrets_.empty() && patterns_.empty();
}

StreamMasker::StreamMasker(const Masker& masker, size_t max_line)
    : masker_(masker), max_line_(max_line) {}

std::string StreamMasker::push(std::string_view chunk) {
  if (chunk.empty()) return {};
  // Nothing to mask, now or before (a masker only grows, so nothing is held
  // back either): the chunk goes out as it came, in one copy rather than two.
  if (masker_.empty() && pending_.empty()) return std::string(chunk);
  const bool has_newline = chunk.find('\n') != std::string_view::npos;
  const bool by_line = !masker_.patterns_.empty();
  pending_.append(chunk);
  if (by_line && !has_newline && pending_.size() <= max_line_) return {};  // nothing new

  const size_t size = pending_.size();
  // Bytes at the end that may be the start of a secret the next chunk completes.
  auto tail = [size](size_t longest) {
    size_t hold = longest > 1 ? longest - 1 : 0;
    return size > hold ? size - hold : 0;
  };
  // Whole lines go out: a secret without a newline cannot cross a line end,
  // and patterns apply within a line, so matching the lines alone is exact.
  size_t last_nl = pending_.rfind('\n');
  size_t upto = last_nl == std::string::npos ? 0 : last_nl + 1;
  size_t scan_end = upto;
  // A secret with a newline can: keep enough bytes to see it whole (and
  // with patterns, cut at a line end still, so none is cut short).
  if (size_t lm = masker_.longest_multiline_secret(); lm > 1) {
    if (size_t limit = tail(lm); upto > limit) {
      size_t nl = limit > 0 ? pending_.rfind('\n', limit - 1) : std::string::npos;
      upto = !by_line ? limit : nl == std::string::npos ? 0 : nl + 1;
    }
    scan_end = size;
  }
  // Without patterns nothing needs a whole line, and an over-long line goes
  // out in pieces: all but the bytes that could start a split secret.
  if (!by_line || size - upto > max_line_) {
    upto = std::max(upto, tail(masker_.longest_secret()));
    scan_end = size;
  }
  return release(upto, scan_end);
}

std::string StreamMasker::finish() {
  std::string out = release(pending_.size(), pending_.size());
  pending_.clear();
  masked_prefix_ = 0;
  mask_open_ = false;
  return out;
}

std::string StreamMasker::release(size_t upto, size_t scan_end) {
  if (upto == 0) return {};
  std::string_view text(pending_);
  std::vector<Range> rs = masker_.ranges(text.substr(0, scan_end));
  if (masked_prefix_ > 0) {
    rs.emplace_back(0, masked_prefix_);
    merge(rs);
  }
  std::string out;
  out.reserve(upto);
  size_t pos = 0;
  size_t carry = 0;
  bool open = false;
  for (const auto& [b, e] : rs) {
    if (b >= upto) break;
    out.append(text.substr(pos, b - pos));
    // A range at 0 continues the kMask the last release ended with (one
    // mask, as when masking the whole text: ranges that touch merge).
    if (!(b == 0 && mask_open_)) out.append(kMask);
    open = e >= upto;
    if (e > upto) {
      // The range crosses the cut: its kMask is out; its rest stays here
      // (so a secret that starts inside it is still seen whole) and is
      // masked silently next time.
      carry = e - upto;
      pos = upto;
      break;
    }
    pos = e;
  }
  if (pos < upto) out.append(text.substr(pos, upto - pos));
  pending_.erase(0, upto);
  masked_prefix_ = carry;
  mask_open_ = open;
  return out;
}

}  // namespace rbk
