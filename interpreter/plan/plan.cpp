// The planner: one walk over a runbook in execution order (and over the
// runbooks it calls, for their gates and undo blocks). Longer than most
// files here because the walk is one class: it carries the captures made so
// far, which every later command's environment shows.
#include "interpreter/plan/plan.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

#include "interpreter/plan/plan_mask.hpp"
#include "interpreter/plan/plan_source.hpp"
#include "interpreter/plan/plan_targets.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

namespace {

using ast::type_text;
using plan::arg_value;
using plan::causes_in;
using plan::text_or_null;
using plan::written;

/// The plan's name for a gate's kind.
plan::GateKind plan_gate_kind(GateKind k) {
  switch (k) {
    case GateKind::None:
      return plan::GateKind::None;
    case GateKind::Confirm:
      return plan::GateKind::Confirm;
    case GateKind::Typed:
      return plan::GateKind::Typed;
  }
  return plan::GateKind::None;
}

/// The plan's name for a failure policy.
plan::OnFailure plan_on_failure(ast::FailurePolicy p) {
  switch (p) {
    case ast::FailurePolicy::Continue:
      return plan::OnFailure::Continue;
    case ast::FailurePolicy::Rollback:
      return plan::OnFailure::Rollback;
    case ast::FailurePolicy::Abort:
      return plan::OnFailure::Abort;
  }
  return plan::OnFailure::Rollback;
}

/// The sections in execution order, each with the plan's name for it.
constexpr std::pair<ast::SectionKind, plan::SectionName> kSectionOrder[] = {
    {ast::SectionKind::Alert, plan::SectionName::Alert},
    {ast::SectionKind::Diagnose, plan::SectionName::Diagnose},
    {ast::SectionKind::Causes, plan::SectionName::Causes},
    {ast::SectionKind::Remediate, plan::SectionName::Remediate},
    {ast::SectionKind::Verify, plan::SectionName::Verify},
    {ast::SectionKind::Rollback, plan::SectionName::Rollback},
    {ast::SectionKind::Finally, plan::SectionName::Finally},
    {ast::SectionKind::Escalate, plan::SectionName::Escalate},
};

/// The plan's name for a section.
plan::SectionName plan_section(ast::SectionKind k) {
  for (const auto& [kind, name] : kSectionOrder)
    if (kind == k) return name;
  return plan::SectionName::Alert;
}

// ---------------------------------------------------------------------------
// The planner: walks the sections in execution order, keeping the captures
// made so far so each command's environment can be shown.

class Planner {
 public:
  /// `masker`: what the plan is masked with afterwards (make_plan).
  Planner(const PlanInput& in, const Masker& masker) : in_(in), rb_(*in.runbook) {
    // The parameters' values, for the gates (gate()): never one holding a
    // secret, as the run does: a gate's reason is cut short before the plan
    // is masked, and a secret cut in two would escape.
    if (in_.params)
      for (const auto& [name, v] : in_.params->values)
        if (std::string text = to_display(v); masker.mask(text) == text)
          param_values_[name] = std::move(text);
    for (const auto& item : rb_.items) {
      if (const auto* m = std::get_if<ast::Meta>(&item)) {
        if (m->kind == ast::MetaKind::Severity && m->word) severity_ = m->word->name;
      } else if (const auto* s = std::get_if<ast::Section>(&item)) {
        sections_[s->kind] = s;
      }
    }
    std::function<void(const ast::Body&)> asks = [&](const ast::Body& b) {
      for (const auto& st : b.items)
        if (const auto* a = std::get_if<ast::Ask>(&st)) answered_roles_.insert(a->decl->name.name);
    };
    for (const auto& [kind, sec] : sections_)
      for (const auto& si : sec->items)
        if (const auto* st = std::get_if<ast::Step>(&si)) asks(st->body);
    // The causes may decide another severity; a gate is shown as strict as
    // any of them makes it (the engine never makes one weaker).
    gate_severity_ = severity_;
    if (auto it = sections_.find(ast::SectionKind::Causes); it != sections_.end())
      for (const auto& si : it->second->items)
        if (const auto* c = std::get_if<ast::Cause>(&si); c && c->severity)
          gate_severity_ =
              called_gate_severity(gate_severity_, c->severity->name, in_.config->policy);
  }

