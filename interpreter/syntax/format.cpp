// `rbk fmt`: prints a Document in the one canonical layout (docs/fmt.md).
// Longer than most files here: one printer for every construct of the
// language keeps the layout rules in one place.
//
// What is printed comes from the AST, except where bytes matter: shell
// literals (`raw`), one-line strings, regexes, numbers and durations are
// copied from the source as written. `"""` text blocks are re-indented only
// in a way that leaves their dedented value unchanged.
#include "interpreter/syntax/format.hpp"

#include <algorithm>
#include <functional>
#include <string_view>
#include <vector>

#include "interpreter/syntax/ast_json.hpp"

namespace rbk {

namespace {

using namespace rbk::ast;

std::string indent_of(int depth) {
  return std::string(static_cast<size_t>(depth) * 2, ' ');
}

bool blank_line(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

/// A `"""` text block, re-indented so its content sits one level deeper than
/// `depth` and its closing quotes (when alone on their line) at `depth`. The
/// value the parser derives (common indentation removed) stays the same;
/// anything the rules cannot re-indent safely is kept as written.
std::string text_block(std::string_view raw, int depth) {
  const std::string verbatim(raw);
  if (raw.size() < 6 || raw.find('\r') != std::string_view::npos) return verbatim;
  std::string_view body = raw.substr(3, raw.size() - 6);
  const size_t nl = body.find('\n');
  if (nl == std::string_view::npos) return verbatim;
  const size_t first = body.find_first_not_of(" \t");
  if (first != std::string_view::npos && first < nl) return verbatim;  // kept as written
  std::string_view rest = body.substr(nl + 1);

  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (true) {
    size_t e = rest.find('\n', pos);
    if (e == std::string_view::npos) {
      lines.push_back(rest.substr(pos));
      break;
    }
    lines.push_back(rest.substr(pos, e - pos));
    pos = e + 1;
  }
  size_t common = std::string::npos;
  for (auto l : lines) {
    size_t nb = l.find_first_not_of(" \t");
    if (nb != std::string_view::npos) common = std::min(common, nb);
  }
  if (common == std::string::npos) return verbatim;  // no content line

  const std::string pad = indent_of(depth + 1);
  std::string out = "\"\"\"\n";
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    const bool last = i + 1 == lines.size();
    if (last && blank_line(l)) {
      out += indent_of(depth);
    } else if (blank_line(l)) {
      if (l.size() > common) {
        out += pad;
        out += l.substr(common);
      }
    } else {
      out += pad;
      out += l.substr(common);
    }
    if (!last) out += '\n';
  }
  out += "\"\"\"";
  return out;
}

std::string string_lit(const StringLit& s, int depth) {
  std::string_view raw = s.span.text();
  if (s.text_block) return text_block(raw, depth);
  return std::string(raw);
}

// Precedence, lowest first: or, and, not, comparison, postfix and primaries.
int precedence(const Expr& e) {
  if (e.kind == ExprKind::Binary) return e.op == BinOp::Or ? 1 : e.op == BinOp::And ? 2 : 4;
  if (e.kind == ExprKind::Not) return 3;
  return 5;
}

std::string expr(const Expr& e, int depth);

std::string expr_at(const ExprPtr& e, int min_prec, int depth) {
  if (!e) return std::string();
  std::string s = expr(*e, depth);
  // Parentheses the precedence needs; those the author wrote come with expr().
  if (!e->parenthesized && precedence(*e) < min_prec) return "(" + s + ")";
  return s;
}

std::string expr_unwrapped(const Expr& e, int depth);

// Grouping parentheses are kept as written: `(a and b) or (c and d)` reads
// better than the same without them, though it means the same.
std::string expr(const Expr& e, int depth) {
  if (e.parenthesized) return "(" + expr_unwrapped(e, depth) + ")";
  return expr_unwrapped(e, depth);
}

std::string expr_unwrapped(const Expr& e, int depth) {
  switch (e.kind) {
    case ExprKind::String:
      return string_lit(e.string, depth);
    case ExprKind::Number:
    case ExprKind::Duration:
      return e.text;
    case ExprKind::Bool:
      return e.boolean ? "true" : "false";
    case ExprKind::List: {
      std::string s = "[";
      for (size_t i = 0; i < e.items.size(); ++i) {
        if (i) s += ", ";
        s += expr_at(e.items[i], 1, depth);
      }
      return s + "]";
    }
    case ExprKind::Name:
      return e.name;
    case ExprKind::Member:
      return expr_at(e.items.at(0), 5, depth) + "." + e.name;
    case ExprKind::Index: {
      std::string s = expr_at(e.items.at(0), 5, depth) + "[";
      if (e.items.size() > 1) s += expr_at(e.items[1], 1, depth);
      return s + "]";
    }
    case ExprKind::Not:
      return "not " + expr_at(e.items.at(0), 3, depth);
    case ExprKind::Binary: {
      const ExprPtr none;
      const ExprPtr& lhs = e.items.empty() ? none : e.items[0];
      const ExprPtr& rhs = e.items.size() > 1 ? e.items[1] : none;
      if (e.op == BinOp::Or) return expr_at(lhs, 1, depth) + " or " + expr_at(rhs, 2, depth);
      if (e.op == BinOp::And) return expr_at(lhs, 2, depth) + " and " + expr_at(rhs, 3, depth);
      std::string s = expr_at(lhs, 5, depth);
      s += ' ';
      s += op_text(e.op);
      s += ' ';
      if (e.op == BinOp::Matches && e.regex)
        s += std::string(e.regex->span.text());
      else
        s += expr_at(rhs, 5, depth);
      return s;
    }
  }
  return std::string();
}

std::string ident_text(const Ident& i) {
  std::string_view t = i.span.text();
  if (!t.empty() && t.front() == '"') return std::string(t);  // a quoted tag
  return i.name;
}

std::string duration(const Duration& d) {
  return d.text;
}

/// One entry of a block: a comment, or an item that prints itself.
struct Entry {
  const Comment* comment = nullptr;
  int group = 0;       // entries of different groups are separated by a blank line
  bool boxed = false;  // a block of its own (step, section…): blank lines around it
  std::function<void()> emit;
  bool blank_before = false;  // the source has a blank line just before it
};

/// True when the line before the one `s` starts on is blank in the source.
bool blank_before(const Span& s) {
  if (!s.file || s.line <= 1) return false;
  return blank_line(s.file->line_text(s.line - 1));
}

/// A comment entry.
Entry comment_entry(const Comment& c) {
  return Entry{&c, 0, false, {}, blank_before(c.span)};
}

/// An item entry.
template <typename Node>
Entry item_entry(const Node& n, int group, bool boxed, std::function<void()> emit) {
  return Entry{nullptr, group, boxed, std::move(emit), blank_before(n.span)};
}

class Printer {
 public:
  std::string out;

