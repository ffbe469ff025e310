// The check pass. It walks the runbook in execution order (alert, diagnose,
// causes, remediate, verify, rollback, escalate — whatever order the file
// lists them in), so "used before it is defined" means what it will mean at
// run time. It executes nothing.
#include "interpreter/sema/check.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <re2/re2.h>

#include "grammar/keywords.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/destructive.hpp"

namespace rbk {

namespace {

using namespace ast;

/// What the checker knows about a value's type. Unknown (e.g. anything under
/// `.json`) is compatible with everything: only visible mistakes are errors.
enum class Ty { Unknown, String, Number, Bool, Duration, List };

const char* ty_name(Ty t) {
  switch (t) {
    case Ty::Unknown:
      return "a value";
    case Ty::String:
      return "a string";
    case Ty::Number:
      return "a number";
    case Ty::Bool:
      return "true/false";
    case Ty::Duration:
      return "a duration";
    case Ty::List:
      return "a list";
  }
  return "a value";
}

/// A value's type plus what a diagnostic may want to say about it.
struct TypeInfo {
  Ty ty = Ty::Unknown;
  const Param* enum_param = nullptr;  // set when the value is an enum parameter
};

const std::vector<std::string>& capture_fields() {
  static const std::vector<std::string> f{"stdout",    "stderr",   "exit",  "ok",
                                          "timed_out", "duration", "lines", "json"};
  return f;
}
const std::vector<std::string>& step_fields() {
  static const std::vector<std::string> f{"ran", "ok", "failed", "skipped", "refused"};
  return f;
}
const std::vector<std::string>& builtins() {
  static const std::vector<std::string> b{"severity", "runbook", "run_id", "failed_step"};
  return b;
}
/// Environment variables a parameter, secret or capture must not replace:
/// they are exported to every command, and these change how a shell behaves.
const std::set<std::string>& protected_env() {
  static const std::set<std::string> s{
      "PATH",          "HOME",   "IFS",        "SHELL",           "USER",     "LOGNAME",
      "PWD",           "OLDPWD", "ENV",        "BASH_ENV",        "CDPATH",   "PS1",
      "PS2",           "PS4",    "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "TMPDIR",
      "LANG",          "LC_ALL", "TERM",       "SHELLOPTS",       "BASHOPTS", "GLOBIGNORE",
      "PROMPT_COMMAND"};
  return s;
}

bool is_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

/// Where a statement sits, for placement rules.
enum class Holder { Signal, Step, Check, Undo, Template };

class Checker {
 public:
  Checker(const Document& doc, ModuleLoader* loader) : doc_(doc), loader_(loader) {}

  Diagnostics run() {
    check_imports();
    if (const Runbook* r = doc_.runbook()) check_runbook(*r);
    if (const Module* m = doc_.module()) check_module(*m);
    std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return a.span.begin < b.span.begin;
    });
    return std::move(diags_);
  }

 private:
  struct CaptureInfo {
    Span span;
    std::string step;  // the step (or signal/check) that defines it
    bool defined = false;
    bool from_signal = false;  // made by an alert signal: set before start rules fire
  };
  struct StepInfo {
    Span span;
    bool reached = false;  // the walk has passed it: references are in order
  };

  const Document& doc_;
  ModuleLoader* loader_;
  Diagnostics diags_;

  std::map<std::string, const Param*> params_;
  std::map<std::string, const Secret*> secrets_;
  std::map<std::string, CaptureInfo> captures_;
  std::map<std::string, const Cause*> causes_;
  std::map<std::string, bool> cause_defined_;
  std::map<std::string, StepInfo> steps_;
  std::map<std::string, const Module*> modules_;
  std::string runbook_name_;
  std::optional<SectionKind> section_;  // the section being walked; none in templates
  std::string current_step_;
  bool at_start_ = false;          // checking an escalation rule that fires at the start
  bool declaring_signal_ = false;  // declare_captures is reading an alert signal
  bool comparing_ = false;         // checking an operand of ==, != or in (for a "quote it" hint)

  void error(const Span& s, std::string msg, std::string help = {}) {
    diags_.push_back(error_at(s, std::move(msg), std::move(help)));
  }

  /// Runbook, role and module names are lower-case words; false (reported) otherwise.
  bool check_word(const Ident& id, const std::string& what, const char* example) {
    if (is_lower_word(id.name)) return true;
    error(id.span, "invalid " + what + " name '" + id.name + "'",
          what + " names are lower-case words joined by '-', e.g. " + example);
    return false;
  }

