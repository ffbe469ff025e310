// The walk that fills a SymbolIndex: declarations first (so a use before its
// declaration in the file still finds it, as execution order allows), then
// every place a name is used: expressions and `${…}` in strings, `$NAME` in
// shell literals, durations that name a parameter, roles, `use`, `call` and
// `after … from step`. The AST walks are lint's (lint/ast_walk.hpp).
#include "interpreter/ide/index.hpp"

#include <algorithm>
#include <map>

#include "interpreter/lint/ast_walk.hpp"
#include "interpreter/lint/shell_vars.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::ide {

namespace {

using namespace ast;
using lint_detail::walk_body_exprs;

/// How a capture's or answer's maker is named in hover: "step `conns` \"Connections\"".
std::string maker(const char* kind, const std::string& id, const StringLit* title) {
  std::string out = std::string(kind) + " `" + id + "`";
  if (title)
    out += " \"" + (title->has_interpolation() ? std::string(title->span.text()) : title->plain()) +
           "\"";
  return out;
}

/// Fills an index from one document.
class Indexer {
 public:
  Indexer(const Document& doc, const std::vector<ImportTarget>& imports)
      : doc_(doc), imports_(imports) {
    for (const ImportTarget& t : imports_)
      if (t.module)
        modules_[t.import->alias ? t.import->alias->name : t.module->name.name] = t.module;
  }

  SymbolIndex run() {
    for (const ImportTarget& t : imports_) {
      const std::string name = t.module
                                   ? (t.import->alias ? t.import->alias->name : t.module->name.name)
                                   : t.import->module_name();
      const size_t s = add(SymbolKind::Module, name, t.import->path.span, &t);
      if (t.import->alias) mention(t.import->alias->span, s);
    }
    if (const Runbook* r = doc_.runbook()) runbook(*r);
    if (const Module* m = doc_.module()) module(*m);
    std::sort(out_.occurrences.begin(), out_.occurrences.end(),
              [](const Occurrence& a, const Occurrence& b) { return a.begin < b.begin; });
    return std::move(out_);
  }

 private:
  const Document& doc_;
  const std::vector<ImportTarget>& imports_;
  Imports modules_;
  SymbolIndex out_;
  const Template* scope_ = nullptr;  // the template being walked, in a module
  std::map<std::pair<const Template*, std::string>, size_t> names_;  // expression names
  std::map<std::pair<SymbolKind, std::string>, size_t> others_;      // steps, causes, roles…

  /// A use of symbol `s` at `span`, when the span is in this document.
  void mention(const Span& span, size_t s) {
    if (span.file != doc_.source.get() || span.end < span.begin) return;
    out_.occurrences.push_back({span.begin, span.end, s});
  }

  /// Declares a symbol (and its name as an occurrence of itself).
  size_t add(SymbolKind kind, const std::string& name, const Span& decl, SymbolNode node,
             std::string owner = {}, std::optional<SectionKind> section = std::nullopt) {
    out_.symbols.push_back(Symbol{kind, name, decl, node, std::move(owner), section, scope_});
    const size_t s = out_.symbols.size() - 1;
    switch (kind) {
      case SymbolKind::Param:
      case SymbolKind::Secret:
      case SymbolKind::Message:
      case SymbolKind::Capture:
      case SymbolKind::Answer:
      case SymbolKind::TemplateParam:
        // The first declaration wins, as the check pass reports the second.
        names_.try_emplace({scope_, name}, s);
        break;
      default:
        others_.try_emplace({kind, name}, s);
    }
    mention(decl, s);
    return s;
  }

  /// The symbol of `kind` called `name`, declared on first use (roles,
  /// built-ins, called runbooks have no declaration in the document).
  size_t named(SymbolKind kind, const std::string& name) {
    auto it = others_.find({kind, name});
    if (it != others_.end()) return it->second;
    out_.symbols.push_back(Symbol{kind, name, Span{}, std::monostate{}, {}, std::nullopt, nullptr});
    return others_[{kind, name}] = out_.symbols.size() - 1;
  }

  /// The symbol an expression name refers to in the current scope, or nullopt.
  std::optional<size_t> lookup(const std::string& name) {
    if (auto it = names_.find({scope_, name}); it != names_.end()) return it->second;
    const auto& b = builtin_names();
    if (std::find(b.begin(), b.end(), name) != b.end()) return named(SymbolKind::Builtin, name);
    return std::nullopt;
  }

  // ------------------------------------------------------------ declarations

