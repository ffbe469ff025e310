// The plan as text for a reader (`rbk plan`), rendered from the Plan alone:
// nothing here reads the runbook, so the text and `--format json` cannot
// disagree.
#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "interpreter/base/names.hpp"
#include "interpreter/plan/plan.hpp"
#include "interpreter/plan/plan_targets.hpp"

namespace rbk {

namespace {

using plan::or_empty;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

/// Appends `text` with every line after the first indented by `indent`.
std::string indent_lines(const std::string& text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

/// A one-line string shown in quotes; a text block on its own indented lines.
std::string quoted(const std::string& text, const std::string& indent) {
  if (text.find('\n') == std::string::npos) return "\"" + text + "\"";
  return "\"\"\"\n" + indent + indent_lines(text, indent) + "\n" + indent + "\"\"\"";
}

/// How wide the plan's lines are kept, where they can be wrapped.
constexpr size_t kWidth = 100;

/// Items joined with ", " and wrapped before `width` columns.
std::string wrap(const std::vector<std::string>& items, size_t first_col, const std::string& indent,
                 size_t width = kWidth) {
  std::string out;
  size_t col = first_col;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string piece = items[i] + (i + 1 < items.size() ? "," : "");
    if (i > 0) {
      if (col + 1 + piece.size() > width) {
        out += "\n" + indent;
        col = indent.size();
      } else {
        out += " ";
        ++col;
      }
    }
    out += piece;
    col += piece.size();
  }
  return out;
}

/// What a section does in a run, after its heading.
const char* purpose(plan::SectionName s) {
  switch (s) {
    case plan::SectionName::Alert:
      return "is the alert real? every signal runs; if none fires, the run stops (unless "
             "--force)";
    case plan::SectionName::Diagnose:
      return "read-only; a non-zero exit is recorded, not a failure";
    case plan::SectionName::Causes:
      return "no commands; every cause is evaluated in order, any number may match";
    case plan::SectionName::Remediate:
      return "steps whose condition holds, in order; a failing step applies its failure policy";
    case plan::SectionName::Verify:
      return "a check that does not pass in time fails the run (rollback)";
    case plan::SectionName::Rollback:
      return "only after a failure";
    case plan::SectionName::Finally:
      return "last, whatever the outcome (not after Ctrl-C: rbk resume finishes it); a failing "
             "step is reported and the others still run";
    case plan::SectionName::Escalate:
      return "start rules fire once an alert signal fires; 'after' counts from the start";
  }
  return "";
}

class Renderer {
 public:
  explicit Renderer(const Plan& plan) : p_(plan) {}

  std::string render() {
    header();
    int n = 0;
    for (const auto& s : p_.sections) section(s, ++n);
    return out_;
  }

 private:
  const Plan& p_;
  std::string out_;

  void line(const std::string& s = {}) { out_ += s + "\n"; }

