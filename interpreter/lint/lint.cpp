// `rbk lint`: the rule table, the rules, levels from rbk.yaml and
// suppressions. Each rule walks the AST (no execution) and adds Diagnostics
// whose `code` is the rule id; the check pass's diagnostics come first.
// Longer than most files here: the rules share one Linter (its config,
// imports and report), and the walks they share are in ast_walk.hpp.
#include "interpreter/lint/lint.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "interpreter/base/names.hpp"
#include "interpreter/lint/ast_walk.hpp"
#include "interpreter/lint/shell_vars.hpp"
#include "interpreter/lint/shellcheck.hpp"
#include "interpreter/lint/suppressions.hpp"
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
/// The first thread to ask for a name looks it up; the others wait for its
/// answer rather than each reading every file at the same time.
FoundRunbook find_runbook_cached(const std::string& name, const std::vector<std::string>& path) {
  static std::mutex mu;
  static std::map<std::string, std::shared_future<FoundRunbook>> cache;
  std::string key = name;
  for (const auto& dir : path) key += '\n' + dir;
  std::promise<FoundRunbook> promise;  // made before the lock: may throw
  std::shared_future<FoundRunbook> answer;
  bool mine = false;  // this thread looks it up
  {
    std::lock_guard lock(mu);
    auto [it, fresh] = cache.try_emplace(key);
    if (fresh) {
      it->second = promise.get_future().share();
      mine = true;
    }
    answer = it->second;
  }
  if (mine) {
    try {
      promise.set_value(find_runbook(name, path));
    } catch (...) {
      // Those waiting get the error; a later lookup tries again.
      promise.set_exception(std::current_exception());
      std::lock_guard lock(mu);
      cache.erase(key);
    }
  }
  return answer.get();
}

using namespace ast;

