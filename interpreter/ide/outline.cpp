#include "interpreter/ide/outline.hpp"

namespace rbk::ide {

namespace {

using namespace ast;

/// Builds the entries of one document.
class Outliner {
 public:
  explicit Outliner(const Analysis& a) : a_(a) {}

  std::vector<OutlineItem> run(const Document& doc) {
    std::vector<OutlineItem> out;
    for (const auto& item : doc.items) {
      if (const auto* i = std::get_if<Import>(&item))
        out.push_back(entry(i->path.plain(), i->alias ? "as " + i->alias->name : "",
                            OutlineKind::Import, i->span, i->path.span));
      if (const auto* r = std::get_if<Runbook>(&item)) out.push_back(runbook(*r));
      if (const auto* m = std::get_if<Module>(&item)) out.push_back(module(*m));
    }
    return out;
  }

 private:
  const Analysis& a_;

  OutlineItem entry(std::string name, std::string detail, OutlineKind kind, const Span& whole,
                    const Span& selection) const {
    OutlineItem e{std::move(name),       std::move(detail),         kind,
                  a_.lines.range(whole), a_.lines.range(selection), {}};
    // The selection must lie inside the range, whatever the spans say.
    if (selection.begin < whole.begin || selection.end > whole.end) e.selection = e.range;
    return e;
  }

  static std::string title(const StringLit& s) {
    return s.has_interpolation() ? std::string(s.span.text()) : s.plain();
  }
  static std::string title(const std::optional<StringLit>& s) { return s ? title(*s) : ""; }

  OutlineItem param(const Param& p) const {
    std::string detail = type_text(p.type);
    if (p.default_value) detail += " = " + std::string(p.default_value->span.text());
    return entry(p.name.name, detail, OutlineKind::Param, p.span, p.name.span);
  }

  OutlineItem runbook(const Runbook& r) const {
    OutlineItem out = entry(r.name.name, "runbook", OutlineKind::Runbook, r.span, r.name.span);
    for (const auto& item : r.items) {
      if (const auto* p = std::get_if<Param>(&item)) out.children.push_back(param(*p));
      if (const auto* s = std::get_if<Secret>(&item))
        out.children.push_back(
            entry(s->name.name, "secret", OutlineKind::Secret, s->span, s->name.span));
      if (const auto* m = std::get_if<Message>(&item))
        out.children.push_back(
            entry(m->name.name, "message", OutlineKind::Message, m->span, m->name.span));
      if (const auto* s = std::get_if<Section>(&item)) out.children.push_back(section(*s));
    }
    return out;
  }

  OutlineItem section(const Section& s) const {
    OutlineItem out = entry(section_name(s.kind), "", OutlineKind::Section, s.span, s.keyword);
    size_t signals = 0, checks = 0;
    for (const auto& item : s.items) {
      if (const auto* st = std::get_if<Step>(&item)) {
        out.children.push_back(
            entry(st->id.name, title(st->title), OutlineKind::Step, st->span, st->id.span));
      } else if (const auto* sg = std::get_if<Signal>(&item)) {
        out.children.push_back(entry(item_id(sg->id, "signal", ++signals), title(sg->title),
                                     OutlineKind::Signal, sg->span,
                                     sg->id ? sg->id->span : sg->title.span));
      } else if (const auto* ck = std::get_if<Check>(&item)) {
        out.children.push_back(entry(item_id(ck->id, "check", ++checks), title(ck->title),
                                     OutlineKind::Check, ck->span,
                                     ck->id ? ck->id->span : ck->title.span));
      } else if (const auto* c = std::get_if<Cause>(&item)) {
        out.children.push_back(
            entry(c->id.name, title(c->title), OutlineKind::Cause, c->span, c->id.span));
      } else if (const auto* e = std::get_if<Escalation>(&item)) {
        // The rule as written, on one line: "after 15m page secondary-oncall".
        std::string text(e->span.text());
        text = text.substr(0, text.find('\n'));
        out.children.push_back(
            entry(text, std::string(e->action.page ? "page " : "notify ") + e->action.role.name,
                  OutlineKind::Escalation, e->span, e->action.role.span));
      }
    }
    return out;
  }

  OutlineItem module(const Module& m) const {
    OutlineItem out = entry(m.name.name, "module", OutlineKind::Module, m.span, m.name.span);
    for (const auto& item : m.items) {
      const auto* t = std::get_if<Template>(&item);
      if (!t) continue;
      OutlineItem e =
          entry(t->id.name, title(t->title), OutlineKind::Template, t->span, t->id.span);
      for (const Param& p : t->params) e.children.push_back(param(p));
      out.children.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace

std::vector<OutlineItem> outline(const Analysis& analysis) {
  if (!analysis.document()) return {};
  return Outliner(analysis).run(*analysis.document());
}

}  // namespace rbk::ide
