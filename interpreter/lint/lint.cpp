// `rbk lint`: the rule table, the rules, levels from rbk.yaml and
// suppressions. Each rule walks the AST (no execution) and adds Diagnostics
// whose `code` is the rule id; the check pass's diagnostics come first.
#include "interpreter/lint/lint.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "interpreter/base/names.hpp"
#include "interpreter/lint/shellcheck.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/process_runner.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk {

namespace {

/// find_runbook, remembered for the whole process: a lookup that falls back
/// to reading every file on the path must not happen once per `call` in a
/// repository of thousands of runbooks (lint runs files on several threads).
FoundRunbook find_runbook_cached(const std::string& name, const std::vector<std::string>& path) {
  static std::mutex mu;
  static std::map<std::string, FoundRunbook> cache;
  std::string key = name;
  for (const auto& dir : path) key += '\n' + dir;
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  FoundRunbook f = find_runbook(name, path);
  std::lock_guard lock(mu);
  return cache.emplace(key, std::move(f)).first->second;
}

using namespace ast;

// ------------------------------------------------------------ walking

/// Calls `f` on every expression in `e` (itself included).
template <typename F>
void walk_expr(const Expr& e, F& f);

template <typename F>
void walk_string(const StringLit& s, F& f) {
  for (const auto& p : s.parts)
    if (p.expr) walk_expr(*p.expr, f);
}

template <typename F>
void walk_expr(const Expr& e, F& f) {
  f(e);
  if (e.kind == ExprKind::String) walk_string(e.string, f);
  for (const auto& i : e.items)
    if (i) walk_expr(*i, f);
}

/// Every expression (and interpolation) in a body.
template <typename F>
void walk_body_exprs(const Body& b, F& f) {
  for (const auto& st : b.items) {
    std::visit(
        [&](const auto& s) {
          using T = std::decay_t<decltype(s)>;
          if constexpr (std::is_same_v<T, Confirm>) {
            if (s.prompt) walk_string(*s.prompt, f);
            if (s.typed) walk_expr(*s.typed, f);
          } else if constexpr (std::is_same_v<T, Undo>) {
            if (s.body) walk_body_exprs(*s.body, f);
          } else if constexpr (std::is_same_v<T, Note> || std::is_same_v<T, Manual>) {
            walk_string(s.text, f);
          } else if constexpr (std::is_same_v<T, Safe>) {
            walk_string(s.reason, f);
          } else if constexpr (std::is_same_v<T, Call> || std::is_same_v<T, Use>) {
            for (const auto& a : s.args)
              if (a.value) walk_expr(*a.value, f);
          } else if constexpr (std::is_same_v<T, Notify>) {
            if (s.message) walk_string(*s.message, f);
            if (s.when) walk_expr(*s.when, f);
          } else if constexpr (std::is_same_v<T, Firing> || std::is_same_v<T, Passes>) {
            if (s.cond) walk_expr(*s.cond, f);
          }
        },
        st);
  }
}

/// Every shell literal in a body (undo bodies included).
template <typename F>
void walk_body_shells(const Body& b, F& f) {
  for (const auto& st : b.items) {
    if (const auto* r = std::get_if<Run>(&st)) f(r->shell);
    if (const auto* u = std::get_if<Until>(&st)) f(u->shell);
    if (const auto* u = std::get_if<Undo>(&st); u && u->body) walk_body_shells(*u->body, f);
  }
}

/// Every expression of the runbook.
template <typename F>
void walk_runbook_exprs(const Runbook& r, F& f) {
  for (const auto& item : r.items) {
    if (const auto* m = std::get_if<Meta>(&item)) {
      if (m->text) walk_string(*m->text, f);
    } else if (const auto* p = std::get_if<Param>(&item)) {
      if (p->help) walk_string(*p->help, f);
    } else if (const auto* s = std::get_if<Section>(&item)) {
      for (const auto& si : s->items) {
        if (const auto* st = std::get_if<Step>(&si)) {
          if (st->title) walk_string(*st->title, f);
          if (st->when) walk_expr(*st->when, f);
          walk_body_exprs(st->body, f);
        } else if (const auto* sg = std::get_if<Signal>(&si)) {
          walk_string(sg->title, f);
          walk_body_exprs(sg->body, f);
        } else if (const auto* ck = std::get_if<Check>(&si)) {
          walk_string(ck->title, f);
          walk_body_exprs(ck->body, f);
        } else if (const auto* c = std::get_if<Cause>(&si)) {
          walk_string(c->title, f);
          if (c->when) walk_expr(*c->when, f);
        } else if (const auto* e = std::get_if<Escalation>(&si)) {
          if (e->action.message) walk_string(*e->action.message, f);
          if (e->action.when) walk_expr(*e->action.when, f);
        }
      }
    }
  }
}

/// The bodies of a runbook with their section (steps, signals, checks).
struct BodyRef {
  const Body* body;
  SectionKind section;
  const Step* step;  // null for signals and checks
  Span where;        // the id or title
};

std::vector<BodyRef> bodies_of(const Runbook& r) {
  std::vector<BodyRef> out;
  for (const auto& item : r.items) {
    const auto* s = std::get_if<Section>(&item);
    if (!s) continue;
    for (const auto& si : s->items) {
      if (const auto* st = std::get_if<Step>(&si))
        out.push_back({&st->body, s->kind, st, st->id.span});
      else if (const auto* sg = std::get_if<Signal>(&si))
        out.push_back({&sg->body, s->kind, nullptr, sg->id ? sg->id->span : sg->title.span});
      else if (const auto* ck = std::get_if<Check>(&si))
        out.push_back({&ck->body, s->kind, nullptr, ck->id ? ck->id->span : ck->title.span});
    }
  }
  return out;
}

// ------------------------------------------------------------ shell text

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// A `$NAME` or `${NAME…}` in shell text.
struct VarRef {
  std::string name;
  size_t offset;  // of the '$'
  size_t length;
};

/// Variable references outside single quotes, bare names inside `$((…))`
/// included. A simple scan: it does not
/// parse the shell (here-documents, nested quoting in $(…) and `eval` are
/// taken as plain text).
std::vector<VarRef> shell_vars(const std::string& t) {
  std::vector<VarRef> out;
  bool in_double = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '\'' && !in_double) {
      size_t end = t.find('\'', i + 1);
      if (end == std::string::npos) break;
      i = end;
      continue;
    }
    if (c == '#' && !in_double && (i == 0 || std::isspace(static_cast<unsigned char>(t[i - 1])))) {
      size_t end = t.find('\n', i);  // a shell comment
      if (end == std::string::npos) break;
      i = end;
      continue;
    }
    if (c == '"') {
      in_double = !in_double;
      continue;
    }
    if (c != '$' || i + 1 >= t.size()) continue;
    if (t.compare(i + 1, 2, "((") == 0) {
      // Arithmetic expansion: bare names inside are variables ($((count + 1))).
      // `$…` inside is left to this loop (it goes on right after "$(("), and
      // a nested $(command) or ${…} is skipped here, not read as names.
      int depth = 2;
      for (size_t j = i + 3; j < t.size() && depth > 0;) {
        char d = t[j];
        if (d == '(') {
          ++depth, ++j;
        } else if (d == ')') {
          --depth, ++j;
        } else if (d == '$' && j + 1 < t.size() && (t[j + 1] == '(' || t[j + 1] == '{')) {
          const char open = t[j + 1], close = open == '(' ? ')' : '}';
          int inner = 0;
          size_t k = j + 1;
          for (; k < t.size(); ++k) {
            if (t[k] == open) ++inner;
            if (t[k] == close && --inner == 0) break;
          }
          j = k + 1;
        } else if (d == '$') {
          ++j;
          while (j < t.size() && ident_char(t[j])) ++j;
        } else if (ident_start(d) && !ident_char(t[j - 1])) {
          size_t k = j;
          while (k < t.size() && ident_char(t[k])) ++k;
          out.push_back({t.substr(j, k - j), j, k - j});
          j = k;
        } else {
          ++j;
        }
      }
      i += 2;
      continue;
    }
    if (ident_start(t[i + 1])) {
      size_t j = i + 1;
      while (j < t.size() && ident_char(t[j])) ++j;
      out.push_back({t.substr(i + 1, j - i - 1), i, j - i});
      i = j - 1;
    } else if (t[i + 1] == '{') {
      size_t j = i + 2;
      if (j < t.size() && t[j] == '#') ++j;
      size_t s = j;
      while (j < t.size() && ident_char(t[j])) ++j;
      if (j > s && ident_start(t[s])) {
        size_t close = t.find('}', j);
        out.push_back({t.substr(s, j - s), i, (close == std::string::npos ? j : close + 1) - i});
      }
    }
  }
  return out;
}

