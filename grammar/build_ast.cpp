// Phase 2 of parsing: the PEGTL parse tree (already free of syntax errors)
// becomes the typed AST. Literal values are decoded here (escapes, dedent,
// durations), and comments are woven into the blocks that hold them.
#include <charconv>
#include <set>

#include "grammar/parse_tree.hpp"
#include "interpreter/base/names.hpp"

namespace rbk::grammar {

namespace {

using namespace rbk::ast;

class Builder {
 public:
  static constexpr size_t kMaxOperands = 100;

  Builder(std::shared_ptr<const SourceFile> file, const std::map<uint32_t, uint32_t>& comments,
          Diagnostics& diags)
      : file_(std::move(file)), comments_(comments), diags_(diags) {}

  std::unique_ptr<Document> document(const Node& root) {
    auto doc = std::make_unique<Document>();
    doc->source = file_;
    doc->span = Span::of(*file_, 0, static_cast<uint32_t>(file_->text().size()));
    for (const auto& c : root.children) {
      if (c->is_type<import_decl>())
        doc->items.emplace_back(import(*c));
      else if (c->is_type<runbook>())
        doc->items.emplace_back(runbook_node(*c));
      else if (c->is_type<module_decl>())
        doc->items.emplace_back(module_node(*c));
    }
    weave(doc->items, 0, doc->span.end);
    return doc;
  }

 private:
  std::shared_ptr<const SourceFile> file_;
  const std::map<uint32_t, uint32_t>& comments_;
  std::set<uint32_t> used_;
  Diagnostics& diags_;

  Span span(const Node& n) const {
    return Span::of(*file_, static_cast<uint32_t>(n.m_begin.byte),
                    static_cast<uint32_t>(n.m_end.byte));
  }
  Ident ident(const Node& n) const { return Ident{span(n), n.string()}; }

  template <typename R>
  static const Node* find(const Node& n) {
    for (const auto& c : n.children)
      if (c->is_type<R>()) return c.get();
    return nullptr;
  }
  static bool is_string_node(const Node& n) {
    return n.is_type<string_lit>() || n.is_type<title>() || n.is_type<signal_title>() ||
           n.is_type<check_title>() || n.is_type<cause_title>() || n.is_type<import_path>() ||
           n.is_type<secret_env_name>() || n.is_type<text_lit>();
  }
  static const Node* find_string(const Node& n) {
    for (const auto& c : n.children)
      if (is_string_node(*c)) return c.get();
    return nullptr;
  }

  // ------------------------------------------------------------ comments
  template <typename Item>
  static uint32_t begin_of(const Item& item) {
    return std::visit([](const auto& x) { return x.span.begin; }, item);
  }

  /// Turns the not-yet-used comments inside [lo, hi) into Comment items,
  /// merged into `items` in source order. Inner blocks are built (and take
  /// their comments) before the blocks around them.
  template <typename Item>
  void weave(std::vector<Item>& items, uint32_t lo, uint32_t hi) {
    std::vector<Item> found;
    for (auto it = comments_.lower_bound(lo); it != comments_.end() && it->first < hi; ++it) {
      if (used_.count(it->first)) continue;
      used_.insert(it->first);
      Comment c;
      c.span = Span::of(*file_, it->first, it->second);
      c.text = std::string(c.span.text().substr(1));
      std::string_view before =
          std::string_view(file_->text())
              .substr(file_->line_start(c.span.line), it->first - file_->line_start(c.span.line));
      c.trailing = before.find_first_not_of(" \t") != std::string_view::npos;
      found.emplace_back(std::move(c));
    }
    if (found.empty()) return;
    std::vector<Item> merged;
    merged.reserve(items.size() + found.size());
    size_t i = 0, j = 0;
    while (i < items.size() || j < found.size()) {
      if (j >= found.size() || (i < items.size() && begin_of(items[i]) < begin_of(found[j]))) {
        merged.push_back(std::move(items[i++]));
      } else {
        merged.push_back(std::move(found[j++]));
      }
    }
    items = std::move(merged);
  }

