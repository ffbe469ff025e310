#include "interpreter/ide/cursor.hpp"

#include <algorithm>

namespace rbk::ide {

namespace {

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (static_cast<unsigned char>(c) & 0x80) != 0;
}

/// One level of the scan: code (the file, or a `${…}`), or a literal.
struct Frame {
  enum Mode { Code, String, Text, Tick, Fence, Comment, Regex } mode = Code;
  std::vector<std::string> tokens;  // Code: the statement's tokens so far
  std::string word;                 // Code: the word being read
  int braces = 0;                   // Code in `${…}`: '{' not yet closed
  size_t begin = 0;                 // literals: where their text starts

  void flush() {
    if (!word.empty()) tokens.push_back(std::move(word));
    word.clear();
  }
};

/// The scan itself: a stack of frames, the blocks of the file's code.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  CursorContext run(size_t end) {
    stack_.push_back(Frame{});
    for (size_t i = 0; i < end; ++i) i = step(i, end);
    return context(end);
  }

 private:
  std::string_view t_;
  std::vector<Frame> stack_;
  std::vector<Block> blocks_;

  bool at(size_t i, std::string_view s, size_t end) const {
    return i + s.size() <= end && t_.substr(i, s.size()) == s;
  }

  /// Reads the character at `i`; returns the index of the last one it used.
  size_t step(size_t i, size_t end) {
    Frame& f = stack_.back();
    const char c = t_[i];
    switch (f.mode) {
      case Frame::Code:
        return code(i, end);
      case Frame::String:
        if (c == '\\') return i + 1;
        if (c == '"' || c == '\n') stack_.pop_back();
        if (at(i, "${", end)) return interpolate(i);
        return i;
      case Frame::Text:
        if (c == '\\') return i + 1;
        if (at(i, "\"\"\"", end)) {
          stack_.pop_back();
          return i + 2;
        }
        if (at(i, "${", end)) return interpolate(i);
        return i;
      case Frame::Tick:
        if (c == '`' || c == '\n') stack_.pop_back();
        return i;
      case Frame::Fence:
        if (at(i, "```", end)) {
          stack_.pop_back();
          return i + 2;
        }
        return i;
      case Frame::Comment:
        if (c == '\n') {
          stack_.pop_back();
          end_statement();
        }
        return i;
      case Frame::Regex:
        if (c == '\\') return i + 1;
        if (c == '/' || c == '\n') stack_.pop_back();
        return i;
    }
    return i;
  }

  /// Enters a literal, a comment or a `${…}` whose text starts at `begin`.
  void push(Frame::Mode mode, size_t begin) {
    Frame f;
    f.mode = mode;
    f.begin = begin;
    stack_.push_back(std::move(f));
  }

  size_t interpolate(size_t i) {
    push(Frame::Code, i + 2);
    return i + 1;
  }

  void end_statement() {
    Frame& top = stack_.front();
    top.tokens.clear();
    top.word.clear();
  }

  size_t code(size_t i, size_t end) {
    Frame& f = stack_.back();
    const bool file = stack_.size() == 1;
    const char c = t_[i];
    if (word_char(c)) {
      f.word += c;
      return i;
    }
    const bool matches =
        f.word.empty() ? !f.tokens.empty() && f.tokens.back() == "matches" : f.word == "matches";
    f.flush();
    auto literal = [&](Frame::Mode mode, const char* token, size_t skip) {
      f.tokens.push_back(token);
      push(mode, i + skip + 1);
      return i + skip;
    };
    switch (c) {
      case '#':
        if (!file) return i;
        push(Frame::Comment, i + 1);
        return i;
      case '"':
        return at(i, "\"\"\"", end) ? literal(Frame::Text, "\"", 2)
                                    : literal(Frame::String, "\"", 0);
      case '`':
        return at(i, "```", end) ? literal(Frame::Fence, "`", 2) : literal(Frame::Tick, "`", 0);
      case '/':
        if (matches) return literal(Frame::Regex, "/", 0);
        break;
      case '{':
        if (!file) {
          ++f.braces;
          break;
        }
        blocks_.push_back(
            Block{f.tokens.empty() ? "" : f.tokens[0], f.tokens.size() > 1 ? f.tokens[1] : ""});
        end_statement();
        return i;
      case '}':
        if (!file) {
          if (f.braces-- == 0) stack_.pop_back();
          return i;
        }
        if (!blocks_.empty()) blocks_.pop_back();
        end_statement();
        return i;
      case '\n':
        if (file) end_statement();
        return i;
      default:
        break;
    }
    if (c != ' ' && c != '\t' && c != '\r') f.tokens.emplace_back(1, c);
    return i;
  }

  CursorContext context(size_t end) {
    CursorContext out;
    out.blocks = blocks_;
    const Frame& top = stack_.back();
    // In Frame::Mode's order: Code, String, Text, Tick, Fence, Comment, Regex.
    using In = CursorContext::In;
    static constexpr In kIn[] = {In::Code,  In::String,  In::String, In::Shell,
                                 In::Shell, In::Comment, In::Regex};
    out.in = kIn[top.mode];
    if (out.in == In::String) out.string_begin = top.begin;
    // The innermost code frame: the interpolation's, or the file's.
    size_t code_at = stack_.size() - 1;
    while (code_at > 0 && stack_[code_at].mode != Frame::Code) --code_at;
    out.interpolation = out.in == CursorContext::In::Code && stack_.size() > 1;
    out.tokens = stack_[code_at].tokens;
    out.statement = stack_.front().tokens;

    // The partial word, and what comes before it, from the text itself.
    size_t b = end;
    while (b > 0 && word_char(t_[b - 1])) --b;
    if (out.in != CursorContext::In::Code) {
      // In literals the word is what a name can be ('-' ends it).
      b = end;
      while (b > 0 && word_char(t_[b - 1]) && t_[b - 1] != '-') --b;
    }
    out.word = std::string(t_.substr(b, end - b));
    out.word_begin = b;
    if (out.in == CursorContext::In::Shell)
      out.after_dollar = (b >= 1 && t_[b - 1] == '$') || (b >= 2 && t_.substr(b - 2, 2) == "${");
    if (out.in == CursorContext::In::Code && b > 0 && t_[b - 1] == '.') {
      out.after_dot = true;
      size_t d = b - 1;
      while (d > 0 && (word_char(t_[d - 1]) || t_[d - 1] == '.')) --d;
      const std::string chain(t_.substr(d, b - 1 - d));
      const bool names =
          !chain.empty() && chain.front() != '.' && chain.find("..") == std::string::npos;
      if (names) out.dotted = chain;
      // The chain's tokens are the statement's last ones; leave them out.
      size_t parts =
          names ? 1 + static_cast<size_t>(std::count(chain.begin(), chain.end(), '.')) : 0;
      size_t drop = names ? 2 * parts : 1;  // each name and its '.'
      while (drop-- > 0 && !out.tokens.empty()) out.tokens.pop_back();
    }
    return out;
  }
};

}  // namespace

CursorContext cursor_context(std::string_view text, size_t offset) {
  return Scanner(text).run(std::min(offset, text.size()));
}

}  // namespace rbk::ide