  // ------------------------------------------------------------ imports
  void check_imports() {
    std::map<std::string, const Import*> seen;
    for (const auto& item : doc_.items) {
      const auto* imp = std::get_if<Import>(&item);
      if (!imp) continue;
      if (imp->path.has_interpolation()) {
        error(imp->path.span, "an import path cannot use ${…}", "write the path as plain text");
        continue;
      }
      // The name `use` refers to: the alias, else the module's own declared
      // name, else (when it cannot be loaded) the file's base name.
      std::string name = imp->module_name();
      const Module* m = nullptr;
      std::string why;
      if (loader_) {
        m = loader_->load(imp->path.plain(), doc_.source->path(), why);
        if (m && !imp->alias) name = m->name.name;
      }
      if (auto it = seen.find(name); it != seen.end()) {
        error(imp->span,
              "module name '" + name + "' is already imported at " + it->second->span.where(),
              "give one of them another name with 'as'");
        continue;
      }
      seen[name] = imp;
      if (name.find('-') != std::string::npos && (m || !loader_)) {
        error(imp->span, "module '" + name + "' cannot be named in 'use' (it contains '-')",
              "import it under another name: import \"" + imp->path.plain() + "\" as " +
                  std::string(1, name[0]) + name.substr(1, name.find('-') - 1));
      }
      if (!loader_) continue;
      if (!m) {
        error(imp->path.span, "cannot import \"" + imp->path.plain() + "\": " + why);
        modules_[name] = nullptr;
      } else {
        modules_[name] = m;
      }
    }
  }

  // ------------------------------------------------------------ names
  void check_env_name(const Ident& id, const char* what) {
    const std::string& n = id.name;
    if (grammar::keywords::contains(grammar::keywords::reserved_in_expressions(), n)) {
      error(id.span, "'" + n + "' is a reserved word and cannot be a " + what + " name",
            "it could never be used in a condition; choose another name");
    } else if (n.rfind("RBK_", 0) == 0) {
      error(id.span, std::string(what) + " name '" + n + "' is reserved",
            "names starting with RBK_ are set by rbk for every command");
    } else if (protected_env().count(n)) {
      error(id.span,
            std::string(what) + " '" + n + "' would replace the environment variable " + n +
                " for every command",
            "choose another name");
    } else if (std::find(builtins().begin(), builtins().end(), n) != builtins().end() ||
               n == "cause" || n == "step") {
      error(id.span, std::string("'") + n + "' is a built-in name and cannot be a " + what,
            "choose another name");
    }
  }

  /// Reports a clash of `id` with a parameter or secret of the same name:
  /// they would be the same environment variable. (Captures clash with
  /// each other as duplicates, reported where they are declared.)
  bool clashes(const Ident& id, const char* what) {
    auto where = [&]() -> std::optional<std::pair<std::string, Span>> {
      if (auto p = params_.find(id.name); p != params_.end())
        return std::make_pair(std::string("parameter"), p->second->name.span);
      if (auto s = secrets_.find(id.name); s != secrets_.end())
        return std::make_pair(std::string("secret"), s->second->name.span);
      return std::nullopt;
    }();
    if (!where) return false;
    if (where->first == what) {
      error(id.span, "duplicate " + std::string(what) + " '" + id.name + "' (first defined at " +
                         where->second.where() + ")");
    } else {
      error(id.span,
            std::string(what) + " '" + id.name + "' has the same name as the " + where->first +
                " defined at " + where->second.where(),
            "both would be the environment variable $" + id.name + "; rename one");
    }
    return true;
  }

  // ------------------------------------------------------------ runbook
  void check_runbook(const Runbook& r) {
    runbook_name_ = r.name.name;
    check_word(r.name, "runbook", "db-down");
    std::map<MetaKind, const Meta*> metas;
    std::map<SectionKind, const Section*> sections;
    // Parameters and secrets are bound before anything runs: declare them all
    // first, so a title may name a parameter declared below it.
    for (const auto& item : r.items) {
      if (const auto* p = std::get_if<Param>(&item))
        declare_param(*p);
      else if (const auto* s = std::get_if<Secret>(&item))
        declare_secret(*s);
    }
    for (const auto& item : r.items) {
      if (const auto* m = std::get_if<Meta>(&item)) {
        if (auto it = metas.find(m->kind); it != metas.end()) {
          error(m->span, std::string("duplicate '") + meta_name(m->kind) + "' (first at " +
                             it->second->span.where() + ")");
        } else {
          metas[m->kind] = m;
        }
        check_meta(*m);
      } else if (const auto* s2 = std::get_if<Section>(&item)) {
        if (auto it = sections.find(s2->kind); it != sections.end()) {
          error(s2->keyword,
                std::string("duplicate section '") + section_name(s2->kind) + "' (first at " +
                    it->second->span.where() + ")",
                "merge the two into one section");
        } else {
          sections[s2->kind] = s2;
        }
      }
    }
    // Declare every step, cause and capture first, so a reference out of
    // order is reported as "used before" rather than "undefined".
    for (const auto& [kind, s] : sections) declare_section(*s);
    for (const auto& [kind, s] : sections) walk_section(*s);
  }

