// The check pass: the runbook's declarations — metadata, parameters and
// their types, secrets, ids, captures, sections in execution order.
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

void Checker::check_runbook(const Runbook& r) {
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
    else if (const auto* msg = std::get_if<Message>(&item))
      declare_message(*msg);
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
  check_unused_messages();
}

void Checker::declare_message(const Message& m) {
  check_env_name(m.name, "message");
  if (!clashes(m.name, "message")) messages_[m.name.name] = &m;
  if (is_blank(m.text.plain()) && !m.text.has_interpolation())
    error(m.text.span, "message '" + m.name.name + "' is empty");
}

TypeInfo Checker::message_type(const Expr& e, const Message& m) {
  messages_used_.insert(m.name.name);
  for (const auto& [open, use] : message_uses_) {
    if (open == &m) {
      error(e.span, "message '" + m.name.name + "' uses itself",
            "a message may use other messages, but not in a circle");
      return {Ty::String, nullptr};
    }
  }
  // An error inside the message names the outermost use.
  message_uses_.emplace_back(&m, e.span);
  check_string(m.text);
  message_uses_.pop_back();
  return {Ty::String, nullptr};
}

void Checker::check_unused_messages() {
  section_.reset();
  current_step_.clear();
  for (auto& [name, c] : captures_) c.defined = true;
  for (auto& [id, d] : cause_defined_) d = true;
  for (auto& [id, st] : steps_) st.reached = true;
  for (const auto& [name, m] : messages_) {
    if (messages_used_.count(name)) continue;
    check_string(m->text);
  }
}

