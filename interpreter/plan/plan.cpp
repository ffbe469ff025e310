#include "interpreter/plan/plan.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "interpreter/base/json_fields.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Source text as written. The plan evaluates nothing: strings keep their
// `${…}`, conditions are their source text.

/// A string literal as written: a one-line string exactly as between its
/// quotes (escapes kept); a `"""` text dedented as rbk reads it, with each
/// `${expr}` as written.
std::string written(const ast::StringLit& s) {
  if (!s.text_block) {
    std::string_view t = s.span.text();
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    return std::string(t);
  }
  std::string out;
  for (const auto& part : s.parts) {
    if (part.expr) {
      out += "${" + std::string(part.expr->span.text()) + "}";
      continue;
    }
    // A literal "${" was written "$${"; keep it distinguishable.
    for (size_t i = 0; i < part.text.size(); ++i) {
      if (part.text[i] == '$' && i + 1 < part.text.size() && part.text[i + 1] == '{') out += '$';
      out += part.text[i];
    }
  }
  return out;
}

json text_or_null(const ast::ExprPtr& e) {
  return e ? json(std::string(e->span.text())) : json(nullptr);
}

json text_or_null(const std::optional<ast::StringLit>& s) {
  return s ? json(written(*s)) : json(nullptr);
}

/// The value an argument expression would give, when it is a literal;
/// otherwise "<value of EXPR>" (nothing is evaluated at plan time).
std::string arg_value(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::String:
      if (!e.string.has_interpolation()) return e.string.plain();
      break;
    case ast::ExprKind::Number:
    case ast::ExprKind::Duration:
      return e.text.empty() ? std::string(e.span.text()) : e.text;
    case ast::ExprKind::Bool:
      return e.boolean ? "true" : "false";
    default:
      break;
  }
  return "<value of " + std::string(e.span.text()) + ">";
}

/// Cause ids a condition refers to as `cause.ID`, in order of appearance.
void causes_in(const ast::Expr* e, std::vector<std::string>& out) {
  if (!e) return;
  if (e->kind == ast::ExprKind::Member && !e->items.empty() && e->items[0] &&
      e->items[0]->kind == ast::ExprKind::Name && e->items[0]->name == "cause") {
    if (std::find(out.begin(), out.end(), e->name) == out.end()) out.push_back(e->name);
    return;
  }
  for (const auto& i : e->items) causes_in(i.get(), out);
  if (e->kind == ast::ExprKind::String)
    for (const auto& p : e->string.parts) causes_in(p.expr.get(), out);
}

using ast::policy_name;

const char* gate_kind_name(GateKind k) {
  switch (k) {
    case GateKind::None:
      return "none";
    case GateKind::Confirm:
      return "confirm";
    case GateKind::Typed:
      return "typed";
  }
  return "none";
}

std::string type_text(const ast::Type& t) {
  std::string out = ast::type_name(t.kind);
  if (t.kind == ast::TypeKind::Enum) {
    out += "(";
    for (size_t i = 0; i < t.values.size(); ++i) out += (i ? ", " : "") + t.values[i].name;
    out += ")";
  }
  return out;
}

// ---------------------------------------------------------------------------
// The planner: walks the sections in execution order, keeping the captures
// made so far so each command's environment can be shown.

class Planner {
 public:
  explicit Planner(const PlanInput& in) : in_(in), rb_(*in.runbook) {
    for (const auto& item : rb_.items) {
      if (const auto* m = std::get_if<ast::Meta>(&item)) {
        if (m->kind == ast::MetaKind::Severity && m->word) severity_ = m->word->name;
      } else if (const auto* s = std::get_if<ast::Section>(&item)) {
        sections_[s->kind] = s;
      }
    }
  }

