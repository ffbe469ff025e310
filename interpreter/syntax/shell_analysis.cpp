// The shell analysis: a lexer and a flat parser that finds simple commands
// (it does not need the shell's full grammar, only where each command starts
// and ends), then resolves each command through the wrappers that run
// another command (sudo, env, timeout, xargs, find -exec, sh -c, ssh, …).
// Every position is a byte offset of the analysed text; text decoded from a
// quoted word (an `sh -c` argument) maps back exactly when it is a verbatim
// copy, else to the whole word.
#include "interpreter/syntax/shell_analysis.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace rbk {

namespace {

/// Nesting beyond this ($( inside $( inside sh -c …) is reported as "cannot
/// analyse" rather than followed: it bounds the stack and the work.
constexpr int kMaxDepth = 64;

/// Thrown inside the analysis when the nesting is too deep; caught at the top.
struct TooDeep {};

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
/// Characters that end an unquoted word.
bool word_end(char c) {
  return blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
         c == '(' || c == ')';
}

/// Maps offsets of the text being parsed to offsets of the analysed text.
struct Origin {
  bool exact = true;
  size_t base = 0;   // exact: analysed-text offset of local offset 0
  ShellRange whole;  // not exact: every offset maps to this range

  ShellRange range(size_t b, size_t e) const {
    return exact ? ShellRange{base + b, base + e} : whole;
  }
  size_t verbatim(size_t local) const { return exact ? base + local : std::string::npos; }
  /// The origin of a text decoded from `w`.
  static Origin of(const ShellWord& w) {
    Origin o;
    o.exact = w.verbatim != std::string::npos;
    o.base = w.verbatim;
    o.whole = w.at;
    return o;
  }
};

/// A simple command as parsed, before its wrappers are resolved.
struct RawCommand {
  std::vector<ShellWord> words;
  std::vector<ShellRedirect> redirects;
  std::vector<ShellWord> input;
  bool piped = false;  // its standard input is the previous command's output
};

struct Token {
  enum Kind { End, Word, Op, Newline } kind = End;
  std::string op;
  ShellWord word;
  std::string_view raw;  // the word as written
  size_t start = 0;      // local offset, to read the token again
};

class Analyser;

/// Parses one text (the command, or a decoded `sh -c` argument, or a
/// backtick body) and hands each simple command to the Analyser.
class Parser {
 public:
  Parser(Analyser& a, std::string_view s, size_t begin, size_t end, Origin origin, int depth)
      : a_(a), s_(s), i_(begin), end_(end), origin_(origin), depth_(depth) {
    if (depth_ > kMaxDepth) throw TooDeep{};
  }

  /// Parses commands until the end, or (when `until_paren`) past the `)`
  /// that closes the list.
  void list(bool until_paren);
  /// Reads expansions ($(…), `…`) in here-document text up to the end.
  void expansions_only();
  size_t pos() const { return i_; }

 private:
  Analyser& a_;
  std::string_view s_;
  size_t i_;
  size_t end_;
  Origin origin_;
  int depth_;
  int case_depth_ = 0;
  bool expect_pattern_ = false;  // after `case WORD in` or `;;`
  int nest_ = 0;                 // quotes and ${…} inside each other

  /// Counts one level of quotes or ${…} inside each other, within bounds.
  struct Nest {
    explicit Nest(int& n) : n_(n) {
      if (++n_ > kMaxDepth) throw TooDeep{};
    }
    ~Nest() { --n_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    int& n_;
  };
  struct PendingDoc {
    size_t command;  // index in waiting_
    std::string delimiter;
    bool strip_tabs;
    bool quoted;
  };
  std::vector<RawCommand> waiting_;  // commands whose here-documents follow
  std::vector<PendingDoc> docs_;

  char at(size_t k) const { return k < end_ ? s_[k] : '\0'; }
  ShellRange range(size_t b, size_t e) const { return origin_.range(b, e); }

  void skip_blanks();
  Token next();
  void unread(const Token& t) { i_ = t.start; }
  void simple(Token first, bool piped);
  bool reserved(const Token& t, bool name_position, bool& ended);
  void pattern();
  void read_heredocs();
  void flush_waiting();

  ShellWord word();
  void dollar(ShellWord& w, bool in_double);
  void dquote(ShellWord& w);
  void backtick(ShellWord& w);
  void ansi_c(ShellWord& w);
  void braced();
  void arith(size_t from);
  /// Steps over one character, or one backslash pair or expansion (whose
  /// commands are analysed).
  void skip_expansion();
  void nested_list(ShellWord& w, size_t start);
};

/// Resolves commands through wrappers and records them.
class Analyser {
 public:
  explicit Analyser(ShellAnalysis& out) : out_(out) {}