  // ------------------------------------------------------------ literals
  std::optional<int64_t> parse_int(std::string_view s, const Span& where, const char* what) {
    int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      diags_.push_back(error_at(where, std::string(what) + " is too large"));
      return std::nullopt;
    }
    return v;
  }

  Duration duration_of(const Node& n) {
    Duration d;
    d.span = span(n);
    d.text = n.string();
    DurationResult r = parse_duration(d.text);
    if (r.error == DurationError::UnitOrder) {
      diags_.push_back(
          error_at(d.span, "invalid duration '" + d.text + "'",
                   "units go from largest to smallest, each once, e.g. 1h30m or 2m30s"));
    } else if (r.error) {  // the grammar admits only well-formed durations: too large
      diags_.push_back(error_at(d.span, "duration is too large"));
    }
    d.ms = r.error ? 0 : r.ms;
    return d;
  }

  /// Common leading blanks of the non-blank lines.
  static size_t common_indent(std::string_view content) {
    size_t indent = std::string::npos;
    size_t pos = 0;
    while (pos < content.size()) {
      size_t e = content.find('\n', pos);
      if (e == std::string_view::npos) e = content.size();
      std::string_view line = content.substr(pos, e - pos);
      size_t nb = line.find_first_not_of(" \t\r");
      if (nb != std::string_view::npos) indent = std::min(indent, nb);
      pos = e + 1;
    }
    return indent == std::string::npos ? 0 : indent;
  }

  static std::string dedent_lines(std::string_view content, uint32_t& indent_out) {
    const size_t indent = common_indent(content);
    indent_out = static_cast<uint32_t>(indent);
    std::string out;
    size_t pos = 0;
    while (pos < content.size()) {
      size_t e = content.find('\n', pos);
      bool last = e == std::string_view::npos;
      if (last) e = content.size();
      std::string_view line = content.substr(pos, e - pos);
      // A file saved with CRLF line ends runs the same commands as with LF.
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out += line.size() >= indent ? line.substr(indent) : line.substr(line.size());
      if (!last) out += '\n';
      pos = e + 1;
    }
    return out;
  }

  Shell shell(const Node& n) {
    Shell s;
    s.span = span(n);
    s.raw = n.string();
    if (n.is_type<fenced_shell>()) {
      s.fenced = true;
      const Node* c = find<fenced_content>(n);
      std::string_view content = c ? c->string_view() : std::string_view();
      s.first_line = c ? span(*c).line : s.span.line + 1;
      s.text = dedent_lines(content, s.indent);
      if (!s.text.empty() && s.text.back() == '\n') s.text.pop_back();
    } else {
      const Node* c = find<inline_content>(n);
      s.text = c ? c->string() : std::string();
      s.first_line = s.span.line;
      s.indent = 0;
    }
    return s;
  }

  StringLit to_string_lit(const Node& n) {
    StringLit s;
    s.span = span(n);
    s.text_block = n.is_type<text_lit>();
    auto add_text = [&](const Span& sp, std::string t) {
      if (!s.parts.empty() && !s.parts.back().expr) {
        s.parts.back().text += t;
        s.parts.back().span = Span::of(*file_, s.parts.back().span.begin, sp.end);
      } else {
        s.parts.push_back(StringPart{sp, std::move(t), nullptr});
      }
    };
    for (const auto& c : n.children) {
      if (c->is_type<str_plain>() || c->is_type<text_plain>() || c->is_type<str_dollar>()) {
        add_text(span(*c), c->string());
      } else if (c->is_type<dollar_escape>()) {
        add_text(span(*c), "${");
      } else if (c->is_type<str_escape>()) {
        char e = c->string_view()[1];
        add_text(span(*c), std::string(1, e == 'n' ? '\n' : e == 't' ? '\t' : e));
      } else if (c->is_type<interp>() && !c->children.empty()) {
        s.parts.push_back(StringPart{span(*c), {}, to_expr(*c->children.front())});
      }
    }
    if (s.text_block) {
      for (auto& p : s.parts) {  // CRLF files give the same text as LF files
        if (p.expr) continue;
        std::string t;
        for (size_t i = 0; i < p.text.size(); ++i)
          if (!(p.text[i] == '\r' && i + 1 < p.text.size() && p.text[i + 1] == '\n'))
            t += p.text[i];
        p.text = std::move(t);
      }
      dedent_text(s);
    }
    return s;
  }