  Plan plan() {
    Plan p;
    p.runbook = rb_.name.name;
    p.file = in_.file;
    if (!severity_.empty()) p.severity.value = severity_;
    for (const auto& item : rb_.items) {
      const auto* m = std::get_if<ast::Meta>(&item);
      if (!m) continue;
      if (m->kind == ast::MetaKind::Title && m->text) p.title.value = written(*m->text);
      if (m->kind == ast::MetaKind::Owner && m->word) p.owner.value = m->word->name;
      if (m->kind == ast::MetaKind::Summary && m->text) p.summary.value = written(*m->text);
      if (m->kind == ast::MetaKind::Tags)
        for (const auto& t : m->tags) p.tags.push_back(t.name);
    }
    if (!in_.config->path.empty()) p.config.value = in_.config->path;
    p.default_timeout = format_duration(in_.config->policy.default_timeout.count());
    p.params = params();
    p.secrets = secrets();
    p.messages = messages();
    p.rbk_variables = rbk_variables();
    if (in_.params)
      for (const auto* m : in_.params->missing) p.missing_params.push_back(m->name.name);
    p.only_targets = in_.only_targets;
    for (const auto& [kind, name] : kSectionOrder) p.sections.push_back(section(kind, name));
    return p;
  }

 private:
  const PlanInput& in_;
  const ast::Runbook& rb_;
  std::string severity_;
  std::string gate_severity_;             // the strictest the causes can make the gates
  ShellValues param_values_;              // what the commands read of the parameters
  std::set<std::string> answered_roles_;  // `ask` names (a page may name its role by one)
  std::map<ast::SectionKind, const ast::Section*> sections_;
  /// Captures made so far, in execution order: name → "<output of step X>".
  std::vector<std::pair<std::string, std::string>> captures_;

  // --- the run's variables ------------------------------------------------

  std::vector<plan::Param> params() const {
    std::vector<plan::Param> out;
    for (const auto* p : declared_params(rb_)) {
      plan::Param j{
          .name = p->name.name, .type = type_text(p->type), .help = text_or_null(p->help)};
      const BoundParams* b = in_.params;
      const Value* v = nullptr;
      if (b) {
        auto found = b->values.find(p->name.name);
        if (found != b->values.end()) v = &found->second;
      }
      if (v) {
        bool defaulted =
            std::find(b->defaulted.begin(), b->defaulted.end(), p->name.name) != b->defaulted.end();
        j.value.value = to_display(*v);
        j.source = defaulted ? plan::ParamSource::Default : plan::ParamSource::Given;
      } else if (!b && p->default_value) {
        j.value.value = to_display(default_value(*p));
        j.source = plan::ParamSource::Default;
      } else {
        j.source = plan::ParamSource::Missing;
      }
      out.push_back(std::move(j));
    }
    return out;
  }

  std::vector<plan::Message> messages() const {
    std::vector<plan::Message> out;
    for (const auto& item : rb_.items)
      if (const auto* m = std::get_if<ast::Message>(&item))
        out.push_back({.name = m->name.name, .text = written(m->text)});
    return out;
  }

  std::vector<plan::Secret> secrets() const {
    std::vector<plan::Secret> out;
    for (const auto& item : rb_.items) {
      const auto* s = std::get_if<ast::Secret>(&item);
      if (!s) continue;
      plan::Secret j{.name = s->name.name};
      if (s->source == ast::SecretSource::Env) {
        j.source = plan::SecretSource::Env;
        j.var = ast::secret_env_var(*s);
      } else {
        j.source = plan::SecretSource::Command;
        j.command = s->command ? s->command->text : std::string();
      }
      out.push_back(std::move(j));
    }
    return out;
  }

  std::string record_dir() const {
    std::string dir = display_path(in_.config->records_dir);
    return (dir.empty() ? std::string(".rbk/runs") : dir) + "/<run id>";
  }

