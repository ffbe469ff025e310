// The shell analysis: lexing words, quotes, expansions and substitutions.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

// ------------------------------------------------------------------ lexing

void Parser::skip_blanks() {
  while (i_ < end_) {
    char c = s_[i_];
    if (blank(c)) {
      ++i_;
    } else if (c == '\\' && at(i_ + 1) == '\n') {
      i_ += 2;  // a line continuation joins the lines
    } else if (c == '#') {
      while (i_ < end_ && s_[i_] != '\n') ++i_;
    } else {
      break;
    }
  }
}

Token Parser::next() {
  skip_blanks();
  Token t;
  t.start = i_;
  // Where the reading is, in the command's text (code decoded from a word,
  // `sh -c '…'` or `eval "…"`, where that word is).
  a_.at(origin_.range(i_, i_).begin);
  if (i_ >= end_) return t;
  char c = s_[i_];
  if (c == '\n') {
    ++i_;
    t.kind = Token::Newline;
    return t;
  }
  // An io number: `2>`, `1>>`, `0<`.
  size_t j = i_;
  while (j < end_ && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
  if (j > i_ && (at(j) == '<' || at(j) == '>') && at(j + 1) != '(') {
    i_ = j;
    c = s_[i_];
  }
  if ((c == '<' || c == '>') && at(i_ + 1) == '(' && j == i_) {
    t.kind = Token::Word;  // a process substitution <(…) or >(…)
    t.word = word();
    t.raw = s_.substr(t.start, i_ - t.start);
    return t;
  }
  static const char* const kOps[] = {";;&", ";;", ";&", ";",   "&&",  "&>>", "&>", "&",
                                     "||",  "|&", "|",  "<<<", "<<-", "<<",  "<>", "<&",
                                     "<",   ">>", ">|", ">&",  ">",   "(",   ")"};
  // Most tokens are words: the table is read only where an operator can start.
  if (std::string_view(";&|<>()").find(c) != std::string_view::npos) {
    for (const char* op : kOps) {
      size_t n = std::strlen(op);
      if (i_ + n <= end_ && s_.compare(i_, n, op) == 0) {
        t.kind = Token::Op;
        t.op = op;
        i_ += n;
        return t;
      }
    }
  }
  t.kind = Token::Word;
  t.word = word();
  t.raw = s_.substr(t.start, i_ - t.start);
  t.splits = std::move(splits_);
  t.unknown = std::move(unknown_);
  t.used_value = used_value_;
  t.expands_elsewhere = t.word.expands;
  t.word.expands = t.word.expands || !t.unknown.empty();
  return t;
}

ShellWord Parser::word() {
  ShellWord w;
  splits_.clear();
  unknown_.clear();
  used_value_ = false;
  const size_t b = i_;
  bool bracket = false;  // an unquoted [ so far
  while (i_ < end_) {
    char c = s_[i_];
    if ((c == '<' || c == '>') && at(i_ + 1) == '(') {
      size_t start = i_;
      i_ += 2;
      nested_list(w, start);
      continue;
    }
    if (word_end(c)) break;
    if (c == '\\') {
      if (at(i_ + 1) == '\n') {
        i_ += 2;
      } else if (i_ + 1 < end_) {
        w.text += s_[i_ + 1];
        i_ += 2;
      } else {
        ++i_;
      }
    } else if (c == '\'') {
      size_t close = s_.find('\'', i_ + 1);
      if (close == std::string_view::npos || close >= end_) close = end_;
      w.text.append(s_.substr(i_ + 1, close - i_ - 1));
      i_ = std::min(close + 1, end_);
    } else if (c == '"') {
      ++i_;
      dquote(w);
    } else if (c == '$') {
      dollar(w, false);
    } else if (c == '`') {
      backtick(w);
    } else {
      // A pattern: * or ?, or [ with a ] after it (a lone `[` is test(1)).
      if (c == '*' || c == '?' || (c == ']' && bracket)) w.globs = true;
      bracket = bracket || c == '[';
      w.text += c;
      ++i_;
    }
  }
  w.at = range(b, i_);
  std::string_view raw = s_.substr(b, i_ - b);
  if (raw == w.text)
    w.verbatim = origin_.verbatim(b);
  else if (raw.size() == w.text.size() + 2 && (raw.front() == '\'' || raw.front() == '"') &&
           raw.back() == raw.front() && raw.substr(1, w.text.size()) == w.text)
    w.verbatim = origin_.verbatim(b + 1);
  return w;
}

void Parser::dquote(ShellWord& w) {
  Nest nest(nest_);
  while (i_ < end_ && s_[i_] != '"') {
    char c = s_[i_];
    if (c == '\\' && i_ + 1 < end_) {
      char d = s_[i_ + 1];
      if (d == '\n') {
        i_ += 2;
      } else if (d == '$' || d == '`' || d == '"' || d == '\\') {
        w.text += d;
        i_ += 2;
      } else {
        w.text += c;
        ++i_;
      }
    } else if (c == '$') {
      dollar(w, true);
    } else if (c == '`') {
      backtick(w);
    } else {
      w.text += c;
      ++i_;
    }
  }
  if (i_ < end_) ++i_;
}

void Parser::dollar(ShellWord& w, bool in_double) {
  const size_t start = i_;
  char d = at(i_ + 1);
  if (d == '\'' && !in_double) {
    ansi_c(w);
    return;
  }
  if (d == '(') {
    if (at(i_ + 2) == '(') {
      arith(i_ + 3);
    } else {
      i_ += 2;
      nested_list(w, start);
      return;
    }
  } else if (d == '{') {
    // ${NAME…} of a known value: its forms resolved as the shell does, when
    // what they give is known; ${#NAME}, ${NAME/…}, ${NAME:1} and the rest
    // stay unknown. ${1…}, ${@…} alike; ${NAME[@]} reads as NAME.
    size_t e = i_ + 2;
    const bool named = name_start(at(e));
    const bool pos = !named && positional(at(e)) && !name_char(at(e + 1));  // not ${10}
    if (named)
      while (e < end_ && name_char(s_[e])) ++e;
    else if (pos)
      ++e;
    const std::string name(s_.substr(i_ + 2, e - i_ - 2));
    bool every = name == "@";  // one word per element, in quotes too
    if (named && at(e) == '[') {
      // An array's elements, or one of them: read as any of its words.
      size_t close = e + 1;
      while (close < end_ && s_[close] != ']' && s_[close] != '}') ++close;
      if (at(close) == ']') {
        every = at(e + 1) != '*' || close != e + 2;
        e = close + 1;
      }
    }
    i_ += 2;
    braced();  // to the matching }, reading the commands inside
    if (named || pos) {
      Analyser::Known out = expansion(name, e);
      if (out.known) {
        substitute(w, out, in_double && !every, s_.substr(start, i_ - start));
        return;
      }
    }
  } else if (name_start(d)) {
    i_ += 2;
    while (i_ < end_ && name_char(s_[i_])) ++i_;
    if (Analyser::Known known = a_.value(s_.substr(start + 1, i_ - start - 1)); known.known) {
      substitute(w, known, in_double, s_.substr(start, i_ - start));
      return;
    }
  } else if (d != '\0' &&
             (std::isdigit(static_cast<unsigned char>(d)) || std::strchr("@*#?-$!", d))) {
    i_ += 2;
    // $1, $@, $*: a function's or `set --`'s arguments, which may be values.
    if (positional(d)) {
      if (Analyser::Known known = a_.value(s_.substr(start + 1, 1)); known.known) {
        // "$@" is one word per argument, as unquoted words split.
        substitute(w, known, in_double && d != '@', s_.substr(start, 2));
        return;
      }
    }
  } else {
    w.text += '$';
    ++i_;
    return;
  }
  w.text.append(s_.substr(start, i_ - start));
  w.expands = true;
}

Analyser::Known Parser::word_value(std::string_view word) const {
  // WORD of ${x:-WORD} or ${x:+WORD}: literal, or one value ("$y", ${y}).
  if (word.size() >= 2 && word.front() == '\'' && word.back() == '\'' &&
      word.find('\'', 1) == word.size() - 1)
    return {true, std::string(word.substr(1, word.size() - 2))};
  if (word.size() >= 2 && word.front() == '"' && word.back() == '"')
    word = word.substr(1, word.size() - 2);
  std::string_view ref;
  if (word.starts_with("${") && word.ends_with("}"))
    ref = word.substr(2, word.size() - 3);
  else if (word.starts_with("$"))
    ref = word.substr(1);
  if (!ref.empty() && name_start(ref[0]) && std::all_of(ref.begin(), ref.end(), name_char))
    return a_.value(ref);
  if (ref.size() == 1 && positional(ref[0])) return a_.value(ref);  // ${2:+"$2"}
  if (word.find_first_of("$`\\'\"*?[](){}<>|&;") == std::string_view::npos)
    return {true, std::string(word)};
  return {};
}

Analyser::Known Parser::expansion(const std::string& name, size_t e) const {
  // e: just past NAME in ${NAME…}; i_: just past the closing }.
  const char op = at(e);
  const bool colon = op == ':';
  const char kind = colon ? at(e + 1) : op;
  // For the forms that test it, a name the command assigns may be unset yet.
  const Analyser::Known x = a_.value(name, kind == '-' || kind == '=' || kind == '+');
  if (!x.known) return {};
  if (op == '}') return x;
  if ((name == "@" || name == "*") && colon && std::isdigit(static_cast<unsigned char>(kind))) {
    // ${@:K}, ${@:K:N}: the arguments from the Kth on (K = 0 counts $0).
    size_t k = e + 1, skip = 0, count = std::string::npos;
    while (std::isdigit(static_cast<unsigned char>(at(k))))
      skip = skip * 10 + static_cast<size_t>(at(k++) - '0');
    if (at(k) == ':') {
      count = 0;
      ++k;
      while (std::isdigit(static_cast<unsigned char>(at(k))))
        count = count * 10 + static_cast<size_t>(at(k++) - '0');
    }
    if (at(k) != '}') return {};
    const std::vector<std::string_view> fields = fields_of(x.text);
    Analyser::Known out{true, ""};
    for (size_t n = skip > 0 ? skip - 1 : 0, taken = 0; n < fields.size() && taken < count;
         ++n, ++taken)
      out.text += (out.text.empty() ? "" : " ") + std::string(fields[n]);
    return out;
  }
  const size_t from = e + (colon ? 2 : 1);
  const std::string_view word = from < i_ ? s_.substr(from, i_ - 1 - from) : std::string_view();
  // Without `:` the forms test unset only; with it, empty too.
  const bool empty = colon ? x.text.empty() : x.unset;
  switch (kind) {
    case '-':
    case '=':  // the value, or WORD when it is empty (with `:`) or unset
      return empty ? word_value(word) : x;
    case '?':
      return x;
    case '+':  // WORD when set (with `:`, when not empty): the optional-flag idiom
      return empty ? Analyser::Known{true, ""} : word_value(word);
    case '#':
    case '%': {  // a literal prefix or suffix trimmed; a pattern is not known here
      if (colon) return {};
      std::string_view pattern = word;
      if (!pattern.empty() && pattern.front() == kind) pattern.remove_prefix(1);  // ## and %%
      if (pattern.find_first_of("*?[]$`\\'\"") != std::string_view::npos) return {};
      Analyser::Known t = x;
      if (kind == '#' && t.text.starts_with(pattern)) t.text.erase(0, pattern.size());
      if (kind == '%' && t.text.ends_with(pattern)) t.text.resize(t.text.size() - pattern.size());
      return t;
    }
    default:
      return {};
  }
}

void Parser::substitute(ShellWord& w, const KnownValue& k, bool in_double, std::string_view ref) {
  const std::string& value = k.text;
  used_value_ = true;
  if (in_double) {
    if (Analyser::verb_like(value)) {
      w.text += value;
    } else {
      w.text.append(ref);  // data: as unknown as in the text
      w.expands = true;
    }
    return;
  }
  // Split at the default IFS (blank, tab, line break); fields that are not
  // verb_like stand, together, for one `ref`, unknown. With no verb_like
  // field at all, the word is as unknown as in the text, and not split (a
  // loop over paths must not break "$DIR/$f" into words).
  const std::vector<std::string_view> fields = fields_of(value);
  if (std::none_of(fields.begin(), fields.end(), Analyser::verb_like)) {
    if (fields.empty()) return;  // an empty value: nothing
    w.text.append(ref);
    w.expands = true;
    return;
  }
  auto split = [&] {
    if (splits_.empty() || splits_.back() != w.text.size()) splits_.push_back(w.text.size());
  };
  const bool blank_before = value.find_first_of(" \t\n") == 0;
  const bool blank_after = !value.empty() && std::strchr(" \t\n", value.back());
  if (blank_before) split();
  bool unknown_last = false;
  for (size_t n = 0; n < fields.size(); ++n) {
    const bool known = Analyser::verb_like(fields[n]);
    if (!known && unknown_last) continue;  // one `ref` for a run of unknown fields
    if (n > 0) split();
    if (known) {
      w.text.append(fields[n]);
    } else {
      unknown_.emplace_back(w.text.size(), w.text.size() + ref.size());
      w.text.append(ref);
    }
    unknown_last = !known;
  }
  if (blank_after) split();
}

void Parser::push_word(RawCommand& c, Token& t) {
  if (t.splits.empty()) {
    // An unquoted expansion of an empty value is no word at all (`find srv
    // $extra -delete` with extra="" has two words before -delete).
    if (t.word.text.empty() && t.used_value && t.raw.find_first_of("'\"") == std::string_view::npos)
      return;
    c.words.push_back(std::move(t.word));
    return;
  }
  // A value split the word: each field is a word of its own (an empty one
  // is none), read at the whole word's place, unknown where its field is.
  const std::string text = std::move(t.word.text);
  ShellWord field = std::move(t.word);
  field.verbatim = std::string::npos;
  size_t from = 0;
  t.splits.push_back(text.size());
  for (size_t to : t.splits) {
    if (to > from) {
      field.text.assign(text, from, to - from);
      field.expands = t.expands_elsewhere ||
                      std::any_of(t.unknown.begin(), t.unknown.end(),
                                  [&](const auto& u) { return u.first < to && u.second > from; });
      c.words.push_back(field);
    }
    from = to;
  }
}

std::vector<std::string_view> fields_of(std::string_view value) {
  std::vector<std::string_view> fields;
  for (size_t at = value.find_first_not_of(" \t\n"); at != std::string_view::npos;) {
    const size_t end = std::min(value.find_first_of(" \t\n", at), value.size());
    fields.push_back(value.substr(at, end - at));
    at = value.find_first_not_of(" \t\n", end);
  }
  return fields;
}

bool Analyser::verb_like(std::string_view v) {
  if (v.size() > 1024) return false;  // before trimming: bounded work per use
  while (!v.empty() && (blank(v.back()) || v.back() == '\n')) v.remove_suffix(1);
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  if (v.size() > 256) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           (c != '\0' && std::strchr(" \t-_+.,=@%{};", c) != nullptr);
  });
}

