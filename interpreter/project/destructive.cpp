#include "interpreter/project/destructive.hpp"

#include "interpreter/base/shipped.hpp"
#include "interpreter/base/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include "interpreter/syntax/shell_analysis.hpp"

namespace rbk {

/// One RE2::Set per scope: a unit is matched against every pattern of its
/// scope in one pass, then only the entries that matched are looked at.
struct DestructivePatterns::Compiled {
  struct Scope {
    std::unique_ptr<re2::RE2::Set> set;  // null when the scope has no pattern
    std::vector<size_t> entry;           // set index → index in patterns_
  };
  std::array<Scope, 3> scopes;
};

namespace {

// yaml-cpp marks are 0-based; a missing mark (-1) falls back to the file start.
Span span_at(const SourceFile& file, const YAML::Mark& mark, size_t length = 1) {
  if (mark.pos < 0) return Span::of(file, 0, 0);
  auto begin = static_cast<uint32_t>(mark.pos);
  return Span::of(file, begin, begin + static_cast<uint32_t>(length));
}

RE2::Options re2_options() {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(64 << 20);  // one Set holds every pattern of a scope
  return opts;
}

/// `{{name}}` in a pattern stands for the definition `name`, in a group.
bool expand_definitions(std::string& re, const std::map<std::string, std::string>& defs,
                        std::string& unknown) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t open = re.find("{{", at);
    if (open == std::string::npos) break;
    size_t close = re.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string name = re.substr(open + 2, close - open - 2);
    auto it = defs.find(name);
    if (it == defs.end()) {
      unknown = name;
      return false;
    }
    out += re.substr(at, open - at) + "(?:" + it->second + ")";
    at = close + 2;
  }
  re = out + re.substr(at);
  return true;
}

// The pattern in `node`, its definitions expanded and its syntax checked
// (parsed as RE2 parses it, with the same error text); compiled later, on
// first use.
std::shared_ptr<const LazyRegex> compile(const SourceFile& file, const YAML::Node& node,
                                         const char* what,
                                         const std::map<std::string, std::string>& defs,
                                         Diagnostics& errors) {
  std::string text = node.Scalar();
  std::string unknown;
  if (!expand_definitions(text, defs, unknown)) {
    errors.push_back(error_at(span_at(file, node.Mark(), node.Scalar().size()),
                              std::string(what) + " uses {{" + unknown + "}}, which is not defined",
                              "define it under 'definitions:' at the top of the file"));
    return nullptr;
  }
  // RE2::Set::Add parses without compiling; its error is RE2's own text.
  re2::RE2::Set parse_only(re2_options(), RE2::UNANCHORED);
  std::string error;
  if (parse_only.Add(text, &error) < 0) {
    errors.push_back(error_at(span_at(file, node.Mark(), node.Scalar().size()),
                              std::string("invalid ") + what + ": " + error,
                              "patterns use RE2 syntax (no backreferences or lookaround)"));
    return nullptr;
  }
  return std::make_shared<const LazyRegex>(std::move(text));
}

// ------------------------------------------------------------------ units

/// A piece of a unit's text and the part of the command it came from.
struct Piece {
  size_t ubegin = 0, uend = 0;          // in the unit's text
  ShellRange at;                        // in the command text
  size_t verbatim = std::string::npos;  // command offset of ubegin when copied verbatim
};

/// What one pattern scope looks at: a command, a redirection or a SQL statement.
struct Unit {
  PatternScope scope = PatternScope::Command;
  std::string text;
  std::vector<Piece> pieces;

  void add(const std::string& t, const ShellRange& at, size_t verbatim) {
    if (!text.empty()) text += ' ';
    pieces.push_back({text.size(), text.size() + t.size(), at, verbatim});
    text += t;
  }
  /// The command range of unit bytes [b, e).
  ShellRange source(size_t b, size_t e) const {
    ShellRange r{0, 0};
    const Piece* first = nullptr;
    const Piece* last = nullptr;
    for (const auto& p : pieces) {
      if (!first && p.uend > b) first = &p;
      if (p.ubegin < e) last = &p;
    }
    if (!first) first = &pieces.back();
    if (!last) last = first;
    // Inside a word copied verbatim, the exact bytes; else the whole word
    // (with its quotes).
    r.begin = first->verbatim != std::string::npos && b > first->ubegin
                  ? first->verbatim + (b - first->ubegin)
                  : first->at.begin;
    r.end = last->verbatim != std::string::npos && e < last->uend
                ? last->verbatim + (e - last->ubegin)
                : last->at.end;
    if (r.end < r.begin) r.end = r.begin;
    return r;
  }
};

