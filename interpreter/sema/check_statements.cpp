// The check pass: statements in a body (run, until, call, use, notify, gates).
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <re2/re2.h>

#include "grammar/keywords.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/destructive.hpp"

#include "interpreter/sema/checker.hpp"

namespace rbk::check_detail {

void Checker::check_body(const Body& b, Holder holder, std::optional<SectionKind> section) {
  std::map<std::string, Span> once;
  // `batch` and `batch_size` name the hosts a gate covers: only a step on
  // targets (and its undo, which runs where the step ran) has them.
  const bool outer_fanout = in_fanout_;
  if (holder == Holder::Step)
    in_fanout_ = std::any_of(b.items.begin(), b.items.end(),
                             [](const auto& st) { return std::holds_alternative<On>(st); });
  else if (holder != Holder::Undo)
    in_fanout_ = false;
  struct Restore {
    bool& flag;
    bool value;
    ~Restore() { flag = value; }
  } restore{in_fanout_, outer_fanout};
  auto single = [&](const char* what, const Span& s) {
    if (auto it = once.find(what); it != once.end()) {
      error(s, std::string("duplicate '") + what + "' (first at " + it->second.where() + ")");
    } else {
      once[what] = s;
    }
  };
  for (const auto& st : b.items) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Run>) {
            check_shell(x.shell);
            if (x.timeout) check_positive(*x.timeout, "a timeout");
            if (x.retry && *x.retry < 1)
              error(x.retry_span, "'retry' needs at least 1",
                    "retry N runs the command up to N more times");
            if (x.retry_every) check_positive(*x.retry_every, "'every'");
            if (x.capture) {
              if (auto it = captures_.find(x.capture->name);
                  it != captures_.end() && it->second.span.begin == x.capture->span.begin)
                it->second.defined = true;
            }
          } else if constexpr (std::is_same_v<T, Destructive>) {
            single("destructive", x.span);
          } else if constexpr (std::is_same_v<T, Evidence>) {
            single("evidence", x.span);
          } else if constexpr (std::is_same_v<T, Safe>) {
            single("safe", x.span);
            check_string(x.reason);
            if (is_blank(x.reason.plain()) && !x.reason.has_interpolation())
              error(x.reason.span, "'safe' needs a reason",
                    "say why the commands rbk cannot analyse are safe to run without a gate");
          } else if constexpr (std::is_same_v<T, Confirm>) {
            single("confirm", x.span);
            if (x.prompt) check_string(*x.prompt);
            if (x.typed) {
              TypeInfo t = type_of(*x.typed);
              // A targets parameter is typed as it was given: `web`, or `web-1,web-3`.
              const bool targets_param = x.typed->kind == ExprKind::Name &&
                                         params_.count(x.typed->name) &&
                                         params_.at(x.typed->name)->type.kind == TypeKind::Targets;
              if (t.ty == Ty::Bool || (t.ty == Ty::List && !targets_param) || t.ty == Ty::Duration)
                error(x.typed->span,
                      std::string("'confirm typed' needs text to type, not ") + ty_name(t.ty),
                      "e.g. confirm typed env, or confirm typed host");
            }
          } else if constexpr (std::is_same_v<T, Until>) {
            check_shell(x.shell);
            check_positive(x.within, "'within'");
            if (x.every) {
              check_positive(*x.every, "'every'");
              check_every(x.within, *x.every);
            }
          } else if constexpr (std::is_same_v<T, Verify>) {
            check_shell(x.shell);
            single("verify", x.span);
            if (holder != Holder::Step && holder != Holder::Template)
              error(x.span, "'verify' belongs to steps",
                    "rbk resume runs a step's verify probe to see whether the command that was "
                    "running when the run died did its work");
          } else if constexpr (std::is_same_v<T, Undo>) {
            single("undo", x.span);
            if (holder == Holder::Undo) {
              error(x.span, "an undo block cannot hold another undo");
            } else if (holder != Holder::Template &&
                       !(holder == Holder::Step && section == SectionKind::Remediate)) {
              error(x.span, "'undo' belongs to remediation steps",
                    section == SectionKind::Finally
                        ? "a finally step is the last thing a run does: nothing comes after it "
                          "to undo it"
                        : "undo blocks run, in reverse order, when a later remediation step "
                          "fails");
            }
            check_body(*x.body, Holder::Undo, section);
          } else if constexpr (std::is_same_v<T, OnFailure>) {
            single("on failure", x.span);
            if (holder == Holder::Signal || holder == Holder::Check || holder == Holder::Undo)
              error(x.span, std::string("'on failure' belongs to steps, not ") +
                                (holder == Holder::Signal  ? "signals"
                                 : holder == Holder::Check ? "checks"
                                                           : "undo blocks"));
            else if (holder == Holder::Step && section == SectionKind::Rollback)
              error(x.span, "'on failure' has no effect in rollback",
                    "every rollback step runs, and one that fails leaves the run not restored "
                    "(exit 3)");
            else if (holder == Holder::Step && section == SectionKind::Finally)
              error(x.span, "'on failure' has no effect in finally",
                    "every finally step runs, and one that fails is reported without changing "
                    "the run's outcome");
          } else if constexpr (std::is_same_v<T, On>) {
            single("on", x.span);
            check_on(x, b, holder);
          } else if constexpr (std::is_same_v<T, Note> || std::is_same_v<T, Manual>) {
            check_string(x.text);
          } else if constexpr (std::is_same_v<T, Ask>) {
            check_ask(x, holder);
          } else if constexpr (std::is_same_v<T, Call>) {
            check_call(x);
          } else if constexpr (std::is_same_v<T, Notify>) {
            check_notify(x);
          } else if constexpr (std::is_same_v<T, Firing>) {
            if (holder != Holder::Signal)
              error(x.span, "'firing when' belongs in an alert signal",
                    holder == Holder::Check ? "checks use 'passes when'" : "");
            else
              single("firing when", x.span);
            if (x.cond) check_condition(*x.cond, "'firing when'");
          } else if constexpr (std::is_same_v<T, Passes>) {
            if (holder != Holder::Check)
              error(x.span, "'passes when' belongs in a verify check",
                    holder == Holder::Signal ? "signals use 'firing when'" : "");
            else
              single("passes when", x.span);
            if (x.cond) check_condition(*x.cond, "'passes when'");
          } else if constexpr (std::is_same_v<T, Use>) {
            if (holder == Holder::Template)
              error(x.span, "a template cannot use another template",
                    "use both templates from the step, one after the other");
            check_use(x);
            for (auto& [name, info] : captures_)
              if (info.span.begin == x.span.begin) info.defined = true;
          }
        },
        st);
  }
}