void Parser::nested_list(ShellWord& w, size_t start) {
  // i_ is just past the opening "$(" (or "<(", ">("): the same text, parsed
  // as a list up to its ")".
  Parser sub(a_, s_, i_, end_, origin_, depth_ + 1);
  sub.list(true);
  i_ = sub.pos();
  w.text.append(s_.substr(start, i_ - start));
  w.expands = true;
}

void Parser::backtick(ShellWord& w) {
  const size_t start = i_;
  ++i_;
  std::string body;
  bool escapes = false;
  while (i_ < end_ && s_[i_] != '`') {
    if (s_[i_] == '\\' && i_ + 1 < end_ && std::strchr("\\`$", s_[i_ + 1])) {
      body += s_[i_ + 1];
      i_ += 2;
      escapes = true;
      continue;
    }
    body += s_[i_++];
  }
  Origin o;
  if (escapes) {
    o.exact = false;
    o.whole = range(start, std::min(i_ + 1, end_));
  } else if (origin_.exact) {
    o.base = origin_.base + start + 1;
  } else {
    o = origin_;
  }
  if (i_ < end_) ++i_;
  Parser sub(a_, body, 0, body.size(), o, depth_ + 1);
  sub.list(false);
  w.text.append(s_.substr(start, i_ - start));
  w.expands = true;
}