/// Names a shell literal assigns itself: `name=`, `for name in`, `read [-r] name…`,
/// `local`/`export`/`readonly name`.
std::set<std::string> assigned_in(const std::string& t) {
  std::set<std::string> out;
  auto word_before_ok = [&](size_t i) {
    return i == 0 || std::isspace(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == ';' ||
           t[i - 1] == '&' || t[i - 1] == '|' || t[i - 1] == '(' || t[i - 1] == '{';
  };
  for (size_t i = 0; i < t.size(); ++i) {
    if (!ident_start(t[i]) || !word_before_ok(i)) continue;
    size_t j = i;
    while (j < t.size() && ident_char(t[j])) ++j;
    std::string w = t.substr(i, j - i);
    if (j < t.size() && t[j] == '=') out.insert(w);
    if (w == "for" || w == "read" || w == "local" || w == "export" || w == "readonly" ||
        w == "getopts") {
      // The following words up to the end of the command.
      size_t k = j;
      bool first = true;
      while (k < t.size() && t[k] != '\n' && t[k] != ';' && t[k] != '|' && t[k] != '&') {
        while (k < t.size() && (t[k] == ' ' || t[k] == '\t')) ++k;
        size_t s = k;
        while (k < t.size() && !std::isspace(static_cast<unsigned char>(t[k])) && t[k] != ';' &&
               t[k] != '|' && t[k] != '&')
          ++k;
        std::string arg = t.substr(s, k - s);
        if (arg.empty()) break;
        if (w == "for" && !first) break;
        if (arg == "in" || arg == "do") break;
        size_t eq = arg.find('=');
        std::string name = arg.substr(0, eq);
        if (!name.empty() && ident_start(name[0]) &&
            std::all_of(name.begin(), name.end(), ident_char))
          out.insert(name);
        first = false;
      }
    }
    i = j;
  }
  return out;
}

const std::set<std::string>& common_env() {
  static const std::set<std::string> s{
      "HOME",    "PATH",   "USER", "PWD",  "HOSTNAME", "TMPDIR", "LANG",    "SHELL",
      "LOGNAME", "OLDPWD", "IFS",  "TERM", "LC_ALL",   "RANDOM", "LINENO",  "PPID",
      "OPTARG",  "OPTIND", "UID",  "EUID", "SECONDS",  "REPLY",  "COLUMNS", "LINES"};
  return s;
}

// ------------------------------------------------------------ suppressions

struct Suppression {
  const Comment* comment;
  uint32_t target_line;
  std::vector<std::string> rules;
  std::vector<std::string> unknown;
  bool has_reason;
  std::set<std::string> used;
};

/// `# rbk: ignore RBK101[, RBK102] -- reason`; nullopt when the comment is not one.
std::optional<Suppression> parse_suppression(const Comment& c) {
  std::string t = trim(c.text, " \t\r");
  if (t.rfind("rbk:", 0) != 0) return std::nullopt;
  t = trim(t.substr(4), " \t\r");
  if (t.rfind("ignore", 0) != 0) return std::nullopt;
  t = t.substr(6);
  Suppression s{&c, 0, {}, {}, false, {}};
  std::string ids = t;
  size_t dash = t.find("--");
  if (dash != std::string::npos) {
    ids = t.substr(0, dash);
    s.has_reason = !trim(t.substr(dash + 2), " \t\r").empty();
  }
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    (find_rule(cur) ? s.rules : s.unknown).push_back(cur);
    cur.clear();
  };
  for (char ch : ids) {
    if (ch == ',' || std::isspace(static_cast<unsigned char>(ch)))
      flush();
    else
      cur += ch;
  }
  flush();
  return s;
}