  /// A """ text drops its first line break and the blank line before the
  /// closing quotes, and the indentation its lines share.
  void dedent_text(StringLit& s) {
    std::string_view raw = s.span.text();
    raw = raw.substr(3, raw.size() >= 6 ? raw.size() - 6 : 0);
    std::string body(raw);
    bool leading_newline = false;
    size_t first_nl = body.find('\n');
    if (first_nl != std::string::npos && body.find_first_not_of(" \t\r") >= first_nl) {
      leading_newline = true;
      body = body.substr(first_nl + 1);
    }
    if (!leading_newline) return;  // a one-line """text""" stays as written
    const size_t indent = common_indent(body);
    bool at_line_start = true;
    for (size_t p = 0; p < s.parts.size(); ++p) {
      auto& part = s.parts[p];
      if (part.expr) {
        at_line_start = false;
        continue;
      }
      std::string out;
      std::string& t = part.text;
      size_t i = 0;
      if (p == 0) {  // drop the rest of the opening line
        size_t nl = t.find('\n');
        i = nl == std::string::npos ? t.size() : nl + 1;
      }
      while (i < t.size()) {
        if (at_line_start) {
          size_t k = 0;
          while (k < indent && i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i, ++k;
          at_line_start = false;
          continue;
        }
        out += t[i];
        if (t[i] == '\n') at_line_start = true;
        ++i;
      }
      t = std::move(out);
    }
    // Drop the closing line's indentation and the line break before it.
    if (!s.parts.empty() && !s.parts.back().expr) {
      std::string& t = s.parts.back().text;
      size_t nl = t.find_last_of('\n');
      if (nl != std::string::npos && t.find_first_not_of(" \t\r", nl + 1) == std::string::npos) {
        t.erase(nl);
      }
    }
  }

  // ------------------------------------------------------------ expressions
  ExprPtr make(ExprKind k, const Node& n) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->span = span(n);
    return e;
  }

  ExprPtr binary(BinOp op, ExprPtr lhs, ExprPtr rhs) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::Binary;
    e->op = op;
    e->span = Span::of(*file_, lhs->span.begin, rhs ? rhs->span.end : lhs->span.end);
    e->items.push_back(std::move(lhs));
    if (rhs) e->items.push_back(std::move(rhs));
    return e;
  }

  static BinOp op_of(const Node& n) {
    if (n.is_type<op_eq>()) return BinOp::Eq;
    if (n.is_type<op_ne>()) return BinOp::Ne;
    if (n.is_type<op_le>()) return BinOp::Le;
    if (n.is_type<op_ge>()) return BinOp::Ge;
    if (n.is_type<op_lt>()) return BinOp::Lt;
    if (n.is_type<op_gt>()) return BinOp::Gt;
    if (n.is_type<op_contains>()) return BinOp::Contains;
    if (n.is_type<op_not_in>()) return BinOp::NotIn;
    if (n.is_type<op_in>()) return BinOp::In;
    return BinOp::Matches;
  }