void Checker::check_ask(const Ask& a, Holder holder) {
  if (holder != Holder::Step)
    error(a.span, "'ask' belongs to steps",
          holder == Holder::Template ? "a template cannot ask: ask in the step, pass the answer "
                                       "with 'with'"
          : holder == Holder::Undo   ? "an undo block runs while the run unwinds; ask in the step"
                                     : "signals and checks run without a person; ask in a "
                                       "diagnose or remediate step");
  check_string(a.question);
  if (is_blank(a.question.plain()) && !a.question.has_interpolation())
    error(a.question.span, "the question is empty");
  const Type& t = a.decl->type;
  if (t.kind == TypeKind::List || t.kind == TypeKind::Targets)
    error(t.span,
          std::string("an answer cannot be ") + (t.kind == TypeKind::List ? "a list" : "targets"),
          "ask for one value: string, int, bool, duration or enum(…)");
  check_param_type(*a.decl);  // duplicate enum values
  if (a.pattern) {
    if (t.kind != TypeKind::String)
      error(a.pattern->span, "'matches' needs a string answer",
            std::string(t.kind == TypeKind::Int ? "an " : "a ") + type_name(t.kind) +
                " answer is checked by its type");
    check_regex(*a.pattern);
  }
  if (auto it = captures_.find(a.decl->name.name);
      it != captures_.end() && it->second.span.begin == a.decl->name.span.begin)
    it->second.defined = true;
}