void Parser::ansi_c(ShellWord& w) {
  // $'…' (bash; dash reads it differently): decoded, which is the safe reading.
  i_ += 2;
  while (i_ < end_ && s_[i_] != '\'') {
    char c = s_[i_];
    if (c != '\\' || i_ + 1 >= end_) {
      w.text += c;
      ++i_;
      continue;
    }
    char e = s_[i_ + 1];
    i_ += 2;
    auto hex = [&](size_t max) {
      unsigned v = 0;
      size_t n = 0;
      while (n < max && i_ < end_ && std::isxdigit(static_cast<unsigned char>(s_[i_]))) {
        char h = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_++])));
        v = v * 16 + static_cast<unsigned>(h <= '9' ? h - '0' : h - 'a' + 10);
        ++n;
      }
      return v;
    };
    // Single-letter escapes, by table: \n \t \r \a \b \f \v \e \E.
    static constexpr std::string_view kLetters = "ntrabfveE";
    static constexpr std::string_view kBytes = "\n\t\r\a\b\f\v\x1b\x1b";
    if (size_t k = kLetters.find(e); k != std::string_view::npos) {
      w.text += kBytes[k];
    } else if (e == 'x') {
      w.text += static_cast<char>(hex(2));
    } else if (e == 'u' || e == 'U') {
      w.text += '?';
      hex(e == 'u' ? 4 : 8);
    } else if (e == 'c') {
      if (i_ < end_) w.text += static_cast<char>(s_[i_++] & 0x1f);
    } else if (e >= '0' && e <= '7') {
      unsigned v = static_cast<unsigned>(e - '0');
      for (int n = 0; n < 2 && i_ < end_ && s_[i_] >= '0' && s_[i_] <= '7'; ++n)
        v = v * 8 + static_cast<unsigned>(s_[i_++] - '0');
      w.text += static_cast<char>(v);
    } else {
      w.text += e;  // \\ \' \" \? and anything else
    }
  }
  if (i_ < end_) ++i_;
}