void Checker::check_meta(const Meta& m) {
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

void Checker::declare_param(const Param& p) {
  check_env_name(p.name, "parameter");
  if (!clashes(p.name, "parameter")) params_[p.name.name] = &p;
  check_param_type(p);
  if (p.help) check_string(*p.help);
}

void Checker::check_param_type(const Param& p) {
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
    case TypeKind::Targets:
      if (d.kind == ExprKind::String && !d.string.has_interpolation()) break;
      if (d.kind != ExprKind::List) {
        bad("a host or group name such as \"web\", or a list of them");
        break;
      }
      for (const auto& i : d.items)
        if (i->kind != ExprKind::String)
          error(i->span, "targets are host or group names in quotes", "e.g. [\"web\", \"db-1\"]");
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

std::string Checker::fields(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " ." : ".") + v[i];
  return out;
}

void Checker::declare_secret(const Secret& s) {
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

void Checker::check_secret_command(const Secret& s) {
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

void Checker::declare_id(const Ident& id, const char* what) {
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

void Checker::declare_captures(const Body& b, const std::string& owner) {
  // A step `on` targets makes each of its captures once per target (its
  // undo block too, which runs where the step ran).
  const bool outer_fanout = declaring_fanout_;
  for (const auto& st : b.items)
    if (std::holds_alternative<On>(st)) declaring_fanout_ = true;
  for (const auto& st : b.items) {
    if (const auto* r = std::get_if<Run>(&st); r && r->capture) {
      const Ident& c = *r->capture;
      check_env_name(c, "capture");
      if (auto it = captures_.find(c.name); it != captures_.end()) {
        error(
            c.span,
            "duplicate capture '" + c.name + "' (first defined at " + it->second.span.where() + ")",
            "each capture names the output of one command; choose another name");
        continue;
      }
      if (clashes(c, "capture")) continue;
      captures_[c.name] = CaptureInfo{c.span, owner, false, declaring_signal_};
      captures_[c.name].per_target = declaring_fanout_;
    }
    if (const auto* a = std::get_if<Ask>(&st)) {
      // An answer is a name like a capture: it exists after its statement.
      const Ident& n = a->decl->name;
      check_env_name(n, "answer");
      if (auto it = captures_.find(n.name); it != captures_.end()) {
        error(n.span,
              "'" + n.name + "' is already a capture or answer (first defined at " +
                  it->second.span.where() + ")",
              "each answer needs a name of its own");
        continue;
      }
      if (clashes(n, "answer")) continue;
      captures_[n.name] = CaptureInfo{n.span, owner, false, declaring_signal_, a->decl.get()};
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
  declaring_fanout_ = outer_fanout;
}

const Template* Checker::find_template(const Use& u) const {
  auto it = modules_.find(u.module.name);
  if (it == modules_.end() || !it->second) return nullptr;
  const Template* found = nullptr;
  for (const auto& item : it->second->items)
    if (const auto* t = std::get_if<Template>(&item); t && t->id.name == u.name.name) found = t;
  return found;
}

std::vector<std::string> Checker::template_captures(const Body& b) {
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

void Checker::declare_section(const Section& s) {
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

void Checker::walk_section(const Section& s) {
  section_ = s.kind;
  for (const auto& item : s.items) {
    if (const auto* st = std::get_if<Step>(&item)) {
      current_step_ = st->id.name;
      if (s.kind == SectionKind::Finally) finally_steps_.insert(st->id.name);
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
      if (ck->holds) {
        check_positive(*ck->holds, "'holds for'");
        // The deadline must leave room for the streak it waits for.
        if (ck->within && !ck->within->param && !ck->holds->param && ck->holds->ms > ck->within->ms)
          error(ck->holds->span,
                "'holds for " + ck->holds->text + "' is longer than 'within " + ck->within->text +
                    "'",
                "the check could never hold that long before its deadline; make 'within' "
                "longer");
      }
      require_something<Passes>(ck->body, ck->title.span, "check", "passes when");
    } else if (const auto* c = std::get_if<Cause>(&item)) {
      current_step_.clear();
      check_string(c->title);
      if (c->severity && !is_lower_word(c->severity->name))
        error(c->severity->span, "invalid severity '" + c->severity->name + "'",
              "severities are lower-case words defined in rbk.yaml, e.g. critical");
      if (c->when) check_condition(*c->when, "the cause's 'when'");
      cause_defined_[c->id.name] = true;
    } else if (const auto* e = std::get_if<Escalation>(&item)) {
      current_step_.clear();
      escalation_ = e;
      // A rule for the start of the run fires before any command ran.
      at_start_ = e->trigger == Trigger::Start;
      check_notify(e->action);
      at_start_ = false;
      // A parameter named for a duration must be one (literals are checked below).
      if (e->after && e->after->param) check_positive(*e->after, "'after'");
      if (e->from_step && !steps_.count(e->from_step->name)) {
        std::string hint = did_you_mean(e->from_step->name, keys_of(steps_));
        error(e->from_step->span, "unknown step '" + e->from_step->name + "'",
              hint.empty() ? "'from step' names a step, signal or check of this runbook" : hint);
      } else if (e->from_step && finally_steps_.count(e->from_step->name)) {
        error(e->from_step->span,
              "'from step' cannot count from finally step '" + e->from_step->name + "'",
              "the escalation rules stop when the run ends, before the finally section runs");
      }
      if (e->lasting && e->lasting->param) check_positive(*e->lasting, "'for'");
      if (e->every && e->every->param) check_positive(*e->every, "'every'");
      if (e->trigger == Trigger::Every && e->every && !e->every->param) {
        // People read each update: a faster cadence only buries them.
        if (e->every->ms < 60'000)
          error(e->every->span, "'every " + e->every->text + "' repeats faster than once a minute",
                "a cadence is for people to read; use 1m or more");
        if (e->lasting && !e->lasting->param && e->lasting->ms < e->every->ms)
          error(
              e->lasting->span,
              "'for " + e->lasting->text + "' ends before the first 'every " + e->every->text + "'",
              "the rule would never fire; make 'for' at least as long as 'every'");
      }
    }
  }
}

void Checker::nothing_to_check(const Span& title, const char* what, const char* cond_keyword) {
  error(title, std::string(what) + " has nothing to check",
        std::string("add a command (run `…`) and, optionally, '") + cond_keyword + " CONDITION'");
}

void Checker::check_positive(const Duration& d, const char* what) {
  if (d.param) {
    // A parameter's value is known only when the run starts; here, that it
    // is a parameter and a duration.
    auto p = params_.find(*d.param);
    if (auto c = captures_.find(*d.param);
        p == params_.end() && c != captures_.end() && c->second.ask) {
      check_answer_duration(d, what, c->second);
      return;
    }
    if (p == params_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, decl] : params_)
        if (param_type(*decl).ty == Ty::Duration) names.push_back(n);
      error(d.span, "'" + *d.param + "' is not a duration or a parameter of this runbook",
            names.empty() ? "durations look like 30s or 10m, or name a parameter declared "
                            "': duration'"
                          : did_you_mean(*d.param, names));
    } else if (param_type(*p->second).ty != Ty::Duration) {
      error(d.span,
            std::string(what) + " needs a duration, and parameter '" + *d.param + "' is not one",
            "declare it: param " + *d.param + " : duration = 15m");
    }
    return;
  }
  if (d.ms <= 0) error(d.span, std::string(what) + " must be longer than 0");
}

void Checker::check_answer_duration(const Duration& d, const char* what,
                                    const CaptureInfo& answer) {
  if (section_ == SectionKind::Escalate) {
    // Rules are armed when the run starts, or when their step ends: an
    // answer is known then only if that step asked for it.
    if (!escalation_ || !escalation_->from_step || escalation_->from_step->name != answer.step)
      error(
          d.span, "answer '" + *d.param + "' is not known when this rule's timer is armed",
          "count from the step that asks for it: after " + *d.param + " from step " + answer.step);
    if (answer.ask->type.kind != TypeKind::Duration)
      error(d.span,
            std::string(what) + " needs a duration, and answer '" + *d.param + "' is not one",
            "ask for it as : duration");
    return;
  }
  Expr name;
  name.kind = ExprKind::Name;
  name.span = d.span;
  name.name = *d.param;
  TypeInfo t = name_type(name);  // said when it is used before its step asks
  if (t.ty != Ty::Duration && t.ty != Ty::Unknown)
    error(d.span, std::string(what) + " needs a duration, and answer '" + *d.param + "' is not one",
          "ask for it as : duration");
}

void Checker::check_every(const Duration& within, const Duration& every) {
  if (within.param || every.param) return;  // known when the run starts
  if (every.ms > within.ms && within.ms > 0)
    error(every.span, "'every " + every.text + "' is longer than 'within " + within.text + "'",
          "the condition would be tried only once; poll more often than the deadline");
}

}  // namespace rbk::check_detail