void Checker::check_shell(const Shell& s) {
  if (is_blank(s.text)) error(s.span, "empty shell command");
}

void Checker::check_call(const Call& c) {
  if (check_word(c.runbook, "runbook", "disk-full") && c.runbook.name == runbook_name_)
    error(c.runbook.span, "runbook '" + c.runbook.name + "' calls itself");
  check_args(c.args);
}

void Checker::check_args(const std::vector<Arg>& args) {
  std::map<std::string, Span> seen;
  for (const auto& a : args) {
    if (auto it = seen.find(a.name.name); it != seen.end())
      error(a.name.span,
            "duplicate argument '" + a.name.name + "' (first at " + it->second.where() + ")");
    seen.emplace(a.name.name, a.name.span);
    if (a.value) type_of(*a.value);
  }
}

void Checker::check_notify(const Notify& n) {
  // A parameter's name: its value is the role (the commander named at run time).
  if (auto p = params_.find(n.role.name); p != params_.end()) {
    const TypeKind k = p->second->type.kind;
    if (k != TypeKind::Enum && k != TypeKind::String)
      error(n.role.span, "parameter '" + n.role.name + "' cannot name a role: a role is a word",
            "declare it enum(…) of rbk.yaml's roles, or string");
  } else if (auto c = captures_.find(n.role.name); c != captures_.end() && c->second.ask) {
    // An answer names the role (the commander typed during the run).
    if (section_ == SectionKind::Escalate &&
        !(escalation_ && escalation_->from_step && escalation_->from_step->name == c->second.step))
      error(n.role.span, "answer '" + n.role.name + "' may not be given yet when this rule fires",
            "page a role of rbk.yaml here; an answer can name the role of a step's page, or of "
            "'after D from step " +
                c->second.step + "'");
    Expr name;
    name.kind = ExprKind::Name;
    name.span = n.role.span;
    name.name = n.role.name;
    TypeInfo t = name_type(name);
    if (t.ty != Ty::String && t.ty != Ty::Unknown)
      error(n.role.span, "answer '" + n.role.name + "' cannot name a role: it is " + ty_name(t.ty),
            "ask for it as string or enum(…) of rbk.yaml's roles");
  } else {
    check_word(n.role, "role", "secondary-oncall");
  }
  if (n.message) check_string(*n.message);
  if (n.when) check_condition(*n.when, "the 'when'");
}

void Checker::check_use(const Use& u) {
  auto it = modules_.find(u.module.name);
  if (it == modules_.end()) {
    std::string hint = did_you_mean(u.module.name, keys_of(modules_));
    error(
        u.module.span, "module '" + u.module.name + "' is not imported",
        hint.empty() ? "add import \"stdlib/" + u.module.name + "\" at the top of the file" : hint);
    check_args(u.args);
    return;
  }
  const Module* m = it->second;
  if (!m) {  // the import itself failed and was reported
    check_args(u.args);
    return;
  }
  const Template* t = nullptr;
  std::vector<std::string> names;
  for (const auto& item : m->items) {
    if (const auto* tp = std::get_if<Template>(&item)) {
      names.push_back(tp->id.name);
      if (tp->id.name == u.name.name) t = tp;
    }
  }
  if (!t) {
    std::string hint = did_you_mean(u.name.name, names);
    error(u.name.span, "module '" + u.module.name + "' has no template '" + u.name.name + "'",
          hint.empty() ? "it has: " + join(names) : hint);
    check_args(u.args);
    return;
  }
  check_args(u.args);
  std::vector<std::string> pnames;
  for (const auto& p : t->params) pnames.push_back(p.name.name);
  std::set<std::string> given;
  for (const auto& a : u.args) {
    given.insert(a.name.name);
    if (std::find(pnames.begin(), pnames.end(), a.name.name) == pnames.end()) {
      std::string hint = did_you_mean(a.name.name, pnames);
      error(a.name.span,
            "template '" + u.module.name + "." + u.name.name + "' has no parameter '" +
                a.name.name + "'",
            hint.empty() ? (pnames.empty() ? std::string("it takes no parameters")
                                           : "its parameters are " + join(pnames))
                         : hint);
    }
  }
  for (const auto& p : t->params) {
    if (!p.default_value && !given.count(p.name.name))
      error(u.span,
            "template '" + u.module.name + "." + u.name.name + "' needs '" + p.name.name + "'",
            "add: with " + p.name.name + " = …");
  }
}

}  // namespace rbk::check_detail