  void command(RawCommand c, int depth);
  /// Analyses text decoded from a word (an `sh -c` argument, an alias value).
  void text(const std::string& t, Origin origin, int depth);
  /// A word a shell runs as code (`sh -c WORD`, `su -c WORD`): analysed when
  /// it is literal, else something rbk cannot see through.
  void code(const ShellWord& w, int depth) {
    if (w.expands)
      unknown(w.at, "runs shell code made at run time (" + w.text + ")");
    else
      text(w.text, Origin::of(w), depth);
  }
  void unknown(ShellRange at, std::string why) { out_.unknowns.push_back({at, std::move(why)}); }

 private:
  ShellAnalysis& out_;

  void push(std::vector<ShellWord> words, const RawCommand& c);
  bool shell(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth);
  /// The code a shell (or `at`) reads on its standard input: a here-document
  /// or here-string is analysed, a pipe is unknown; false when it reads none.
  bool stdin_code(const RawCommand& c, const ShellWord& who, const std::string& what, int depth);
  size_t wrapper(const std::vector<ShellWord>& w, size_t k, const std::string& name,
                 const RawCommand& c, int depth, bool& done);
  void joined(const std::vector<ShellWord>& w, size_t from, size_t to, int depth, const char* what);
  void nested(const std::vector<ShellWord>& w, size_t from, size_t to, int depth);
};

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
  for (const char* op : kOps) {
    size_t n = std::strlen(op);
    if (i_ + n <= end_ && s_.compare(i_, n, op) == 0) {
      t.kind = Token::Op;
      t.op = op;
      i_ += n;
      return t;
    }
  }
  t.kind = Token::Word;
  t.word = word();
  t.raw = s_.substr(t.start, i_ - t.start);
  return t;
}

ShellWord Parser::word() {
  ShellWord w;
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
    i_ += 2;
    braced();
  } else if (name_start(d)) {
    i_ += 2;
    while (i_ < end_ && name_char(s_[i_])) ++i_;
  } else if (d != '\0' &&
             (std::isdigit(static_cast<unsigned char>(d)) || std::strchr("@*#?-$!", d))) {
    i_ += 2;
  } else {
    w.text += '$';
    ++i_;
    return;
  }
  w.text.append(s_.substr(start, i_ - start));
  w.expands = true;
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

// ------------------------------------------------------------------ parsing

void Parser::list(bool until_paren) {
  bool piped = false;
  while (true) {
    if (expect_pattern_) pattern();
    Token t = next();
    if (t.kind == Token::End) break;
    if (t.kind == Token::Newline) {
      read_heredocs();
      piped = false;
      continue;
    }
    if (t.kind == Token::Op) {
      const std::string& op = t.op;
      if (op == ")") {
        if (until_paren) break;
        continue;
      }
      if (op == "(") {
        if (at(i_) == '(') {
          arith(i_ + 1);  // ((arithmetic))
        } else {
          if (++depth_ > kMaxDepth) throw TooDeep{};
          list(true);  // a subshell
          --depth_;
        }
        piped = false;
        continue;
      }
      if (op == "|" || op == "|&") {
        piped = true;
        continue;
      }
      if (op == ";;" || op == ";&" || op == ";;&") {
        if (case_depth_ > 0) expect_pattern_ = true;
        piped = false;
        continue;
      }
      if (op == ";" || op == "&" || op == "&&" || op == "||") {
        piped = false;
        continue;
      }
    }
    simple(std::move(t), piped);  // a word or a redirection starts a command
    piped = false;
  }
  read_heredocs();
  flush_waiting();
}

void Parser::pattern() {
  // `case` patterns up to ")": words, not commands; `esac` ends the case.
  expect_pattern_ = false;
  while (true) {
    Token t = next();
    if (t.kind == Token::End) return;
    if (t.kind == Token::Newline) continue;
    if (t.kind == Token::Word && t.raw == "esac") {
      --case_depth_;
      return;
    }
    if (t.kind == Token::Op && t.op == ")") return;
  }
}

bool Parser::reserved(const Token& t, bool name_position, bool& ended) {
  // Reserved words count only where a command name would be, unquoted.
  if (!name_position || t.kind != Token::Word) return false;
  const std::string_view w = t.raw;
  static const char* const kSkip[] = {"if",    "then", "elif", "else", "do",   "while",
                                      "until", "!",    "{",    "fi",   "done", "}"};
  for (const char* k : kSkip)
    if (w == k) return true;
  if (w == "esac") {
    if (case_depth_ > 0) --case_depth_;
    return true;
  }
  if (w == "for" || w == "select") {
    // `for NAME [in WORDS]`: the words are not a command (their $(…) are read).
    Token name = next();
    Token in = next();
    if (in.kind == Token::Word && in.raw == "in") {
      Token x = next();
      while (x.kind == Token::Word) x = next();
      unread(x);
    } else if (!(in.kind == Token::Word && in.raw == "do")) {
      unread(in);
    }
    (void)name;
    ended = true;
    return true;
  }
  if (w == "case") {
    next();  // the subject
    Token in = next();
    if (!(in.kind == Token::Word && in.raw == "in")) unread(in);
    ++case_depth_;
    expect_pattern_ = true;
    ended = true;
    return true;
  }
  if (w == "function") {
    next();  // the name; the body follows as a compound command
    Token open = next();
    if (open.kind == Token::Op && open.op == "(") {
      Token close = next();
      if (!(close.kind == Token::Op && close.op == ")")) unread(close);
    } else {
      unread(open);
    }
    ended = true;
    return true;
  }
  if (w == "[[") {
    // bash's test: its < > && are operators of the test, not of the shell.
    for (Token x = next(); x.kind != Token::End; x = next())
      if (x.kind == Token::Word && x.raw == "]]") break;
    ended = true;
    return true;
  }
  return false;
}

void Parser::simple(Token t, bool piped) {
  RawCommand c;
  c.piped = piped;
  bool name_position = true;
  bool has_docs = false;
  while (true) {
    if (t.kind == Token::Word) {
      bool ended = false;
      if (reserved(t, name_position, ended)) {
        if (ended) break;
        t = next();
        continue;
      }
      const std::string_view w = t.raw;
      size_t eq = w.find('=');
      if (name_position && eq != std::string::npos && eq > 0 && name_start(w[0]) &&
          std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq), name_char)) {
        // NAME=value before the command: an assignment (its $(…) were read).
        if (w.substr(0, eq) == "RBK_RECORD_DIR")
          a_.unknown(t.word.at, "assigns RBK_RECORD_DIR, which rbk sets for the run");
        t = next();
        continue;
      }
      if (name_position) {
        // NAME ( ) compound-command: a function definition; its body is
        // analysed where it is written.
        size_t save = i_;
        skip_blanks();
        if (at(i_) == '(') {
          ++i_;
          skip_blanks();
          if (at(i_) == ')') {
            ++i_;
            break;
          }
        }
        i_ = save;
      }
      c.words.push_back(std::move(t.word));
      name_position = false;
    } else if (t.kind == Token::Op &&
               (t.op[0] == '<' || t.op[0] == '>' || t.op == "&>" || t.op == "&>>")) {
      const ShellRange op_at = range(t.start, i_);
      Token target = next();
      if (target.kind != Token::Word) {
        unread(target);
        break;
      }
      const std::string& op = t.op;
      if (op == "<<" || op == "<<-") {
        std::string_view raw = s_.substr(target.start, i_ - target.start);
        bool quoted = raw.find_first_of("'\"\\") != std::string_view::npos;
        docs_.push_back({waiting_.size(), target.word.text, op == "<<-", quoted});
        has_docs = true;
      } else if (op == "<<<") {
        c.input.push_back(std::move(target.word));
      } else if (op == ">&" || op == "<&") {
        const std::string& x = target.word.text;
        bool dup = x == "-" || (!x.empty() && std::all_of(x.begin(), x.end(), [](char ch) {
                     return std::isdigit(static_cast<unsigned char>(ch)) || ch == '-';
                   }));
        if (!dup && op == ">&") c.redirects.push_back({"&>", std::move(target.word), op_at});
      } else {
        c.redirects.push_back({op, std::move(target.word), op_at});
      }
    } else {
      unread(t);
      break;
    }
    t = next();
  }
  if (c.words.empty() && c.redirects.empty() && c.input.empty() && !has_docs) return;
  if (has_docs) {
    waiting_.push_back(std::move(c));
    return;
  }
  a_.command(std::move(c), depth_);
}