/// A path in the run's own record directory that is not the record itself:
/// `$RBK_RECORD_DIR/x` reads `@record/x`. Not `..`, not events.jsonl or
/// output/ (the record), not the directory itself. Values in later parts of
/// the path (`$RBK_RECORD_DIR/evidence/$name`) are trusted not to climb out.
bool record_path(const std::string& t, std::string& out) {
  std::string rest;
  if (t.rfind("$RBK_RECORD_DIR/", 0) == 0)
    rest = t.substr(15);
  else if (t.rfind("${RBK_RECORD_DIR}/", 0) == 0)
    rest = t.substr(17);
  else
    return false;
  std::vector<std::string> parts;
  size_t at = 1;
  while (at <= rest.size()) {
    size_t slash = rest.find('/', at);
    if (slash == std::string::npos) slash = rest.size();
    parts.push_back(rest.substr(at, slash - at));
    at = slash + 1;
  }
  std::string first;
  for (const auto& p : parts) {
    if (p == "..") return false;
    if (first.empty() && !p.empty() && p != ".") first = p;
  }
  if (first.empty() || first == "events.jsonl" || first == "output" ||
      first.find_first_of("$`") != std::string::npos)
    return false;
  out = "@record" + rest;
  return true;
}

/// A word as a unit reads it: whitespace inside it becomes \x1f, so that
/// `\S+` is always one word; a record path reads `@record/…`.
void add_word(Unit& u, const ShellWord& w) {
  std::string t;
  if (record_path(w.text, t)) {
    u.add(t, w.at, std::string::npos);
    return;
  }
  t = w.text;
  for (char& c : t)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '\x1f';
  u.add(t, w.at, t == w.text ? w.verbatim : std::string::npos);
}

/// The SQL statements of a text: split at `;` outside quotes, comments
/// (`-- …`, `/* … */`) read as a space, whitespace collapsed.
void sql_units(const ShellWord& w, std::vector<Unit>& out) {
  const std::string& t = w.text;
  std::string cur;
  size_t start = 0;
  auto emit = [&](size_t end) {
    std::string norm;
    for (char c : cur) {
      bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (space) {
        if (!norm.empty() && norm.back() != ' ') norm += ' ';
      } else {
        norm += c;
      }
    }
    while (!norm.empty() && norm.back() == ' ') norm.pop_back();
    cur.clear();
    if (norm.empty()) return;
    Unit u;
    u.scope = PatternScope::Sql;
    u.text = std::move(norm);
    size_t b = start;
    while (b < end && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
    while (end > b && std::isspace(static_cast<unsigned char>(t[end - 1]))) --end;
    ShellRange at =
        w.verbatim != std::string::npos ? ShellRange{w.verbatim + b, w.verbatim + end} : w.at;
    u.pieces.push_back({0, u.text.size(), at, std::string::npos});
    out.push_back(std::move(u));
  };
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\'' || c == '"') {
      size_t close = t.find(c, i + 1);
      if (close == std::string::npos) close = t.size() - 1;
      cur.append(t, i, close - i + 1);
      i = close;
    } else if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') {
      size_t eol = t.find('\n', i);
      i = eol == std::string::npos ? t.size() : eol;
      cur += ' ';
    } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      size_t close = t.find("*/", i + 2);
      i = close == std::string::npos ? t.size() : close + 1;
      cur += ' ';
    } else if (c == ';') {
      emit(i);
      start = i + 1;
    } else {
      cur += c;
    }
  }
  emit(t.size());
}