  void line(int depth, const std::string& text) {
    out += indent_of(depth);
    out += text;
    out += '\n';
    last_has_comment_ = false;
  }

  void document(const Document& doc) {
    std::vector<Entry> entries;
    for (const auto& item : doc.items) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Comment>) {
              entries.push_back(comment_entry(x));
            } else if constexpr (std::is_same_v<T, Import>) {
              entries.push_back(item_entry(x, 1, false, [this, &x] { import(x); }));
            } else if constexpr (std::is_same_v<T, Runbook>) {
              entries.push_back(item_entry(x, 2, true, [this, &x] { runbook(x); }));
            } else {
              entries.push_back(item_entry(x, 2, true, [this, &x] { module(x); }));
            }
          },
          item);
    }
    block(entries, 0);
  }

 private:
  bool last_has_comment_ = false;

  void comment_line(int depth, const Comment& c) {
    out += indent_of(depth);
    out += '#';
    out += c.text;
    out += '\n';
    last_has_comment_ = true;
  }

  /// A trailing comment goes at the end of the line printed last; when that
  /// line already holds a comment it cannot, and gets a line of its own.
  void trailing(int depth, const Comment& c) {
    if (out.empty() || out.back() != '\n' || last_has_comment_ ||
        (out.size() >= 2 && out[out.size() - 2] == '\n')) {
      comment_line(depth, c);
      return;
    }
    out.pop_back();
    out += "  #";
    out += c.text;
    out += '\n';
    last_has_comment_ = true;
  }

  void blank() {
    if (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') return;
    if (out.empty()) return;
    out += '\n';
  }

  static bool separated(const Entry& a, const Entry& b) {
    return a.boxed || b.boxed || a.group != b.group;
  }

  /// Prints the entries of one block at `depth`: one per line, comments
  /// where they were, a blank line between groups and around boxed items.
  void block(const std::vector<Entry>& entries, int depth) {
    const Entry* prev = nullptr;
    bool in_comments = false;
    bool emitted = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      if (e.comment) {
        if (e.comment->trailing) {
          trailing(depth, *e.comment);
          continue;
        }
        if (emitted && e.blank_before) blank();  // the author's paragraph break
        emitted = true;
        if (!in_comments) {
          in_comments = true;
          const Entry* next = nullptr;
          for (size_t j = i + 1; j < entries.size() && !next; ++j)
            if (!entries[j].comment) next = &entries[j];
          if (prev && (next ? separated(*prev, *next) : prev->boxed)) blank();
        }
        comment_line(depth, *e.comment);
        continue;
      }
      if (!in_comments && prev && separated(*prev, e)) blank();
      if (in_comments && e.blank_before) blank();
      in_comments = false;
      emitted = true;
      e.emit();
      prev = &e;
    }
  }

  /// `head {`, the entries one level deeper, `}`; `head {}` when empty.
  void braced(int depth, const std::string& head, const std::vector<Entry>& entries) {
    if (entries.empty()) {
      line(depth, head + " {}");
      return;
    }
    line(depth, head + " {");
    block(entries, depth + 1);
    line(depth, "}");
  }

  // ------------------------------------------------------------ top level
  void import(const Import& i) {
    std::string s = "import " + string_lit(i.path, 0);
    if (i.alias) s += " as " + i.alias->name;
    line(0, s);
  }

  void runbook(const Runbook& r) {
    std::vector<Entry> entries;
    for (const auto& item : r.items) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Comment>) {
              entries.push_back(comment_entry(x));
            } else if constexpr (std::is_same_v<T, Meta>) {
              entries.push_back(item_entry(x, 1, false, [this, &x] { meta(x, 1); }));
            } else if constexpr (std::is_same_v<T, Param>) {
              entries.push_back(item_entry(x, 2, false, [this, &x] { line(1, param(x, 1)); }));
            } else if constexpr (std::is_same_v<T, Secret>) {
              entries.push_back(item_entry(x, 2, false, [this, &x] { line(1, secret(x)); }));
            } else if constexpr (std::is_same_v<T, Message>) {
              entries.push_back(item_entry(x, 4, false, [this, &x] {
                line(1, "message " + x.name.name + " " + string_lit(x.text, 1));
              }));
            } else {
              entries.push_back(item_entry(x, 3, true, [this, &x] { section(x, 1); }));
            }
          },
          item);
    }
    braced(0, "runbook " + r.name.name, entries);
  }

  void module(const Module& m) {
    std::vector<Entry> entries;
    for (const auto& item : m.items) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Comment>)
              entries.push_back(comment_entry(x));
            else
              entries.push_back(item_entry(x, 1, true, [this, &x] { template_(x, 1); }));
          },
          item);
    }
    braced(0, "module " + m.name.name, entries);
  }

  void template_(const Template& t, int depth) {
    std::string head = "template " + t.id.name;
    if (t.title) head += " " + string_lit(*t.title, depth);
    // Parameters come first; comments written among them (before the end of
    // the last one) stay among them, in source order.
    std::vector<Entry> entries;
    const uint32_t params_end = t.params.empty() ? 0 : t.params.back().span.end;
    size_t next_item = 0;
    auto take_comments_before = [&](uint32_t pos) {
      while (next_item < t.body.items.size()) {
        const auto* c = std::get_if<Comment>(&t.body.items[next_item]);
        if (!c || c->span.begin >= pos) break;
        entries.push_back(comment_entry(*c));
        ++next_item;
      }
    };
    for (const auto& p : t.params) {
      take_comments_before(p.span.begin);
      entries.push_back(
          item_entry(p, 1, false, [this, &p, depth] { line(depth + 1, param(p, depth + 1)); }));
    }
    take_comments_before(params_end);
    for (; next_item < t.body.items.size(); ++next_item)
      entries.push_back(statement_entry(t.body.items[next_item], depth + 1));
    braced(depth, head, entries);
  }

  // ------------------------------------------------------------ runbook items
  void meta(const Meta& m, int depth) {
    std::string s = meta_name(m.kind);
    switch (m.kind) {
      case MetaKind::Title:
      case MetaKind::Summary:
        if (m.text) s += " " + string_lit(*m.text, depth);
        break;
      case MetaKind::Severity:
      case MetaKind::Owner:
        if (m.word) s += " " + m.word->name;
        break;
      case MetaKind::Tags: {
        s += " [";
        for (size_t i = 0; i < m.tags.size(); ++i) {
          if (i) s += ", ";
          s += ident_text(m.tags[i]);
        }
        s += "]";
        break;
      }
    }
    line(depth, s);
  }

  std::string param(const Param& p, int depth) {
    std::string s = "param " + p.name.name + " : " + type_text(p.type);
    if (p.default_value) s += " = " + expr(*p.default_value, depth);
    if (p.help) s += " " + string_lit(*p.help, depth);
    return s;
  }

  std::string secret(const Secret& s) {
    std::string out_s = "secret " + s.name.name + " from ";
    if (s.source == SecretSource::Env) {
      out_s += "env";
      if (s.env_var) out_s += " " + string_lit(*s.env_var, 1);
    } else if (s.command) {
      out_s += s.command->raw;
    }
    return out_s;
  }

  void section(const Section& s, int depth) {
    std::vector<Entry> entries;
    for (const auto& item : s.items) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Comment>) {
              entries.push_back(comment_entry(x));
            } else if constexpr (std::is_same_v<T, Step>) {
              entries.push_back(item_entry(x, 1, true, [this, &x, depth] { step(x, depth + 1); }));
            } else if constexpr (std::is_same_v<T, Signal>) {
              entries.push_back(
                  item_entry(x, 1, true, [this, &x, depth] { signal(x, depth + 1); }));
            } else if constexpr (std::is_same_v<T, Check>) {
              entries.push_back(item_entry(x, 1, true, [this, &x, depth] { check(x, depth + 1); }));
            } else if constexpr (std::is_same_v<T, Cause>) {
              entries.push_back(item_entry(
                  x, 2, false, [this, &x, depth] { line(depth + 1, cause(x, depth + 1)); }));
            } else {
              entries.push_back(item_entry(
                  x, 2, false, [this, &x, depth] { line(depth + 1, escalation(x, depth + 1)); }));
            }
          },
          item);
    }
    braced(depth, section_name(s.kind), entries);
  }

  std::vector<Entry> body_entries(const Body& b, int depth) {
    std::vector<Entry> entries;
    for (const auto& st : b.items) entries.push_back(statement_entry(st, depth));
    return entries;
  }

  void step(const Step& s, int depth) {
    std::string head = "step " + s.id.name;
    if (s.title) head += " " + string_lit(*s.title, depth);
    if (s.when) head += " when " + expr(*s.when, depth);
    braced(depth, head, body_entries(s.body, depth + 1));
  }

  void signal(const Signal& s, int depth) {
    std::string head = "signal";
    if (s.id) head += " " + s.id->name;
    head += " " + string_lit(s.title, depth);
    braced(depth, head, body_entries(s.body, depth + 1));
  }

  void check(const Check& c, int depth) {
    std::string head = "check";
    if (c.id) head += " " + c.id->name;
    head += " " + string_lit(c.title, depth);
    if (c.within) head += " within " + duration(*c.within);
    if (c.every) head += " every " + duration(*c.every);
    if (c.holds) head += " holds for " + duration(*c.holds);
    braced(depth, head, body_entries(c.body, depth + 1));
  }

  std::string cause(const Cause& c, int depth) {
    std::string s = "cause " + c.id.name + " " + string_lit(c.title, depth);
    if (c.severity) s += " severity " + c.severity->name;
    if (c.when) s += " when " + expr(*c.when, depth);
    return s;
  }

  std::string notify(const Notify& n, int depth) {
    std::string s = n.page ? "page " : "notify ";
    s += n.role.name;
    if (n.message) s += " " + string_lit(*n.message, depth);
    if (n.when) s += " when " + expr(*n.when, depth);
    return s;
  }

  std::string escalation(const Escalation& e, int depth) {
    switch (e.trigger) {
      case Trigger::After:
        return "after " + (e.after ? duration(*e.after) : std::string()) +
               (e.from_step ? " from step " + e.from_step->name : std::string()) + " " +
               notify(e.action, depth);
      case Trigger::OnFailure:
        return "on failure " + notify(e.action, depth);
      case Trigger::OnSuccess:
        return "on success " + notify(e.action, depth);
      case Trigger::OnInterrupted:
        return "on interrupted " + notify(e.action, depth);
      case Trigger::Every:
        return "every " + (e.every ? duration(*e.every) : std::string()) +
               (e.lasting ? " for " + duration(*e.lasting) : std::string()) + " " +
               notify(e.action, depth);
      case Trigger::Start:
        break;
    }
    return notify(e.action, depth);
  }

  // ------------------------------------------------------------ statements
  std::string with_args(const std::vector<Arg>& args, int depth) {
    if (args.empty()) return std::string();
    std::string s = " with ";
    for (size_t i = 0; i < args.size(); ++i) {
      if (i) s += ", ";
      s += args[i].name.name + " = " + (args[i].value ? expr(*args[i].value, depth) : "");
    }
    return s;
  }

  Entry statement_entry(const Statement& st, int depth) {
    if (const auto* c = std::get_if<Comment>(&st)) return comment_entry(*c);
    const Span& sp = std::visit([](const auto& x) -> const Span& { return x.span; }, st);
    return Entry{nullptr, 1, false, [this, &st, depth] { statement(st, depth); }, blank_before(sp)};
  }

  void statement(const Statement& st, int depth) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Run>) {
            std::string s = "run " + x.shell.raw;
            if (x.capture) s += " as " + x.capture->name;
            if (x.timeout) s += " timeout " + duration(*x.timeout);
            if (x.retry) {
              s += " retry " + std::to_string(*x.retry);
              if (x.retry_every) s += " every " + duration(*x.retry_every);
            }
            line(depth, s);
          } else if constexpr (std::is_same_v<T, Destructive>) {
            line(depth, "destructive");
          } else if constexpr (std::is_same_v<T, Evidence>) {
            line(depth, "evidence");
          } else if constexpr (std::is_same_v<T, Safe>) {
            line(depth, "safe " + string_lit(x.reason, depth));
          } else if constexpr (std::is_same_v<T, Confirm>) {
            if (x.typed)
              line(depth, "confirm typed " + expr(*x.typed, depth));
            else if (x.prompt)
              line(depth, "confirm " + string_lit(*x.prompt, depth));
            else
              line(depth, "confirm");
          } else if constexpr (std::is_same_v<T, Until>) {
            std::string s = "until " + x.shell.raw + " within " + duration(x.within);
            if (x.every) s += " every " + duration(*x.every);
            line(depth, s);
          } else if constexpr (std::is_same_v<T, Verify>) {
            line(depth, "verify " + x.shell.raw);
          } else if constexpr (std::is_same_v<T, Undo>) {
            std::vector<Entry> entries;
            if (x.body) entries = body_entries(*x.body, depth + 1);
            braced(depth, "undo", entries);
          } else if constexpr (std::is_same_v<T, OnFailure>) {
            line(depth, std::string("on failure ") + policy_name(x.policy));
          } else if constexpr (std::is_same_v<T, On>) {
            std::string s = "on " + (x.targets ? expr(*x.targets, depth) : std::string());
            auto count = [](const FanoutCount& c) {
              return std::to_string(c.n) + (c.percent ? "%" : "");
            };
            if (x.serial) s += " serial " + count(*x.serial);
            if (x.max_fail) s += " max_fail " + count(*x.max_fail);
            if (x.parallel) s += " parallel " + count(*x.parallel);
            line(depth, s);
          } else if constexpr (std::is_same_v<T, Note>) {
            line(depth, "note " + string_lit(x.text, depth));
          } else if constexpr (std::is_same_v<T, Manual>) {
            line(depth, "manual " + string_lit(x.text, depth));
          } else if constexpr (std::is_same_v<T, Ask>) {
            line(depth, "ask " + x.decl->name.name + " " + string_lit(x.question, depth) + " : " +
                            answer_type_text(x));
          } else if constexpr (std::is_same_v<T, Call>) {
            line(depth, "call " + x.runbook.name + with_args(x.args, depth));
          } else if constexpr (std::is_same_v<T, Use>) {
            line(depth, "use " + x.module.name + "." + x.name.name + with_args(x.args, depth));
          } else if constexpr (std::is_same_v<T, Notify>) {
            line(depth, notify(x, depth));
          } else if constexpr (std::is_same_v<T, Firing>) {
            line(depth, "firing when " + (x.cond ? expr(*x.cond, depth) : std::string()));
          } else if constexpr (std::is_same_v<T, Passes>) {
            line(depth, "passes when " + (x.cond ? expr(*x.cond, depth) : std::string()));
          } else if constexpr (std::is_same_v<T, Comment>) {
            comment_line(depth, x);
          }
        },
        st);
  }
};

}  // namespace

std::string format_document(const ast::Document& doc) {
  Printer p;
  p.document(doc);
  return p.out;
}

namespace {

/// The AST without what only says where things were. `trailing` goes too:
/// a trailing comment after another comment inside one statement cannot stay
/// trailing (two comments never share a line), see docs/fmt.md.
void strip_positions(nlohmann::json& j) {
  if (j.is_object()) {
    j.erase("span");
    j.erase("trailing");
    j.erase("first_line");
    j.erase("file");
    for (auto& [key, value] : j.items()) strip_positions(value);
  } else if (j.is_array()) {
    for (auto& value : j) strip_positions(value);
  }
}

}  // namespace

bool same_meaning(const ast::Document& a, const ast::Document& b) {
  nlohmann::json ja = to_json(a), jb = to_json(b);
  strip_positions(ja);
  strip_positions(jb);
  return ja == jb;
}

}  // namespace rbk
