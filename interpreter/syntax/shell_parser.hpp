// Inside the shell analysis: the lexer/parser over shell text and the
// analyser that resolves each simple command through its wrappers. Shared by
// shell_lexer.cpp, shell_parser.cpp and shell_commands.cpp; the interface is
// shell_analysis.hpp.
#pragma once

#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/syntax/shell_analysis.hpp"

namespace rbk::shell_detail {

/// Nesting beyond this ($( inside $( inside sh -c …) is reported as "cannot
/// analyse" rather than followed: it bounds the stack and the work.
inline constexpr int kMaxDepth = 64;

/// Thrown inside the analysis when the nesting is too deep; caught at the top.
struct TooDeep {};

inline bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
inline bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
/// $1…$9, $@ and $*: the positional parameters rbk reads candidates for.
inline bool positional(char c) {
  return c != '\0' && std::strchr("@*123456789", c);
}
inline bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
/// Characters that end an unquoted word.
inline bool word_end(char c) {
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
  bool piped = false;            // its standard input is the previous command's output
  bool name_from_value = false;  // a value was read into its first word
};

struct Token {
  enum Kind { End, Word, Op, Newline } kind = End;
  std::string op;
  ShellWord word;
  std::string_view raw;  // the word as written
  size_t start = 0;      // local offset, to read the token again
  /// Offsets in word.text where an unquoted known value split it into
  /// fields (ShellValues); the word is several words there.
  std::vector<size_t> splits;
  /// Ranges of word.text that stand for a field not known: the field's word
  /// is unknown (expands); `expands_elsewhere`, whether the rest of the word is.
  std::vector<std::pair<size_t, size_t>> unknown;
  bool expands_elsewhere = false;
  bool used_value = false;  // a known value was read into the word
};

class Analyser;

/// The words of `value` split at the default IFS (blank, tab, line break).
std::vector<std::string_view> fields_of(std::string_view value);

/// What `$name` can hold, for the reading with values (Analyser::value).
struct KnownValue {
  bool known = false;
  std::string text;    // a copy: the parse goes on (and may assign) before it is used
  bool unset = false;  // the candidate "not assigned yet" of a name the command assigns
};

/// Parses one text (the command, or a decoded `sh -c` argument, or a
/// backtick body) and hands each simple command to the Analyser.
class Parser {
 public:
  Parser(Analyser& a, std::string_view s, size_t begin, size_t end, Origin origin, int depth)
      : a_(a), s_(s), i_(begin), end_(end), origin_(origin), depth_(depth) {
    if (depth_ > kMaxDepth) throw TooDeep{};
  }
  /// Leaves the function bodies a text left open.
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  /// Parses commands until the end, or (when `until_paren`) past the `)`
  /// that closes the list.
  void list(bool until_paren);
  /// Reads here-document text up to the end, analysing the commands of its
  /// $(…) and `…`: the text as the shell expands it (known values in, the
  /// rest as written; `expands` when some of it is not known).
  ShellWord expansions_only();
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
  // A function's body is a scope of its own (Analyser::enter): the name of
  // a function just defined, until its body's `{` or `(`; the brace depth
  // at which each body being read opened.
  std::string pending_function_;
  int braces_ = 0;
  std::vector<int> function_braces_;
  /// The loops open in this text, innermost last: true while a `while` or
  /// `until` waits for its `do`.
  std::vector<bool> loops_;
  int nest_ = 0;  // quotes and ${…} inside each other

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
  std::vector<size_t> splits_;                      // of the word being read (Token::splits)
  std::vector<std::pair<size_t, size_t>> unknown_;  // its fields not known (Token::unknown)
  bool used_value_ = false;                         // (Token::used_value)

  char at(size_t k) const { return k < end_ ? s_[k] : '\0'; }
  ShellRange range(size_t b, size_t e) const { return origin_.range(b, e); }

  void skip_blanks();
  /// The function just defined has a body that opens no scope.
  void drop_pending_function();
  Token next();
  void unread(const Token& t) { i_ = t.start; }
  void simple(Token first, bool piped);
  bool reserved(const Token& t, bool name_position, bool& ended);
  void pattern();
  void read_heredocs();
  void flush_waiting();