  ExprPtr to_expr(const Node& n) {
    if (n.is_type<expr>() || n.is_type<when_cond>() || n.is_type<typed_value>() ||
        n.is_type<arg_value>() || n.is_type<and_expr>() || n.is_type<or_operand>()) {
      bool is_or = !(n.is_type<and_expr>() || n.is_type<or_operand>());
      // Each operand adds a level to the tree that later passes recurse over.
      if (n.children.size() > kMaxOperands) {
        diags_.push_back(
            error_at(span(*n.children[kMaxOperands]),
                     "condition too long (more than 100 operands joined by 'and'/'or')",
                     "split it into several causes or steps"));
        return make(ExprKind::Bool, n);
      }
      ExprPtr acc;
      for (const auto& c : n.children) {
        ExprPtr e = to_expr(*c);
        acc = acc ? binary(is_or ? BinOp::Or : BinOp::And, std::move(acc), std::move(e))
                  : std::move(e);
      }
      return acc;
    }
    if (n.is_type<comparison>()) {
      ExprPtr lhs = to_expr(*n.children.at(0));
      if (n.children.size() < 3) return lhs;
      BinOp op = op_of(*n.children[1]);
      const Node& rhs = *n.children[2];
      if (op == BinOp::Matches) {
        auto e = binary(op, std::move(lhs), nullptr);
        Regex r;
        r.span = span(rhs);
        if (const Node* b = find<regex_body>(rhs)) r.pattern = b->string();
        if (const Node* f = find<regex_flags>(rhs)) r.flags = f->string();
        e->span = Span::of(*file_, e->span.begin, r.span.end);
        e->regex = std::move(r);
        return e;
      }
      return binary(op, std::move(lhs), to_expr(rhs));
    }
    if (n.is_type<postfix>() || n.is_type<operand>()) {
      ExprPtr acc = to_expr(*n.children.at(0));
      for (size_t i = 1; i < n.children.size(); ++i) {
        const Node& c = *n.children[i];
        auto e = std::make_unique<Expr>();
        e->span = Span::of(*file_, acc->span.begin, static_cast<uint32_t>(c.m_end.byte));
        if (c.is_type<member>()) {
          e->kind = ExprKind::Member;
          e->name = c.children.empty() ? std::string() : c.children[0]->string();
        } else {
          e->kind = ExprKind::Index;
        }
        e->items.push_back(std::move(acc));
        if (c.is_type<index>() && !c.children.empty()) e->items.push_back(to_expr(*c.children[0]));
        acc = std::move(e);
      }
      return acc;
    }
    if (n.is_type<negation>()) {
      auto e = make(ExprKind::Not, n);
      e->items.push_back(to_expr(*n.children.at(0)));
      return e;
    }
    if (n.is_type<paren>()) {
      // The span takes the parentheses in, so an expression's text (shown
      // by plan, quoted in messages) is the whole of what was written.
      auto e = to_expr(*n.children.at(0));
      e->span = span(n);
      return e;
    }
    if (is_string_node(n)) {
      auto e = make(ExprKind::String, n);
      e->string = to_string_lit(n);
      return e;
    }
    if (n.is_type<duration>() || n.is_type<dur_value>()) {
      auto e = make(ExprKind::Duration, n);
      Duration d = duration_of(n);
      e->ms = d.ms;
      e->text = d.text;
      return e;
    }
    if (n.is_type<number>()) {
      auto e = make(ExprKind::Number, n);
      e->text = n.string();
      e->number = std::strtod(e->text.c_str(), nullptr);
      return e;
    }
    if (n.is_type<true_lit>() || n.is_type<false_lit>()) {
      auto e = make(ExprKind::Bool, n);
      e->boolean = n.is_type<true_lit>();
      return e;
    }
    if (n.is_type<list_lit>()) {
      auto e = make(ExprKind::List, n);
      for (const auto& c : n.children) e->items.push_back(to_expr(*c));
      return e;
    }
    // name_ref, default_word, and anything unexpected: a name.
    auto e = make(ExprKind::Name, n);
    e->name = n.string();
    return e;
  }

  // ------------------------------------------------------------ statements
  std::vector<Arg> args(const Node& n) {
    std::vector<Arg> out;
    for (const auto& c : n.children) {
      if (!c->is_type<arg>()) continue;
      Arg a;
      a.span = span(*c);
      a.name = ident(*c->children.at(0));
      if (c->children.size() > 1) a.value = to_expr(*c->children[1]);
      out.push_back(std::move(a));
    }
    return out;
  }