  void header() {
    const std::string& name = p_.runbook;
    line("PLAN for runbook " + name + " (" + p_.file + "): nothing was run.");
    line("This is what `rbk run` would do. No command, secret command or notification was");
    line("executed; conditions and messages are shown as written.");
    line();
    const std::string& title = or_empty(p_.title);
    line(title.empty() ? name : title);
    std::string meta = "  severity: " + (p_.severity.value ? *p_.severity.value : "-");
    // The causes may decide another severity once they are evaluated.
    std::vector<std::string> decided;
    for (const auto& sec : p_.sections)
      for (const auto& it : sec.items.value_or(std::vector<plan::Item>{}))
        if (const auto* c = std::get_if<plan::Cause>(&it.body);
            c && c->severity.value &&
            std::find(decided.begin(), decided.end(), *c->severity.value) == decided.end())
          decided.push_back(*c->severity.value);
    if (!decided.empty()) {
      std::string levels;
      for (const auto& d : decided) levels += (levels.empty() ? "" : ", ") + d;
      meta += " (the causes may decide " + levels + ")";
    }
    if (p_.owner.value) meta += "   owner: " + *p_.owner.value;
    line(meta);
    line("  config: " + (p_.config.value ? *p_.config.value : "(no rbk.yaml: defaults)") +
         "   default timeout: " + p_.default_timeout);
    if (!p_.only_targets.empty())
      line("  --target " + wrap(p_.only_targets, 11, "    ") +
           ": every step on targets runs only on these hosts and groups");
    line();
    params();
    if (!p_.secrets.empty()) {
      line("Secrets (exported to commands, masked everywhere; plan does not read them):");
      size_t w = 0;
      for (const auto& s : p_.secrets) w = std::max(w, s.name.size());
      for (const auto& s : p_.secrets) {
        std::string from = s.source == plan::SecretSource::Env
                               ? "from env " + s.var.value_or("")
                               : "from command `" + s.command.value_or("") + "` (not run by plan)";
        line("  " + pad(s.name, w) + " = ***  " + indent_lines(from, "      "));
      }
    }
    if (!p_.messages.empty()) {
      line("Messages (rendered where used; commands receive them as environment variables):");
      for (const auto& m : p_.messages) line("  " + m.name + " = " + quoted(m.text, "    "));
    }
    line("Set by rbk for every command:");
    size_t w = 0;
    for (const auto& v : p_.rbk_variables) w = std::max(w, v.name.size());
    for (const auto& v : p_.rbk_variables)
      line("  " + pad(v.name, w) + " = " + (v.value.empty() ? "(empty)" : v.value));
  }

  void params() {
    if (p_.params.empty()) return line("Parameters: none");
    line("Parameters (every command receives them as environment variables):");
    size_t w = 0, tw = 0;
    for (const auto& prm : p_.params) {
      w = std::max(w, prm.name.size());
      tw = std::max(tw, prm.type.size());
    }
    for (const auto& prm : p_.params) {
      std::string value = or_empty(prm.value);
      if (prm.source == plan::ParamSource::Missing) {
        value = "<required, not given>";
      } else if (prm.type == "list" || prm.type == "targets") {  // one per line in the variable
        std::string items;
        for (char c : value) items += c == '\n' ? std::string(", ") : std::string(1, c);
        value = "[" + items + "]";
      } else if (value.empty()) {
        value = "\"\"";
      }
      std::string l = "  " + pad(prm.name, w) + " : " + pad(prm.type, tw) + " = " + value;
      if (prm.source == plan::ParamSource::Default) l += "  (default)";
      line(l);
    }
    if (!p_.missing_params.empty())
      line("  (a run asks for the missing ones on a terminal, or takes them with -p NAME=VALUE)");
  }

  void section(const plan::Section& s, int n) {
    const std::string name(name_of(s.section));
    line();
    std::string head = std::to_string(n) + ". " + upper(name);
    if (!s.present) {
      if (s.section == plan::SectionName::Alert)
        line(head + ": none (the run starts at diagnosis)");
      else if (s.section == plan::SectionName::Rollback && !or_empty(s.undo_first).empty())
        // Undo blocks run on failure with or without a rollback section.
        line(head +
             ": no rollback section; the undo blocks of the completed remediation steps "
             "run, newest first: " +
             wrap(or_empty(s.undo_first), 80, "    "));
      else
        line(head + ": none");
      return;
    }
    line(head + ": " + purpose(s.section));
    if (s.section == plan::SectionName::Escalate) return escalation(or_empty(s.rules));
    if (s.section == plan::SectionName::Rollback) {
      const std::vector<std::string>& undo = or_empty(s.undo_first);
      if (undo.empty())
        line("  first: no remediation step has an undo block");
      else
        line("  first: the undo blocks of the completed remediation steps, newest first: " +
             wrap(undo, 80, "    "));
      line("  then:");
    }
    const std::vector<plan::Item>& items = or_empty(s.items);
    if (items.empty()) line("  (empty)");
    for (const auto& it : items) {
      std::visit(
          [&](const auto& x) {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, plan::Cause>)
              cause(x);
            else
              item(x, name);
          },
          it.body);
    }
  }