  ShellWord word();
  void dollar(ShellWord& w, bool in_double);
  /// Appends a known value where `ref` (`$NAME`) was: in double quotes as
  /// one word when it is verb_like (else the word is unknown); unquoted, or
  /// candidates, split into fields at blanks and line breaks (splits_), a
  /// field that is not verb_like left unknown (unknown_).
  void substitute(ShellWord& w, const KnownValue& k, bool in_double, std::string_view ref);
  /// What ${NAME…} gives (`e`: just past NAME; i_: past the closing }).
  KnownValue expansion(const std::string& name, size_t e) const;
  /// WORD of ${x:-WORD}: a literal or one value ("$y"); else not known.
  KnownValue word_value(std::string_view word) const;
  /// Pushes the word of `t` onto `c`, as several where a value split it.
  static void push_word(RawCommand& c, Token& t);
  /// Tells the Analyser the names `read`, `export`, `local`, … in `c` assign.
  void note_assignments(const RawCommand& c);
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

/// Numbers readings in mixed radix: `below[d]` is what a reading's number
/// is divided by for digit d (then taken modulo radix[d]). The narrowest
/// digits are crossed while the readings stay within `most`, the widest go
/// in step with each other. Returns how many readings.
size_t number_readings(const std::vector<size_t>& radix, size_t most, std::vector<size_t>& below);

/// Resolves commands through wrappers and records them.
class Analyser {
 public:
  /// `spread`: the run's values this command reads (verb_like), which a
  /// name it assigns itself may hold (see value()).
  explicit Analyser(ShellAnalysis& out, const ShellValues* values = nullptr,
                    std::vector<std::string> spread = {}, size_t choice = 0)
      : out_(out), values_(values), spread_(std::move(spread)), choice_(choice) {}

