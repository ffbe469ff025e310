#include "interpreter/lint/suppressions.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "interpreter/base/names.hpp"
#include "interpreter/lint/ast_walk.hpp"
#include "interpreter/lint/lint.hpp"

namespace rbk::lint_detail {

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

}  // namespace rbk::lint_detail

namespace rbk {

using namespace lint_detail;

// lint_finish is here: what it adds to the rules' findings is rbk.yaml's
// levels and the suppressions, and checks of the suppressions themselves.
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