  Notify notify(const Node& n) {
    Notify x;
    x.span = span(n);
    x.page = n.is_type<page_action>();
    if (const Node* r = find<role_ref>(n)) x.role = ident(*r);
    if (const Node* m = find_string(n)) x.message = to_string_lit(*m);
    if (const Node* w = find<when_clause>(n)) x.when = to_expr(*w->children.at(0));
    return x;
  }

  Body to_body(const Node& n) {
    Body b;
    b.span = span(n);
    for (const auto& c : n.children) {
      if (c->is_type<param_decl>()) continue;  // template parameters, taken by the caller
      b.items.push_back(statement(*c));
    }
    weave(b.items, b.span.begin, b.span.end);
    return b;
  }

  Statement statement(const Node& n) {
    if (n.is_type<run_stmt>()) {
      Run r;
      r.span = span(n);
      std::map<std::string, Span> seen;  // each option at most once
      for (const auto& c : n.children) {
        const char* opt = c->is_type<capture_name>()  ? "as"
                          : c->is_type<timeout_opt>() ? "timeout"
                          : c->is_type<retry_opt>()   ? "retry"
                                                      : nullptr;
        if (opt) {
          Span at = span(*c);
          if (auto it = seen.find(opt); it != seen.end()) {
            diags_.push_back(error_at(
                at,
                std::string("duplicate '") + opt + "' option (first at " + it->second.where() + ")",
                "give each option of a run once"));
          }
          seen.emplace(opt, at);
        }
        if (c->is_type<fenced_shell>() || c->is_type<inline_shell>())
          r.shell = shell(*c);
        else if (c->is_type<capture_name>())
          r.capture = ident(*c);
        else if (c->is_type<timeout_opt>())
          r.timeout = duration_of(*c->children.at(0));
        else if (c->is_type<retry_opt>()) {
          const Node& count = *c->children.at(0);
          r.retry_span = span(count);
          r.retry = parse_int(count.string_view(), r.retry_span, "retry count");
          if (const Node* ev = find<every_opt>(*c))
            r.retry_every = duration_of(*ev->children.at(0));
        }
      }
      return r;
    }
    if (n.is_type<destructive_stmt>()) return Destructive{span(n)};
    if (n.is_type<evidence_stmt>()) return Evidence{span(n)};
    if (n.is_type<safe_stmt>()) return Safe{span(n), to_string_lit(*find_string(n))};
    if (n.is_type<confirm_stmt>()) {
      Confirm c;
      c.span = span(n);
      if (const Node* t = find<confirm_typed>(n))
        c.typed = to_expr(*t->children.at(0));
      else if (const Node* s = find_string(n))
        c.prompt = to_string_lit(*s);
      return c;
    }
    if (n.is_type<until_stmt>()) {
      Until u;
      u.span = span(n);
      for (const auto& c : n.children) {
        if (c->is_type<fenced_shell>() || c->is_type<inline_shell>())
          u.shell = shell(*c);
        else if (c->is_type<until_within>())
          u.within = duration_of(*c->children.at(0));
        else if (c->is_type<every_opt>())
          u.every = duration_of(*c->children.at(0));
      }
      return u;
    }
    if (n.is_type<undo_stmt>()) {
      Undo u;
      u.span = span(n);
      u.body = std::make_unique<Body>(to_body(*n.children.at(0)));
      return u;
    }
    if (n.is_type<on_failure_stmt>()) {
      OnFailure o;
      o.span = span(n);
      const Node& p = *n.children.at(0);
      o.policy_span = span(p);
      o.policy = p.is_type<policy_continue>() ? FailurePolicy::Continue
                 : p.is_type<policy_abort>()  ? FailurePolicy::Abort
                                              : FailurePolicy::Rollback;
      return o;
    }
    if (n.is_type<note_stmt>()) return Note{span(n), to_string_lit(*find_string(n))};
    if (n.is_type<manual_stmt>()) return Manual{span(n), to_string_lit(*find_string(n))};
    if (n.is_type<call_stmt>()) {
      Call c;
      c.span = span(n);
      c.runbook = ident(*n.children.at(0));
      c.args = args(n);
      return c;
    }
    if (n.is_type<use_stmt>()) {
      Use u;
      u.span = span(n);
      u.module = ident(*n.children.at(0));
      u.name = ident(*n.children.at(1));
      u.args = args(n);
      return u;
    }
    if (n.is_type<page_action>() || n.is_type<notify_action>()) return notify(n);
    if (n.is_type<firing_stmt>()) return Firing{span(n), to_expr(*n.children.at(0))};
    return Passes{span(n), to_expr(*n.children.at(0))};
  }