  json plan() {
    json p = json::object();
    p["plan"] = true;
    p["runbook"] = rb_.name.name;
    p["file"] = in_.file;
    p["title"] = nullptr;
    p["severity"] = severity_.empty() ? json(nullptr) : json(severity_);
    p["owner"] = nullptr;
    p["summary"] = nullptr;
    p["tags"] = json::array();
    for (const auto& item : rb_.items) {
      const auto* m = std::get_if<ast::Meta>(&item);
      if (!m) continue;
      if (m->kind == ast::MetaKind::Title && m->text) p["title"] = written(*m->text);
      if (m->kind == ast::MetaKind::Owner && m->word) p["owner"] = m->word->name;
      if (m->kind == ast::MetaKind::Summary && m->text) p["summary"] = written(*m->text);
      if (m->kind == ast::MetaKind::Tags)
        for (const auto& t : m->tags) p["tags"].push_back(t.name);
    }
    p["config"] = in_.config->path.empty() ? json(nullptr) : json(in_.config->path);
    p["default_timeout"] = format_duration(in_.config->policy.default_timeout.count());
    p["params"] = params();
    p["secrets"] = secrets();
    p["rbk_variables"] = rbk_variables();
    p["missing_params"] = json::array();
    if (in_.params)
      for (const auto* m : in_.params->missing) p["missing_params"].push_back(m->name.name);

    json sections = json::array();
    const ast::SectionKind order[] = {ast::SectionKind::Alert,   ast::SectionKind::Diagnose,
                                      ast::SectionKind::Causes,  ast::SectionKind::Remediate,
                                      ast::SectionKind::Verify,  ast::SectionKind::Rollback,
                                      ast::SectionKind::Escalate};
    for (auto kind : order) sections.push_back(section(kind));
    p["sections"] = std::move(sections);
    return p;
  }

 private:
  const PlanInput& in_;
  const ast::Runbook& rb_;
  std::string severity_;
  std::map<ast::SectionKind, const ast::Section*> sections_;
  /// Captures made so far, in execution order: name → "<output of step X>".
  std::vector<std::pair<std::string, std::string>> captures_;

  // --- the run's variables ------------------------------------------------

  json params() const {
    json out = json::array();
    for (const auto* p : declared_params(rb_)) {
      json j = {{"name", p->name.name}, {"type", type_text(p->type)}};
      j["help"] = text_or_null(p->help);
      const BoundParams* b = in_.params;
      const Value* v = nullptr;
      if (b) {
        auto found = b->values.find(p->name.name);
        if (found != b->values.end()) v = &found->second;
      }
      if (v) {
        bool defaulted =
            std::find(b->defaulted.begin(), b->defaulted.end(), p->name.name) != b->defaulted.end();
        j["value"] = to_display(*v);
        j["source"] = defaulted ? "default" : "given";
      } else if (!b && p->default_value) {
        j["value"] = to_display(default_value(*p));
        j["source"] = "default";
      } else {
        j["value"] = nullptr;
        j["source"] = "missing";
      }
      out.push_back(std::move(j));
    }
    return out;
  }