  void check_meta(const Meta& m) {
    if ((m.kind == MetaKind::Title || m.kind == MetaKind::Summary) && m.text) {
      check_string(*m.text);
      if (m.kind == MetaKind::Title && is_blank(m.text->plain()) && !m.text->has_interpolation())
        error(m.text->span, "the title is empty");
    }
    if (m.kind == MetaKind::Owner && m.word) check_word(*m.word, "role", "db-owner");
    if (m.kind == MetaKind::Severity && m.word && !is_lower_word(m.word->name)) {
      error(m.word->span, "invalid severity '" + m.word->name + "'",
            "severities are lower-case words defined in rbk.yaml, e.g. critical");
    }
    if (m.kind == MetaKind::Tags) {
      std::map<std::string, Span> seen;
      for (const auto& t : m.tags) {
        if (auto it = seen.find(t.name); it != seen.end())
          error(t.span, "duplicate tag '" + t.name + "'");
        seen.emplace(t.name, t.span);
      }
    }
  }

  void declare_param(const Param& p) {
    check_env_name(p.name, "parameter");
    if (!clashes(p.name, "parameter")) params_[p.name.name] = &p;
    check_param_type(p);
    if (p.help) check_string(*p.help);
  }

  void check_param_type(const Param& p) {
    if (p.type.kind == TypeKind::Enum) {
      std::set<std::string> seen;
      for (const auto& v : p.type.values) {
        if (!seen.insert(v.name).second) error(v.span, "duplicate enum value '" + v.name + "'");
      }
    }
    if (!p.default_value) return;
    const Expr& d = *p.default_value;
    auto bad = [&](const std::string& want) {
      error(d.span, "default of '" + p.name.name + "' is not " + want,
            std::string("'") + p.name.name + "' is declared as " + type_name(p.type.kind));
    };
    switch (p.type.kind) {
      case TypeKind::String:
        if (d.kind != ExprKind::String)
          bad("a string");
        else if (d.string.has_interpolation())
          error(d.span, "a default value cannot use ${…}", "defaults are constants");
        break;
      case TypeKind::Int:
        if (d.kind != ExprKind::Number || d.text.find('.') != std::string::npos) {
          bad("an integer");
        } else if (int64_t n; std::from_chars(d.text.data(), d.text.data() + d.text.size(), n).ec !=
                              std::errc()) {
          // -p refuses such a value; the default must not slip past as a double.
          error(d.span, "default of '" + p.name.name + "' is too large for an int",
                "ints are 64-bit: from -9223372036854775808 to 9223372036854775807");
        }
        break;
      case TypeKind::Bool:
        if (d.kind != ExprKind::Bool) bad("true or false");
        break;
      case TypeKind::Duration:
        if (d.kind != ExprKind::Duration) bad("a duration such as 30s");
        break;
      case TypeKind::List:
        if (d.kind != ExprKind::List) {
          bad("a list such as [a, b]");
        } else {
          for (const auto& i : d.items) {
            if (i->kind != ExprKind::String && i->kind != ExprKind::Number &&
                i->kind != ExprKind::Name)
              error(i->span, "list defaults hold plain values", "e.g. [\"a\", \"b\"] or [1, 2]");
          }
        }
        break;
      case TypeKind::Enum: {
        std::string v = d.kind == ExprKind::Name     ? d.name
                        : d.kind == ExprKind::String ? d.string.plain()
                                                     : std::string();
        std::vector<std::string> values;
        for (const auto& e : p.type.values) values.push_back(e.name);
        if (v.empty() || std::find(values.begin(), values.end(), v) == values.end()) {
          std::string hint = did_you_mean(v, values);
          std::string shown = d.kind == ExprKind::String ? std::string(d.span.text())
                                                         : "'" + std::string(d.span.text()) + "'";
          error(d.span, "default " + shown + " is not a value of enum '" + p.name.name + "'",
                hint.empty() ? "the values are " + join(values) : hint);
        }
        break;
      }
    }
  }

  template <typename Map>
  static std::vector<std::string> keys_of(const Map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
  }