  /// Captures and answers a body makes, `use`d templates' captures included.
  void declare_body(const Body& body, const std::string& owner, std::optional<SectionKind> sec) {
    for (const auto& st : body.items) {
      if (const auto* r = std::get_if<Run>(&st); r && r->capture)
        add(SymbolKind::Capture, r->capture->name, r->capture->span, r, owner, sec);
      if (const auto* a = std::get_if<Ask>(&st); a && a->decl)
        add(SymbolKind::Answer, a->decl->name.name, a->decl->name.span, a, owner, sec);
      if (const auto* u = std::get_if<Undo>(&st); u && u->body) declare_body(*u->body, owner, sec);
      if (const auto* use = std::get_if<Use>(&st))
        if (const Template* t = find_template(*use, modules_))
          declare_template_captures(
              t->body, owner + " (`use " + use->module.name + "." + use->name.name + "`)", sec);
    }
  }
  /// A template's captures become the using step's: declared where the
  /// template makes them (in the module's file).
  void declare_template_captures(const Body& body, const std::string& owner,
                                 std::optional<SectionKind> sec) {
    for (const auto& st : body.items) {
      if (const auto* r = std::get_if<Run>(&st); r && r->capture)
        add(SymbolKind::Capture, r->capture->name, r->capture->span, r, owner, sec);
      if (const auto* u = std::get_if<Undo>(&st); u && u->body)
        declare_template_captures(*u->body, owner, sec);
    }
  }

  void declare_section(const Section& s) {
    size_t signals = 0, checks = 0;
    for (const auto& item : s.items) {
      if (const auto* st = std::get_if<Step>(&item)) {
        add(SymbolKind::Step, st->id.name, st->id.span, st, {}, s.kind);
        declare_body(st->body, maker("step", st->id.name, st->title ? &*st->title : nullptr),
                     s.kind);
      } else if (const auto* sg = std::get_if<Signal>(&item)) {
        const std::string id = item_id(sg->id, "signal", ++signals);
        if (sg->id) add(SymbolKind::Signal, id, sg->id->span, sg, {}, s.kind);
        declare_body(sg->body, maker("signal", id, &sg->title), s.kind);
      } else if (const auto* ck = std::get_if<Check>(&item)) {
        const std::string id = item_id(ck->id, "check", ++checks);
        if (ck->id) add(SymbolKind::Check, id, ck->id->span, ck, {}, s.kind);
        declare_body(ck->body, maker("check", id, &ck->title), s.kind);
      } else if (const auto* c = std::get_if<Cause>(&item)) {
        add(SymbolKind::Cause, c->id.name, c->id.span, c, {}, s.kind);
      }
    }
  }

  // ------------------------------------------------------------ references

  /// Names in one expression tree (lint's walk visits every sub-expression).
  void expression(const Expr& e) {
    if (e.kind == ExprKind::Name && e.name != "cause" && e.name != "step") {
      if (auto s = lookup(e.name)) mention(e.span, *s);
      return;
    }
    if (e.kind != ExprKind::Member || e.items.empty() || !e.items[0]) return;
    const Expr& object = *e.items[0];
    if (object.kind != ExprKind::Name || (object.name != "cause" && object.name != "step")) return;
    // `cause.ID`, `step.ID`: the id is the member's last characters.
    Span id = e.span;
    id.begin = e.span.end >= e.name.size() ? static_cast<uint32_t>(e.span.end - e.name.size()) : 0;
    if (object.name == "cause") {
      if (auto it = others_.find({SymbolKind::Cause, e.name}); it != others_.end())
        mention(id, it->second);
      return;
    }
    for (SymbolKind k : {SymbolKind::Step, SymbolKind::Signal, SymbolKind::Check})
      if (auto it = others_.find({k, e.name}); it != others_.end()) return mention(id, it->second);
  }

  /// `$NAME` in a shell literal, where it maps back to the source exactly.
  void shell(const Shell& sh) {
    for (const auto& v : lint_detail::shell_vars(sh.text)) {
      const Span at = sh.span_of(v.offset, v.length);
      if (at.end - at.begin != v.length) continue;
      if (auto it = names_.find({scope_, v.name}); it != names_.end()) mention(at, it->second);
    }
  }

  void duration(const Duration& d) {
    if (!d.param) return;
    if (auto it = names_.find({scope_, *d.param}); it != names_.end()) mention(d.span, it->second);
  }

  /// What a body names other than through its expressions: roles, called
  /// runbooks, `use`d templates (undo blocks included), `$NAME` in its shell
  /// literals, durations that name a parameter.
  void body_names(const Body& body) {
    statement_names(body);
    auto sh = [this](const Shell& s) { shell(s); };
    lint_detail::walk_body_shells(body, sh);
  }
  void statement_names(const Body& body) {
    for (const auto& st : body.items) {
      if (const auto* n = std::get_if<Notify>(&st)) role(n->role);
      if (const auto* c = std::get_if<Call>(&st))
        mention(c->runbook.span, named(SymbolKind::Runbook, c->runbook.name));
      if (const auto* u = std::get_if<Use>(&st)) use(*u);
      if (const auto* u = std::get_if<Undo>(&st); u && u->body) statement_names(*u->body);
    }
  }
  void role(const Ident& id) { mention(id.span, named(SymbolKind::Role, id.name)); }