  void cause(const plan::Cause& c) {
    line("  cause " + c.id + " \"" + c.title + "\"");
    line("    matches when " + or_empty(c.when));
    if (c.severity.value)
      line("    then the run's severity is " + *c.severity.value +
           " (the most severe matched cause decides)");
    if (c.selects.empty()) line("    (no step selects itself with cause." + c.id + ")");
    for (const auto& s : c.selects) {
      std::string l = "    branch: when " + or_empty(s.when) + " -> " + s.step;
      if (s.title.value) l += " \"" + *s.title.value + "\"";
      if (s.section != plan::SectionName::Remediate)
        l.append(" (").append(name_of(s.section)) += ")";
      line(l);
    }
  }

  /// `on TARGETS`: the hosts (or why they are not known yet) and the batches.
  void on(const plan::On& o, const std::string& in) {
    static const std::vector<std::string> none;
    const auto& names = o.names.value ? *o.names.value : none;
    const auto& hosts = o.hosts.value ? *o.hosts.value : none;
    std::string head = in + "on " + o.targets;
    // The parameter's names, unless they are the hosts themselves.
    std::string about;
    if (names != hosts) about = join(names);
    if (o.narrowed) about += (about.empty() ? "" : "; ") + std::string("narrowed by --target");
    if (!about.empty()) head += " (" + about + ")";
    head += ": ";
    if (o.skipped.value) return line(head + *o.skipped.value + ": the step is skipped");
    std::string where = o.hosts.value ? wrap(hosts, head.size(), in + "  ") + " (" +
                                            plan::targets_count(hosts.size()) + ")"
                                      : or_empty(o.unknown);
    // One line when it fits; else the batches on the next.
    const std::vector<std::string> batches = plan::batches_text(o);
    const std::string joined = join(batches);
    const std::string first = head + where;
    if (first.find('\n') == std::string::npos && first.size() + 3 + joined.size() <= kWidth)
      return line(first + " — " + joined);
    line(first);
    line(in + "  " + wrap(batches, in.size() + 2, in + "  "));
  }

  void gate(const plan::Gate& g, const std::string& in) {
    if (g.kind == plan::GateKind::None) return;
    const bool typed = g.kind == plan::GateKind::Typed;
    std::string l = in + "GATE: " + (typed ? "typed confirmation" : "y/N confirmation");
    if (!g.reason.empty()) l += " (" + g.reason + ")";
    line(l);
    const std::string more = in + "      ";
    if (g.prompt.value) line(more + "prompt: " + quoted(*g.prompt.value, more + "  "));
    if (typed) {
      if (g.typed_by_policy)
        line(more + "type: the step id " + or_empty(g.typed) + " (severity policy in rbk.yaml)");
      else
        line(more + "type: the value of " + or_empty(g.typed));
    }
    line(more + "without a terminal: " + or_empty(g.without_terminal));
  }

  /// A signal, step or check.
  template <class T>
  void item(const T& it, const std::string& section) {
    std::string head = "  " + std::string(T::kKind) + " " + it.id;
    if (!it.title.empty()) head += " \"" + it.title + "\"";
    line(head);
    const std::string in = "    ";
    if constexpr (std::is_same_v<T, plan::Step>) {
      if (it.when.value) line(in + "when " + *it.when.value);
      if (it.on.value) on(*it.on.value, in);
    } else if constexpr (std::is_same_v<T, plan::Signal>) {
      line(in + "fires when " +
           (it.condition.value ? *it.condition.value : "a command exits non-zero"));
    } else {
      if (it.within.value) {
        std::string l = in + "polled until it passes, for up to " + *it.within.value;
        if (it.every.value) l += ", every " + *it.every.value;
        if (it.holds_for.value)
          l += "; passes once it has passed on every poll for " + *it.holds_for.value;
        line(l);
      } else {
        line(in + "runs once");
      }
      line(in + "passes when " +
           (it.condition.value ? *it.condition.value : "its commands exit 0"));
    }
    gate(it.gate, in);
    if constexpr (std::is_same_v<T, plan::Step>) {
      // A step on targets asks before each batch, and takes a host's approval.
      const std::string& approve = or_empty(it.gate.without_terminal);
      if (it.on.value && !it.on.value->skipped.value && it.gate.kind != plan::GateKind::None)
        line(in + "      asked before each batch" +
             (approve.starts_with("--approve ") ? "; " + approve + "@HOST approves one host" : ""));
    }
    if (it.evidence) line(in + "evidence: output kept in the record and the report");
    if (it.safe.value)
      line(in + "safe: " + *it.safe.value + " (commands rbk cannot analyse run without a gate)");

    std::vector<std::string> caps;
    for (const auto& c : it.captures_before) caps.push_back(c.name + "=" + c.value);
    std::string prefix = in + "captures so far: ";
    if (caps.empty())
      line(prefix + "none");
    else
      line(prefix + wrap(caps, prefix.size(), in + "  "));
    line(in + "RBK_SECTION=" + section + " RBK_STEP=" + (it.id.empty() ? "(empty)" : it.id));
    statements(it.statements, it.uses, in);
    if (it.on_failure.value) {
      std::string l = in + "on failure: ";
      l += name_of(*it.on_failure.value);
      if (it.on_failure_default) l += " (default)";
      line(l);
    }
  }