void Parser::braced() {
  // Just past "${": up to the matching "}", following the expansions inside
  // (${x:-$(cmd)} runs cmd).
  Nest nest(nest_);
  while (i_ < end_) {
    char c = s_[i_];
    if (c == '}') {
      ++i_;
      return;
    }
    if (c == '\'') {
      size_t close = s_.find('\'', i_ + 1);
      i_ = close == std::string_view::npos || close >= end_ ? end_ : close + 1;
    } else if (c == '"') {
      ShellWord scratch;
      ++i_;
      dquote(scratch);
    } else {
      skip_expansion();
    }
  }
}

void Parser::skip_expansion() {
  ShellWord scratch;  // the text is not needed, only the commands inside
  char c = s_[i_];
  if (c == '\\')
    i_ += 2;
  else if (c == '$')
    dollar(scratch, true);
  else if (c == '`')
    backtick(scratch);
  else
    ++i_;
}

void Parser::arith(size_t from) {
  // From just past "$((" or "((": up to the matching "))".
  Nest nest(nest_);
  i_ = from;
  int depth = 2;
  while (i_ < end_ && depth > 0) {
    char c = s_[i_];
    if (c == '(') {
      ++depth, ++i_;
    } else if (c == ')') {
      --depth, ++i_;
    } else {
      skip_expansion();
    }
  }
}

}  // namespace rbk::shell_detail