  json secrets() const {
    json out = json::array();
    for (const auto& item : rb_.items) {
      const auto* s = std::get_if<ast::Secret>(&item);
      if (!s) continue;
      json j = {{"name", s->name.name}, {"value", "***"}};
      if (s->source == ast::SecretSource::Env) {
        j["source"] = "env";
        j["var"] = ast::secret_env_var(*s);
      } else {
        j["source"] = "command";
        j["command"] = s->command ? s->command->text : std::string();
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

  json rbk_variables() const {
    json out = json::array();
    for (std::string_view name : kRbkVariables)
      out.push_back(
          {{"name", std::string(name)},
           {"value",
            rbk_value(name, "<the section: alert, diagnose, remediate, verify or rollback>",
                      "<the step, signal or check id>")}});
    return out;
  }

  /// The variables a command of `section`/`step` receives right now.
  json env(const char* section, const std::string& step, const json* template_args) const {
    json e = json::object();
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
      for (const auto& a : *template_args) e[a["name"].get<std::string>()] = a["value"];
    for (std::string_view name : kRbkVariables)
      e[std::string(name)] = rbk_value(name, section, step);
    return e;
  }

  // --- statements -----------------------------------------------------------

  /// What a `use` binds: every template parameter with its argument
  /// expression as written, or its default.
  static json use_args(const ast::Use& use, const ast::Template& t) {
    json args = json::array();
    for (const auto& p : t.params) {
      json a = {{"name", p.name.name}};
      const ast::Arg* given = nullptr;
      for (const auto& arg : use.args)
        if (arg.name.name == p.name.name) given = &arg;
      if (given && given->value) {
        a["expr"] = std::string(given->value->span.text());
        a["value"] = arg_value(*given->value);
        a["source"] = "with";
      } else if (p.default_value) {
        a["expr"] = std::string(p.default_value->span.text());
        a["value"] = to_display(default_value(p));
        a["source"] = "default";
      } else {
        a["expr"] = nullptr;
        a["value"] = "<required, not given>";
        a["source"] = "missing";
      }
      args.push_back(std::move(a));
    }
    return args;
  }

  struct StepContext {
    const char* section = "";
    std::string id;     // RBK_STEP
    std::string owner;  // "step X" / "signal X": for "<output of …>"
    json uses = json::array();
    std::map<const ast::Use*, size_t> use_index;
    std::vector<std::pair<std::string, std::string>> undo_captures;
  };

  /// The index of `use` in the step's list of uses (added on first sight).
  static size_t use_of(StepContext& ctx, const StepStatement& s) {
    auto it = ctx.use_index.find(s.use);
    if (it != ctx.use_index.end()) return it->second;
    size_t i = ctx.uses.size();
    json u = {{"use", s.use->module.name + "." + s.use->name.name}};
    u["title"] = s.tmpl && s.tmpl->title ? json(written(*s.tmpl->title)) : json(nullptr);
    u["args"] = s.tmpl ? use_args(*s.use, *s.tmpl) : json::array();
    ctx.uses.push_back(std::move(u));
    ctx.use_index[s.use] = i;
    return i;
  }

  /// The statements of an expanded body as plan entries; `in_undo` marks an
  /// undo block's statements (their captures exist only if the undo ran).
  json statements(const std::vector<StepStatement>& stmts, StepContext& ctx, bool in_undo,
                  const ast::Use* outer_use = nullptr, const ast::Template* outer_tmpl = nullptr) {
    json out = json::array();
    for (const auto& raw : stmts) {
      StepStatement s = raw;
      if (!s.use && outer_use) {  // inside an undo that a template brought in
        s.use = outer_use;
        s.tmpl = outer_tmpl;
      }
      json j = json::object();
      const json* targs = nullptr;
      if (s.use) {
        size_t i = use_of(ctx, s);
        j["from_use"] = i;
        targs = &ctx.uses[i]["args"];
      }
      bool keep = true;
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, ast::Run>) {
              j["kind"] = "run";
              j["command"] = x.shell.text;
              if (x.timeout) {
                j["timeout"] = x.timeout->text;
                j["timeout_default"] = false;
              } else {
                j["timeout"] = format_duration(in_.config->policy.default_timeout.count());
                j["timeout_default"] = true;
              }
              j["retry"] = x.retry ? json(*x.retry) : json(nullptr);
              j["retry_every"] = x.retry_every ? json(x.retry_every->text) : json(nullptr);
              j["capture"] = x.capture ? json(x.capture->name) : json(nullptr);
              j["env"] = env(ctx.section, ctx.id, targs);
              if (x.capture) {
                std::string from = "<output of " + ctx.owner + (in_undo ? " (undo)" : "") + ">";
                if (in_undo)
                  ctx.undo_captures.emplace_back(x.capture->name, from);
                else
                  captures_.emplace_back(x.capture->name, from);
              }
            } else if constexpr (std::is_same_v<T, ast::Until>) {
              j["kind"] = "until";
              j["command"] = x.shell.text;
              j["within"] = x.within.text;
              j["every"] = x.every ? json(x.every->text) : json(nullptr);
              j["env"] = env(ctx.section, ctx.id, targs);
            } else if constexpr (std::is_same_v<T, ast::Confirm>) {
              j["kind"] = "confirm";
              j["prompt"] = text_or_null(x.prompt);
              j["typed"] = text_or_null(x.typed);
            } else if constexpr (std::is_same_v<T, ast::Note>) {
              j["kind"] = "note";
              j["text"] = written(x.text);
            } else if constexpr (std::is_same_v<T, ast::Manual>) {
              j["kind"] = "manual";
              j["text"] = written(x.text);
            } else if constexpr (std::is_same_v<T, ast::Call>) {
              j["kind"] = "call";
              j["runbook"] = x.runbook.name;
              json args = json::array();
              for (const auto& a : x.args)
                args.push_back({{"name", a.name.name}, {"expr", text_or_null(a.value)}});
              j["args"] = std::move(args);
            } else if constexpr (std::is_same_v<T, ast::Notify>) {
              j = notify(x, j);
            } else if constexpr (std::is_same_v<T, ast::Undo>) {
              j["kind"] = "undo";
              j["only_on_failure"] = true;
              std::vector<StepStatement> inner =
                  x.body ? expand_body(*x.body, *in_.imports) : std::vector<StepStatement>{};
              j["statements"] = statements(inner, ctx, true, s.use, s.tmpl);
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

  json notify(const ast::Notify& n, json j = json::object()) const {
    j["kind"] = n.page ? "page" : "notify";
    j["role"] = n.role.name;
    auto role = in_.config->roles.find(n.role.name);
    j["role_name"] = role != in_.config->roles.end() && !role->second.name.empty()
                         ? json(role->second.name)
                         : json(nullptr);
    j["message"] = text_or_null(n.message);
    j["when"] = text_or_null(n.when);
    return j;
  }

  // --- steps, signals, checks ----------------------------------------------

  json gate(const std::vector<StepStatement>& stmts, const std::string& id) const {
    Gate g = gate_for(stmts, severity_, in_.config->policy, *in_.patterns);
    json j = {{"kind", gate_kind_name(g.kind)},
              {"destructive", g.destructive},
              {"reason", g.reason},
              {"typed_by_policy", g.typed_by_policy}};
    j["prompt"] = g.confirm ? text_or_null(g.confirm->prompt) : json(nullptr);
    if (g.kind == GateKind::Typed)
      j["typed"] = g.confirm && g.confirm->typed ? json(std::string(g.confirm->typed->span.text()))
                                                 : json(id);
    else
      j["typed"] = nullptr;
    if (g.kind == GateKind::None)
      j["without_terminal"] = nullptr;
    else if (!in_.config->policy.allow_non_interactive_approval)
      j["without_terminal"] = "refused (rbk.yaml policy allows no approval without a terminal)";
    else if (id.empty())
      j["without_terminal"] = "refused (the signal or check has no id to approve)";
    else
      j["without_terminal"] = "--approve " + id;
    return j;
  }

  /// The common part of a signal, step or check.
  /// `id` is the item's id as the engine names it (ast::item_id for an
  /// unnamed signal or check), so RBK_STEP and --approve match a run's.
  json item(const char* kind, const char* section, const std::string& id, bool named,
            const std::string& title, const ast::Body& body) {
    StepContext ctx;
    ctx.section = section;
    ctx.id = id;
    // An unnamed signal or check reads better by its title than its number.
    ctx.owner = std::string(kind) + " " + (named ? id : "\"" + title + "\"");

    json j = json::object();
    j["kind"] = kind;
    j["id"] = id;
    j["title"] = title;
    json before = json::array();
    for (const auto& [name, from] : captures_) before.push_back({{"name", name}, {"value", from}});
    j["captures_before"] = std::move(before);

    std::vector<StepStatement> stmts = expand_body(body, *in_.imports);
    j["gate"] = gate(stmts, ctx.id);
    bool evidence = false;
    const ast::OnFailure* on_failure = nullptr;
    const ast::Expr* condition = nullptr;
    const ast::Safe* safe = nullptr;
    for (const auto& s : stmts) {
      if (std::holds_alternative<ast::Evidence>(*s.stmt)) evidence = true;
      if (const auto* f = std::get_if<ast::Safe>(s.stmt)) safe = f;
      if (const auto* f = std::get_if<ast::OnFailure>(s.stmt)) on_failure = f;
      if (const auto* f = std::get_if<ast::Firing>(s.stmt)) condition = f->cond.get();
      if (const auto* f = std::get_if<ast::Passes>(s.stmt)) condition = f->cond.get();
    }
    j["evidence"] = evidence;
    j["safe"] = safe ? json(written(safe->reason)) : json(nullptr);
    j["condition"] = condition ? json(std::string(condition->span.text())) : json(nullptr);
    // The failure policy matters in remediation; elsewhere only an explicit one is shown.
    const bool fails = std::string_view(section) == "remediate";
    if (on_failure || fails) {
      j["on_failure"] = policy_name(on_failure ? on_failure->policy : ast::FailurePolicy::Rollback);
      j["on_failure_default"] = on_failure == nullptr;
    } else {
      j["on_failure"] = nullptr;
      j["on_failure_default"] = false;
    }
    j["statements"] = statements(stmts, ctx, false);
    j["uses"] = std::move(ctx.uses);
    // Captures made in an undo block exist (empty unless the undo ran) after the step.
    for (auto& c : ctx.undo_captures) captures_.push_back(std::move(c));
    return j;
  }

  json step(const ast::Step& st, const char* section) {
    std::string title = st.title ? written(*st.title) : std::string();
    json j = item("step", section, st.id.name, true, title, st.body);
    j["when"] = text_or_null(st.when);
    std::vector<std::string> causes;
    causes_in(st.when.get(), causes);
    j["selected_by"] = causes;
    return j;
  }

  // --- sections -------------------------------------------------------------

  json section(ast::SectionKind kind) {
    json j = {{"section", ast::section_name(kind)}};
    auto found = sections_.find(kind);
    j["present"] = found != sections_.end();
    const char* name = ast::section_name(kind);
    if (kind == ast::SectionKind::Escalate) {
      j["rules"] = escalation(found == sections_.end() ? nullptr : found->second);
      return j;
    }
    json items = json::array();
    if (found != sections_.end()) {
      size_t signals = 0, checks = 0;
      for (const auto& si : found->second->items) {
        if (const auto* sg = std::get_if<ast::Signal>(&si)) {
          items.push_back(item("signal", name, ast::item_id(sg->id, "signal", ++signals),
                               sg->id.has_value(), written(sg->title), sg->body));
        } else if (const auto* st = std::get_if<ast::Step>(&si)) {
          items.push_back(step(*st, name));
        } else if (const auto* ck = std::get_if<ast::Check>(&si)) {
          json c = item("check", name, ast::item_id(ck->id, "check", ++checks), ck->id.has_value(),
                        written(ck->title), ck->body);
          c["within"] = ck->within ? json(ck->within->text) : json(nullptr);
          c["every"] = ck->every ? json(ck->every->text) : json(nullptr);
          items.push_back(std::move(c));
        } else if (const auto* cs = std::get_if<ast::Cause>(&si)) {
          json c = {{"kind", "cause"}, {"id", cs->id.name}, {"title", written(cs->title)}};
          c["when"] = text_or_null(cs->when);
          c["selects"] = selects(cs->id.name);
          items.push_back(std::move(c));
        }
      }
    }
    j["items"] = std::move(items);
    if (kind == ast::SectionKind::Rollback) j["undo_first"] = undo_order();
    return j;
  }

  /// The remediation and rollback steps whose `when` refers to `cause.ID`.
  json selects(const std::string& cause) const {
    json out = json::array();
    for (auto kind : {ast::SectionKind::Remediate, ast::SectionKind::Rollback}) {
      auto found = sections_.find(kind);
      if (found == sections_.end()) continue;
      for (const auto& si : found->second->items) {
        const auto* st = std::get_if<ast::Step>(&si);
        if (!st) continue;
        std::vector<std::string> causes;
        causes_in(st->when.get(), causes);
        if (std::find(causes.begin(), causes.end(), cause) == causes.end()) continue;
        json s = {{"step", st->id.name}, {"section", ast::section_name(kind)}};
        s["title"] = st->title ? json(written(*st->title)) : json(nullptr);
        s["when"] = text_or_null(st->when);
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  /// Remediation steps with an undo block, newest first: the order their
  /// undo blocks run in (for the steps that completed) before the rollback section.
  json undo_order() const {
    json out = json::array();
    auto found = sections_.find(ast::SectionKind::Remediate);
    if (found == sections_.end()) return out;
    std::vector<std::string> ids;
    for (const auto& si : found->second->items) {
      const auto* st = std::get_if<ast::Step>(&si);
      if (!st) continue;
      for (const auto& s : expand_body(st->body, *in_.imports))
        if (std::holds_alternative<ast::Undo>(*s.stmt)) {
          ids.push_back(st->id.name);
          break;
        }
    }
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) out.push_back(*it);
    return out;
  }

  json escalation(const ast::Section* s) const {
    std::vector<const ast::Escalation*> start, after, failure, success;
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
          case ast::Trigger::OnFailure:
            failure.push_back(e);
            break;
          case ast::Trigger::OnSuccess:
            success.push_back(e);
            break;
        }
      }
    }
    std::stable_sort(after.begin(), after.end(), [](const auto* a, const auto* b) {
      return (a->after ? a->after->ms : 0) < (b->after ? b->after->ms : 0);
    });
    json out = json::array();
    auto add = [&](const std::vector<const ast::Escalation*>& rules, const char* trigger) {
      for (const auto* e : rules) {
        json j = notify(e->action);
        j["trigger"] = trigger;
        j["after"] = e->after ? json(e->after->text) : json(nullptr);
        j["after_ms"] = e->after ? json(e->after->ms) : json(nullptr);
        out.push_back(std::move(j));
      }
    };
    add(start, "start");
    add(after, "after");
    add(failure, "failure");
    add(success, "success");
    return out;
  }
};

}  // namespace

json make_plan(const PlanInput& in) {
  if (!in.runbook) return json::object();
  // Missing inputs read as empty ones: no imports, the default config and
  // no destructive patterns (gates then come only from what the author wrote).
  static const Imports no_imports;
  static const Config default_config;
  static const DestructivePatterns no_patterns;
  PlanInput full = in;
  if (!full.imports) full.imports = &no_imports;
  if (!full.config) full.config = &default_config;
  if (!full.patterns) full.patterns = &no_patterns;
  return Masker(full.secret_values, full.config->redact).mask(Planner(full).plan());
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