  void statements(const std::vector<plan::Statement>& stmts, const std::vector<plan::Use>& uses,
                  const std::string& in) {
    // The use whose header was shown last; a statement of no use ends it.
    // (A size_t, not a std::optional: gcc 12 -O2 warns falsely of the latter.)
    constexpr size_t kNoUse = std::numeric_limits<size_t>::max();
    size_t current_use = kNoUse;
    for (const auto& s : stmts) {
      std::string at = in;
      if (s.from_use) {
        if (*s.from_use != current_use) {
          current_use = *s.from_use;
          if (current_use < uses.size()) use_header(uses[current_use], in);
        }
        at = in + "  ";
      } else {
        current_use = kNoUse;
      }
      std::visit([&](const auto& x) { statement(x, at, uses); }, s.body);
    }
  }

  void use_header(const plan::Use& u, const std::string& in) {
    std::string l = in + "use " + u.use;
    if (u.title.value) l += " \"" + *u.title.value + "\"";
    line(l);
    std::vector<std::string> args;
    for (const auto& a : u.args) {
      if (a.source == plan::ArgSource::With)
        args.push_back(a.name + " = " + or_empty(a.expr));
      else if (a.source == plan::ArgSource::Default)
        args.push_back(a.name + " = " + or_empty(a.expr) + " (default)");
      else
        args.push_back(a.name + " = <required, not given>");
    }
    if (!args.empty()) {
      std::string prefix = in + "  with ";
      line(prefix + wrap(args, prefix.size(), in + "       "));
    }
  }

  /// A command with its options: on one line, or a multi-line one indented below.
  void command(std::string_view kind, const std::string& cmd, const std::vector<std::string>& opts,
               const std::string& in) {
    std::string o;
    for (const auto& x : opts) o += (o.empty() ? "" : ", ") + x;
    std::string k(kind);
    if (cmd.find('\n') == std::string::npos) {
      line(in + k + " `" + cmd + "`");
      line(in + "    " + o);
    } else {
      line(in + k + " (" + o + "):");
      line(in + "    " + indent_lines(cmd, in + "    "));
    }
  }

  void statement(const plan::Run& s, const std::string& in, const std::vector<plan::Use>&) {
    std::vector<std::string> opts;
    if (s.capture.value) opts.push_back("as " + *s.capture.value);
    opts.push_back((s.timeout_default ? "default timeout " : "timeout ") + s.timeout);
    if (s.retry.value) {
      std::string r = "retry " + std::to_string(*s.retry.value);
      if (s.retry_every.value) r += " every " + *s.retry_every.value;
      opts.push_back(r);
    }
    command(plan::Run::kKind, s.command, opts, in);
  }

  void statement(const plan::Until& s, const std::string& in, const std::vector<plan::Use>&) {
    std::vector<std::string> opts;
    opts.push_back("repeated until it exits 0, for up to " + s.within);
    if (s.every.value) opts.push_back("every " + *s.every.value);
    command(plan::Until::kKind, s.command, opts, in);
  }

