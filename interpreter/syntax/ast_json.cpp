#include "interpreter/syntax/ast_json.hpp"

#include <utility>

namespace rbk {

namespace {

using nlohmann::json;
using namespace ast;

json span(const Span& s) {
  return json{{"line", s.line}, {"col", s.col}, {"end_line", s.end_line}, {"end_col", s.end_col}};
}

json node(const char* type, const Span& s) {
  return json{{"type", type}, {"span", span(s)}};
}

json ident(const Ident& i) {
  return json{{"name", i.name}, {"span", span(i.span)}};
}

json duration(const Duration& d) {
  return json{{"text", d.text}, {"ms", d.ms}, {"span", span(d.span)}};
}

json expr(const Expr& e);

json string(const StringLit& s) {
  json j = node(s.text_block ? "text" : "string", s.span);
  if (!s.has_interpolation()) {
    j["value"] = s.plain();
    return j;
  }
  json parts = json::array();
  for (const auto& p : s.parts) {
    if (p.expr)
      parts.push_back(json{{"expr", expr(*p.expr)}});
    else
      parts.push_back(json{{"text", p.text}});
  }
  j["parts"] = std::move(parts);
  return j;
}

json shell(const Shell& s) {
  json j = node(s.fenced ? "fenced_shell" : "shell", s.span);
  j["raw"] = s.raw;
  j["text"] = s.text;
  if (s.fenced) {
    j["first_line"] = s.first_line;
    j["indent"] = s.indent;
  }
  return j;
}

json expr(const Expr& e) {
  json j = node(kind_name(e.kind), e.span);
  switch (e.kind) {
    case ExprKind::String:
      j["value"] = string(e.string);
      break;
    case ExprKind::Number:
      j["value"] = e.text;
      break;
    case ExprKind::Bool:
      j["value"] = e.boolean;
      break;
    case ExprKind::Duration:
      j["text"] = e.text;
      j["ms"] = e.ms;
      break;
    case ExprKind::List: {
      json items = json::array();
      for (const auto& i : e.items) items.push_back(expr(*i));
      j["items"] = std::move(items);
      break;
    }
    case ExprKind::Name:
      j["name"] = e.name;
      break;
    case ExprKind::Member:
      j["object"] = expr(*e.items.at(0));
      j["field"] = e.name;
      break;
    case ExprKind::Index:
      j["object"] = expr(*e.items.at(0));
      if (e.items.size() > 1) j["index"] = expr(*e.items[1]);
      break;
    case ExprKind::Not:
      j["operand"] = expr(*e.items.at(0));
      break;
    case ExprKind::Binary:
      j["op"] = op_text(e.op);
      j["lhs"] = expr(*e.items.at(0));
      if (e.regex) {
        j["regex"] = json{{"pattern", e.regex->pattern},
                          {"flags", e.regex->flags},
                          {"span", span(e.regex->span)}};
      } else if (e.items.size() > 1) {
        j["rhs"] = expr(*e.items[1]);
      }
      break;
  }
  if (e.parenthesized) j["parenthesized"] = true;
  return j;
}

json opt_expr(const ExprPtr& e) {
  return e ? expr(*e) : json(nullptr);
}

json comment(const Comment& c) {
  json j = node("comment", c.span);
  j["text"] = c.text;
  if (c.trailing) j["trailing"] = true;
  return j;
}

json args(const std::vector<Arg>& as) {
  json out = json::array();
  for (const auto& a : as) {
    json j = node("arg", a.span);
    j["name"] = ident(a.name);
    j["value"] = opt_expr(a.value);
    out.push_back(std::move(j));
  }
  return out;
}

json notify(const Notify& n) {
  json j = node(n.page ? "page" : "notify", n.span);
  j["role"] = ident(n.role);
  if (n.message) j["message"] = string(*n.message);
  if (n.when) j["when"] = expr(*n.when);
  return j;
}

json body(const Body& b);
json param(const Param& p);

struct StatementJson {
  json operator()(const Run& r) const {
    json j = node("run", r.span);
    j["shell"] = shell(r.shell);
    if (r.capture) j["as"] = ident(*r.capture);
    if (r.timeout) j["timeout"] = duration(*r.timeout);
    if (r.retry) j["retry"] = *r.retry;
    if (r.retry_every) j["retry_every"] = duration(*r.retry_every);
    return j;
  }
  json operator()(const Destructive& d) const { return node("destructive", d.span); }
  json operator()(const Evidence& d) const { return node("evidence", d.span); }
  json operator()(const Safe& s) const {
    json j = node("safe", s.span);
    j["reason"] = string(s.reason);
    return j;
  }
  json operator()(const Confirm& c) const {
    json j = node("confirm", c.span);
    if (c.prompt) j["prompt"] = string(*c.prompt);
    if (c.typed) j["typed"] = expr(*c.typed);
    return j;
  }
  json operator()(const Until& u) const {
    json j = node("until", u.span);
    j["shell"] = shell(u.shell);
    j["within"] = duration(u.within);
    if (u.every) j["every"] = duration(*u.every);
    return j;
  }
  json operator()(const Verify& v) const {
    json j = node("verify", v.span);
    j["shell"] = shell(v.shell);
    return j;
  }
  json operator()(const Undo& u) const {
    json j = node("undo", u.span);
    j["body"] = body(*u.body);
    return j;
  }
  json operator()(const OnFailure& o) const {
    json j = node("on_failure", o.span);
    j["policy"] = policy_name(o.policy);
    return j;
  }
  json operator()(const On& o) const {
    json j = node("on", o.span);
    j["targets"] = o.targets ? expr(*o.targets) : json();
    auto count = [](const std::optional<FanoutCount>& c) {
      if (!c) return json();
      return json{{"n", c->n}, {"percent", c->percent}};
    };
    j["serial"] = count(o.serial);
    j["max_fail"] = count(o.max_fail);
    j["parallel"] = count(o.parallel);
    return j;
  }
  json operator()(const Note& n) const {
    json j = node("note", n.span);
    j["text"] = string(n.text);
    return j;
  }
  json operator()(const Manual& n) const {
    json j = node("manual", n.span);
    j["text"] = string(n.text);
    return j;
  }
  json operator()(const Ask& a) const {
    json j = node("ask", a.span);
    j["name"] = ident(a.decl->name);
    j["question"] = string(a.question);
    j["answer_type"] = param(*a.decl)["param_type"];
    if (a.pattern)
      j["regex"] = json{{"pattern", a.pattern->pattern},
                        {"flags", a.pattern->flags},
                        {"span", span(a.pattern->span)}};
    return j;
  }
  json operator()(const Call& c) const {
    json j = node("call", c.span);
    j["runbook"] = ident(c.runbook);
    j["args"] = args(c.args);
    return j;
  }
  json operator()(const Notify& n) const { return notify(n); }
  json operator()(const Firing& f) const {
    json j = node("firing_when", f.span);
    j["cond"] = opt_expr(f.cond);
    return j;
  }
  json operator()(const Passes& p) const {
    json j = node("passes_when", p.span);
    j["cond"] = opt_expr(p.cond);
    return j;
  }
  json operator()(const Use& u) const {
    json j = node("use", u.span);
    j["module"] = ident(u.module);
    j["template"] = ident(u.name);
    j["args"] = args(u.args);
    return j;
  }
  json operator()(const Comment& c) const { return comment(c); }
};

json body(const Body& b) {
  json items = json::array();
  for (const auto& s : b.items) items.push_back(std::visit(StatementJson{}, s));
  return json{{"span", span(b.span)}, {"items", items}};
}

struct SectionItemJson {
  json operator()(const Step& s) const {
    json j = node("step", s.span);
    j["id"] = ident(s.id);
    if (s.title) j["title"] = string(*s.title);
    if (s.when) j["when"] = expr(*s.when);
    j["body"] = body(s.body);
    return j;
  }
  json operator()(const Signal& s) const {
    json j = node("signal", s.span);
    if (s.id) j["id"] = ident(*s.id);
    j["title"] = string(s.title);
    j["body"] = body(s.body);
    return j;
  }
  json operator()(const Check& c) const {
    json j = node("check", c.span);
    if (c.id) j["id"] = ident(*c.id);
    j["title"] = string(c.title);
    if (c.within) j["within"] = duration(*c.within);
    if (c.every) j["every"] = duration(*c.every);
    if (c.holds) j["holds_for"] = duration(*c.holds);
    j["body"] = body(c.body);
    return j;
  }
  json operator()(const Cause& c) const {
    json j = node("cause", c.span);
    j["id"] = ident(c.id);
    j["title"] = string(c.title);
    if (c.severity) j["severity"] = ident(*c.severity);
    j["when"] = opt_expr(c.when);
    return j;
  }
  json operator()(const Escalation& e) const {
    json j = node("escalation", e.span);
    j["trigger"] = e.trigger == Trigger::Start       ? "start"
                   : e.trigger == Trigger::After     ? "after"
                   : e.trigger == Trigger::OnFailure ? "on_failure"
                   : e.trigger == Trigger::OnSuccess ? "on_success"
                   : e.trigger == Trigger::Every     ? "every"
                                                     : "on_interrupted";
    if (e.after) j["after"] = duration(*e.after);
    if (e.from_step) j["from_step"] = ident(*e.from_step);
    if (e.every) j["every"] = duration(*e.every);
    if (e.lasting) j["for"] = duration(*e.lasting);
    j["action"] = notify(e.action);
    return j;
  }
  json operator()(const Comment& c) const { return comment(c); }
};

json param(const Param& p) {
  json j = node("param", p.span);
  j["name"] = ident(p.name);
  json t = node(type_name(p.type.kind), p.type.span);
  if (p.type.kind == TypeKind::Enum) {
    json vals = json::array();
    for (const auto& v : p.type.values) vals.push_back(ident(v));
    t["values"] = std::move(vals);
  }
  j["param_type"] = std::move(t);
  if (p.default_value) j["default"] = expr(*p.default_value);
  if (p.help) j["help"] = string(*p.help);
  return j;
}

struct RunbookItemJson {
  json operator()(const Meta& m) const {
    json j = node(meta_name(m.kind), m.span);
    if (m.text) j["value"] = string(*m.text);
    if (m.word) j["value"] = ident(*m.word);
    if (m.kind == MetaKind::Tags) {
      json tags = json::array();
      for (const auto& t : m.tags) tags.push_back(ident(t));
      j["tags"] = std::move(tags);
    }
    return j;
  }
  json operator()(const Param& p) const { return param(p); }
  json operator()(const Secret& s) const {
    json j = node("secret", s.span);
    j["name"] = ident(s.name);
    j["source"] = s.source == SecretSource::Env ? "env" : "command";
    if (s.env_var) j["env_var"] = string(*s.env_var);
    if (s.command) j["command"] = shell(*s.command);
    return j;
  }
  json operator()(const Message& m) const {
    json j = node("message", m.span);
    j["name"] = ident(m.name);
    j["text"] = string(m.text);
    return j;
  }
  json operator()(const Section& s) const {
    json j = node("section", s.span);
    j["kind"] = section_name(s.kind);
    json items = json::array();
    for (const auto& i : s.items) items.push_back(std::visit(SectionItemJson{}, i));
    j["items"] = std::move(items);
    return j;
  }
  json operator()(const Comment& c) const { return comment(c); }
};

struct DocItemJson {
  json operator()(const Import& i) const {
    json j = node("import", i.span);
    j["path"] = string(i.path);
    if (i.alias) j["alias"] = ident(*i.alias);
    return j;
  }
  json operator()(const Runbook& r) const {
    json j = node("runbook", r.span);
    j["name"] = ident(r.name);
    json items = json::array();
    for (const auto& i : r.items) items.push_back(std::visit(RunbookItemJson{}, i));
    j["items"] = std::move(items);
    return j;
  }
  json operator()(const Module& m) const {
    json j = node("module", m.span);
    j["name"] = ident(m.name);
    json items = json::array();
    for (const auto& i : m.items) {
      if (auto* c = std::get_if<Comment>(&i)) {
        items.push_back(comment(*c));
        continue;
      }
      const auto& t = std::get<Template>(i);
      json tj = node("template", t.span);
      tj["id"] = ident(t.id);
      if (t.title) tj["title"] = string(*t.title);
      json params = json::array();
      for (const auto& p : t.params) params.push_back(param(p));
      tj["params"] = std::move(params);
      tj["body"] = body(t.body);
      items.push_back(std::move(tj));
    }
    j["items"] = std::move(items);
    return j;
  }
  json operator()(const Comment& c) const { return comment(c); }
};

}  // namespace

nlohmann::json to_json(const ast::Document& doc) {
  json items = json::array();
  for (const auto& i : doc.items) items.push_back(std::visit(DocItemJson{}, i));
  return json{{"file", doc.source ? doc.source->path() : ""}, {"items", items}};
}

}  // namespace rbk
