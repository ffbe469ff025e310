// Walking a runbook's AST for lint rules: every expression, every shell
// literal, and every body of statements with what holds it.
#pragma once

#include <string>
#include <vector>

#include "interpreter/syntax/ast.hpp"

namespace rbk::lint_detail {

using namespace ast;

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
          } else if constexpr (std::is_same_v<T, Ask>) {
            walk_string(s.question, f);
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
          } else if constexpr (std::is_same_v<T, On>) {
            if (s.targets) walk_expr(*s.targets, f);  // `on hosts` uses `hosts`
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
    if (const auto* v = std::get_if<Verify>(&st)) f(v->shell);
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
    } else if (const auto* msg = std::get_if<Message>(&item)) {
      walk_string(msg->text, f);
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

inline std::vector<BodyRef> bodies_of(const Runbook& r) {
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

/// Every duration written in a body (undo bodies included).
template <typename F>
void walk_body_durations(const Body& b, F& f) {
  for (const auto& st : b.items) {
    if (const auto* x = std::get_if<Run>(&st)) {
      if (x->timeout) f(*x->timeout);
      if (x->retry_every) f(*x->retry_every);
    }
    if (const auto* x = std::get_if<Until>(&st)) {
      f(x->within);
      if (x->every) f(*x->every);
    }
    if (const auto* u = std::get_if<Undo>(&st); u && u->body) walk_body_durations(*u->body, f);
  }
}

/// Every duration of the runbook: statements, check headers, escalation rules.
template <typename F>
void walk_runbook_durations(const Runbook& r, F& f) {
  for (const BodyRef& b : bodies_of(r)) walk_body_durations(*b.body, f);
  for (const auto& item : r.items) {
    const auto* sec = std::get_if<Section>(&item);
    if (!sec) continue;
    for (const auto& si : sec->items) {
      std::vector<const std::optional<Duration>*> written;
      if (const auto* c = std::get_if<Check>(&si)) written = {&c->within, &c->every, &c->holds};
      if (const auto* e = std::get_if<Escalation>(&si))
        written = {&e->after, &e->every, &e->lasting};
      for (const auto* d : written)
        if (*d) f(**d);
    }
  }
}

/// Every `page` and `notify`: in bodies (undo bodies included), then the
/// escalation rules.
template <typename F>
void walk_runbook_notifies(const Runbook& r, F& f) {
  auto body = [&f](const Body& b, auto& self) -> void {
    for (const auto& st : b.items) {
      if (const auto* n = std::get_if<Notify>(&st)) f(*n);
      if (const auto* u = std::get_if<Undo>(&st); u && u->body) self(*u->body, self);
    }
  };
  for (const BodyRef& b : bodies_of(r)) body(*b.body, body);
  for (const auto& item : r.items)
    if (const auto* s = std::get_if<Section>(&item))
      for (const auto& si : s->items)
        if (const auto* e = std::get_if<Escalation>(&si)) f(e->action);
}

}  // namespace rbk::lint_detail