  void statement(const plan::Verify& s, const std::string& in, const std::vector<plan::Use>&) {
    command(plan::Verify::kKind, s.command,
            {"run only by rbk resume, before it asks about this step's interrupted command"}, in);
  }

  void statement(const plan::Confirm&, const std::string&, const std::vector<plan::Use>&) {
    // shown as the step's GATE
  }

  void statement(const plan::Note& s, const std::string& in, const std::vector<plan::Use>&) {
    line(in + "note " + quoted(s.text, in + "  "));
  }

  void statement(const plan::Manual& s, const std::string& in, const std::vector<plan::Use>&) {
    line(in + "manual " + quoted(s.text, in + "  ") + "\n" + in +
         "    (waits for the operator: done, skip or fail)");
  }

  void statement(const plan::Ask& s, const std::string& in, const std::vector<plan::Use>&) {
    line(in + "ask " + s.name + " " + quoted(s.question, in + "  ") + " : " + s.type + "\n" + in +
         "    (waits for the operator's answer, or --answer " + s.name + "=VALUE)");
  }

  void statement(const plan::Call& s, const std::string& in, const std::vector<plan::Use>&) {
    std::vector<std::string> args;
    for (const auto& a : s.args) args.push_back(a.name + " = " + or_empty(a.expr));
    std::string l = in + "call " + s.runbook;
    if (!args.empty()) l += " with " + wrap(args, l.size() + 6, in + "    ");
    line(l);
    const std::string more = in + "    ";
    if (!s.file.value) {
      line(more + "(runs that runbook in this run; see `rbk plan " + s.runbook + "`)");
      return;
    }
    line(more + "(runs " + *s.file.value + " in this run; see `rbk plan " + s.runbook + "`)");
    // Its gates are this run's gates: named as --approve names them.
    for (const auto& g : s.gates) {
      std::string gl =
          more + "GATE in it: " + g.step + " " +
          (g.kind == plan::GateKind::Typed ? "typed confirmation" : "y/N confirmation");
      if (g.destructive) gl += " (destructive)";
      line(gl + "; without a terminal: " + or_empty(g.without_terminal));
    }
    if (!s.undo.empty())
      line(more + "undo if a later step fails, newest first: " +
           wrap(std::vector<std::string>(s.undo.rbegin(), s.undo.rend()), 80, more + "  "));
  }

  void statement(const plan::Notice& s, const std::string& in, const std::vector<plan::Use>&) {
    line(in + notify_text(s, in));
  }

  void statement(const plan::Undo& s, const std::string& in, const std::vector<plan::Use>& uses) {
    line(in + "undo (runs if a later remediation step or a verify check fails):");
    if (s.only_where_ran)
      line(in + "  only on the hosts where the step ran, one at a time, newest first");
    statements(s.statements, uses, in + "  ");
  }

  static std::string notify_text(const plan::Notice& s, const std::string& in) {
    std::string l(name_of(s.kind));
    l += " " + s.role;
    if (s.role_name.value) l += " (" + *s.role_name.value + ")";
    if (s.message.value) l += " " + quoted(*s.message.value, in + "  ");
    if (s.when.value) l += " when " + *s.when.value;
    return l;
  }

  void escalation(const std::vector<plan::Rule>& rules) {
    if (rules.empty()) return line("  (no rules)");
    for (const auto& r : rules) {
      std::string when =
          r.trigger == ev::Trigger::Start ? "at start"
          : r.trigger == ev::Trigger::After
              ? "after " + or_empty(r.after) +
                    (r.from_step.value ? " from step " + *r.from_step.value : "")
          : r.trigger == ev::Trigger::Every
              ? "every " + or_empty(r.every) + (r.lasting.value ? " for " + *r.lasting.value : "")
          : r.trigger == ev::Trigger::Failure ? "on failure"
          : r.trigger == ev::Trigger::Success ? "on success"
                                              : "on interrupted";
      line("  " + pad(when, 11) + " " + notify_text(r, "    "));
    }
  }
};

}  // namespace

std::string render_plan(const Plan& plan) {
  return Renderer(plan).render();
}

}  // namespace rbk