void Parser::read_heredocs() {
  for (const PendingDoc& d : docs_) {
    const size_t b = i_;
    size_t body_end = end_;
    while (i_ < end_) {
      size_t eol = s_.find('\n', i_);
      if (eol == std::string_view::npos || eol > end_) eol = end_;
      std::string_view line = s_.substr(i_, eol - i_);
      if (d.strip_tabs)
        while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line == d.delimiter) {
        body_end = i_;
        i_ = std::min(eol + 1, end_);
        break;
      }
      i_ = std::min(eol + 1, end_);
    }
    ShellWord body;
    body.text = std::string(s_.substr(b, body_end - b));
    body.at = range(b, body_end);
    body.verbatim = origin_.verbatim(b);
    if (!d.quoted) {
      // An unquoted here-document expands $… and runs $(…) and `…`.
      body.expands = body.text.find_first_of("$`") != std::string::npos;
      Parser sub(a_, s_, b, body_end, origin_, depth_ + 1);
      sub.expansions_only();
    }
    waiting_[d.command].input.push_back(std::move(body));
  }
  docs_.clear();
  flush_waiting();
}

void Parser::expansions_only() {
  while (i_ < end_) skip_expansion();
}

void Parser::flush_waiting() {
  if (!docs_.empty()) return;
  for (auto& c : waiting_) a_.command(std::move(c), depth_);
  waiting_.clear();
}