  /// What RBK_* variable `name` holds; `section`/`step` are placeholders in
  /// the header and the values for one command elsewhere.
  std::string rbk_value(std::string_view name, const std::string& section,
                        const std::string& step) const {
    if (name == "RBK_RUN_ID") return "<assigned when the run starts>";
    if (name == "RBK_RUNBOOK") return rb_.name.name;
    if (name == "RBK_SEVERITY") return severity_;
    if (name == "RBK_SECTION") return section;
    if (name == "RBK_STEP") return step;
    if (name == "RBK_RECORD_DIR") return record_dir();
    if (name == "RBK_CAPTURES")
      return "<a private folder: one file per capture, removed at the end>";
    return {};
  }

  std::vector<plan::Variable> rbk_variables() const {
    std::vector<plan::Variable> out;
    for (std::string_view name : kRbkVariables)
      out.push_back(
          {std::string(name),
           rbk_value(name, "<the section: alert, diagnose, remediate, verify or rollback>",
                     "<the step, signal or check id>")});
    return out;
  }

  /// The variables a command of `section`/`step` receives right now.
  plan::Env env(const char* section, const std::string& step,
                const std::vector<plan::UseArg>* template_args) const {
    plan::Env e;
    for (const auto* p : declared_params(rb_)) {
      std::string value = "<required, not given>";
      if (in_.params) {
        auto v = in_.params->values.find(p->name.name);
        if (v != in_.params->values.end()) value = to_display(v->second);
      } else if (p->default_value) {
        value = to_display(default_value(*p));
      }
      e[p->name.name] = value;
    }
    for (const auto& item : rb_.items)
      if (const auto* s = std::get_if<ast::Secret>(&item)) e[s->name.name] = "***";
    for (const auto& [name, from] : captures_) e[name] = from;
    if (template_args)
      for (const auto& a : *template_args) e[a.name] = a.value;
    for (std::string_view name : kRbkVariables)
      e[std::string(name)] = rbk_value(name, section, step);
    return e;
  }

  // --- statements -----------------------------------------------------------

  /// What a `use` binds: every template parameter with its argument
  /// expression as written, or its default.
  static std::vector<plan::UseArg> use_args(const ast::Use& use, const ast::Template& t) {
    std::vector<plan::UseArg> args;
    for (const auto& p : t.params) {
      plan::UseArg a{.name = p.name.name};
      const ast::Arg* given = nullptr;
      for (const auto& arg : use.args)
        if (arg.name.name == p.name.name) given = &arg;
      if (given && given->value) {
        a.expr = text_or_null(given->value);
        a.value = arg_value(*given->value);
        a.source = plan::ArgSource::With;
      } else if (p.default_value) {
        a.expr = text_or_null(p.default_value);
        a.value = to_display(default_value(p));
        a.source = plan::ArgSource::Default;
      } else {
        a.value = "<required, not given>";
        a.source = plan::ArgSource::Missing;
      }
      args.push_back(std::move(a));
    }
    return args;
  }

  struct StepContext {
    const char* section = "";
    std::string id;     // RBK_STEP
    std::string owner;  // "step X" / "signal X": for "<output of …>"
    std::vector<plan::Use> uses;
    std::map<const ast::Use*, size_t> use_index;
    std::vector<std::pair<std::string, std::string>> undo_captures;
    bool on_targets = false;  // the step runs `on` targets: so does its undo, where it ran
  };

  /// The index of `use` in the step's list of uses (added on first sight).
  static size_t use_of(StepContext& ctx, const StepStatement& s) {
    auto it = ctx.use_index.find(s.use);
    if (it != ctx.use_index.end()) return it->second;
    size_t i = ctx.uses.size();
    plan::Use u{.use = s.use->module.name + "." + s.use->name.name};
    if (s.tmpl && s.tmpl->title) u.title.value = written(*s.tmpl->title);
    if (s.tmpl) u.args = use_args(*s.use, *s.tmpl);
    ctx.uses.push_back(std::move(u));
    ctx.use_index[s.use] = i;
    return i;
  }