  // ------------------------------------------------------------ sections
  SectionItem section_item(const Node& n) {
    if (n.is_type<step>()) {
      Step s;
      s.span = span(n);
      for (const auto& c : n.children) {
        if (c->is_type<step_id>())
          s.id = ident(*c);
        else if (c->is_type<title>())
          s.title = to_string_lit(*c);
        else if (c->is_type<step_when>())
          s.when = to_expr(*c->children.at(0));
        else if (c->is_type<body>())
          s.body = to_body(*c);
      }
      return s;
    }
    if (n.is_type<signal>()) {
      Signal s;
      s.span = span(n);
      for (const auto& c : n.children) {
        if (c->is_type<signal_id>())
          s.id = ident(*c);
        else if (c->is_type<signal_title>())
          s.title = to_string_lit(*c);
        else if (c->is_type<body>())
          s.body = to_body(*c);
      }
      return s;
    }
    if (n.is_type<check>()) {
      Check k;
      k.span = span(n);
      for (const auto& c : n.children) {
        if (c->is_type<check_id>())
          k.id = ident(*c);
        else if (c->is_type<check_title>())
          k.title = to_string_lit(*c);
        else if (c->is_type<within_opt>())
          k.within = duration_of(*c->children.at(0));
        else if (c->is_type<every_opt>())
          k.every = duration_of(*c->children.at(0));
        else if (c->is_type<body>())
          k.body = to_body(*c);
      }
      return k;
    }
    if (n.is_type<cause>()) {
      Cause c;
      c.span = span(n);
      c.id = ident(*n.children.at(0));
      c.title = to_string_lit(*n.children.at(1));
      c.when = to_expr(*n.children.at(2)->children.at(0));
      return c;
    }
    Escalation e;
    e.span = span(n);
    if (n.is_type<esc_after>()) {
      e.trigger = Trigger::After;
      e.after = duration_of(*n.children.at(0));
      e.action = notify(*n.children.at(1));
    } else if (n.is_type<esc_on>()) {
      e.trigger =
          n.children.at(0)->is_type<esc_event_success>() ? Trigger::OnSuccess : Trigger::OnFailure;
      e.action = notify(*n.children.at(1));
    } else {
      e.trigger = Trigger::Start;
      e.action = notify(n);
    }
    return e;
  }

  std::optional<SectionKind> section_kind(const Node& n) {
    if (n.is_type<alert_section>()) return SectionKind::Alert;
    if (n.is_type<diagnose_section>()) return SectionKind::Diagnose;
    if (n.is_type<causes_section>()) return SectionKind::Causes;
    if (n.is_type<remediate_section>()) return SectionKind::Remediate;
    if (n.is_type<verify_section>()) return SectionKind::Verify;
    if (n.is_type<rollback_section>()) return SectionKind::Rollback;
    if (n.is_type<escalate_section>()) return SectionKind::Escalate;
    return std::nullopt;
  }

  // ------------------------------------------------------------ runbook
  Param param(const Node& n) {
    Param p;
    p.span = span(n);
    for (const auto& c : n.children) {
      if (c->is_type<param_name>())
        p.name = ident(*c);
      else if (c->is_type<param_default>())
        p.default_value = to_expr(*c->children.at(0));
      else if (is_string_node(*c))
        p.help = to_string_lit(*c);
      else {
        p.type.span = span(*c);
        if (c->is_type<type_enum>()) {
          p.type.kind = TypeKind::Enum;
          for (const auto& v : c->children) p.type.values.push_back(ident(*v));
        } else if (c->is_type<type_int>())
          p.type.kind = TypeKind::Int;
        else if (c->is_type<type_bool>())
          p.type.kind = TypeKind::Bool;
        else if (c->is_type<type_duration>())
          p.type.kind = TypeKind::Duration;
        else if (c->is_type<type_list>())
          p.type.kind = TypeKind::List;
        else
          p.type.kind = TypeKind::String;
      }
    }
    return p;
  }