  /// ".a .b .c"
  static std::string fields(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " ." : ".") + v[i];
    return out;
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
  }

  void declare_secret(const Secret& s) {
    check_env_name(s.name, "secret");
    if (!clashes(s.name, "secret")) secrets_[s.name.name] = &s;
    if (s.env_var) {
      if (s.env_var->has_interpolation())
        error(s.env_var->span, "an environment variable name cannot use ${…}");
      std::string v = s.env_var->plain();
      bool ok = !v.empty() && !std::isdigit(static_cast<unsigned char>(v[0]));
      for (char c : v) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      if (!ok)
        error(s.env_var->span, "invalid environment variable name \"" + v + "\"",
              "use letters, digits and '_', e.g. \"PGPASSWORD\"");
    }
    if (s.command && is_blank(s.command->text))
      error(s.command->span, "the secret's command is empty");
    else if (s.command)
      check_secret_command(s);
  }

  /// A secret's command runs before anything else and without a gate: it
  /// must only read, and rbk must be able to tell.
  void check_secret_command(const Secret& s) {
    const Shell& sh = *s.command;
    CommandVerdict v = DestructivePatterns::shipped().judge(sh.text);
    const char* help =
        "a secret's command runs first and without a gate, so it must only read "
        "the secret, e.g. `cat /run/secrets/token`";
    if (v.destructive)
      error(sh.span_of(v.destructive->offset, v.destructive->length),
            "secret '" + s.name.name + "': its command runs '" +
                command_excerpt(sh.text, v.destructive->offset, v.destructive->length) + "' (" +
                v.destructive->pattern->why + ")",
            help);
    else if (v.unanalysable)
      error(sh.span_of(v.unanalysable->offset, v.unanalysable->length),
            "secret '" + s.name.name + "': rbk cannot analyse its command: " + v.unanalysable->why,
            help);
  }

  void declare_id(const Ident& id, const char* what) {
    if (auto it = steps_.find(id.name); it != steps_.end()) {
      error(id.span,
            "duplicate " + std::string(what) + " id '" + id.name + "' (first defined at " +
                it->second.span.where() + ")",
            "step, signal and check ids are unique across the runbook: --approve and the record "
            "name them");
      return;
    }
    steps_[id.name] = StepInfo{id.span, false};
  }

  void declare_captures(const Body& b, const std::string& owner) {
    for (const auto& st : b.items) {
      if (const auto* r = std::get_if<Run>(&st); r && r->capture) {
        const Ident& c = *r->capture;
        check_env_name(c, "capture");
        if (auto it = captures_.find(c.name); it != captures_.end()) {
          error(c.span,
                "duplicate capture '" + c.name + "' (first defined at " + it->second.span.where() +
                    ")",
                "each capture names the output of one command; choose another name");
          continue;
        }
        if (clashes(c, "capture")) continue;
        captures_[c.name] = CaptureInfo{c.span, owner, false, declaring_signal_};
      }
      if (const auto* u = std::get_if<Undo>(&st)) declare_captures(*u->body, owner);
      // A template's statements run in the step that uses it, so its
      // captures are the step's captures.
      if (const auto* use = std::get_if<Use>(&st)) {
        if (const Template* t = find_template(*use)) {
          for (const auto& name : template_captures(t->body)) {
            if (captures_.count(name) || params_.count(name) || secrets_.count(name)) {
              error(use->span,
                    "'use " + use->module.name + "." + use->name.name + "' captures '" + name +
                        "', which is already a parameter, secret or capture here",
                    "both would be the environment variable $" + name + "; rename one");
              continue;
            }
            captures_[name] = CaptureInfo{use->span, owner, false, declaring_signal_};
          }
        }
      }
    }
  }

  /// The template a `use` names, or nullptr (reported elsewhere).
  const Template* find_template(const Use& u) const {
    auto it = modules_.find(u.module.name);
    if (it == modules_.end() || !it->second) return nullptr;
    const Template* found = nullptr;
    for (const auto& item : it->second->items)
      if (const auto* t = std::get_if<Template>(&item); t && t->id.name == u.name.name) found = t;
    return found;
  }

  static std::vector<std::string> template_captures(const Body& b) {
    std::vector<std::string> out;
    for (const auto& st : b.items) {
      if (const auto* r = std::get_if<Run>(&st); r && r->capture) out.push_back(r->capture->name);
      if (const auto* u = std::get_if<Undo>(&st)) {
        auto inner = template_captures(*u->body);
        out.insert(out.end(), inner.begin(), inner.end());
      }
    }
    return out;
  }

  void declare_section(const Section& s) {
    for (const auto& item : s.items) {
      if (const auto* st = std::get_if<Step>(&item)) {
        declare_id(st->id, "step");
        declare_captures(st->body, st->id.name);
      } else if (const auto* sg = std::get_if<Signal>(&item)) {
        if (sg->id) declare_id(*sg->id, "signal");
        declaring_signal_ = true;
        declare_captures(sg->body, sg->id ? sg->id->name : "signal");
        declaring_signal_ = false;
      } else if (const auto* ck = std::get_if<Check>(&item)) {
        if (ck->id) declare_id(*ck->id, "check");
        declare_captures(ck->body, ck->id ? ck->id->name : "check");
      } else if (const auto* c = std::get_if<Cause>(&item)) {
        if (auto it = causes_.find(c->id.name); it != causes_.end()) {
          error(c->id.span, "duplicate cause '" + c->id.name + "' (first defined at " +
                                it->second->id.span.where() + ")");
        } else {
          causes_[c->id.name] = c;
        }
      }
    }
  }

  void walk_section(const Section& s) {
    section_ = s.kind;
    for (const auto& item : s.items) {
      if (const auto* st = std::get_if<Step>(&item)) {
        current_step_ = st->id.name;
        if (st->title) check_string(*st->title);
        if (st->when) check_condition(*st->when, "the step's 'when'");
        steps_[st->id.name].reached = true;
        check_body(st->body, Holder::Step, s.kind);
      } else if (const auto* sg = std::get_if<Signal>(&item)) {
        current_step_ = sg->id ? sg->id->name : "";
        check_string(sg->title);
        check_body(sg->body, Holder::Signal, s.kind);
        if (sg->id) steps_[sg->id->name].reached = true;
        require_something<Firing>(sg->body, sg->title.span, "signal", "firing when");
      } else if (const auto* ck = std::get_if<Check>(&item)) {
        current_step_ = ck->id ? ck->id->name : "";
        check_string(ck->title);
        check_body(ck->body, Holder::Check, s.kind);
        if (ck->id) steps_[ck->id->name].reached = true;
        if (ck->within) check_positive(*ck->within, "'within'");
        if (ck->every) check_positive(*ck->every, "'every'");
        if (ck->within && ck->every) check_every(*ck->within, *ck->every);
        require_something<Passes>(ck->body, ck->title.span, "check", "passes when");
      } else if (const auto* c = std::get_if<Cause>(&item)) {
        current_step_.clear();
        check_string(c->title);
        if (c->when) check_condition(*c->when, "the cause's 'when'");
        cause_defined_[c->id.name] = true;
      } else if (const auto* e = std::get_if<Escalation>(&item)) {
        current_step_.clear();
        // A rule for the start of the run fires before any command ran.
        at_start_ = e->trigger == Trigger::Start;
        check_notify(e->action);
        at_start_ = false;
      }
    }
  }

  /// A signal or check must run a command or test a condition (`Cond`).
  template <typename Cond>
  void require_something(const Body& body, const Span& title, const char* what,
                         const char* cond_keyword) {
    for (const auto& b : body.items) {
      if (std::holds_alternative<Run>(b) || std::holds_alternative<Use>(b) ||
          std::holds_alternative<Cond>(b))
        return;
    }
    error(title, std::string(what) + " has nothing to check",
          std::string("add a command (run `…`) and, optionally, '") + cond_keyword + " CONDITION'");
  }

  void check_positive(const Duration& d, const char* what) {
    if (d.ms <= 0) error(d.span, std::string(what) + " must be longer than 0");
  }
  void check_every(const Duration& within, const Duration& every) {
    if (every.ms > within.ms && within.ms > 0)
      error(every.span, "'every " + every.text + "' is longer than 'within " + within.text + "'",
            "the condition would be tried only once; poll more often than the deadline");
  }

  // ------------------------------------------------------------ statements
  void check_body(const Body& b, Holder holder, std::optional<SectionKind> section) {
    std::map<std::string, Span> once;
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
                if (t.ty == Ty::Bool || t.ty == Ty::List || t.ty == Ty::Duration)
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
            } else if constexpr (std::is_same_v<T, Undo>) {
              single("undo", x.span);
              if (holder == Holder::Undo) {
                error(x.span, "an undo block cannot hold another undo");
              } else if (holder != Holder::Template &&
                         !(holder == Holder::Step && section == SectionKind::Remediate)) {
                error(x.span, "'undo' belongs to remediation steps",
                      "undo blocks run, in reverse order, when a later remediation step fails");
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
            } else if constexpr (std::is_same_v<T, Note> || std::is_same_v<T, Manual>) {
              check_string(x.text);
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

  void check_shell(const Shell& s) {
    if (is_blank(s.text)) error(s.span, "empty shell command");
  }

  void check_call(const Call& c) {
    if (check_word(c.runbook, "runbook", "disk-full") && c.runbook.name == runbook_name_)
      error(c.runbook.span, "runbook '" + c.runbook.name + "' calls itself");
    check_args(c.args);
  }

  void check_args(const std::vector<Arg>& args) {
    std::map<std::string, Span> seen;
    for (const auto& a : args) {
      if (auto it = seen.find(a.name.name); it != seen.end())
        error(a.name.span,
              "duplicate argument '" + a.name.name + "' (first at " + it->second.where() + ")");
      seen.emplace(a.name.name, a.name.span);
      if (a.value) type_of(*a.value);
    }
  }

  void check_notify(const Notify& n) {
    check_word(n.role, "role", "secondary-oncall");
    if (n.message) check_string(*n.message);
    if (n.when) check_condition(*n.when, "the 'when'");
  }

  void check_use(const Use& u) {
    auto it = modules_.find(u.module.name);
    if (it == modules_.end()) {
      std::string hint = did_you_mean(u.module.name, keys_of(modules_));
      error(u.module.span, "module '" + u.module.name + "' is not imported",
            hint.empty() ? "add import \"stdlib/" + u.module.name + "\" at the top of the file"
                         : hint);
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

  // ------------------------------------------------------------ expressions
  void check_string(const StringLit& s) {
    for (const auto& p : s.parts)
      if (p.expr) type_of(*p.expr);
  }

  void check_condition(const Expr& e, const char* where) {
    TypeInfo t = type_of(e);
    if (t.ty != Ty::Bool && t.ty != Ty::Unknown) {
      error(e.span, std::string(where) + " needs a condition (true or false), not " + ty_name(t.ty),
            "compare it, e.g. " + std::string(e.span.text()) +
                (t.ty == Ty::String   ? " == \"…\""
                 : t.ty == Ty::Number ? " > 0"
                                      : " != …"));
    }
  }

  TypeInfo param_type(const Param& p) {
    switch (p.type.kind) {
      case TypeKind::Int:
        return {Ty::Number, nullptr};
      case TypeKind::Bool:
        return {Ty::Bool, nullptr};
      case TypeKind::Duration:
        return {Ty::Duration, nullptr};
      case TypeKind::List:
        return {Ty::List, nullptr};
      case TypeKind::Enum:
        return {Ty::String, &p};
      case TypeKind::String:
        break;
    }
    return {Ty::String, nullptr};
  }

  std::vector<std::string> roots_for_suggestion() const {
    std::vector<std::string> v = keys_of(params_);
    for (const auto& b : builtins()) v.push_back(b);
    for (const auto& [k, c] : captures_) v.push_back(k);
    v.push_back("cause");
    v.push_back("step");
    return v;
  }

  TypeInfo name_type(const Expr& e) {
    const std::string& n = e.name;
    if (auto p = params_.find(n); p != params_.end()) return param_type(*p->second);
    if (secrets_.count(n)) {
      error(e.span, "secret '" + n + "' cannot be used in an expression",
            "secrets reach commands only as the environment variable $" + n +
                ", so they never appear in output or the record");
      return {};
    }
    if (auto c = captures_.find(n); c != captures_.end()) {
      if (at_start_ && !c->second.from_signal) {
        // Start rules fire once the alert section has run (every signal), so
        // only the signals' captures exist then.
        error(e.span, "capture '" + n + "' does not exist yet when the start rules fire",
              "a rule with no 'after' or 'on' fires right after the alert signals; use a "
              "signal's capture, 'after DURATION' or 'on failure'");
      } else if (!at_start_ && !c->second.defined) {
        error(e.span,
              "capture '" + n + "' is used before step '" + c->second.step + "' defines it (at " +
                  c->second.span.where() + ")",
              "steps run in order: alert, diagnose, causes, remediate, verify, rollback");
      }
      return {Ty::String, nullptr};
    }
    if (std::find(builtins().begin(), builtins().end(), n) != builtins().end())
      return {Ty::String, nullptr};
    if (n == "cause") {
      error(e.span, "'cause' needs a cause name", "e.g. when cause.disk");
      return {};
    }
    if (n == "step") {
      error(e.span, "'step' needs a step name and a field", "e.g. when step.restart.ok");
      return {};
    }
    std::string hint = did_you_mean(n, roots_for_suggestion());
    for (const auto& [pn, p] : params_) {
      if (p->type.kind != TypeKind::Enum) continue;
      for (const auto& v : p->type.values)
        if (v.name == n && hint.empty())
          hint = "to compare with the text " + n + " write \"" + n + "\"";
    }
    if (hint.empty() && comparing_ && is_lower_word(n))
      hint = "to compare with the text " + n + ", quote it: \"" + n + "\"";
    error(e.span, "unknown name '" + n + "'",
          hint.empty() ? "names are parameters, captures (run … as NAME) and " + join(builtins())
                       : hint);
    return {};
  }

  TypeInfo member_type(const Expr& e) {
    const Expr& obj = *e.items.at(0);
    // cause.ID
    if (obj.kind == ExprKind::Name && obj.name == "cause") {
      auto c = causes_.find(e.name);
      if (c == causes_.end()) {
        std::vector<std::string> names = keys_of(causes_);
        std::string hint = did_you_mean(e.name, names);
        error(e.span, "unknown cause '" + e.name + "'",
              hint.empty() ? (names.empty() ? std::string("define it in the causes section")
                                            : "the causes are " + join(names))
                           : hint);
      } else if (!cause_defined_[e.name]) {
        error(e.span, "cause '" + e.name + "' is not known yet here",
              section_ == SectionKind::Causes ? "a cause can only refer to causes listed before it"
                                              : "causes are evaluated after diagnose");
      }
      return {Ty::Bool, nullptr};
    }
    // step.ID.field
    if (obj.kind == ExprKind::Member && obj.items.at(0)->kind == ExprKind::Name &&
        obj.items.at(0)->name == "step") {
      check_step_ref(obj);
      if (std::find(step_fields().begin(), step_fields().end(), e.name) == step_fields().end()) {
        std::string hint = did_you_mean(e.name, step_fields());
        error(e.span, "unknown step field '" + e.name + "'",
              hint.empty() ? "steps have " + fields(step_fields()) : hint);
        return {};  // unknown: no second error about its type
      }
      return {Ty::Bool, nullptr};
    }
    if (obj.kind == ExprKind::Name && obj.name == "step") {
      check_step_ref(e);
      error(e.span, "step." + e.name + " needs a field", "e.g. step." + e.name + ".ok");
      return {};
    }
    // capture.field
    if (obj.kind == ExprKind::Name && captures_.count(obj.name)) {
      name_type(obj);
      const std::string& f = e.name;
      if (f == "stdout" || f == "stderr") return {Ty::String, nullptr};
      if (f == "exit") return {Ty::Number, nullptr};
      if (f == "ok" || f == "timed_out") return {Ty::Bool, nullptr};
      if (f == "duration") return {Ty::Duration, nullptr};
      if (f == "lines") return {Ty::List, nullptr};
      if (f == "json") return {};
      std::string hint = did_you_mean(f, capture_fields());
      error(e.span, "unknown capture field '" + f + "'",
            hint.empty() ? "captures have " + fields(capture_fields()) : hint);
      return {};
    }
    // anything under .json: unknown shape
    TypeInfo base = type_of(obj);
    if (base.ty == Ty::Unknown) return {};
    if (obj.kind == ExprKind::Name && params_.count(obj.name)) {
      error(e.span, "parameter '" + obj.name + "' has no fields",
            "only captures (run … as NAME) have fields such as .stdout and .json");
      return {};
    }
    error(e.span, std::string("'.") + e.name + "' on " + ty_name(base.ty),
          "only captures have fields; .json gives access to parsed JSON output");
    return {};
  }

  void check_step_ref(const Expr& member) {
    const std::string& id = member.name;
    auto it = steps_.find(id);
    if (it == steps_.end()) {
      std::string hint = did_you_mean(id, keys_of(steps_));
      error(member.span, "unknown step '" + id + "'", hint);
      return;
    }
    if (!it->second.reached || id == current_step_) {
      error(member.span, "step '" + id + "' has not run yet here",
            "a condition can refer only to steps that run before it");
    }
  }

  TypeInfo type_of(const Expr& e) {
    switch (e.kind) {
      case ExprKind::String:
        check_string(e.string);
        return {Ty::String, nullptr};
      case ExprKind::Number:
        return {Ty::Number, nullptr};
      case ExprKind::Bool:
        return {Ty::Bool, nullptr};
      case ExprKind::Duration:
        return {Ty::Duration, nullptr};
      case ExprKind::List:
        for (const auto& i : e.items) type_of(*i);
        return {Ty::List, nullptr};
      case ExprKind::Name:
        return name_type(e);
      case ExprKind::Member:
        return member_type(e);
      case ExprKind::Index: {
        TypeInfo base = type_of(*e.items.at(0));
        if (e.items.size() > 1) {
          TypeInfo idx = type_of(*e.items[1]);
          if (idx.ty != Ty::Number && idx.ty != Ty::Unknown && idx.ty != Ty::String)
            error(e.items[1]->span,
                  std::string("an index must be a number, not ") + ty_name(idx.ty));
        }
        if (base.ty != Ty::List && base.ty != Ty::Unknown) {
          error(e.span, std::string("cannot index ") + ty_name(base.ty),
                "only lists (such as .lines) and .json values can be indexed");
          return {};
        }
        return {base.ty == Ty::List ? Ty::String : Ty::Unknown, nullptr};
      }
      case ExprKind::Not: {
        TypeInfo t = type_of(*e.items.at(0));
        if (t.ty != Ty::Bool && t.ty != Ty::Unknown)
          error(e.items[0]->span, std::string("'not' needs a condition, not ") + ty_name(t.ty));
        return {Ty::Bool, nullptr};
      }
      case ExprKind::Binary:
        return binary_type(e);
    }
    return {};
  }

  TypeInfo binary_type(const Expr& e) {
    const Expr& lhs_e = *e.items.at(0);
    // "Quote it" suits `severity == critical`, not `environment == "prod"`.
    const bool other_is_text = e.items.size() > 1 && e.items[1]->kind == ExprKind::String;
    comparing_ = (e.op == BinOp::Eq || e.op == BinOp::Ne) && !other_is_text;
    TypeInfo lhs = type_of(lhs_e);
    comparing_ = false;
    if (e.op == BinOp::Matches) {
      if (lhs.ty != Ty::String && lhs.ty != Ty::Unknown)
        error(lhs_e.span, std::string("'matches' needs text on its left, not ") + ty_name(lhs.ty));
      if (e.regex) check_regex(*e.regex);
      return {Ty::Bool, nullptr};
    }
    const Expr& rhs_e = *e.items.at(1);
    const bool equality =
        e.op == BinOp::Eq || e.op == BinOp::Ne || e.op == BinOp::In || e.op == BinOp::NotIn;
    comparing_ = equality && lhs_e.kind != ExprKind::String;
    TypeInfo rhs = type_of(rhs_e);
    comparing_ = false;
    auto mismatch = [&](const std::string& help) {
      error(e.span,
            std::string("cannot compare ") + ty_name(lhs.ty) + " with " + ty_name(rhs.ty) +
                " using '" + op_text(e.op) + "'",
            help);
    };
    const bool unknown = lhs.ty == Ty::Unknown || rhs.ty == Ty::Unknown;
    switch (e.op) {
      case BinOp::And:
      case BinOp::Or: {
        for (const auto* side : {&lhs_e, &rhs_e}) {
          TypeInfo t = side == &lhs_e ? lhs : rhs;
          if (t.ty != Ty::Bool && t.ty != Ty::Unknown)
            error(side->span, std::string("'") + op_text(e.op) +
                                  "' needs conditions on both sides, not " + ty_name(t.ty));
        }
        return {Ty::Bool, nullptr};
      }
      case BinOp::Eq:
      case BinOp::Ne:
        if (!unknown && !comparable(lhs.ty, rhs.ty)) mismatch(compare_help(lhs.ty, rhs.ty));
        check_enum_value(lhs, rhs_e);
        check_enum_value(rhs, lhs_e);
        return {Ty::Bool, nullptr};
      case BinOp::Lt:
      case BinOp::Le:
      case BinOp::Gt:
      case BinOp::Ge:
        if (!unknown && (lhs.ty == Ty::Bool || rhs.ty == Ty::Bool || lhs.ty == Ty::List ||
                         rhs.ty == Ty::List)) {
          mismatch("'<' and '>' order numbers, durations and text");
        } else if (!unknown && !comparable(lhs.ty, rhs.ty)) {
          mismatch(compare_help(lhs.ty, rhs.ty));
        }
        return {Ty::Bool, nullptr};
      case BinOp::Contains:
        if (lhs.ty != Ty::String && lhs.ty != Ty::List && lhs.ty != Ty::Unknown)
          error(lhs_e.span,
                std::string("'contains' needs text or a list on its left, not ") + ty_name(lhs.ty));
        return {Ty::Bool, nullptr};
      case BinOp::In:
      case BinOp::NotIn:
        if (rhs.ty != Ty::List && rhs.ty != Ty::Unknown)
          error(rhs_e.span,
                std::string("'") + op_text(e.op) + "' needs a list on its right, not " +
                    ty_name(rhs.ty),
                "e.g. env in [\"prod\", \"staging\"]");
        if (rhs_e.kind == ExprKind::List)
          for (const auto& i : rhs_e.items) check_enum_value(lhs, *i);
        return {Ty::Bool, nullptr};
      case BinOp::Matches:
        break;
    }
    return {Ty::Bool, nullptr};
  }

  static bool comparable(Ty a, Ty b) {
    if (a == b) return true;
    // Text and numbers compare as numbers when both parse as numbers.
    auto textual = [](Ty t) { return t == Ty::String || t == Ty::Number; };
    return textual(a) && textual(b);
  }

  static std::string compare_help(Ty a, Ty b) {
    if (a == Ty::Duration || b == Ty::Duration)
      return "compare durations with durations, e.g. health.duration > 2s";
    if (a == Ty::Bool || b == Ty::Bool) return "compare true/false values with true or false";
    if (a == Ty::List || b == Ty::List) return "use 'in' or 'contains' to look inside a list";
    return "";
  }

  /// `env == "prd"` where env is enum(prod, staging): a value that can never match.
  void check_enum_value(const TypeInfo& side, const Expr& other) {
    if (!side.enum_param || other.kind != ExprKind::String || other.string.has_interpolation())
      return;
    const Param& p = *side.enum_param;
    std::string v = other.string.plain();
    std::vector<std::string> values;
    for (const auto& x : p.type.values) values.push_back(x.name);
    if (std::find(values.begin(), values.end(), v) != values.end()) return;
    std::string hint = did_you_mean(v, values);
    error(other.span, "\"" + v + "\" is not a value of enum '" + p.name.name + "'",
          hint.empty() ? "the values are " + join(values) : hint);
  }

  void check_regex(const Regex& r) {
    for (char f : r.flags) {
      if (f != 'i')
        error(r.span, std::string("unknown regex flag '") + f + "'",
              "the only flag is i (ignore case)");
    }
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_case_sensitive(r.flags.find('i') == std::string::npos);
    // `\/` in the source is how a slash is written inside /…/.
    std::string pattern;
    for (size_t i = 0; i < r.pattern.size(); ++i) {
      if (r.pattern[i] == '\\' && i + 1 < r.pattern.size() && r.pattern[i + 1] == '/') {
        pattern += '/';
        ++i;
      } else {
        pattern += r.pattern[i];
      }
    }
    RE2 re(pattern, opts);
    if (!re.ok()) {
      error(r.span, "invalid regular expression: " + re.error(),
            "patterns use RE2 syntax (no backreferences or lookaround)");
    }
  }

  // ------------------------------------------------------------ modules
  void check_module(const Module& m) {
    check_word(m.name, "module", "postgres");
    std::map<std::string, Span> seen;
    for (const auto& item : m.items) {
      const auto* t = std::get_if<Template>(&item);
      if (!t) continue;
      if (auto it = seen.find(t->id.name); it != seen.end()) {
        error(t->id.span, "duplicate template '" + t->id.name + "' (first defined at " +
                              it->second.where() + ")");
      }
      seen.emplace(t->id.name, t->id.span);
      // Each template is its own scope: its parameters and its captures.
      params_.clear();
      secrets_.clear();
      captures_.clear();
      steps_.clear();
      section_.reset();
      for (const auto& p : t->params) declare_param(p);
      if (t->title) check_string(*t->title);
      declare_captures(t->body, t->id.name);
      check_body(t->body, Holder::Template, std::nullopt);
    }
  }
};

}  // namespace

Diagnostics check(const ast::Document& doc, ModuleLoader* loader) {
  return Checker(doc, loader).run();
}

}  // namespace rbk
