// The shell analysis: a flat parser that finds where each simple command
// starts and ends (lists, compound commands, here-documents).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "interpreter/syntax/shell_parser.hpp"

namespace rbk::shell_detail {

// ------------------------------------------------------------------ parsing

Parser::~Parser() {
  for (size_t n = function_braces_.size(); n > 0; --n) a_.leave();
}

void Parser::drop_pending_function() {
  // A body that is not `{ … }` or `( … )`: read in the scope around it.
  if (!pending_function_.empty()) a_.unscoped(std::exchange(pending_function_, {}));
}

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
      if (op != "(") drop_pending_function();
      if (op == ")") {
        if (until_paren) break;
        continue;
      }
      if (op == "(") {
        if (at(i_) == '(') {
          drop_pending_function();
          arith(i_ + 1);  // ((arithmetic))
        } else {
          if (++depth_ > kMaxDepth) throw TooDeep{};
          // A subshell, or the body of the function just defined.
          const bool body = !pending_function_.empty();
          if (body) a_.enter(std::exchange(pending_function_, {}));
          list(true);
          if (body) a_.leave();
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
  if (w == "{") {
    // The body of the function just defined opens a scope until its `}`.
    if (!pending_function_.empty()) {
      a_.enter(std::exchange(pending_function_, {}));
      function_braces_.push_back(braces_);
    }
    ++braces_;
    return true;
  }
  drop_pending_function();
  if (w == "}") {
    if (braces_ > 0) --braces_;
    if (!function_braces_.empty() && function_braces_.back() == braces_) {
      function_braces_.pop_back();
      a_.leave();
    }
    return true;
  }
  // A loop: what its body assigns after a read, the read may see on the
  // loop's next turn (Analyser::value). A `while` or `until` loop's
  // condition runs on every turn too; a `for` loop's words once.
  if (w == "while" || w == "until") {
    a_.enter_loop(origin_.range(t.start, t.start).begin);
    loops_.push_back(true);  // entered; its `do` enters nothing
    return true;
  }
  if (w == "do") {
    if (!loops_.empty() && loops_.back()) {
      loops_.back() = false;
    } else {
      a_.enter_loop(origin_.range(t.start, t.start).begin);
      loops_.push_back(false);
    }
    return true;
  }
  if (w == "done") {
    a_.leave_loop();
    if (!loops_.empty()) loops_.pop_back();
    return true;
  }
  static const char* const kSkip[] = {"if", "then", "elif", "else", "!", "{", "fi", "}"};
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
      // Known words: the loop's variable takes each; read as all of them.
      // Each word is a value the loop's variable takes; an unknown one opens it.
      Token x = next();
      for (; x.kind == Token::Word; x = next()) {
        if (name.kind != Token::Word) continue;
        RawCommand words;  // the word as the shell splits it: each field a value
        push_word(words, x);
        for (const ShellWord& f : words.words)
          a_.assigned(name.raw, f.expands ? nullptr : &f.text, x.used_value);
      }
      unread(x);
    } else {
      // `for NAME; do`: over "$@".
      if (name.kind == Token::Word) {
        if (Analyser::Known all = a_.value("@"); all.known) {
          for (std::string_view field : fields_of(all.text)) {
            const std::string each(field);
            a_.assigned(name.raw, &each, true);
          }
        } else {
          a_.assigned(name.raw, nullptr, false);
        }
      }
      if (in.kind == Token::Word && in.raw == "do") {
        a_.enter_loop(origin_.range(in.start, in.start).begin);  // `for NAME do`
        loops_.push_back(false);
      } else
        unread(in);
    }
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
    // The name; the body follows as a compound command.
    if (Token name = next(); name.kind == Token::Word) {
      a_.defined(name.word.text);
      pending_function_ = name.word.text;
    }
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
      if (eq + 1 == w.size() && eq > 0 && name_start(w[0]) && at(i_) == '(' &&
          std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq), name_char)) {
        // NAME=(WORDS), alone or after `local`: an array, whose words the
        // name takes as one value (read by "${NAME[@]}").
        ++i_;
        RawCommand words;
        bool used = false;
        for (Token x = next(); x.kind == Token::Word || x.kind == Token::Newline; x = next()) {
          if (x.kind != Token::Word) continue;
          used = used || x.used_value;
          push_word(words, x);
        }
        std::string joined;
        bool known = true;
        for (const ShellWord& f : words.words) {
          known = known && !f.expands;
          if (!joined.empty()) joined += ' ';
          joined += f.text;
        }
        a_.assigned(w.substr(0, eq), known ? &joined : nullptr, used);
        t = next();
        continue;
      }
      if (name_position && eq != std::string::npos && eq > 0 && name_start(w[0]) &&
          std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq), name_char)) {
        // NAME=value before the command: an assignment (its $(…) were read).
        if (w.substr(0, eq) == "RBK_RECORD_DIR")
          a_.unknown(t.word.at, "assigns RBK_RECORD_DIR, which rbk sets for the run");
        const std::string given = t.word.text.substr(eq + 1);
        a_.assigned(w.substr(0, eq), t.word.expands ? nullptr : &given, t.used_value);
        a_.alias(w.substr(0, eq), given);
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
            a_.defined(t.word.text);
            pending_function_ = t.word.text;
            break;
          }
        }
        i_ = save;
      }
      if (c.words.empty()) c.name_from_value = t.used_value;
      push_word(c, t);
      name_position = c.words.empty();
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
  if (a_.has_values()) note_assignments(c);
  if (c.words.empty() && c.redirects.empty() && c.input.empty() && !has_docs) return;
  if (has_docs) {
    waiting_.push_back(std::move(c));
    return;
  }
  a_.command(std::move(c), depth_);
}