// ------------------------------------------------------------------ commands

std::string basename_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

bool is_option(const ShellWord& w) {
  return !w.expands && w.text.size() > 1 && w.text[0] == '-';
}

/// A command that runs the command in its operands, and how to find it.
struct WrapperSpec {
  const char* name;
  const char* short_args;                   // short options that take a value: "u" for -u USER
  std::vector<std::string_view> long_args;  // long options that take a value (--user USER)
  int operands = 0;                         // operands before the command (timeout DURATION)
  bool assignments = false;                 // NAME=VALUE words before the command (env, sudo)
  const char* no_command = "";              // options that mean "no command follows" (ionice -p)
};

const std::vector<WrapperSpec>& wrappers() {
  static const std::vector<WrapperSpec> w{
      {"sudo",
       "ugCDhprtTU",
       {"user", "group", "close-from", "chdir", "host", "prompt", "role", "type", "command-timeout",
        "other-user"},
       0,
       true,
       "lvVkK"},
      {"doas", "uC", {}, 0, false, ""},
      {"env", "uC", {"unset", "chdir"}, 0, true, ""},
      {"command", "", {}, 0, false, "vV"},
      {"builtin", "", {}, 0, false, ""},
      {"exec", "a", {}, 0, false, ""},
      {"nohup", "", {}, 0, false, ""},
      {"setsid", "", {}, 0, false, ""},
      {"nice", "n", {"adjustment"}, 0, false, ""},
      {"ionice", "cn", {"class", "classdata"}, 0, false, "pPu"},
      {"timeout", "sk", {"signal", "kill-after"}, 1, false, ""},
      {"stdbuf", "ioe", {"input", "output", "error"}, 0, false, ""},
      {"time", "fo", {"format", "output"}, 0, false, ""},
      {"chroot", "", {"userspec", "groups"}, 1, false, ""},
      {"xargs",
       "dEILnPsa",
       {"delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars",
        "arg-file", "process-slot-var"},
       0,
       false,
       ""},
      {"taskset", "", {}, 1, false, "p"},
      {"chrt", "T", {"sched-runtime", "sched-period", "sched-deadline"}, 1, false, "pm"},
      {"nsenter", "tSGT", {"target", "setuid", "setgid"}, 0, false, ""},
      {"unshare", "", {}, 0, false, ""},
      {"setpriv", "", {}, 0, false, ""},
      {"systemd-run",
       "pEuMH",
       {"property", "setenv", "unit", "machine", "host", "description", "slice", "uid", "gid",
        "nice", "working-directory", "service-type", "on-active", "on-boot", "on-startup",
        "on-unit-active", "on-unit-inactive", "on-calendar", "timer-property"},
       0,
       false,
       ""},
      {"strace", "eoOpPsSuUXabI", {}, 0, false, ""},
      {"ltrace", "eoOpsSuUan", {}, 0, false, ""},
      {"unbuffer", "", {}, 0, false, ""},
      {"chronic", "", {}, 0, false, ""},
      {"busybox", "", {}, 0, false, ""},
      {"cgexec", "g", {}, 0, false, ""},
      {"numactl", "CcmNpiP", {}, 0, false, ""},
      {"catchsegv", "", {}, 0, false, ""},
      {"torsocks", "uaP", {}, 0, false, ""},
      {"proxychains", "f", {}, 0, false, ""},
      {"proxychains4", "f", {}, 0, false, ""},
  };
  return w;
}

/// The options of commands handled apart from the plain wrappers: what
/// follows them is shell source (ssh, watch) or a command (flock, docker exec).
const WrapperSpec& spec_of(std::string_view name) {
  static const std::vector<WrapperSpec> specs{
      {"ssh", "BbcDEeFIiJLlmOoPpQRSWw", {}, 1, false, ""},
      {"watch", "nq", {"interval", "differences", "equexit"}, 0, false, ""},
      {"redis-cli",
       "hpsanuriIdD",
       {"user", "pass", "askpass", "cacert", "cert", "key", "sni"},
       0,
       false,
       ""},
      {"parallel",
       "jSIdEaLnNPC",
       {"jobs", "sshlogin", "arg-file", "delimiter", "max-args", "max-replace-args", "colsep",
        "joblog", "results", "timeout", "halt", "tagstring", "workdir", "delay", "retries"},
       0,
       false,
       ""},
      {"flock", "Ew", {"conflict-exit-code", "timeout", "wait"}, 1, false, ""},
      {"exec", "euw", {"env", "env-file", "user", "workdir", "detach-keys", "index"}, 1, false, ""},
  };
  for (const auto& s : specs)
    if (name == s.name) return s;
  return specs.back();
}