/// Every unit of one simple command: the command, its redirections to
/// files, the SQL in its arguments and input.
std::vector<Unit> units_of(const ShellCommand& c) {
  std::vector<Unit> out;
  if (!c.words.empty()) {
    Unit u;
    // An empty argument ("" or '') is still a word, which an option may
    // take (`mount -t "" /dev/sdb1`): it reads `''`, since two blanks in a
    // row would hide it from every pattern's `\S+` (`rm -f "" -r /srv`).
    for (size_t k = 0; k < c.words.size(); ++k) {
      if (k > 0 && c.words[k].text.empty())
        u.add("''", c.words[k].at, std::string::npos);
      else
        add_word(u, c.words[k]);
    }
    out.push_back(std::move(u));
  }
  for (const auto& r : c.redirects) {
    Unit u;
    u.scope = PatternScope::Redirect;
    u.text = r.op;
    u.pieces.push_back({0, r.op.size(), r.op_at, std::string::npos});
    add_word(u, r.target);
    out.push_back(std::move(u));
  }
  // Only text with a space or `;` can hold a SQL statement worth a look.
  for (size_t k = 1; k < c.words.size(); ++k)
    if (c.words[k].text.find_first_of(" \t\n;") != std::string::npos) sql_units(c.words[k], out);
  for (const auto& in : c.input) sql_units(in, out);
  return out;
}

}  // namespace