  using Known = KnownValue;
  /// The run's value of `name`. For a name the command assigns itself, or a
  /// positional parameter, one of what it may hold: the words it was given
  /// and, when they came from a value or are not all known, any verb_like
  /// run value the command reads. Reading `choice` takes one of them (its
  /// digit in ShellArguments::crossing, which says how many readings).
  Known value(std::string_view name, bool maybe_unset = false) const;
  /// Whether a name had more candidates than the readings can cover.
  bool overflowed() const { return overflow_; }
  /// At most this many candidates of one name (or ways one scope is called)
  /// are read; past that the command is one rbk cannot analyse.
  static constexpr size_t kMaxReadings = 64;
  /// value()'s candidate for "not assigned yet" (no value can hold it).
  static constexpr const char* kUnset = "\x02unset";
  /// Whether values are being put in (the second reading of a command).
  bool has_values() const { return values_ != nullptr; }
  /// The command assigns `name` (`NAME=…`, `for NAME in …`, `read NAME`):
  /// `words`, the known words given, when known; `from_value`, whether they
  /// came from a run value. Unknown words open the name to the run values
  /// the command reads.
  void assigned(std::string_view name, const std::string* words, bool from_value,
                bool local = false);
  /// Where the reading is, as an offset in the command's text: what an
  /// assignment is recorded with, and what a read compares it with.
  void at(size_t where) { at_ = where; }
  /// Reading enters or leaves a loop (from its `while`, `until` or `do` to
  /// its `done`); `id`: where that keyword is.
  void enter_loop(size_t id) { loops_.push_back(id); }
  void leave_loop() {
    if (!loops_.empty()) loops_.pop_back();
  }
  /// Every assignment this reading made, with where (ShellArguments::Later).
  const std::map<std::string, std::vector<ShellArguments::Later>, std::less<>>& made() const {
    return made_;
  }
  /// The command defines a function `name` (`name() …`, `function name …`).
  void defined(std::string_view name) { functions_.emplace(name); }
  /// Words given to a scope's positional parameters, as written: a call of
  /// a function the command defines, `set --`, `sh -c CODE NAME …`.
  struct Call {
    std::string scope;  // whose $1, $@, … they fill
    std::string from;   // the scope the words are written in
    std::vector<ShellWord> words;
    bool set = false;  // `set --`, else a command that may be a function
  };
  /// The functions the command defines.
  const std::set<std::string, std::less<>>& functions() const { return functions_; }
  /// The first pass: records calls (calls()), reads no value in.
  void collect() { collecting_ = true; }
  /// What collect() found.
  const std::vector<Call>& calls() const { return calls_; }
  /// Functions whose body is not `{ … }` or `( … )`, by the scope they
  /// are defined in (their body is read there).
  const std::map<std::string, std::string, std::less<>>& unscoped() const { return unscoped_; }
  /// The function `name` has a body that opens no scope.
  void unscoped(const std::string& name) { unscoped_.emplace(name, std::string(scope())); }
  /// collect(): `NAME=$N` (or `local NAME="${N}"`) in a scope: NAME holds
  /// that place of the scope's calls (a name passed on: `k "$verb"`).
  void alias(std::string_view name, std::string_view given) {
    if (given.starts_with("${") && given.ends_with("}"))
      given = given.substr(2, given.size() - 3);
    else if (given.starts_with("$"))
      given.remove_prefix(1);
    else
      return;
    if (collecting_ && given.size() == 1 && positional(given[0]) && given[0] != '*' &&
        given[0] != '@')
      aliases_[std::string(scope()) + '\x1f' + std::string(name)] = given[0];
  }
  /// What alias() found, by scope, '\x1f' and name.
  const std::map<std::string, char, std::less<>>& aliases() const { return aliases_; }
  /// Scopes with a `shift` in them (their places move).
  const std::set<std::string, std::less<>>& shifting() const { return shifting_; }
  /// Scopes called in more ways than the readings cover.
  const std::set<std::string, std::less<>>& crowded() const { return crowded_; }
  /// The words the command assigns each name (see assigned()).
  const auto& assignments() const { return assigned_; }
  /// Names value() read what the text assigns anywhere for (see value()),
  /// each with the fewest of those words a read saw.
  const std::map<std::string, size_t, std::less<>>& reads() const { return reads_; }
  /// The names the command assigns from something not known.
  const std::set<std::string, std::less<>>& opened() const { return open_; }
  /// Whether the command assigns `name` from something not known.
  bool open(std::string_view name) const { return open_.count(name) > 0; }
  /// The positional parameters' candidates by scope (analyse_shell's first pass).
  void arguments(ShellArguments* a) { arguments_ = a; }
  /// Reading enters or leaves a scope of positional parameters: a function's
  /// body (its name), `sh -c` code ("#" and the code's offset).
  void enter(std::string scope) { scopes_.push_back(std::move(scope)); }
  void leave() {
    if (!scopes_.empty()) scopes_.pop_back();
  }
  /// The scope being read ("" at the top level).
  std::string_view scope() const {
    if (scopes_.empty()) return {};
    return scopes_.back();
  }
  /// A candidate that stands for a word not known (a call's "$TOOL"): the
  /// reading that takes it leaves the parameter unknown.
  static constexpr const char* kOpaque = "\x03opaque";
  /// A value (or a field of one) that can name a command, an option, a verb
  /// or a few of them (`-delete`, `stop`, `-exec rm {} +`, `DROP TABLE
  /// users`): short, one line, no paths, URLs, quotes or shell syntax. Data
  /// (a path, a URL, JSON, a log line with punctuation) is left unknown, as
  /// in the text: read in, it made `printf '%s' "$json" | jq` look like SQL,
  /// and a URL's host name like an HTTP action.
  static bool verb_like(std::string_view v);

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
  const ShellValues* values_;
  std::vector<std::string> spread_;
  /// Names the command assigns: the known words given (true: from a run value).
  std::map<std::string, std::vector<std::pair<std::string, bool>>, std::less<>> assigned_;
  std::set<std::string, std::less<>> open_;  // of those, the ones given values or unknowns
  mutable std::map<std::string, size_t, std::less<>> reads_;  // see reads()
  std::set<std::string, std::less<>> locals_;  // function, '\x1f', name: `local` there so far
  std::vector<size_t> loops_;                  // the loops being read, outermost first
  size_t at_ = 0;                              // see at()
  std::map<std::string, std::vector<ShellArguments::Later>, std::less<>> made_;
  /// The innermost function whose body is being read ("" outside any).
  std::string_view function() const;
  std::set<std::string, std::less<>> functions_;
  std::vector<Call> calls_;
  std::set<std::string> call_keys_;  // calls_ already recorded
  std::map<std::string, size_t, std::less<>> calls_per_scope_;
  std::set<std::string, std::less<>> crowded_;
  std::set<std::string, std::less<>> shifting_;
  std::map<std::string, char, std::less<>> aliases_;
  std::map<std::string, std::string, std::less<>> unscoped_;
  std::vector<std::string> scopes_;
  ShellArguments* arguments_ = nullptr;  // its crossing is written as values are read
  bool collecting_ = false;
  mutable bool overflow_ = false;  // a name had more candidates than kMaxReadings
  size_t choice_;
  mutable size_t budget_ = 1 << 20;  // bytes of values value() may still give