namespace rbk::check_detail {

void Checker::check_on(const On& on, const Body& b, Holder holder) {
  if (holder != Holder::Step) {
    error(on.span,
          std::string("'on' belongs to steps, not ") +
              (holder == Holder::Signal  ? "signals"
               : holder == Holder::Check ? "checks"
               : holder == Holder::Undo  ? "undo blocks (they run on the targets of their step)"
                                         : "templates"),
          "a step runs on targets with 'on hosts' among its statements");
    return;
  }
  if (on.targets) {
    const Expr& t = *on.targets;
    TypeInfo ty = type_of(t);
    bool ok = false;
    if (t.kind == ExprKind::Name) {
      auto p = params_.find(t.name);
      ok = p != params_.end() && p->second->type.kind == TypeKind::Targets;
    } else if (t.kind == ExprKind::Member && t.items.at(0)->kind == ExprKind::Name) {
      auto c = captures_.find(t.items[0]->name);
      ok = c != captures_.end() && c->second.per_target;
    }
    if (!ok && ty.ty != Ty::Unknown)
      error(t.span, "'on' needs targets",
            "a parameter of type targets (param hosts : targets = \"web\"), or the set of a "
            "capture made on targets, e.g. on deploy.failed_targets");
  }
  if (on.serial && (on.serial->n < 1 || (on.serial->percent && on.serial->n > 100)))
    error(on.serial->span, "'serial' needs at least 1 target per batch",
          "e.g. serial 1, serial 5 or serial 25%");
  if (on.max_fail && on.max_fail->percent && on.max_fail->n > 100)
    error(on.max_fail->span, "'max_fail' is at most 100%",
          "max_fail 0 (the default) starts no new batch after one failed target");
  if (on.parallel && on.parallel->n < 1)
    error(on.parallel->span, "'parallel' needs at least 1", "e.g. parallel 5");
  // What runs once per target: commands and their gate; the rest would
  // need a per-target meaning of its own.
  for (const auto& st : b.items) {
    const char* what = std::visit(
        [](const auto& x) -> const char* {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Until>)
            return "'until'";
          else if constexpr (std::is_same_v<T, Verify>)
            return "'verify'";
          else if constexpr (std::is_same_v<T, Manual>)
            return "'manual'";
          else if constexpr (std::is_same_v<T, Ask>)
            return "'ask'";
          else if constexpr (std::is_same_v<T, Call>)
            return "'call'";
          else if constexpr (std::is_same_v<T, Notify>)
            return x.page ? "'page'" : "'notify'";
          else if constexpr (std::is_same_v<T, Use>)
            return "'use'";
          else
            return nullptr;
        },
        st);
    if (what)
      error(std::visit([](const auto& x) { return x.span; }, st),
            std::string(what) + " cannot be in a step that runs on targets",
            "a step 'on' targets runs its commands on each target; put " + std::string(what) +
                " in a step of its own before or after it");
  }
}

}  // namespace rbk::check_detail