// The AST walks, shell variables and suppressions are in ast_walk.hpp,
// shell_vars and suppressions.
using namespace lint_detail;

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
    // Critical: a severity rbk.yaml makes type its destructive confirmations
    // (policy.typed_confirm_for: [sev1]); with none named there, the word.
    const std::vector<std::string>* typed_for =
        opts_.config ? &opts_.config->policy.typed_confirm_for : nullptr;
    // The causes may decide another severity at run time: the runbook is
    // critical if any severity it can run at is.
    std::vector<const Ident*> decided;
    for (const auto& item : r.items)
      if (const auto* sec = std::get_if<Section>(&item); sec && sec->kind == SectionKind::Causes)
        for (const auto& si : sec->items)
          if (const auto* c = std::get_if<Cause>(&si); c && c->severity)
            decided.push_back(&*c->severity);
    auto is_critical = [&](const std::string& level) {
      return !level.empty() &&
             (typed_for && !typed_for->empty()
                  ? std::find(typed_for->begin(), typed_for->end(), level) != typed_for->end()
                  : level == "critical");
    };
    bool critical = is_critical(severity);
    for (const Ident* d : decided) critical = critical || is_critical(d->name);
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
    if (opts_.config && !opts_.config->severities.empty())
      for (const Ident* d : decided)
        if (!opts_.config->severities.count(d->name))
          report("RBK206", d->span, "severity '" + d->name + "' is not defined in rbk.yaml",
                 "severities defined there: " + keys(opts_.config->severities));
    lint_calls(r);
    if (critical && escalate) {
      bool timed = false;
      for (const auto& si : escalate->items)
        if (const auto* e = std::get_if<Escalation>(&si);
            e && (e->trigger == Trigger::After || e->trigger == Trigger::Every))
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
    std::vector<Finding>
        probes;  // a `verify` probe's destructive match, or what rbk cannot analyse
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
      if (const auto* probe = std::get_if<Verify>(s.stmt); probe && opts_.patterns) {
        // Not one of the step's commands (it runs only on resume, ungated):
        // what looks destructive, or what rbk cannot analyse, is never run.
        CommandVerdict v = opts_.patterns->judge(probe->shell.text);
        if (const auto& m = v.destructive)
          out.probes.push_back({s.use ? s.use->span : probe->shell.span_of(m->offset, m->length),
                                "runs '" +
                                    command_excerpt(probe->shell.text, m->offset, m->length) +
                                    "' (" + m->pattern->why + ")"});
        else if (const auto& u = v.unanalysable)
          out.probes.push_back({s.use ? s.use->span : probe->shell.span_of(u->offset, u->length),
                                "runs what rbk cannot analyse, '" +
                                    command_excerpt(probe->shell.text, u->offset, u->length) +
                                    "' (" + u->why + ")"});
        continue;
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

  /// RBK107: a `verify` probe runs ungated, before a question: it must only
  /// read, and rbk must be able to tell that it does.
  void lint_probes(const Safety& s) {
    for (const auto& p : s.probes)
      report("RBK107", p.span, "the verify probe " + p.what + ", and a probe runs ungated",
             "probe what the step's command changed (e.g. systemctl is-active, pg_isready); "
             "never do it again");
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
    lint_probes(s);
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
    lint_probes(s);
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
    std::map<std::string, const Param*> params;
    for (const auto& item : r.items)
      if (const auto* p = std::get_if<Param>(&item)) params[p->name.name] = p;
    // Answers name roles as parameters do (an enum's values are checked).
    std::function<void(const Body&)> names = [&](const Body& b) {
      for (const auto& st : b.items) {
        if (const auto* a = std::get_if<Ask>(&st)) params[a->decl->name.name] = a->decl.get();
        if (const auto* u = std::get_if<Undo>(&st); u && u->body) names(*u->body);
      }
    };
    for (const BodyRef& b : bodies_of(r)) names(*b.body);
    auto check = [&](const Ident& role, const std::string& what, const std::string& from) {
      if (opts_.config->roles.count(role.name)) return;
      report("RBK205", role.span,
             what + " role '" + role.name + "'" + from + " is not defined in rbk.yaml",
             "roles defined there: " + keys(opts_.config->roles));
    };
    if (auto it = metas.find(MetaKind::Owner); it != metas.end() && it->second->word)
      check(*it->second->word, "owner", "");
    auto notice = [&](const Notify& n) {
      const std::string what = n.page ? "paged" : "notified";
      auto p = params.find(n.role.name);
      if (p == params.end()) return check(n.role, what, "");
      // A role from a parameter or an answer: each value an enum allows must
      // be a role (a string's is checked when the run starts).
      for (const auto& v : p->second->type.values)
        check(v, what, " (a value of '" + n.role.name + "')");
    };
    walk_runbook_notifies(r, notice);
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
    // Durations that name a parameter (`timeout settle`, `after grace`).
    auto dur = [&](const Duration& d) {
      if (d.param) used.insert(*d.param);
    };
    walk_runbook_durations(r, dur);
    // Roles that name a parameter (`page commander`).
    auto role = [&](const Notify& n) { used.insert(n.role.name); };
    walk_runbook_notifies(r, role);
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
      if (const auto* sec = std::get_if<Secret>(&item);
          sec && !used.count(sec->name.name) && !read_implicitly(sec->name.name))
        report("RBK306", sec->name.span,
               "secret '" + sec->name.name + "' is never used: no command reads $" + sec->name.name,
               "remove it; or, if a tool reads it from the environment by itself, say so: "
               "# rbk: ignore RBK306 -- TOOL reads it");
    for (const auto& item : r.items)
      if (const auto* p = std::get_if<Param>(&item); p && !used.count(p->name.name))
        report("RBK302", p->name.span, "parameter '" + p->name.name + "' is never used",
               "remove it, or use it: $" + p->name.name + " in a command, ${" + p->name.name +
                   "} in a string");
  }

  /// Variables common tools read from the environment without a `$NAME` in
  /// the command: a secret of that name is used by whatever runs that tool.
  static bool read_implicitly(const std::string& name) {
    static const std::set<std::string> known{"PGPASSWORD",
                                             "PGPASSFILE",
                                             "MYSQL_PWD",
                                             "REDISCLI_AUTH",
                                             "CLICKHOUSE_PASSWORD",
                                             "VAULT_TOKEN",
                                             "CONSUL_HTTP_TOKEN",
                                             "NOMAD_TOKEN",
                                             "AWS_ACCESS_KEY_ID",
                                             "AWS_SECRET_ACCESS_KEY",
                                             "AWS_SESSION_TOKEN",
                                             "GOOGLE_APPLICATION_CREDENTIALS",
                                             "AZURE_CLIENT_SECRET",
                                             "GITHUB_TOKEN",
                                             "GH_TOKEN",
                                             "GITLAB_TOKEN",
                                             "HCLOUD_TOKEN",
                                             "DIGITALOCEAN_ACCESS_TOKEN",
                                             "CLOUDFLARE_API_TOKEN",
                                             "SENTRY_AUTH_TOKEN",
                                             "NPM_TOKEN",
                                             "OP_SERVICE_ACCOUNT_TOKEN",
                                             "KUBECONFIG",
                                             "DOCKER_AUTH_CONFIG"};
    return known.count(name) > 0;
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
    // A cause that decides the severity has a use even when no step names it.
    for (const Cause* c : order)
      if (!referenced.count(c->id.name) && !c->severity)
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
             "$" + n +
                 " is not a parameter, secret, capture, answer, message or variable set in this "
                 "command",
             "check the spelling; names are case-sensitive");
    }
    // A copy of `known` per literal, for ShellCheck only: without it (--no-shellcheck)
    // the copies were about 5 % of a lint's instructions.
    if (opts_.shellcheck) snippets_.push_back(ShellSnippet{&sh, known});
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
      if (const auto* m = std::get_if<Message>(&item)) known.insert(m->name.name);
    }
    std::function<void(const Body&)> caps = [&](const Body& b) {
      for (const auto& st : b.items) {
        if (const auto* run = std::get_if<Run>(&st); run && run->capture)
          known.insert(run->capture->name);
        if (const auto* a = std::get_if<Ask>(&st)) known.insert(a->decl->name.name);
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
      lint_probes(safety);
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
  p.found = Linter(doc, opts, loader).run(p.snippets);  // none without ShellCheck
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
  auto each = shellcheck_each(all, runner);
  if (!each) {
    notes.push_back(each.error());
    return;
  }
  for (size_t i = 0; i < each->size(); ++i)
    for (Diagnostic& d : (*each)[i]) owner[i]->found.push_back(std::move(d));
}

Diagnostics lint_document(const ast::Document& doc, const LintOptions& opts, ModuleLoader& loader,
                          std::vector<std::string>& notes) {
  PendingLint p = lint_start(doc, opts, loader);
  ProcessRunner runner;
  lint_shellcheck({&p}, runner, notes);
  return lint_finish(doc, opts, std::move(p));
}

}  // namespace rbk