  RunbookItem runbook_item(const Node& n) {
    if (auto kind = section_kind(n)) {
      Section s;
      s.span = span(n);
      s.kind = *kind;
      s.keyword =
          Span::of(*file_, s.span.begin,
                   s.span.begin + static_cast<uint32_t>(std::string(section_name(*kind)).size()));
      for (const auto& c : n.children) s.items.push_back(section_item(*c));
      weave(s.items, s.span.begin, s.span.end);
      return s;
    }
    if (n.is_type<param_decl>()) return param(n);
    if (n.is_type<secret_decl>()) {
      Secret s;
      s.span = span(n);
      s.name = ident(*n.children.at(0));
      const Node& src = *n.children.at(1);
      if (src.is_type<secret_env>()) {
        s.source = SecretSource::Env;
        if (!src.children.empty()) s.env_var = to_string_lit(*src.children[0]);
      } else {
        s.source = SecretSource::Command;
        s.command = shell(*src.children.at(0));
      }
      return s;
    }
    Meta m;
    m.span = span(n);
    if (n.is_type<meta_title>()) {
      m.kind = MetaKind::Title;
      m.text = to_string_lit(*n.children.at(0));
    } else if (n.is_type<meta_summary>()) {
      m.kind = MetaKind::Summary;
      m.text = to_string_lit(*n.children.at(0));
    } else if (n.is_type<meta_severity>()) {
      m.kind = MetaKind::Severity;
      m.word = ident(*n.children.at(0));
    } else if (n.is_type<meta_owner>()) {
      m.kind = MetaKind::Owner;
      m.word = ident(*n.children.at(0));
    } else {
      m.kind = MetaKind::Tags;
      for (const auto& t : n.children.at(0)->children) {
        if (!t->children.empty())
          m.tags.push_back(Ident{span(*t), to_string_lit(*t->children[0]).plain()});
        else
          m.tags.push_back(ident(*t));
      }
    }
    return m;
  }

  Runbook runbook_node(const Node& n) {
    Runbook r;
    r.span = span(n);
    r.name = ident(*n.children.at(0));
    for (size_t i = 1; i < n.children.size(); ++i) r.items.push_back(runbook_item(*n.children[i]));
    weave(r.items, r.span.begin, r.span.end);
    return r;
  }

  Module module_node(const Node& n) {
    Module m;
    m.span = span(n);
    m.name = ident(*n.children.at(0));
    for (size_t i = 1; i < n.children.size(); ++i) {
      const Node& t = *n.children[i];
      Template tp;
      tp.span = span(t);
      for (const auto& c : t.children) {
        if (c->is_type<template_id>())
          tp.id = ident(*c);
        else if (c->is_type<title>())
          tp.title = to_string_lit(*c);
        else if (c->is_type<template_body>()) {
          for (const auto& p : c->children)
            if (p->is_type<param_decl>()) tp.params.push_back(param(*p));
          tp.body = to_body(*c);
        }
      }
      m.items.emplace_back(std::move(tp));
    }
    weave(m.items, m.span.begin, m.span.end);
    return m;
  }

  Import import(const Node& n) {
    Import i;
    i.span = span(n);
    i.path = to_string_lit(*n.children.at(0));
    if (const Node* a = find<import_alias>(n)) i.alias = ident(*a);
    return i;
  }
};

}  // namespace

std::unique_ptr<ast::Document> build_document(const Node& root,
                                              std::shared_ptr<const SourceFile> file,
                                              const std::map<uint32_t, uint32_t>& comments,
                                              Diagnostics& diagnostics) {
  Builder b(std::move(file), comments, diagnostics);
  return b.document(root);
}

}  // namespace rbk::grammar