std::string command_excerpt(std::string_view text, size_t offset, size_t length, size_t max) {
  std::string out;
  const size_t end = std::min(text.size(), offset + length);
  for (size_t i = std::min(offset, end); i < end; ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < end && text[i + 1] == '\n') continue;  // the newline follows
    if (c == '\n' || c == '\r') {
      while (i + 1 < end && (text[i + 1] == ' ' || text[i + 1] == '\t')) ++i;
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  if (out.size() > max) {
    out.resize(utf8::boundary_before(out, max));
    out += "…";
  }
  return out;
}

namespace {

/// The shipped list and what parsing it said, made once.
struct ShippedList {
  DestructivePatterns list;
  Diagnostics errors;
};

const ShippedList& shipped_list() {
  static const ShippedList once = [] {
    ShippedList out;
    const std::string name = "stdlib/destructive-patterns.yaml";
    auto text = shipped_file(name);
    if (!text) {
      // Only a build that left the file out can get here; say so rather than
      // run without the list.
      Span none;
      out.errors.push_back(
          error_at(none, "rbk was built without " + name + ": it refuses to run without it"));
      return out;
    }
    auto file =
        std::make_shared<SourceFile>(std::string(kShippedPrefix) + name, std::string(*text));
    out.list = DestructivePatterns::parse(file, out.errors);
    return out;
  }();
  return once;
}

}  // namespace

DestructivePatterns DestructivePatterns::load_shipped(Diagnostics& errors) {
  const ShippedList& s = shipped_list();
  errors.insert(errors.end(), s.errors.begin(), s.errors.end());
  return s.list;
}

const DestructivePatterns& DestructivePatterns::shipped() {
  return shipped_list().list;
}

DestructivePatterns DestructivePatterns::parse(std::shared_ptr<const SourceFile> file,
                                               Diagnostics& errors) {
  DestructivePatterns out;
  out.source_ = file;
  const SourceFile& f = *file;
  YAML::Node root;
  try {
    root = YAML::Load(f.text());
  } catch (const YAML::Exception& e) {
    errors.push_back(error_at(span_at(f, e.mark), "invalid YAML: " + e.msg));
    return out;
  }
  if (!root.IsMap() || !root["patterns"] || !root["patterns"].IsSequence()) {
    errors.push_back(error_at(span_at(f, root.Mark()), "expected a 'patterns:' list",
                              "patterns:\n  - id: rm-recursive\n    pattern: '…'\n    why: …"));
    return out;
  }
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key != "patterns" && key != "definitions")
      errors.push_back(error_at(span_at(f, kv.first.Mark(), key.size()),
                                "unknown key '" + key + "'",
                                "the keys are definitions and patterns"));
  }
  std::map<std::string, std::string> defs;
  if (const auto d = root["definitions"]) {
    if (!d.IsMap()) {
      errors.push_back(error_at(span_at(f, d.Mark()), "'definitions' must map names to patterns"));
    } else {
      for (const auto& kv : d) {
        if (!kv.second.IsScalar()) {
          errors.push_back(error_at(span_at(f, kv.second.Mark()), "a definition must be text"));
          continue;
        }
        std::string text = kv.second.Scalar();
        std::string unknown;
        if (!expand_definitions(text, defs, unknown)) {
          errors.push_back(
              error_at(span_at(f, kv.second.Mark(), kv.second.Scalar().size()),
                       "definition uses {{" + unknown + "}}, which is not defined above it"));
          continue;
        }
        defs[kv.first.Scalar()] = text;
      }
    }
  }
  std::set<std::string> ids;
  for (const auto& entry : root["patterns"]) {
    if (!entry.IsMap()) {
      errors.push_back(
          error_at(span_at(f, entry.Mark()), "expected an entry with id, pattern and why"));
      continue;
    }
    DestructivePattern p;
    bool ok = true;
    for (const auto& kv : entry) {
      const std::string key = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        errors.push_back(error_at(span_at(f, kv.second.Mark()), "'" + key + "' must be text"));
        ok = false;
        continue;
      }
      if (key == "id") {
        p.id = kv.second.Scalar();
        if (!ids.insert(p.id).second) {
          errors.push_back(
              error_at(span_at(f, kv.second.Mark(), p.id.size()), "duplicate id '" + p.id + "'"));
          ok = false;
        }
      } else if (key == "pattern") {
        p.pattern = compile(f, kv.second, "pattern", defs, errors);
        ok = ok && p.pattern;
      } else if (key == "unless") {
        p.unless = compile(f, kv.second, "'unless' pattern", defs, errors);
        ok = ok && p.unless;
      } else if (key == "why") {
        p.why = kv.second.Scalar();
      } else if (key == "scope") {
        const std::string v = kv.second.Scalar();
        if (v == "command") {
          p.scope = PatternScope::Command;
        } else if (v == "sql") {
          p.scope = PatternScope::Sql;
        } else if (v == "redirect") {
          p.scope = PatternScope::Redirect;
        } else {
          errors.push_back(error_at(span_at(f, kv.second.Mark(), v.size()),
                                    "unknown scope '" + v + "'",
                                    "scopes are command (the default), sql and redirect"));
          ok = false;
        }
      } else {
        errors.push_back(error_at(span_at(f, kv.first.Mark(), key.size()),
                                  "unknown key '" + key + "'",
                                  "entries have id, scope, pattern, unless and why"));
        ok = false;
      }
    }
    for (const char* required : {"id", "pattern", "why"}) {
      if (!entry[required]) {
        errors.push_back(
            error_at(span_at(f, entry.Mark()), std::string("entry has no '") + required + "'"));
        ok = false;
      }
    }
    if (ok) out.patterns_.push_back(std::move(p));
  }
  auto compiled = std::make_shared<Compiled>();
  std::array<bool, 3> failed{};
  for (size_t k = 0; k < out.patterns_.size(); ++k) {
    const auto s = static_cast<size_t>(out.patterns_[k].scope);
    auto& scope = compiled->scopes[s];
    if (!scope.set) scope.set = std::make_unique<re2::RE2::Set>(re2_options(), RE2::UNANCHORED);
    if (scope.set->Add(out.patterns_[k].pattern->text(), nullptr) < 0) failed[s] = true;
    scope.entry.push_back(k);
  }
  // A scope whose Set cannot be built is matched pattern by pattern instead.
  for (size_t s = 0; s < compiled->scopes.size(); ++s) {
    auto& scope = compiled->scopes[s];
    if (scope.set && (failed[s] || !scope.set->Compile())) scope.set.reset();
  }
  out.compiled_ = std::move(compiled);
  return out;
}

LazyRegex::LazyRegex(std::string text) : text_(std::move(text)) {}

LazyRegex::~LazyRegex() = default;

const re2::RE2& LazyRegex::get() const {
  std::call_once(once_, [this] { re_ = std::make_unique<const re2::RE2>(text_, re2_options()); });
  return *re_;
}