/// Every comment of the document.
void collect_comments(const Document& doc, std::vector<const Comment*>& out) {
  std::function<void(const Body&)> body = [&](const Body& b) {
    for (const auto& st : b.items) {
      if (const auto* c = std::get_if<Comment>(&st)) out.push_back(c);
      if (const auto* u = std::get_if<Undo>(&st); u && u->body) body(*u->body);
    }
  };
  for (const auto& item : doc.items) {
    if (const auto* c = std::get_if<Comment>(&item)) out.push_back(c);
    if (const auto* r = std::get_if<Runbook>(&item)) {
      for (const auto& ri : r->items) {
        if (const auto* c = std::get_if<Comment>(&ri)) out.push_back(c);
        if (const auto* s = std::get_if<Section>(&ri)) {
          for (const auto& si : s->items) {
            if (const auto* c = std::get_if<Comment>(&si)) out.push_back(c);
            if (const auto* st = std::get_if<Step>(&si)) body(st->body);
            if (const auto* sg = std::get_if<Signal>(&si)) body(sg->body);
            if (const auto* ck = std::get_if<Check>(&si)) body(ck->body);
          }
        }
      }
    }
    if (const auto* m = std::get_if<Module>(&item)) {
      for (const auto& mi : m->items) {
        if (const auto* c = std::get_if<Comment>(&mi)) out.push_back(c);
        if (const auto* t = std::get_if<Template>(&mi)) body(t->body);
      }
    }
  }
}

/// Every fenced shell literal of the document.
std::vector<const Shell*> fenced_shells(const Document& doc) {
  std::vector<const Shell*> out;
  auto f = [&](const Shell& sh) {
    if (sh.fenced) out.push_back(&sh);
  };
  if (const Runbook* r = doc.runbook()) {
    for (const BodyRef& b : bodies_of(*r)) walk_body_shells(*b.body, f);
    for (const auto& item : r->items)
      if (const auto* s = std::get_if<Secret>(&item); s && s->command) f(*s->command);
  }
  if (const Module* m = doc.module())
    for (const auto& item : m->items)
      if (const auto* t = std::get_if<Template>(&item)) walk_body_shells(t->body, f);
  return out;
}

// ------------------------------------------------------------ the linter

class Linter {
 public:
  Linter(const Document& doc, const LintOptions& opts, ModuleLoader& loader)
      : doc_(doc), opts_(opts) {
    std::vector<std::string> errs;
    imports_ = resolve_imports(doc, loader, errs);
  }

  /// Every rule but ShellCheck; the shell literals go to `snippets`.
  Diagnostics run(std::vector<ShellSnippet>& snippets) {
    if (const Runbook* r = doc_.runbook()) lint_runbook(*r);
    if (const Module* m = doc_.module()) lint_module(*m);
    snippets = std::move(snippets_);
    return std::move(found_);
  }

 private:
  const Document& doc_;
  const LintOptions& opts_;
  Imports imports_;
  Diagnostics found_;
  std::vector<ShellSnippet> snippets_;

  /// A finding of rule `id`, at the rule's default severity unless `severity` is given.
  void report(const char* id, const Span& at, std::string msg, std::string help = {},
              std::optional<Severity> severity = std::nullopt) {
    Diagnostic d = error_at(at, std::move(msg), std::move(help));
    d.code = id;
    d.severity = severity ? *severity : find_rule(id)->default_severity;
    found_.push_back(std::move(d));
  }

