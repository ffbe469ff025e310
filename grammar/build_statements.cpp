// Parse tree → AST: statements in a body, and sections with their items.
#include "grammar/builder.hpp"

namespace rbk::grammar::build_detail {

std::vector<Arg> Builder::args(const Node& n) {
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

Notify Builder::notify(const Node& n) {
  Notify x;
  x.span = span(n);
  x.page = n.is_type<page_action>();
  if (const Node* r = find<role_ref>(n)) x.role = ident(*r);
  if (const Node* m = find_string(n)) x.message = to_string_lit(*m);
  if (const Node* w = find<when_clause>(n)) x.when = to_expr(*w->children.at(0));
  return x;
}

Body Builder::to_body(const Node& n) {
  Body b;
  b.span = span(n);
  for (const auto& c : n.children) {
    if (c->is_type<param_decl>()) continue;  // template parameters, taken by the caller
    b.items.push_back(statement(*c));
  }
  weave(b.items, b.span.begin, b.span.end);
  return b;
}

Statement Builder::statement(const Node& n) {
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
        if (const Node* ev = find<every_opt>(*c)) r.retry_every = duration_of(*ev->children.at(0));
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
  if (n.is_type<verify_stmt>()) {
    Verify v;
    v.span = span(n);
    v.shell = shell(*n.children.at(0));
    return v;
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
  if (n.is_type<on_targets_stmt>()) {
    On o;
    o.span = span(n);
    std::map<std::string, Span> seen;  // each option at most once
    for (const auto& c : n.children) {
      const bool serial = c->is_type<serial_count>(), max_fail = c->is_type<max_fail_count>(),
                 parallel = c->is_type<parallel_count>();
      if (!serial && !max_fail && !parallel) {
        o.targets = to_expr(*c);
        continue;
      }
      const char* opt = serial ? "serial" : max_fail ? "max_fail" : "parallel";
      FanoutCount count;
      count.span = span(*c);
      std::string_view text = c->string_view();
      count.percent = !text.empty() && text.back() == '%';
      if (count.percent) text.remove_suffix(1);
      count.n = parse_int(text, count.span,
                          serial     ? "serial count"
                          : max_fail ? "max_fail count"
                                     : "parallel count")
                    .value_or(0);
      if (auto it = seen.find(opt); it != seen.end()) {
        diags_.push_back(error_at(
            count.span,
            std::string("duplicate '") + opt + "' option (first at " + it->second.where() + ")",
            "give each option of 'on' once"));
      }
      seen.emplace(opt, count.span);
      (serial ? o.serial : max_fail ? o.max_fail : o.parallel) = count;
    }
    return o;
  }
  if (n.is_type<note_stmt>()) return Note{span(n), to_string_lit(*find_string(n))};
  if (n.is_type<manual_stmt>()) return Manual{span(n), to_string_lit(*find_string(n))};
  if (n.is_type<ask_stmt>()) {
    Ask a;
    a.span = span(n);
    a.decl = std::make_unique<Param>(param(n));
    a.question = std::move(*a.decl->help);
    a.decl->help.reset();
    if (const Node* re = find<regex>(n)) {
      Regex r;
      r.span = span(*re);
      if (const Node* b = find<regex_body>(*re)) r.pattern = b->string();
      if (const Node* f = find<regex_flags>(*re)) r.flags = f->string();
      a.pattern = std::move(r);
    }
    return a;
  }
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

SectionItem Builder::section_item(const Node& n) {
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
      else if (c->is_type<holds_for>())
        k.holds = duration_of(*c->children.at(0));
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
    size_t next = 2;
    if (n.children.at(next)->is_type<cause_severity_value>())
      c.severity = ident(*n.children[next++]);
    c.when = to_expr(*n.children.at(next)->children.at(0));
    return c;
  }
  Escalation e;
  e.span = span(n);
  if (n.is_type<esc_after>()) {
    e.trigger = Trigger::After;
    e.after = duration_of(*n.children.at(0));
    size_t next = 1;
    if (n.children.at(next)->is_type<after_from_step>())
      e.from_step = ident(*n.children.at(next++)->children.at(0));
    e.action = notify(*n.children.at(next));
  } else if (n.is_type<esc_every>()) {
    e.trigger = Trigger::Every;
    e.every = duration_of(*n.children.at(0));
    size_t next = 1;
    if (n.children.at(next)->is_type<esc_every_for>())
      e.lasting = duration_of(*n.children.at(next++)->children.at(0));
    e.action = notify(*n.children.at(next));
  } else if (n.is_type<esc_on>()) {
    const Node& event = *n.children.at(0);
    e.trigger = event.is_type<esc_event_success>()       ? Trigger::OnSuccess
                : event.is_type<esc_event_interrupted>() ? Trigger::OnInterrupted
                                                         : Trigger::OnFailure;
    e.action = notify(*n.children.at(1));
  } else {
    e.trigger = Trigger::Start;
    e.action = notify(n);
  }
  return e;
}

std::optional<SectionKind> Builder::section_kind(const Node& n) {
  if (n.is_type<alert_section>()) return SectionKind::Alert;
  if (n.is_type<diagnose_section>()) return SectionKind::Diagnose;
  if (n.is_type<causes_section>()) return SectionKind::Causes;
  if (n.is_type<remediate_section>()) return SectionKind::Remediate;
  if (n.is_type<verify_section>()) return SectionKind::Verify;
  if (n.is_type<rollback_section>()) return SectionKind::Rollback;
  if (n.is_type<finally_section>()) return SectionKind::Finally;
  if (n.is_type<escalate_section>()) return SectionKind::Escalate;
  return std::nullopt;
}

}  // namespace rbk::grammar::build_detail