bool is_shell(const std::string& name) {
  static const char* const kShells[] = {"sh",  "bash", "dash", "zsh",  "ksh",
                                        "ash", "mksh", "yash", "posh", "rbash"};
  for (const char* s : kShells)
    if (name == s) return true;
  return false;
}

void Analyser::push(std::vector<ShellWord> words, const RawCommand& c) {
  if (words.empty() && c.redirects.empty() && c.input.empty()) return;
  ShellCommand out;
  out.words = std::move(words);
  if (!out.words.empty()) {
    std::string base = basename_of(out.words[0].text);
    if (base != out.words[0].text) {
      out.words[0].text = std::move(base);
      out.words[0].verbatim = std::string::npos;  // no longer a copy of the source
    }
  }
  out.redirects = c.redirects;
  out.input = c.input;
  // `export`, `read` and friends can set RBK_RECORD_DIR too.
  if (!out.words.empty()) {
    static const char* const kSetters[] = {"export",  "readonly", "local", "declare",
                                           "typeset", "read",     "unset", "getopts"};
    const std::string& n = out.words[0].text;
    for (const char* setter : kSetters) {
      if (n != setter) continue;
      for (size_t k = 1; k < out.words.size(); ++k)
        if (out.words[k].text.rfind("RBK_RECORD_DIR", 0) == 0)
          unknown(out.words[k].at, "sets RBK_RECORD_DIR, which rbk sets for the run");
    }
  }
  out_.commands.push_back(std::move(out));
}

void Analyser::text(const std::string& t, Origin origin, int depth) {
  Parser p(*this, t, 0, t.size(), origin, depth + 1);
  p.list(false);
}

void Analyser::joined(const std::vector<ShellWord>& w, size_t from, size_t to, int depth,
                      const char* what) {
  // Words that a program joins with spaces and gives to a shell (ssh, eval,
  // watch): shell source again, whose words are known only when literal.
  if (from >= to) return;
  std::string t;
  for (size_t k = from; k < to; ++k) {
    if (w[k].expands && std::string_view(what) == "eval") {
      unknown({w[from].at.begin, w[to - 1].at.end},
              std::string("eval runs text made at run time (") + w[k].text + ")");
      return;
    }
    t += (k > from ? " " : "") + w[k].text;
  }
  Origin o;
  if (to - from == 1) {
    o = Origin::of(w[from]);
  } else {
    o.exact = false;
    o.whole = {w[from].at.begin, w[to - 1].at.end};
  }
  text(t, o, depth);
}

void Analyser::nested(const std::vector<ShellWord>& w, size_t from, size_t to, int depth) {
  // A command given as separate words (find -exec, kubectl exec --).
  if (from >= to) return;
  if (depth > kMaxDepth) throw TooDeep{};
  RawCommand c;
  c.words.assign(w.begin() + static_cast<std::ptrdiff_t>(from),
                 w.begin() + static_cast<std::ptrdiff_t>(to));
  command(std::move(c), depth + 1);
}

bool Analyser::shell(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth) {
  // sh/bash: -c STRING runs STRING; a script operand runs that file; with
  // neither, the shell runs what it reads on standard input.
  bool dash_c = false, dash_s = false;
  size_t j = k + 1;
  for (; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (w[j].expands) break;
    if (t == "--" || t == "-") {
      ++j;
      break;
    }
    if (t.size() < 2 || (t[0] != '-' && t[0] != '+')) break;
    if (t == "-o" || t == "+o" || t == "-O" || t == "+O" || t == "--rcfile" || t == "--init-file") {
      ++j;
      continue;
    }
    if (t.rfind("--", 0) == 0) continue;
    dash_c = dash_c || t.find('c') != std::string::npos;
    dash_s = dash_s || t.find('s') != std::string::npos;
    if (t.back() == 'o' || t.back() == 'O') ++j;  // -euo pipefail: the option's value
  }
  const ShellWord* operand = j < w.size() ? &w[j] : nullptr;
  if (dash_c) {
    if (operand) code(*operand, depth);
    return true;
  }
  if (operand && !dash_s) {
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);  // runs a script file
    return true;
  }
  if (!stdin_code(c, w[k], "a shell", depth))
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
  return true;
}