  /// `use MODULE.TEMPLATE with p = …`: the module, the template, its parameters.
  void use(const Use& u) {
    if (auto it = others_.find({SymbolKind::Module, u.module.name}); it != others_.end())
      mention(u.module.span, it->second);
    const Template* t = find_template(u, modules_);
    if (!t) return;
    const size_t ts = template_symbol(u.module.name, *t);
    mention(u.name.span, ts);
    for (const Arg& a : u.args)
      for (const Param& p : t->params)
        if (p.name.name == a.name.name) mention(a.name.span, template_param(*t, p));
  }
  size_t template_symbol(const std::string& module, const Template& t) {
    const std::string key = module + "." + t.id.name;
    if (auto it = others_.find({SymbolKind::Template, key}); it != others_.end()) return it->second;
    out_.symbols.push_back(
        Symbol{SymbolKind::Template, key, t.id.span, &t, module, std::nullopt, nullptr});
    return others_[{SymbolKind::Template, key}] = out_.symbols.size() - 1;
  }
  size_t template_param(const Template& t, const Param& p) {
    if (auto it = names_.find({&t, p.name.name}); it != names_.end()) return it->second;
    out_.symbols.push_back(Symbol{SymbolKind::TemplateParam, p.name.name, p.name.span, &p,
                                  "template `" + t.id.name + "`", std::nullopt, &t});
    return names_[{&t, p.name.name}] = out_.symbols.size() - 1;
  }

  void runbook(const Runbook& r) {
    for (const auto& item : r.items) {
      if (const auto* p = std::get_if<Param>(&item))
        add(SymbolKind::Param, p->name.name, p->name.span, p);
      if (const auto* s = std::get_if<Secret>(&item))
        add(SymbolKind::Secret, s->name.name, s->name.span, s);
      if (const auto* m = std::get_if<Message>(&item))
        add(SymbolKind::Message, m->name.name, m->name.span, m);
      if (const auto* m = std::get_if<Meta>(&item); m && m->kind == MetaKind::Owner && m->word)
        role(*m->word);
    }
    for (const auto& item : r.items)
      if (const auto* s = std::get_if<Section>(&item)) declare_section(*s);

    auto expr = [this](const Expr& e) { expression(e); };
    lint_detail::walk_runbook_exprs(r, expr);
    for (const auto& b : lint_detail::bodies_of(r)) body_names(*b.body);
    auto dur = [this](const Duration& d) { duration(d); };
    lint_detail::walk_runbook_durations(r, dur);
    for (const auto& item : r.items) {
      const auto* s = std::get_if<Section>(&item);
      if (!s) continue;
      for (const auto& si : s->items) {
        const auto* e = std::get_if<Escalation>(&si);
        if (!e) continue;
        role(e->action.role);
        if (e->from_step)
          if (auto it = others_.find({SymbolKind::Step, e->from_step->name}); it != others_.end())
            mention(e->from_step->span, it->second);
      }
    }
  }

  void module(const Module& m) {
    for (const auto& item : m.items) {
      const auto* t = std::get_if<Template>(&item);
      if (!t) continue;
      scope_ = t;
      add(SymbolKind::Template, m.name.name + "." + t->id.name, t->id.span, t, m.name.name);
      for (const Param& p : t->params)
        add(SymbolKind::TemplateParam, p.name.name, p.name.span, &p,
            "template `" + t->id.name + "`");
      declare_body(t->body, "template `" + t->id.name + "`", std::nullopt);
      body_names(t->body);
      auto expr = [this](const Expr& e) { expression(e); };
      walk_body_exprs(t->body, expr);
      auto dur = [this](const Duration& d) { duration(d); };
      lint_detail::walk_body_durations(t->body, dur);
      scope_ = nullptr;
    }
  }
};

}  // namespace

const Occurrence* SymbolIndex::at(size_t offset) const {
  const Occurrence* best = nullptr;
  auto better = [&](const Occurrence& o) {
    if (!best) return true;
    // Inside beats just after; then the smaller.
    const bool in = offset < o.end, best_in = offset < best->end;
    if (in != best_in) return in;
    return o.end - o.begin < best->end - best->begin;
  };
  for (const Occurrence& o : occurrences) {
    if (o.begin > offset) break;
    if (offset <= o.end && better(o)) best = &o;
  }
  return best;
}

const Symbol* SymbolIndex::find(SymbolKind kind, std::string_view name) const {
  for (const Symbol& s : symbols)
    if (s.kind == kind && s.name == name) return &s;
  return nullptr;
}

SymbolIndex build_index(const ast::Document& doc, const std::vector<ImportTarget>& imports) {
  return Indexer(doc, imports).run();
}

}  // namespace rbk::ide