  /// The statements of an expanded body as plan entries; `in_undo` marks an
  /// undo block's statements (their captures exist only if the undo ran).
  std::vector<plan::Statement> statements(const std::vector<StepStatement>& stmts, StepContext& ctx,
                                          bool in_undo, const ast::Use* outer_use = nullptr,
                                          const ast::Template* outer_tmpl = nullptr) {
    std::vector<plan::Statement> out;
    for (const auto& raw : stmts) {
      StepStatement s = raw;
      if (!s.use && outer_use) {  // inside an undo that a template brought in
        s.use = outer_use;
        s.tmpl = outer_tmpl;
      }
      plan::Statement j;
      if (s.use) j.from_use = use_of(ctx, s);
      // The template's arguments, which its commands receive as variables.
      auto env_now = [&] {
        return env(ctx.section, ctx.id, j.from_use ? &ctx.uses[*j.from_use].args : nullptr);
      };
      bool keep = true;
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, ast::Run>) {
              plan::Run r{.command = x.shell.text};
              if (x.timeout) {
                r.timeout = x.timeout->text;
              } else {
                r.timeout = format_duration(in_.config->policy.default_timeout.count());
                r.timeout_default = true;
              }
              if (x.retry) r.retry.value = *x.retry;
              r.retry_every = text_or_null(x.retry_every);
              if (x.capture) r.capture.value = x.capture->name;
              r.env = env_now();
              if (x.capture) {
                std::string from = "<output of " + ctx.owner + (in_undo ? " (undo)" : "") + ">";
                if (in_undo)
                  ctx.undo_captures.emplace_back(x.capture->name, from);
                else
                  captures_.emplace_back(x.capture->name, from);
              }
              j.body = std::move(r);
            } else if constexpr (std::is_same_v<T, ast::Until>) {
              j.body = plan::Until{.command = x.shell.text,
                                   .within = x.within.text,
                                   .every = text_or_null(x.every),
                                   .env = env_now()};
            } else if constexpr (std::is_same_v<T, ast::Verify>) {
              j.body = plan::Verify{.command = x.shell.text, .env = env_now()};
            } else if constexpr (std::is_same_v<T, ast::Confirm>) {
              j.body =
                  plan::Confirm{.prompt = text_or_null(x.prompt), .typed = text_or_null(x.typed)};
            } else if constexpr (std::is_same_v<T, ast::Note>) {
              j.body = plan::Note{.text = written(x.text)};
            } else if constexpr (std::is_same_v<T, ast::Manual>) {
              j.body = plan::Manual{.text = written(x.text)};
            } else if constexpr (std::is_same_v<T, ast::Ask>) {
              j.body = plan::Ask{.name = x.decl->name.name,
                                 .question = written(x.question),
                                 .type = ast::answer_type_text(x)};
            } else if constexpr (std::is_same_v<T, ast::Call>) {
              plan::Call c{.runbook = x.runbook.name};
              for (const auto& a : x.args) c.args.push_back({a.name.name, text_or_null(a.value)});
              std::string file;
              if (callee_parts(c.runbook, c.runbook + "/", {rb_.name.name}, severity_, &c.gates,
                               &c.undo, &file))
                c.file.value = file;
              j.body = std::move(c);
            } else if constexpr (std::is_same_v<T, ast::Notify>) {
              j.body = notify(x);
            } else if constexpr (std::is_same_v<T, ast::Undo>) {
              std::vector<StepStatement> inner =
                  x.body ? expand_body(*x.body, *in_.imports) : std::vector<StepStatement>{};
              j.body = plan::Undo{.statements = statements(inner, ctx, true, s.use, s.tmpl),
                                  .only_where_ran = ctx.on_targets};
            } else {
              // destructive, evidence, safe, on failure, firing/passes when: shown
              // as properties of the step, not as statements.
              keep = false;
            }
          },
          *s.stmt);
      if (keep) out.push_back(std::move(j));
    }
    return out;
  }

  plan::Notice notify(const ast::Notify& n) const {
    plan::Notice j{.kind = n.page ? ev::NoticeKind::Page : ev::NoticeKind::Notify,
                   .role = n.role.name};
    // A parameter's name: the role is the value this run gives it.
    std::string from_param;
    if (in_.params) {
      if (auto it = in_.params->values.find(n.role.name); it != in_.params->values.end()) {
        from_param = n.role.name;
        j.role = to_display(it->second);
      }
    }
    auto role = in_.config->roles.find(j.role);
    if (role != in_.config->roles.end() && !role->second.name.empty())
      j.role_name.value = role->second.name;
    if (!from_param.empty())
      j.role_name.value = j.role_name.value.value_or(std::string("not in rbk.yaml")) +
                          ", from parameter " + from_param;
    // An answer's name: the role is whatever the operator types.
    if (from_param.empty() && !is_param(n.role.name) && answered_roles_.count(n.role.name))
      j.role_name.value = "the answer to 'ask " + n.role.name + "', typed during the run";
    j.message = text_or_null(n.message);
    j.when = text_or_null(n.when);
    return j;
  }

  // --- steps, signals, checks ----------------------------------------------

  plan::Gate gate(const std::vector<StepStatement>& stmts, const std::string& id) const {
    // The parameters' values are known: a command a value makes destructive
    // shows the gate the run will ask (a template's statements read its
    // arguments, which the plan does not evaluate).
    return gate(stmts, id, gate_severity_,
                [&](const StepStatement& s) { return s.use ? nullptr : &param_values_; });
  }

  /// The gate as the engine decides it under `severity` (a called
  /// runbook's gates follow its caller's severity when that is stricter).
  plan::Gate gate(const std::vector<StepStatement>& stmts, const std::string& id,
                  const std::string& severity, const StatementValues& values = {}) const {
    Gate g = gate_for(stmts, severity, in_.config->policy, *in_.patterns, values);
    plan::Gate j{.kind = plan_gate_kind(g.kind),
                 .destructive = g.destructive,
                 .reason = g.reason,
                 .typed_by_policy = g.typed_by_policy};
    if (g.confirm) j.prompt = text_or_null(g.confirm->prompt);
    if (g.kind == GateKind::Typed)
      j.typed.value =
          g.confirm && g.confirm->typed ? std::string(g.confirm->typed->span.text()) : id;
    if (g.kind == GateKind::None) return j;  // nothing to approve
    if (!in_.config->policy.allow_non_interactive_approval)
      j.without_terminal.value = "refused (rbk.yaml policy allows no approval without a terminal)";
    else if (id.empty())
      j.without_terminal.value = "refused (the signal or check has no id to approve)";
    else
      j.without_terminal.value = "--approve " + id;
    return j;
  }

  /// Fills the common part of a signal, step or check (`kind`).
  /// `id` is the item's id as the engine names it (ast::item_id for an
  /// unnamed signal or check), so RBK_STEP and --approve match a run's.
  void item(plan::Runnable& j, std::string_view kind, const char* section, const std::string& id,
            bool named, const std::string& title, const ast::Body& body) {
    StepContext ctx;
    ctx.section = section;
    ctx.id = id;
    // An unnamed signal or check reads better by its title than its number.
    ctx.owner = std::string(kind) + " " + (named ? id : "\"" + title + "\"");

    j.id = id;
    j.title = title;
    for (const auto& [name, from] : captures_) j.captures_before.push_back({name, from});

    std::vector<StepStatement> stmts = expand_body(body, *in_.imports);
    j.gate = gate(stmts, ctx.id);
    const ast::OnFailure* on_failure = nullptr;
    const ast::Expr* condition = nullptr;
    const ast::Safe* safe = nullptr;
    for (const auto& s : stmts) {
      if (std::holds_alternative<ast::Evidence>(*s.stmt)) j.evidence = true;
      if (const auto* f = std::get_if<ast::Safe>(s.stmt)) safe = f;
      if (const auto* f = std::get_if<ast::OnFailure>(s.stmt)) on_failure = f;
      if (const auto* f = std::get_if<ast::Firing>(s.stmt)) condition = f->cond.get();
      if (const auto* f = std::get_if<ast::Passes>(s.stmt)) condition = f->cond.get();
      if (std::holds_alternative<ast::On>(*s.stmt)) ctx.on_targets = true;
    }
    if (safe) j.safe.value = written(safe->reason);
    if (condition) j.condition.value = std::string(condition->span.text());
    // The failure policy matters in remediation; elsewhere only an explicit one is shown.
    const bool fails = std::string_view(section) == "remediate";
    if (on_failure || fails) {
      j.on_failure.value =
          plan_on_failure(on_failure ? on_failure->policy : ast::FailurePolicy::Rollback);
      j.on_failure_default = on_failure == nullptr;
    }
    j.statements = statements(stmts, ctx, false);
    j.uses = std::move(ctx.uses);
    // Captures made in an undo block exist (empty unless the undo ran) after the step.
    for (auto& c : ctx.undo_captures) captures_.push_back(std::move(c));
  }

  plan::Step step(const ast::Step& st, const char* section) {
    plan::Step j;
    item(j, plan::Step::kKind, section, st.id.name, true,
         st.title ? written(*st.title) : std::string(), st.body);
    j.when = text_or_null(st.when);
    causes_in(st.when.get(), j.selected_by);
    for (const auto& s : st.body.items)
      if (const auto* on = std::get_if<ast::On>(&s))
        j.on.value = plan::plan_on(*on, {.runbook = &rb_,
                                         .params = in_.params,
                                         .targets = &in_.config->targets,
                                         .only = in_.only_targets});
    return j;
  }

  // --- sections -------------------------------------------------------------

  plan::Section section(ast::SectionKind kind, plan::SectionName plan_name) {
    auto found = sections_.find(kind);
    plan::Section j{.section = plan_name, .present = found != sections_.end()};
    const char* name = ast::section_name(kind);
    if (kind == ast::SectionKind::Escalate) {
      j.rules = escalation(found == sections_.end() ? nullptr : found->second);
      return j;
    }
    std::vector<plan::Item> items;
    if (found != sections_.end()) {
      size_t signals = 0, checks = 0;
      for (const auto& si : found->second->items) {
        if (const auto* sg = std::get_if<ast::Signal>(&si)) {
          plan::Signal s;
          item(s, plan::Signal::kKind, name, ast::item_id(sg->id, "signal", ++signals),
               sg->id.has_value(), written(sg->title), sg->body);
          items.push_back({std::move(s)});
        } else if (const auto* st = std::get_if<ast::Step>(&si)) {
          items.push_back({step(*st, name)});
        } else if (const auto* ck = std::get_if<ast::Check>(&si)) {
          plan::Check c;
          item(c, plan::Check::kKind, name, ast::item_id(ck->id, "check", ++checks),
               ck->id.has_value(), written(ck->title), ck->body);
          c.within = text_or_null(ck->within);
          c.every = text_or_null(ck->every);
          c.holds_for = text_or_null(ck->holds);
          items.push_back({std::move(c)});
        } else if (const auto* cs = std::get_if<ast::Cause>(&si)) {
          items.push_back(
              {plan::Cause{.id = cs->id.name,
                           .title = written(cs->title),
                           .when = text_or_null(cs->when),
                           .severity = cs->severity ? plan::OrNull<std::string>{cs->severity->name}
                                                    : plan::OrNull<std::string>{},
                           .selects = selects(cs->id.name)}});
        }
      }
    }
    j.items = std::move(items);
    if (kind == ast::SectionKind::Rollback) j.undo_first = undo_order();
    return j;
  }

  /// The remediation and rollback steps whose `when` refers to `cause.ID`.
  std::vector<plan::Branch> selects(const std::string& cause) const {
    std::vector<plan::Branch> out;
    for (auto kind : {ast::SectionKind::Remediate, ast::SectionKind::Rollback}) {
      auto found = sections_.find(kind);
      if (found == sections_.end()) continue;
      for (const auto& si : found->second->items) {
        const auto* st = std::get_if<ast::Step>(&si);
        if (!st) continue;
        std::vector<std::string> causes;
        causes_in(st->when.get(), causes);
        if (std::find(causes.begin(), causes.end(), cause) == causes.end()) continue;
        plan::Branch b{.step = st->id.name, .section = plan_section(kind)};
        if (st->title) b.title.value = written(*st->title);
        b.when = text_or_null(st->when);
        out.push_back(std::move(b));
      }
    }
    return out;
  }

  /// Remediation steps with an undo block, newest first: the order their
  /// undo blocks run in (for the steps that completed) before the rollback section.
  std::vector<std::string> undo_order() const {
    std::vector<std::string> ids;
    auto found = sections_.find(ast::SectionKind::Remediate);
    if (found == sections_.end()) return ids;
    for (const auto& si : found->second->items) {
      const auto* st = std::get_if<ast::Step>(&si);
      if (!st) continue;
      bool has_undo = false;
      for (const auto& s : expand_body(st->body, *in_.imports)) {
        // A called runbook that resolved is undone where its call stands.
        if (const auto* c = std::get_if<ast::Call>(s.stmt))
          callee_parts(c->runbook.name, c->runbook.name + "/", {rb_.name.name}, severity_, nullptr,
                       &ids, nullptr);
        if (std::holds_alternative<ast::Undo>(*s.stmt)) has_undo = true;
      }
      if (has_undo) ids.push_back(st->id.name);
    }
    std::reverse(ids.begin(), ids.end());
    return ids;
  }

  /// A duration's milliseconds: a literal's, or the value its parameter is
  /// given (0 when it is not given).
  /// Whether `name` is a parameter of the runbook (else an answer, in a duration or a role).
  bool is_param(const std::string& name) const {
    for (const auto& item : rb_.items)
      if (const auto* p = std::get_if<ast::Param>(&item); p && p->name.name == name) return true;
    return false;
  }

  int64_t ms_of(const ast::Duration& d) const {
    const Value* v = nullptr;
    if (d.param && in_.params)
      if (auto it = in_.params->values.find(*d.param); it != in_.params->values.end())
        v = &it->second;
    return duration_ms(d, v);
  }

  /// What a call of `name` brings, found through in_.find_callee: the gates
  /// of its steps (and of the runbooks it calls), named as --approve names
  /// them, `prefix` first; the remediation steps with an undo block, in run
  /// order; the file it was found in. False when it cannot be found.
  bool callee_parts(const std::string& name, const std::string& prefix,
                    std::vector<std::string> chain, const std::string& caller_severity,
                    std::vector<plan::CalledGate>* gates, std::vector<std::string>* undo,
                    std::string* file) const {
    if (!in_.find_callee || chain.size() > static_cast<size_t>(kMaxCallDepth) ||
        std::find(chain.begin(), chain.end(), name) != chain.end())
      return false;
    const std::optional<PlannedCallee> callee = in_.find_callee(name);
    if (!callee || !callee->runbook || !callee->imports) return false;
    if (file) *file = callee->file;
    std::string own;
    for (const auto& item : callee->runbook->items)
      if (const auto* m = std::get_if<ast::Meta>(&item);
          m && m->kind == ast::MetaKind::Severity && m->word)
        own = m->word->name;
    const std::string severity = called_gate_severity(caller_severity, own, in_.config->policy);
    chain.push_back(name);
    for (const auto& item : callee->runbook->items) {
      const auto* sec = std::get_if<ast::Section>(&item);
      if (!sec) continue;
      const bool remediate = sec->kind == ast::SectionKind::Remediate;
      for (const auto& si : sec->items) {
        const auto* st = std::get_if<ast::Step>(&si);
        if (!st) continue;
        const std::string id = prefix + st->id.name;
        const std::vector<StepStatement> stmts = expand_body(st->body, *callee->imports);
        if (gates) {
          plan::Gate g = gate(stmts, id, severity);
          if (g.kind != plan::GateKind::None)
            gates->push_back({.step = id,
                              .title = st->title ? written(*st->title) : "",
                              .kind = g.kind,
                              .destructive = g.destructive,
                              .prompt = g.prompt,
                              .typed = g.typed,
                              .without_terminal = g.without_terminal});
        }
        bool has_undo = false;
        for (const auto& s : stmts) {
          if (const auto* c = std::get_if<ast::Call>(s.stmt))
            callee_parts(c->runbook.name, prefix + c->runbook.name + "/", chain, severity, gates,
                         remediate ? undo : nullptr, nullptr);
          if (std::holds_alternative<ast::Undo>(*s.stmt)) has_undo = true;
        }
        if (remediate && undo && has_undo) undo->push_back(id);
      }
    }
    return true;
  }

  std::vector<plan::Rule> escalation(const ast::Section* s) const {
    std::vector<const ast::Escalation*> start, after, every, failure, success, interrupted;
    if (s) {
      for (const auto& si : s->items) {
        const auto* e = std::get_if<ast::Escalation>(&si);
        if (!e) continue;
        switch (e->trigger) {
          case ast::Trigger::Start:
            start.push_back(e);
            break;
          case ast::Trigger::After:
            after.push_back(e);
            break;
          case ast::Trigger::Every:
            every.push_back(e);
            break;
          case ast::Trigger::OnFailure:
            failure.push_back(e);
            break;
          case ast::Trigger::OnSuccess:
            success.push_back(e);
            break;
          case ast::Trigger::OnInterrupted:
            interrupted.push_back(e);
            break;
        }
      }
    }
    std::stable_sort(after.begin(), after.end(), [&](const auto* a, const auto* b) {
      return (a->after ? ms_of(*a->after) : 0) < (b->after ? ms_of(*b->after) : 0);
    });
    std::vector<plan::Rule> out;
    auto add = [&](const std::vector<const ast::Escalation*>& rules, ev::Trigger trigger) {
      for (const auto* e : rules) {
        plan::Rule j;
        static_cast<plan::Notice&>(j) = notify(e->action);
        j.trigger = trigger;
        j.after = text_or_null(e->after);
        if (e->from_step) j.from_step.value = e->from_step->name;
        const bool answered = e->after && e->after->param && !is_param(*e->after->param);
        if (e->after && answered) {
          // An answer's duration (`after eta from step identify`): typed during the run.
          *j.after.value += " (the answer, typed during the run)";
        } else if (e->after) {
          j.after_ms.value = ms_of(*e->after);
          // A parameter's duration: its name, and the value this run gives it.
          if (e->after->param) *j.after.value += " (" + format_duration(ms_of(*e->after)) + ")";
        }
        j.every = text_or_null(e->every);
        j.lasting = text_or_null(e->lasting);
        out.push_back(std::move(j));
      }
    };
    add(start, ev::Trigger::Start);
    add(after, ev::Trigger::After);
    add(every, ev::Trigger::Every);
    add(failure, ev::Trigger::Failure);
    add(success, ev::Trigger::Success);
    add(interrupted, ev::Trigger::Interrupted);
    return out;
  }
};

}  // namespace

Plan make_plan(const PlanInput& in) {
  if (!in.runbook) return Plan{};
  // Missing inputs read as empty ones: no imports, the default config and
  // no destructive patterns (gates then come only from what the author wrote).
  static const Imports no_imports;
  static const Config default_config;
  static const DestructivePatterns no_patterns;
  PlanInput full = in;
  if (!full.imports) full.imports = &no_imports;
  if (!full.config) full.config = &default_config;
  if (!full.patterns) full.patterns = &no_patterns;
  const Masker masker(full.secret_values, full.config->redact);
  Plan p = Planner(full, masker).plan();
  mask_plan(p, masker);
  return p;
}

std::vector<std::string> env_secret_values(const ast::Runbook& rb) {
  std::vector<std::string> out;
  for (const auto& item : rb.items) {
    const auto* s = std::get_if<ast::Secret>(&item);
    if (!s || s->source != ast::SecretSource::Env) continue;
    std::string var = ast::secret_env_var(*s);
    if (const char* v = std::getenv(var.c_str())) out.emplace_back(v);
  }
  return out;
}

}  // namespace rbk