bool Analyser::stdin_code(const RawCommand& c, const ShellWord& who, const std::string& what,
                          int depth) {
  if (!c.input.empty()) {
    for (const auto& in : c.input) {
      if (in.expands)
        unknown(in.at, what + " runs a here-document that expands values");
      else
        text(in.text, Origin::of(in), depth);
    }
    return true;
  }
  bool from_file = std::any_of(c.redirects.begin(), c.redirects.end(),
                               [](const ShellRedirect& r) { return r.op == "<"; });
  if (c.piped && !from_file) {
    unknown(who.at, what + " runs what a pipe feeds it");
    return true;
  }
  return false;
}

/// Skips a wrapper's options (and operands) from w[k+1]; returns the index
/// of the command it runs, or w.size() when it runs none.
size_t skip_options(const std::vector<ShellWord>& w, size_t k, const WrapperSpec& spec,
                    bool* no_command = nullptr) {
  size_t j = k + 1;
  while (j < w.size()) {
    const ShellWord& x = w[j];
    if (x.expands || x.text.size() < 2 || x.text[0] != '-') break;
    const std::string& t = x.text;
    if (t == "--") {
      ++j;
      break;
    }
    if (t.rfind("--", 0) == 0) {
      std::string name =
          t.substr(2, t.find('=') == std::string::npos ? std::string::npos : t.find('=') - 2);
      bool takes =
          t.find('=') == std::string::npos &&
          std::find(spec.long_args.begin(), spec.long_args.end(), name) != spec.long_args.end();
      j += takes ? 2 : 1;
      continue;
    }
    bool value_next = false;
    for (size_t p = 1; p < t.size(); ++p) {
      if (no_command && std::strchr(spec.no_command, t[p])) *no_command = true;
      if (std::strchr(spec.short_args, t[p])) {
        value_next = p + 1 == t.size();  // else the value is attached (-u0)
        break;
      }
    }
    j += value_next ? 2 : 1;
  }
  if (spec.assignments)
    while (j < w.size() && !w[j].expands && w[j].text.find('=') != std::string::npos &&
           name_start(w[j].text[0]))
      ++j;
  for (int n = 0; n < spec.operands && j < w.size(); ++n) ++j;
  return std::min(j, w.size());
}