  // ---------------------------------------------------------- runbook
  void lint_runbook(const Runbook& r) {
    std::map<MetaKind, const Meta*> metas;
    std::set<SectionKind> sections;
    const Section* escalate = nullptr;
    for (const auto& item : r.items) {
      if (const auto* m = std::get_if<Meta>(&item)) metas.emplace(m->kind, m);
      if (const auto* s = std::get_if<Section>(&item)) {
        sections.insert(s->kind);
        if (s->kind == SectionKind::Escalate && !escalate) escalate = s;
      }
    }
    std::string severity;
    if (auto it = metas.find(MetaKind::Severity); it != metas.end() && it->second->word)
      severity = it->second->word->name;
    const bool critical = severity == "critical";
    const bool has_rollback = sections.count(SectionKind::Rollback) > 0;

    // safety
    for (const BodyRef& b : bodies_of(r)) lint_safety(b, critical, has_rollback);

    // structure
    std::vector<std::string> required;  // every section but causes, by default
    for (auto k : {SectionKind::Alert, SectionKind::Diagnose, SectionKind::Remediate,
                   SectionKind::Verify, SectionKind::Rollback, SectionKind::Escalate})
      required.push_back(section_name(k));
    if (opts_.config && opts_.config->lint.required_sections)
      required = *opts_.config->lint.required_sections;
    for (const auto& name : required) {
      bool present = false;
      for (auto k : sections) present = present || name == section_name(k);
      if (!present)
        report("RBK201", r.name.span, "runbook '" + r.name.name + "' has no '" + name + "' section",
               "the lint policy requires it (lint.required_sections in rbk.yaml)");
    }
    if (!metas.count(MetaKind::Title))
      report("RBK202", r.name.span, "runbook '" + r.name.name + "' has no title",
             "add: title \"…\"");
    if (!metas.count(MetaKind::Owner))
      report("RBK203", r.name.span, "runbook '" + r.name.name + "' has no owner",
             "add: owner ROLE");
    if (!metas.count(MetaKind::Severity))
      report("RBK204", r.name.span, "runbook '" + r.name.name + "' has no severity",
             "add: severity LEVEL");
    lint_roles(r, metas);
    if (opts_.config && !opts_.config->severities.empty() && !severity.empty() &&
        !opts_.config->severities.count(severity)) {
      report("RBK206", metas[MetaKind::Severity]->word->span,
             "severity '" + severity + "' is not defined in rbk.yaml",
             "severities defined there: " + keys(opts_.config->severities));
    }
    lint_calls(r);
    if (critical && escalate) {
      bool timed = false;
      for (const auto& si : escalate->items)
        if (const auto* e = std::get_if<Escalation>(&si); e && e->trigger == Trigger::After)
          timed = true;
      if (!timed)
        report("RBK208", escalate->keyword,
               "critical runbook '" + r.name.name + "' never escalates on time",
               "add a rule such as: after 15m page secondary-oncall");
    }

    // correctness
    lint_usage(r);
    lint_causes(r);
    lint_shell_vars_runbook(r);
  }