void Parser::note_assignments(const RawCommand& c) {
  // The names a builtin assigns (`read a`, `export a=…`, `printf -v a`).
  if (c.words.empty()) return;
  const std::string& verb = c.words[0].text;
  static const char* const kAssigning[] = {"read",     "export",  "local",   "declare",   "typeset",
                                           "readonly", "getopts", "mapfile", "readarray", "printf"};
  if (std::none_of(std::begin(kAssigning), std::end(kAssigning),
                   [&](const char* k) { return verb == k; }))
    return;
  for (size_t k = 1; k < c.words.size(); ++k) {
    const ShellWord& w = c.words[k];
    size_t n = 0;
    while (n < w.text.size() && name_char(w.text[n])) ++n;
    if (n == 0 || !name_start(w.text[0]) || (n < w.text.size() && w.text[n] != '=')) continue;
    // `export a=-x` assigns known words; `read a`, `local a="$x"` may take a value.
    const bool known = n < w.text.size() && !w.expands;
    const std::string given = known ? w.text.substr(n + 1) : std::string();
    const bool local = verb == "local" || verb == "declare" || verb == "typeset";
    a_.assigned(std::string_view(w.text).substr(0, n), known ? &given : nullptr, false, local);
    if (n < w.text.size()) a_.alias(std::string_view(w.text).substr(0, n), w.text.substr(n + 1));
  }
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
      ShellWord expanded = sub.expansions_only();
      if (a_.has_values()) {  // as the shell will read it, with the known values in
        if (expanded.text != body.text) body.verbatim = std::string::npos;
        body.text = std::move(expanded.text);
        body.expands = expanded.expands;
      }
    }
    waiting_[d.command].input.push_back(std::move(body));
  }
  docs_.clear();
  flush_waiting();
}

ShellWord Parser::expansions_only() {
  // Read as inside double quotes (a backslash pair kept as written).
  ShellWord w;
  while (i_ < end_) {
    const char c = s_[i_];
    if (c == '$') {
      dollar(w, true);
    } else if (c == '`') {
      backtick(w);
    } else if (c == '\\' && i_ + 1 < end_) {
      w.text.append(s_.substr(i_, 2));
      i_ += 2;
    } else {
      w.text += c;
      ++i_;
    }
  }
  return w;
}

void Parser::flush_waiting() {
  if (!docs_.empty()) return;
  for (auto& c : waiting_) a_.command(std::move(c), depth_);
  waiting_.clear();
}

}  // namespace rbk::shell_detail