size_t Analyser::wrapper(const std::vector<ShellWord>& w, size_t k, const std::string& name,
                         const RawCommand& c, int depth, bool& done) {
  done = false;
  auto all = [&](size_t from) {
    return std::vector<ShellWord>(w.begin() + static_cast<std::ptrdiff_t>(from), w.end());
  };
  if (name == "eval") {
    joined(w, k + 1, w.size(), depth, "eval");
    push({}, c);
    done = true;
    return k;
  }
  if (name == "ssh") {
    // ssh [options] HOST [COMMAND…]: the command words are shell source on the host.
    size_t j = skip_options(w, k, spec_of("ssh"));
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(j)},
         c);
    joined(w, j, w.size(), depth, "ssh");
    done = true;
    return k;
  }
  if (name == "parallel") {
    // parallel [options] COMMAND ::: ARGS: COMMAND is shell source.
    size_t j = skip_options(w, k, spec_of("parallel"));
    size_t e = j;
    while (e < w.size() && w[e].text.rfind(":::", 0) != 0 && w[e].text != "::::") ++e;
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(j)},
         c);
    joined(w, j, e, depth, "parallel");
    done = true;
    return k;
  }
  if (name == "watch") {
    size_t j = skip_options(w, k, spec_of("watch"));
    bool direct = false;
    for (size_t p = k + 1; p < j; ++p)
      direct = direct || w[p].text == "-x" || w[p].text == "--exec";
    if (direct)
      nested(w, j, w.size(), depth);
    else
      joined(w, j, w.size(), depth, "watch");
    done = true;
    return k;
  }
  if (name == "su" || name == "runuser" || name == "flock") {
    // -c COMMAND runs COMMAND with a shell; runuser -u USER -- CMD and
    // flock FILE CMD run CMD directly.
    size_t j = k + 1;
    for (; j < w.size(); ++j) {
      const std::string& t = w[j].text;
      if ((t == "-c" || t == "--command") && j + 1 < w.size()) {
        code(w[j + 1], depth);
        push(all(k), c);
        done = true;
        return k;
      }
      if (t.rfind("--command=", 0) == 0) {
        text(t.substr(10), Origin{false, 0, w[j].at}, depth);
        push(all(k), c);
        done = true;
        return k;
      }
      if (t == "--") {
        nested(w, j + 1, w.size(), depth);
        done = true;
        return k;
      }
    }
    if (name == "flock") {
      size_t at = skip_options(w, k, spec_of("flock"));
      if (at < w.size()) return at;
    }
    push(all(k), c);
    done = true;
    return k;
  }
  if (name == "env") {
    // env -S STRING splits STRING into the command's words.
    for (size_t j = k + 1; j < w.size() && is_option(w[j]); ++j) {
      const std::string& t = w[j].text;
      if ((t == "-S" || t == "--split-string") && j + 1 < w.size()) {
        joined(w, j + 1, w.size(), depth, "env -S");
        done = true;
        return k;
      }
      if (t.rfind("-S", 0) == 0 || t.rfind("--split-string=", 0) == 0) {
        unknown(w[j].at, "env -S splits a string into a command");
        done = true;
        return k;
      }
    }
  }
  if (name == "kubectl" || name == "oc") {
    // kubectl exec … -- COMMAND: the command runs in the container.
    bool exec = false;
    for (size_t j = k + 1; j < w.size(); ++j) {
      if (w[j].text == "exec" || w[j].text == "debug") exec = true;
      if (w[j].text == "--" && exec) {
        push({w.begin() + static_cast<std::ptrdiff_t>(k),
              w.begin() + static_cast<std::ptrdiff_t>(j)},
             c);
        nested(w, j + 1, w.size(), depth);
        done = true;
        return k;
      }
    }
    return k;
  }
  if (name == "docker" || name == "podman" || name == "nerdctl" || name == "docker-compose") {
    // docker exec [options] CONTAINER COMMAND…, docker compose exec SERVICE COMMAND…
    size_t j = k + 1;
    if (name != "docker-compose" && j < w.size() &&
        (w[j].text == "compose" || w[j].text == "container"))
      ++j;
    if (j >= w.size() || w[j].text != "exec") return k;
    size_t at = skip_options(w, j, spec_of("exec"));
    push({w.begin() + static_cast<std::ptrdiff_t>(k), w.begin() + static_cast<std::ptrdiff_t>(at)},
         c);
    nested(w, at, w.size(), depth);
    done = true;
    return k;
  }
  if (name == "ip") {
    // ip netns exec NAME COMMAND…
    if (k + 3 < w.size() && w[k + 1].text == "netns" && w[k + 2].text == "exec") {
      nested(w, k + 4, w.size(), depth);
      done = true;
    }
    return k;
  }
  for (const auto& spec : wrappers()) {
    if (name != spec.name) continue;
    bool none = false;
    size_t at = skip_options(w, k, spec, &none);
    if (none || at >= w.size()) {
      push(all(k), c);
      done = true;
      return k;
    }
    return at;
  }
  return k;
}

/// An interpreter given its program inline (python -c, perl -e, node -e, an
/// awk program that runs commands): rbk reads shell, not that language, so
/// the word holding the program, else null.
const ShellWord* inline_program(const std::vector<ShellWord>& w, size_t k,
                                const std::string& base) {
  const bool awk = base == "awk" || base == "gawk" || base == "mawk" || base == "nawk";
  const char* flags = base.rfind("python", 0) == 0 || base == "pypy" || base == "pypy3" ? "c"
                      : base == "perl" || base == "ruby" || base == "lua"               ? "eE"
                      : base == "node" || base == "nodejs"                              ? "ep"
                      : base == "php"                                                   ? "r"
                                                                                        : nullptr;
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--") break;
    if (t.size() < 2 || t[0] != '-') {
      if (!awk) break;
      // awk's program is its first operand; it runs commands with system()
      // or a pipe (`print | "cmd"`, `"cmd" | getline`; `||` is only "or").
      bool runs = t.find("system(") != std::string::npos;
      for (size_t p = t.find('|'); !runs && p != std::string::npos; p = t.find('|', p + 2))
        runs = !(p + 1 < t.size() && t[p + 1] == '|');
      return runs ? &w[j] : nullptr;
    }
    if (awk) {
      if (t == "-f" || t.rfind("--file", 0) == 0) return nullptr;  // the program is a file
      if (t == "-F" || t == "-v") ++j;                             // the option's value
      continue;
    }
    if (!flags || t.rfind("--", 0) == 0) {
      if (flags && (t == "--eval" || t == "--print" || t.rfind("--eval=", 0) == 0)) return &w[j];
      continue;
    }
    if (std::strchr(flags, t.back())) return j + 1 < w.size() ? &w[j + 1] : &w[j];
  }
  return nullptr;
}