CommandVerdict DestructivePatterns::judge(std::string_view command,
                                          const ShellValues* values) const {
  CommandVerdict v;
  // Without run values the command's own still count: a name it assigns
  // (`x=delete; kubectl $x …`), a loop's words, a function's arguments.
  static const ShellValues kNone;
  if (!values && command.find('$') != std::string_view::npos) values = &kNone;
  // With values, a name the command assigns itself may hold one of several
  // candidates: one reading per combination (analyse_shell says how many).
  // A round reads them all. A name first read, or with more candidates, in
  // a later reading (a loop over "$@" in a function called with more words
  // one way than another) numbers the combinations anew, and a name read
  // before the text assigns it (a function's body, `prev=$i` in a loop)
  // had fewer candidates than the text gives it: another round reads them
  // all again, with what the last one found, until one finds nothing new
  // (a few rounds at most: a chain of names passes a value on one link a
  // round).
  constexpr int kRounds = 4;  // after the first, at most
  size_t readings = 1;
  ShellArguments arguments;  // what the readings share
  for (int round = 0; !v.destructive; ++round) {
    bool grew = false;
    for (size_t k = 0; k < readings && !v.destructive; ++k) {
      arguments.crossing.clear_grown();
      ShellAnalysis a = analyse_shell(command, values, k, &arguments);
      readings = a.readings;
      grew = grew || arguments.assigned_later || (k > 0 && arguments.crossing.grown());
      // What one reading cannot see through (a candidate that names the
      // command, a call's "$TOOL"), the command may run.
      if (!v.unanalysable && !a.unknowns.empty()) {
        const ShellUnknown& u = a.unknowns.front();
        v.unanalysable = Unanalysable{u.at.begin, u.at.end - u.at.begin, u.why};
      }
      if (patterns_.empty()) return v;
      match_into(a, v);
    }
    if (!grew) break;
    if (round == kRounds) {
      if (!v.unanalysable)
        v.unanalysable =
            Unanalysable{0, command.size(), "a variable may hold more values than rbk reads"};
      break;
    }
  }
  return v;
}

void DestructivePatterns::match_into(const ShellAnalysis& a, CommandVerdict& v) const {
  std::vector<int> hits;
  for (const auto& c : a.commands) {
    for (const Unit& u : units_of(c)) {
      const auto& scope = compiled_->scopes[static_cast<size_t>(u.scope)];
      std::vector<size_t> candidates;
      hits.clear();
      re2::RE2::Set::ErrorInfo info{re2::RE2::Set::kNoError};
      if (scope.set &&
          (scope.set->Match(u.text, &hits, &info) || info.kind == re2::RE2::Set::kNoError)) {
        for (int h : hits) candidates.push_back(scope.entry[static_cast<size_t>(h)]);
        std::sort(candidates.begin(), candidates.end());
      } else {
        for (size_t k = 0; k < patterns_.size(); ++k)
          if (patterns_[k].scope == u.scope) candidates.push_back(k);
      }
      for (size_t k : candidates) {
        const DestructivePattern& p = patterns_[k];
        const re2::RE2& re = p.pattern->get();
        re2::StringPiece found;
        if (!re.ok()) {
          // Never compiled: taken as matching the whole unit (gated), not
          // as harmless.
          found = re2::StringPiece(u.text);
        } else if (!re.Match(u.text, 0, u.text.size(), RE2::UNANCHORED, &found, 1)) {
          continue;
        }
        // An `unless` that cannot be compiled excuses nothing.
        if (p.unless && p.unless->get().ok() && RE2::PartialMatch(u.text, p.unless->get()))
          continue;
        size_t b = static_cast<size_t>(found.data() - u.text.data());
        ShellRange r = u.source(b, b + found.size());
        std::string unit = u.text;
        std::replace(unit.begin(), unit.end(), '\x1f', ' ');
        v.destructive =
            DestructiveMatch{&p, r.begin, r.end - r.begin, std::move(unit), b, found.size()};
        return;
      }
    }
  }
}

std::optional<DestructiveMatch> DestructivePatterns::match(std::string_view command) const {
  return judge(command).destructive;
}

}  // namespace rbk