  using Assigned = std::map<std::string, std::vector<std::pair<std::string, bool>>, std::less<>>;
  /// value()'s candidates of a name, read in a scope, in a form.
  struct Candidates {
    bool built = false;
    size_t given = 0;     // the words assigned it when built
    bool opened = false;  // whether it was open then
    size_t reach = 0;     // how many of what the text assigns later it had
    std::vector<std::string> list;
  };
  void build(Candidates& c, std::string_view name, bool maybe_unset, bool positional, char place,
             Assigned::const_iterator own,
             const std::vector<const ShellArguments::Later*>& later) const;
  mutable std::map<std::string, Candidates, std::less<>> candidates_;
  void push(std::vector<ShellWord> words, const RawCommand& c);
  /// collect(): records `w` when it calls a function the command defines or `set`.
  void note_call(const std::vector<ShellWord>& w);
  bool shell(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth);
  /// The code a shell (or `at`) reads on its standard input: a here-document
  /// or here-string is analysed, a pipe is unknown; false when it reads none.
  bool stdin_code(const RawCommand& c, const ShellWord& who, const std::string& what, int depth);
  size_t wrapper(const std::vector<ShellWord>& w, size_t k, std::string_view name,
                 const RawCommand& c, int depth, bool& done);
  void joined(const std::vector<ShellWord>& w, size_t from, size_t to, int depth, const char* what);
  void nested(const std::vector<ShellWord>& w, size_t from, size_t to, int depth);

  // Programs that run shell code written in their arguments (shell_programs.cpp).

  /// Shell code at w.text[offset, offset + length) that `who` runs: analysed
  /// when the word is literal, else something rbk cannot see through.
  void code_in(const ShellWord& w, size_t offset, size_t length, const std::string& who, int depth);
  /// The shell code that the program w[k] (named `base`) runs from its
  /// arguments or input, analysed or reported; its own words are pushed apart.
  void embedded(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                const RawCommand& c, int depth);
  /// sed's `e COMMAND` and `e`, and the `e` flag of `s`.
  void sed(const std::vector<ShellWord>& w, size_t k, int depth);
  /// script -c COMMAND.
  void script(const std::vector<ShellWord>& w, size_t k, int depth);
  /// tar -I, --to-command, --checkpoint-action=exec=, -F.
  void tar(const std::vector<ShellWord>& w, size_t k, int depth);
  /// psql and mysql: their -c / -e statements and here-documents.
  void database(const std::vector<ShellWord>& w, size_t k, const std::string& base,
                const RawCommand& c, int depth);
  /// psql's and mysql's shell escapes (`\!`, `system`, `\o |`) in w.text from `offset`.
  void meta_commands(const ShellWord& w, size_t offset, const std::string& base, int depth);
  /// The `…` of a psql meta-command's arguments in w.text[from, end): psql runs them with a shell.
  void psql_backquotes(const ShellWord& w, size_t from, size_t end, int depth);
  /// mysql's `system COMMAND` at the start of a statement in w.text from `offset`.
  void mysql_system(const ShellWord& w, size_t offset, const std::string& base, int depth);
  /// sqlite3's dot-commands in its arguments and input.
  void sqlite(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth);
  /// One sqlite3 line at w.text[at]: `.shell`/`.system` and pipes.
  void sqlite_line(const ShellWord& w, size_t at, int depth);
  /// ssh/scp/sftp -o ProxyCommand=… (and LocalCommand, …), scp/sftp -S.
  void ssh_options(const std::vector<ShellWord>& w, size_t k, const std::string& base, int depth);
  /// git -c KEY=VALUE and --config-env before the subcommand.
  void git(const std::vector<ShellWord>& w, size_t k, int depth);
  /// One git setting at word.text[offset] (KEY=VALUE, or KEY=ENVVAR when `from_env`).
  void git_setting(const ShellWord& word, size_t offset, bool from_env, int depth);
  /// vi/vim/ex given editor commands, or reading them in Ex mode.
  void vim(const std::vector<ShellWord>& w, size_t k, const std::string& base, const RawCommand& c);
  /// gdb -ex/-iex commands, -x scripts and commands it reads.
  void gdb(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth);
  /// One gdb command at w.text[offset]: `shell`/`!` analysed, opaque ones reported.
  void gdb_command(const ShellWord& w, size_t offset, int depth);
  /// dc's `!` in -e expressions or what it reads.
  void dc(const std::vector<ShellWord>& w, size_t k, const RawCommand& c);
  /// make --eval and $(shell …) in command-line variables.
  void make(const std::vector<ShellWord>& w, size_t k);
  /// start-stop-daemon --start: the program it starts, analysed as a
  /// command; false when it starts none.
  bool daemon(const std::vector<ShellWord>& w, size_t k, const RawCommand& c, int depth);
};

/// Where the command of `ssh [options] HOST [options] COMMAND…` starts
/// (options may follow the host): w.size() when there is none.
size_t ssh_command_start(const std::vector<ShellWord>& w, size_t k);

}  // namespace rbk::shell_detail