/// A database client that reads the statements it runs from a pipe or a
/// file (`cat x.sql | psql`, `redis-cli < cmds`): rbk sees no statement to
/// match. A here-document or here-string is read (it is in the text), and an
/// inline statement (psql -c, mysql -e, a redis-cli command) means the
/// client does not read its input.
bool reads_statements(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                      const RawCommand& c) {
  const bool fed = c.piped || std::any_of(c.redirects.begin(), c.redirects.end(),
                                          [](const ShellRedirect& r) { return r.op == "<"; });
  if (!fed || !c.input.empty()) return false;
  if (base == "redis-cli" || base == "valkey-cli")
    return skip_options(w, k, spec_of("redis-cli")) >= w.size();
  const char* inline_flags = base == "psql"                         ? "cf"
                             : base == "mysql" || base == "mariadb" ? "e"
                             : base == "mongosh" || base == "mongo" ? ""
                                                                    : nullptr;
  if (!inline_flags) return false;
  for (size_t j = k + 1; j < w.size(); ++j) {
    const std::string& t = w[j].text;
    if (t == "--command" || t == "--file" || t == "--execute" || t == "--eval" ||
        t.rfind("--command=", 0) == 0 || t.rfind("--file=", 0) == 0 ||
        t.rfind("--execute=", 0) == 0 || t.rfind("--eval=", 0) == 0)
      return false;
    if (t.size() > 1 && t[0] == '-' && t[1] != '-')
      for (size_t p = 1; p < t.size(); ++p)
        if (std::strchr(inline_flags, t[p])) return false;
  }
  return true;
}

void Analyser::command(RawCommand c, int depth) {
  if (depth > kMaxDepth) throw TooDeep{};
  const std::vector<ShellWord>& w = c.words;
  size_t k = 0;
  while (true) {
    if (k >= w.size()) {
      push({}, c);
      return;
    }
    const ShellWord& name = w[k];
    if (name.expands) {
      unknown(name.at, "the command name is a value known only at run time (" + name.text + ")");
      push({}, c);
      return;
    }
    if (name.globs) {
      unknown(name.at, "the command name is a file pattern (" + name.text + ")");
      push({}, c);
      return;
    }
    const std::string base = basename_of(name.text);
    if (is_shell(base)) {
      shell(w, k, c, depth);
      return;
    }
    if ((base == "source" || base == ".") && k + 1 < w.size() && w[k + 1].expands) {
      unknown(w[k + 1].at, "sources a file named at run time (" + w[k + 1].text + ")");
      push({}, c);
      return;
    }
    if (const ShellWord* program = inline_program(w, k, base)) {
      unknown(program->at, base + " runs a program given inline, which rbk cannot read");
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "at" || base == "batch") {
      // at TIME reads the commands it schedules from its input (or -f FILE,
      // a script that goes by its name).
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      if (!stdin_code(c, name, base, depth) &&
          std::any_of(c.redirects.begin(), c.redirects.end(),
                      [](const ShellRedirect& r) { return r.op == "<"; }))
        unknown(name.at, base + " schedules commands it reads from a file");
      return;
    }
    if (reads_statements(w, k, base, c)) {
      unknown(name.at, base + " runs statements it reads from a pipe or a file");
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "alias" || base == "trap") {
      // The alias value and the trap action are shell source.
      for (size_t j = k + 1; j < w.size(); ++j) {
        const ShellWord& x = w[j];
        std::string code = x.text;
        Origin o = Origin::of(x);
        if (base == "alias") {
          size_t eq = code.find('=');
          if (eq == std::string::npos) continue;
          code = code.substr(eq + 1);
          o.exact = false;
          o.whole = x.at;
        } else if (j > k + 1 || is_option(x)) {
          continue;  // the signals
        }
        if (x.expands)
          unknown(x.at, base + " runs shell code made at run time (" + x.text + ")");
        else
          text(code, o, depth);
      }
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    if (base == "find") {
      // find … -exec CMD {} ; runs CMD on what it finds.
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      for (size_t j = k + 1; j < w.size(); ++j) {
        const std::string& t = w[j].text;
        if (t != "-exec" && t != "-execdir" && t != "-ok" && t != "-okdir") continue;
        size_t e = j + 1;
        while (e < w.size() && w[e].text != ";" && !(w[e].text == "+" && w[e - 1].text == "{}"))
          ++e;
        nested(w, j + 1, e, depth);
        j = e;
      }
      return;
    }
    bool done = false;
    size_t next = wrapper(w, k, base, c, depth, done);
    if (done) return;
    if (next == k) {
      push({w.begin() + static_cast<std::ptrdiff_t>(k), w.end()}, c);
      return;
    }
    k = next;
  }
}

}  // namespace

ShellAnalysis analyse_shell(std::string_view text) {
  ShellAnalysis out;
  Analyser a(out);
  try {
    Parser p(a, text, 0, text.size(), Origin{}, 0);
    p.list(false);
  } catch (const TooDeep&) {
    out.unknowns.push_back({{0, text.size()}, "the command nests too deeply to analyse"});
  }
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