  template <typename Map>
  static std::string keys(const Map& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  /// What a body's statements say and do, for the safety rules.
  struct Safety {
    bool marked = false, has_undo = false, no_rollback_wanted = false;
    const Confirm* confirm = nullptr;
    const StepStatement* confirm_at = nullptr;
    std::optional<Span> safe_at;  // the `safe` statement (or the `use` bringing it)
    struct Finding {
      Span span;
      std::string what;  // "'rm -rf x' (recursive delete)"
    };
    std::vector<Finding> hits;      // destructive matches
    std::vector<Finding> unknowns;  // commands rbk cannot analyse
    std::vector<const StepStatement*> undos;
    bool gated() const { return marked && confirm; }
  };

  Safety safety_of(const std::vector<StepStatement>& stmts) const {
    Safety out;
    for (const auto& s : stmts) {
      if (std::holds_alternative<Destructive>(*s.stmt)) out.marked = true;
      if (std::holds_alternative<Undo>(*s.stmt)) {
        out.has_undo = true;
        out.undos.push_back(&s);
      }
      if (const auto* sf = std::get_if<Safe>(s.stmt)) out.safe_at = s.use ? s.use->span : sf->span;
      // `on failure continue|abort`: the author chose not to roll back.
      if (const auto* of = std::get_if<OnFailure>(s.stmt);
          of && of->policy != FailurePolicy::Rollback)
        out.no_rollback_wanted = true;
      if (const auto* c = std::get_if<Confirm>(s.stmt);
          c && (!out.confirm || (c->typed && !out.confirm->typed))) {
        out.confirm = c;
        out.confirm_at = &s;
      }
      const Shell* sh = nullptr;
      if (const auto* run = std::get_if<Run>(s.stmt)) sh = &run->shell;
      if (const auto* until = std::get_if<Until>(s.stmt)) sh = &until->shell;
      if (!sh || !opts_.patterns) continue;
      CommandVerdict v = opts_.patterns->judge(sh->text);
      if (v.destructive) {
        const auto& m = *v.destructive;
        out.hits.push_back(
            {s.use ? s.use->span : sh->span_of(m.offset, m.length),
             "'" + command_excerpt(sh->text, m.offset, m.length) + "' (" + m.pattern->why + ")"});
      }
      if (v.unanalysable) {
        const auto& u = *v.unanalysable;
        out.unknowns.push_back(
            {s.use ? s.use->span : sh->span_of(u.offset, u.length),
             "'" + command_excerpt(sh->text, u.offset, u.length) + "' (" + u.why + ")"});
      }
    }
    return out;
  }

  /// RBK101 for a body outside alert, diagnose and verify: each destructive
  /// command, unless the body is marked `destructive` and has a `confirm`.
  /// `holder` names it: "the step", "the undo block", "template 'x'".
  void lint_ungated(const Safety& s, const std::string& holder, const std::string& where) {
    if (s.gated()) return;
    for (const auto& h : s.hits) {
      std::string missing = !s.marked && !s.confirm ? "is not marked destructive and has no confirm"
                            : !s.marked             ? "is not marked destructive"
                                                    : "has no confirm";
      report("RBK101", h.span, "runs " + h.what + " but " + holder + " " + missing,
             "add 'destructive' and 'confirm \"…\"' to the " + where);
    }
  }

  /// The gate rules of an undo block: it asks before it runs, as a step does.
  /// An undo a template brings is reported at the `use`, as its statements are.
  void lint_undo(const StepStatement& undo) {
    const Undo& u = std::get<Undo>(*undo.stmt);
    if (!u.body) return;
    std::vector<StepStatement> stmts;
    if (undo.use) {
      for (const auto& st : u.body->items)
        if (!std::holds_alternative<Comment>(st)) stmts.push_back({&st, undo.use, undo.tmpl});
    } else {
      stmts = expand_body(*u.body, imports_);
    }
    const Safety s = safety_of(stmts);
    lint_ungated(s, "the undo block", "undo block");
    lint_unanalysable(s, false, "undo block");
  }

  /// RBK105 and RBK106 for one gated body (a step, signal, check, undo block
  /// or template); `read_only` for alert, diagnose and verify.
  void lint_unanalysable(const Safety& s, bool read_only, const char* where) {
    if (!s.unknowns.empty() && !s.safe_at) {
      for (const auto& u : s.unknowns) {
        if (read_only)
          report("RBK105", u.span, "rbk cannot analyse " + u.what + " in the " + where + " section",
                 std::string(where) +
                     " should only read, visibly: write the command so rbk can read it, or say "
                     "why it is harmless with 'safe \"…\"'",
                 Severity::Error);
        else if (!s.gated())
          report("RBK105", u.span, "rbk cannot analyse " + u.what + ", so it runs behind a gate",
                 "mark the " + std::string(where) +
                     " 'destructive' with a 'confirm \"…\"', or say why it is harmless with "
                     "'safe \"…\"'");
      }
    }
    if (s.safe_at && s.unknowns.empty())
      report("RBK106", *s.safe_at, "'safe' vouches for nothing: rbk can analyse every command here",
             "remove it; 'safe' is only for commands rbk cannot analyse");
  }

  void lint_safety(const BodyRef& b, bool critical, bool has_rollback) {
    std::vector<StepStatement> stmts = expand_body(*b.body, imports_);
    const Safety s = safety_of(stmts);
    const bool destructive = s.marked || !s.hits.empty();
    const bool read_only = b.section == SectionKind::Alert || b.section == SectionKind::Diagnose ||
                           b.section == SectionKind::Verify;
    if (read_only && destructive) {
      Span at = s.hits.empty() ? b.where : s.hits.front().span;
      report("RBK102", at,
             std::string("destructive ") + (b.step ? "step" : "command") + " in the " +
                 section_name(b.section) + " section",
             std::string(section_name(b.section)) +
                 " should only read; move the action to remediate, behind a gate");
    } else {
      lint_ungated(s, "the step", "step");
    }
    lint_unanalysable(s, read_only, read_only ? section_name(b.section) : "step");
    // An undo block has a gate of its own when it runs.
    for (const StepStatement* u : s.undos) lint_undo(*u);
    if (b.section == SectionKind::Remediate && destructive && !s.has_undo && !has_rollback &&
        !s.no_rollback_wanted)
      report("RBK103", b.where,
             "destructive step '" + std::string(b.where.text()) +
                 "' has no undo, and the runbook has no rollback section",
             "add 'undo { … }' to the step or a rollback section to the runbook");
    if (critical && destructive && s.confirm && !s.confirm->typed && !read_only) {
      Span at = s.confirm_at && s.confirm_at->use ? s.confirm_at->use->span : s.confirm->span;
      report("RBK104", at, "a y/N confirmation guards a destructive step in a critical runbook",
             "use 'confirm typed EXPR' so the operator types a value, e.g. the environment");
    }
  }

  void lint_roles(const Runbook& r, const std::map<MetaKind, const Meta*>& metas) {
    if (!opts_.config || opts_.config->roles.empty()) return;
    auto check = [&](const Ident& role, const char* what) {
      if (opts_.config->roles.count(role.name)) return;
      report("RBK205", role.span,
             std::string(what) + " role '" + role.name + "' is not defined in rbk.yaml",
             "roles defined there: " + keys(opts_.config->roles));
    };
    if (auto it = metas.find(MetaKind::Owner); it != metas.end() && it->second->word)
      check(*it->second->word, "owner");
    std::function<void(const Body&)> body = [&](const Body& b) {
      for (const auto& st : b.items) {
        if (const auto* n = std::get_if<Notify>(&st))
          check(n->role, n->page ? "paged" : "notified");
        if (const auto* u = std::get_if<Undo>(&st); u && u->body) body(*u->body);
      }
    };
    for (const BodyRef& b : bodies_of(r)) body(*b.body);
    for (const auto& item : r.items)
      if (const auto* s = std::get_if<Section>(&item))
        for (const auto& si : s->items)
          if (const auto* e = std::get_if<Escalation>(&si))
            check(e->action.role, e->action.page ? "paged" : "notified");
  }

  void lint_calls(const Runbook& r) {
    std::function<void(const Body&)> body = [&](const Body& b) {
      for (const auto& st : b.items) {
        if (const auto* c = std::get_if<Call>(&st)) {
          // The runbook path, then the calling file's own directory (a
          // runbook repository is usually the path it is deployed on).
          std::vector<std::string> path = opts_.runbook_path;
          std::string dir = std::filesystem::path(doc_.source->path()).parent_path().string();
          path.push_back(dir.empty() ? "." : dir);
          FoundRunbook f = find_runbook_cached(c->runbook.name, path);
          if (f.path.empty())
            report("RBK207", c->runbook.span,
                   "runbook '" + c->runbook.name + "' is not on the runbook path",
                   f.error.empty() ? std::string("add it to the runbook path") : f.error);
        }
        if (const auto* u = std::get_if<Undo>(&st); u && u->body) body(*u->body);
      }
    };
    for (const BodyRef& b : bodies_of(r)) body(*b.body);
  }

  // ---------------------------------------------------------- correctness
  /// Names used in expressions, interpolations and shell literals.
  std::set<std::string> used_names(const Runbook& r) {
    std::set<std::string> used;
    auto f = [&](const Expr& e) {
      if (e.kind == ExprKind::Name) used.insert(e.name);
    };
    walk_runbook_exprs(r, f);
    auto sh = [&](const Shell& s) {
      for (const auto& v : shell_vars(s.text)) used.insert(v.name);
    };
    for (const BodyRef& b : bodies_of(r)) walk_body_shells(*b.body, sh);
    for (const auto& item : r.items)
      if (const auto* s = std::get_if<Secret>(&item); s && s->command) sh(*s->command);
    // Shell literals of the templates used: they receive the same environment.
    for (const BodyRef& b : bodies_of(r))
      for (const auto& st : b.body->items)
        if (const auto* u = std::get_if<Use>(&st))
          if (const Template* t = find_template(*u, imports_)) walk_body_shells(t->body, sh);
    return used;
  }

  void lint_usage(const Runbook& r) {
    std::set<std::string> used = used_names(r);
    std::function<void(const Body&)> captures = [&](const Body& b) {
      bool evidence = false;
      for (const auto& st : b.items) evidence = evidence || std::holds_alternative<Evidence>(st);
      for (const auto& st : b.items) {
        if (const auto* run = std::get_if<Run>(&st);
            run && run->capture && !evidence && !used.count(run->capture->name))
          report("RBK301", run->capture->span, "capture '" + run->capture->name + "' is never used",
                 "drop 'as " + run->capture->name +
                     "', use it in a condition, or mark the step 'evidence'");
        if (const auto* u = std::get_if<Undo>(&st); u && u->body) captures(*u->body);
      }
    };
    for (const BodyRef& b : bodies_of(r)) captures(*b.body);
    for (const auto& item : r.items)
      if (const auto* p = std::get_if<Param>(&item); p && !used.count(p->name.name))
        report("RBK302", p->name.span, "parameter '" + p->name.name + "' is never used",
               "remove it, or use it: $" + p->name.name + " in a command, ${" + p->name.name +
                   "} in a string");
  }

  /// `cause.ID`
  static bool is_cause_ref(const Expr& e) {
    return e.kind == ExprKind::Member && !e.items.empty() && e.items[0] &&
           e.items[0]->kind == ExprKind::Name && e.items[0]->name == "cause";
  }

  /// The constant value of a condition, when it has one.
  std::optional<bool> constant(const Expr& e, const std::map<std::string, const Cause*>& causes,
                               int depth = 0) {
    if (depth > 20) return std::nullopt;
    for (const auto& i : e.items)
      if (!i) return std::nullopt;  // a node left incomplete by error recovery
    switch (e.kind) {
      case ExprKind::Bool:
        return e.boolean;
      case ExprKind::Not: {
        if (e.items.empty()) return std::nullopt;
        auto v = constant(*e.items[0], causes, depth + 1);
        if (v) return !*v;
        return std::nullopt;
      }
      case ExprKind::Member:
        if (is_cause_ref(e)) {
          auto it = causes.find(e.name);
          if (it != causes.end() && it->second->when)
            return constant(*it->second->when, causes, depth + 1);
        }
        return std::nullopt;
      case ExprKind::Binary:
        if ((e.op == BinOp::And || e.op == BinOp::Or) && e.items.size() == 2) {
          auto a = constant(*e.items[0], causes, depth + 1);
          auto b = constant(*e.items[1], causes, depth + 1);
          if (e.op == BinOp::And) {
            if ((a && !*a) || (b && !*b)) return false;
            if (a && b) return true;
          } else {
            if ((a && *a) || (b && *b)) return true;
            if (a && b) return false;
          }
        }
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  void lint_causes(const Runbook& r) {
    std::map<std::string, const Cause*> causes;
    std::vector<const Cause*> order;
    std::set<std::string> referenced;
    auto f = [&](const Expr& e) {
      if (is_cause_ref(e)) referenced.insert(e.name);
    };
    for (const auto& item : r.items) {
      const auto* s = std::get_if<Section>(&item);
      if (!s) continue;
      for (const auto& si : s->items) {
        if (const auto* c = std::get_if<Cause>(&si)) {
          causes.emplace(c->id.name, c);
          order.push_back(c);
        }
        if (const auto* st = std::get_if<Step>(&si); st && st->when) walk_expr(*st->when, f);
      }
    }
    for (const Cause* c : order)
      if (!referenced.count(c->id.name))
        report("RBK303", c->id.span, "no step refers to cause '" + c->id.name + "'",
               "guard a remediation step with: when cause." + c->id.name);
    for (const BodyRef& b : bodies_of(r)) {
      if (!b.step || !b.step->when) continue;
      if (auto v = constant(*b.step->when, causes); v && !*v)
        report("RBK304", b.step->when->span,
               "step '" + b.step->id.name + "' never runs: its condition is always false",
               "delete the step or fix its 'when'");
    }
  }

  void lint_shell(const Shell& sh, const std::set<std::string>& known) {
    std::set<std::string> local = assigned_in(sh.text);
    std::set<std::string> reported;
    for (const auto& v : shell_vars(sh.text)) {
      const std::string& n = v.name;
      if (known.count(n) || local.count(n) || common_env().count(n) || n.rfind("RBK_", 0) == 0 ||
          reported.count(n))
        continue;
      reported.insert(n);
      report("RBK305", sh.span_of(v.offset, v.length),
             "$" + n + " is not a parameter, secret, capture or variable set in this command",
             "check the spelling; names are case-sensitive");
    }
    snippets_.push_back(ShellSnippet{&sh, known});
  }

  std::set<std::string> rbk_vars() {
    std::set<std::string> out;
    for (auto v : kRbkVariables) out.insert(std::string(v));
    return out;
  }

  void lint_shell_vars_runbook(const Runbook& r) {
    std::set<std::string> known = rbk_vars();
    for (const auto& item : r.items) {
      if (const auto* p = std::get_if<Param>(&item)) known.insert(p->name.name);
      if (const auto* s = std::get_if<Secret>(&item)) known.insert(s->name.name);
    }
    std::function<void(const Body&)> caps = [&](const Body& b) {
      for (const auto& st : b.items) {
        if (const auto* run = std::get_if<Run>(&st); run && run->capture)
          known.insert(run->capture->name);
        if (const auto* u = std::get_if<Undo>(&st); u && u->body) caps(*u->body);
        if (const auto* u = std::get_if<Use>(&st))
          if (const Template* t = find_template(*u, imports_)) caps(t->body);
      }
    };
    for (const BodyRef& b : bodies_of(r)) caps(*b.body);
    for (const auto& item : r.items)
      if (const auto* s = std::get_if<Secret>(&item); s && s->command)
        lint_shell(*s->command, known);
    auto sh = [&](const Shell& s) { lint_shell(s, known); };
    for (const BodyRef& b : bodies_of(r)) walk_body_shells(*b.body, sh);
  }

  // ---------------------------------------------------------- module
  void lint_module(const Module& m) {
    for (const auto& item : m.items) {
      const auto* t = std::get_if<Template>(&item);
      if (!t) continue;
      // RBK101, RBK105: the template's own gate, as a step's.
      std::vector<StepStatement> own;
      for (const auto& st : t->body.items)
        if (!std::holds_alternative<Comment>(st)) own.push_back({&st, nullptr, nullptr});
      const Safety safety = safety_of(own);
      lint_ungated(safety, "template '" + t->id.name + "'", "template");
      lint_unanalysable(safety, false, "template");
      for (const StepStatement* u : safety.undos) lint_undo(*u);
      // Usage and shell variables, in the template's scope.
      std::set<std::string> used, known = rbk_vars();
      auto f = [&](const Expr& e) {
        if (e.kind == ExprKind::Name) used.insert(e.name);
      };
      walk_body_exprs(t->body, f);
      if (t->title) walk_string(*t->title, f);
      auto shv = [&](const Shell& s) {
        for (const auto& v : shell_vars(s.text)) used.insert(v.name);
      };
      walk_body_shells(t->body, shv);
      for (const auto& p : t->params) {
        known.insert(p.name.name);
        if (!used.count(p.name.name))
          report("RBK302", p.name.span, "parameter '" + p.name.name + "' is never used",
                 "remove it, or use it: $" + p.name.name + " in a command");
      }
      std::function<void(const Body&)> caps = [&](const Body& b) {
        for (const auto& st : b.items) {
          if (const auto* run = std::get_if<Run>(&st); run && run->capture)
            known.insert(run->capture->name);
          if (const auto* u = std::get_if<Undo>(&st); u && u->body) caps(*u->body);
        }
      };
      caps(t->body);
      // A template's captures are used by the runbooks that use it: not RBK301.
      auto sh = [&](const Shell& s) { lint_shell(s, known); };
      walk_body_shells(t->body, sh);
    }
  }
};

}  // namespace

PendingLint lint_start(const ast::Document& doc, const LintOptions& opts, ModuleLoader& loader) {
  PendingLint p;
  p.checked = check(doc, &loader);
  p.found = Linter(doc, opts, loader).run(p.snippets);
  if (!opts.shellcheck) p.snippets.clear();
  return p;
}

void lint_shellcheck(const std::vector<PendingLint*>& batch, CommandRunner& runner,
                     std::vector<std::string>& notes) {
  std::vector<ShellSnippet> all;
  std::vector<PendingLint*> owner;
  for (PendingLint* p : batch) {
    for (ShellSnippet& s : p->snippets) {
      all.push_back(std::move(s));
      owner.push_back(p);
    }
    p->snippets.clear();
  }
  if (all.empty()) return;
  std::string note;
  std::vector<Diagnostics> each = shellcheck_each(all, runner, note);
  if (!note.empty()) notes.push_back(note);
  for (size_t i = 0; i < each.size(); ++i)
    for (Diagnostic& d : each[i]) owner[i]->found.push_back(std::move(d));
}

Diagnostics lint_document(const ast::Document& doc, const LintOptions& opts, ModuleLoader& loader,
                          std::vector<std::string>& notes) {
  PendingLint p = lint_start(doc, opts, loader);
  ProcessRunner runner;
  lint_shellcheck({&p}, runner, notes);
  return lint_finish(doc, opts, std::move(p));
}

Diagnostics lint_finish(const ast::Document& doc, const LintOptions& opts, PendingLint&& pending) {
  Diagnostics out = std::move(pending.checked);
  Diagnostics found = std::move(pending.found);

  // Levels from rbk.yaml.
  auto level = [&](const std::string& id, Severity def) -> std::optional<Severity> {
    if (!opts.config) return def;
    auto it = opts.config->lint.rules.find(id);
    if (it == opts.config->lint.rules.end()) return def;
    if (it->second == "off") return std::nullopt;
    if (it->second == "note") return Severity::Note;
    if (it->second == "warning") return Severity::Warning;
    if (it->second == "error") return Severity::Error;
    return def;
  };
  Diagnostics leveled;
  for (auto& d : found) {
    auto sev = level(d.code, d.severity);
    if (!sev) continue;
    d.severity = *sev;
    leveled.push_back(std::move(d));
  }

  // Suppressions: comments of the document, and shell comments inside
  // fenced shell literals (for findings on the lines of a fenced block).
  std::vector<const Comment*> comments;
  collect_comments(doc, comments);
  std::deque<Comment> shell_comments;
  for (const Shell* sh : fenced_shells(doc)) {
    size_t at = 0;
    while ((at = sh->text.find("# rbk:", at)) != std::string::npos) {
      size_t bol = sh->text.rfind('\n', at == 0 ? 0 : at - 1);
      bol = (bol == std::string::npos || at == 0) ? 0 : bol + 1;
      size_t eol = sh->text.find('\n', at);
      if (eol == std::string::npos) eol = sh->text.size();
      Comment c;
      c.span = sh->span_of(at, eol - at);
      c.text = sh->text.substr(at + 1, eol - at - 1);
      c.trailing = sh->text.find_first_not_of(" \t", bol) != at;
      if (c.span.begin != sh->span.begin) shell_comments.push_back(std::move(c));
      at = eol;
    }
  }
  for (const auto& c : shell_comments) comments.push_back(&c);
  std::vector<Suppression> sups;
  const SourceFile* file = doc.source.get();
  for (const Comment* c : comments) {
    auto s = parse_suppression(*c);
    if (!s) continue;
    s->target_line = c->span.line;
    if (!c->trailing && file) {
      uint32_t l = c->span.line + 1;
      while (l <= file->line_count()) {
        std::string t = trim(file->line_text(l), " \t\r");
        if (!t.empty() && t[0] != '#') break;
        ++l;
      }
      s->target_line = l;
    }
    sups.push_back(std::move(*s));
  }
  Diagnostics kept;
  for (auto& d : leveled) {
    bool suppressed = false;
    for (auto& s : sups) {
      if (!d.span.valid() || d.span.line != s.target_line) continue;
      if (std::find(s.rules.begin(), s.rules.end(), d.code) == s.rules.end()) continue;
      s.used.insert(d.code);
      suppressed = true;
    }
    if (!suppressed) kept.push_back(std::move(d));
  }
  Diagnostics meta;
  for (const auto& s : sups) {
    auto add = [&](const char* id, std::string msg, std::string help) {
      const RuleInfo* rule = find_rule(id);
      auto sev = level(id, rule->default_severity);
      if (!sev) return;
      Diagnostic d = error_at(s.comment->span, std::move(msg), std::move(help));
      d.code = id;
      d.severity = *sev;
      meta.push_back(std::move(d));
    };
    if (!s.has_reason)
      add("RBK501", "suppression without a reason", "say why: # rbk: ignore RULE -- the reason");
    if (s.rules.empty() && s.unknown.empty())
      add("RBK502", "suppression names no rule", "e.g. # rbk: ignore RBK101 -- reason");
    for (const auto& u : s.unknown)
      add("RBK502", "suppression of unknown rule '" + u + "' suppresses nothing",
          "rule ids are listed in docs/lint.md");
    for (const auto& id : s.rules) {
      if (s.used.count(id)) continue;
      if (!level(id, find_rule(id)->default_severity)) continue;  // the rule is off
      add("RBK502", "suppression of " + id + " suppresses nothing",
          "no " + id + " finding on line " + std::to_string(s.target_line) + "; remove it");
    }
  }
  out.insert(out.end(), kept.begin(), kept.end());
  out.insert(out.end(), meta.begin(), meta.end());
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.span.valid() != b.span.valid()) return !a.span.valid();
    return a.span.begin < b.span.begin;
  });
  return out;
}

}  // namespace rbk
