#include "interpreter/plan/show.hpp"

#include "interpreter/base/markdown.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/plan/plan_targets.hpp"

#include <algorithm>
#include <type_traits>

namespace rbk {

namespace {

using plan::or_empty;

/// A quoted paragraph (summary, manual instructions).
std::string quote(const std::string& s, const std::string& indent) {
  return md_prefix_lines(s, indent + "> ");
}

std::string gate_line(const plan::Gate& g) {
  if (g.kind == plan::GateKind::None) return "";
  std::string out = "**Asks first";
  if (g.destructive)
    out += g.reason.empty() || g.reason == "marked destructive"
               ? " (destructive)"
               : " (destructive: " + g.reason + ")";
  out += ":** ";
  if (g.kind == plan::GateKind::Typed)
    out += "the operator types " + md_code(g.typed.value ? *g.typed.value : "the step id") +
           (g.typed_by_policy ? " (policy for this severity)" : "");
  else
    out += "y/N";
  if (!or_empty(g.prompt).empty()) out += " — “" + or_empty(g.prompt) + "”";
  if (!or_empty(g.without_terminal).empty())
    out += ". Without a terminal: " + md_code("rbk run … " + or_empty(g.without_terminal));
  return out + "\n";
}

std::string statements(const std::vector<plan::Statement>& list, const std::string& indent);

std::string statement(const plan::Run& s, const std::string& indent) {
  std::string opts = "timeout " + s.timeout + (s.timeout_default ? " (default)" : "");
  if (s.retry.value)
    opts += ", retry " + std::to_string(*s.retry.value) + " every " + or_empty(s.retry_every);
  if (!or_empty(s.capture).empty()) opts += ", output as " + md_code(or_empty(s.capture));
  return indent + "- Runs (" + opts + "):\n\n" + md_block(s.command, "sh", indent + "  ") + "\n";
}

std::string statement(const plan::Until& s, const std::string& indent) {
  return indent + "- Waits until this succeeds (within " + s.within +
         (or_empty(s.every).empty() ? "" : ", every " + or_empty(s.every)) + "):\n\n" +
         md_block(s.command, "sh", indent + "  ") + "\n";
}

std::string statement(const plan::Verify& s, const std::string& indent) {
  return indent +
         "- If the run dies while this step's command runs, `rbk resume` first checks with:\n\n" +
         md_block(s.command, "sh", indent + "  ") + "\n";
}

std::string statement(const plan::Confirm&, const std::string&) {
  return "";  // shown with the gate
}

std::string statement(const plan::Note& s, const std::string& indent) {
  return indent + "- Note: " + s.text + "\n";
}

std::string statement(const plan::Manual& s, const std::string& indent) {
  return indent + "- **Manual step** (answer done, skip or fail):\n\n" +
         quote(s.text, indent + "  ") + "\n";
}

std::string statement(const plan::Ask& s, const std::string& indent) {
  return indent + "- **Question** for the operator (`" + s.name + "`, " + s.type + "):\n\n" +
         quote(s.question, indent + "  ") + "\n";
}

std::string statement(const plan::Call& s, const std::string& indent) {
  std::string args;
  for (const auto& a : s.args)
    args += (args.empty() ? " with " : ", ") + md_code(a.name + " = " + or_empty(a.expr));
  std::string out = indent + "- Runs runbook " + md_code(s.runbook) + args +
                    (s.file.value ? " (" + md_code(*s.file.value) + ")" : "") + "\n";
  // Its gates are asked in this run, named as --approve names them.
  for (const auto& g : s.gates)
    out += indent + "  - " + md_code(g.step) + (g.title.empty() ? "" : " " + g.title) + ": " +
           (g.kind == plan::GateKind::Typed ? "typed confirmation" : "asks y/N") +
           (g.destructive ? " (destructive)" : "") +
           (or_empty(g.without_terminal).empty()
                ? ""
                : ". Without a terminal: " + md_code("rbk run … " + or_empty(g.without_terminal))) +
           "\n";
  if (!s.undo.empty()) {
    std::string ids;
    for (auto it = s.undo.rbegin(); it != s.undo.rend(); ++it)
      ids += (ids.empty() ? "" : ", ") + md_code(*it);
    out += indent + "  - **Undo** if a later step fails, newest first: " + ids + "\n";
  }
  return out;
}

std::string statement(const plan::Notice& s, const std::string& indent) {
  return indent + "- " + (s.kind == ev::NoticeKind::Page ? "Pages " : "Notifies ") +
         md_code(s.role) + (or_empty(s.message).empty() ? "" : ": “" + or_empty(s.message) + "”") +
         (or_empty(s.when).empty() ? "" : " when " + md_code(or_empty(s.when))) + "\n";
}

std::string statement(const plan::Undo& s, const std::string& indent) {
  return indent + "- **Undo** (runs if a later step fails" +
         (s.only_where_ran ? ", only on the hosts where this step ran, one at a time, newest first"
                           : "") +
         "):\n" + statements(s.statements, indent + "  ");
}

std::string statements(const std::vector<plan::Statement>& list, const std::string& indent) {
  std::string out;
  for (const auto& s : list)
    out += std::visit([&](const auto& x) { return statement(x, indent); }, s.body);
  return out;
}

/// Items as inline code, joined with ", ".
std::string code_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + md_code(i);
  return out;
}

/// `on TARGETS`: where the step runs, its batches and thresholds, and how
/// its gate (if any) is asked per batch.
std::string on_paragraph(const plan::On& o, const plan::Gate& g) {
  static const std::vector<std::string> none;
  const auto& names = o.names.value ? *o.names.value : none;
  const auto& hosts = o.hosts.value ? *o.hosts.value : none;
  std::string out = "**Runs on** " + md_code(o.targets);
  std::string about;
  if (names != hosts) about = code_list(names);
  if (o.narrowed) about += (about.empty() ? "" : "; ") + std::string("narrowed by `--target`");
  if (!about.empty()) out += " (" + about + ")";
  out += ": ";
  if (o.skipped.value) return out + *o.skipped.value + ", so the step is skipped.\n\n";
  if (o.hosts.value)
    out += code_list(hosts) + " (" + plan::targets_count(hosts.size()) + ")";
  else
    out += or_empty(o.unknown);
  out += " — " + join(plan::batches_text(o)) + ".";
  if (g.kind != plan::GateKind::None) {
    out += " Asks before each batch, naming its hosts";
    const std::string& approve = or_empty(g.without_terminal);
    if (approve.starts_with("--approve "))
      out += "; " + md_code("rbk run … " + approve + "@HOST") + " approves one host";
    out += ".";
  }
  return out + "\n\n";
}

/// Starts a new paragraph: exactly one blank line before what follows.
void para(std::string& out) {
  while (out.size() < 2 || out.compare(out.size() - 2, 2, "\n\n") != 0) out += "\n";
}

/// A signal, step or check.
template <class T>
std::string item(const T& it) {
  std::string out = "### " + md_code(it.id) + (it.title.empty() ? "" : " — " + it.title) + "\n\n";
  if constexpr (std::is_same_v<T, plan::Step>)
    if (!or_empty(it.when).empty()) out += "Runs only when " + md_code(or_empty(it.when)) + ".\n\n";
  const std::string gate = gate_line(it.gate);
  if (!gate.empty()) out += gate + "\n";
  if constexpr (std::is_same_v<T, plan::Step>)
    if (it.on.value) out += on_paragraph(*it.on.value, it.gate);
  if (it.evidence) out += "Its output is kept as evidence in the record.\n\n";
  if (!or_empty(it.safe).empty())
    out += "Marked safe: “" + or_empty(it.safe) +
           "” (its commands rbk cannot analyse run without a gate).\n\n";
  if (it.on_failure.value && !it.on_failure_default)
    out.append("On failure: ").append(name_of(*it.on_failure.value)) += ".\n\n";
  out += statements(it.statements, "");
  if (std::is_same_v<T, plan::Signal> && !or_empty(it.condition).empty()) {
    para(out);
    out += "Fires when " + md_code(or_empty(it.condition)) + ".\n";
  }
  if constexpr (std::is_same_v<T, plan::Check>) {
    if (!or_empty(it.within).empty()) {
      para(out);
      out += "Retried every " + or_empty(it.every) + " for up to " + or_empty(it.within) + ".\n";
      if (!or_empty(it.holds_for).empty())
        out += "Passes only once it has passed on every try for " + or_empty(it.holds_for) + ".\n";
    }
    if (!or_empty(it.condition).empty()) {
      para(out);
      out += "Passes when " + md_code(or_empty(it.condition)) + ".\n";
    }
  }
  para(out);
  return out;
}

const char* heading(plan::SectionName section) {
  switch (section) {
    case plan::SectionName::Alert:
      return "Alert: is it real?";
    case plan::SectionName::Diagnose:
      return "Diagnose (read-only)";
    case plan::SectionName::Causes:
      return "Likely causes";
    case plan::SectionName::Remediate:
      return "Remediate";
    case plan::SectionName::Verify:
      return "Verify";
    case plan::SectionName::Rollback:
      return "Rollback (when remediation or verification fails)";
    case plan::SectionName::Finally:
      return "Finally (whatever the outcome)";
    case plan::SectionName::Escalate:
      break;
  }
  return "Escalation timeline";
}

/// The causes section: a table of the causes and the steps they select.
std::string causes_table(const std::vector<plan::Item>& items) {
  std::string out = "| cause | meaning | when | selects |\n| --- | --- | --- | --- |\n";
  for (const auto& it : items) {
    const auto* c = std::get_if<plan::Cause>(&it.body);
    if (!c) continue;
    std::string sel;
    for (const auto& s : c->selects) sel += (sel.empty() ? "" : ", ") + md_code(s.step);
    out += "| " + md_code(c->id) + " | " + md_cell(c->title) + " | " + md_code(or_empty(c->when)) +
           " | " + (sel.empty() ? "—" : sel) + " |\n";
  }
  return out + "\n";
}

/// The escalate section: a table of the rules in the order they fire.
std::string escalation_table(const std::vector<plan::Rule>& rules) {
  std::string out = "| when | who | message |\n| --- | --- | --- |\n";
  for (const auto& r : rules) {
    std::string when = r.trigger == ev::Trigger::Start ? "when the alert fires"
                       : r.trigger == ev::Trigger::After
                           ? "after " + or_empty(r.after) +
                                 (r.from_step.value ? " from step " + *r.from_step.value : "")
                       : r.trigger == ev::Trigger::Every
                           ? "every " + or_empty(r.every) +
                                 (r.lasting.value ? " for " + *r.lasting.value : " until the end")
                       : r.trigger == ev::Trigger::Failure ? "if the run fails"
                       : r.trigger == ev::Trigger::Success ? "when it is resolved"
                                                           : "if the run is interrupted or dies";
    if (!or_empty(r.when).empty()) when += ", if " + md_code(or_empty(r.when));
    std::string who(name_of(r.kind));
    who += " " + md_code(r.role);
    if (!or_empty(r.role_name).empty()) who += " (" + or_empty(r.role_name) + ")";
    out += "| " + md_cell(when) + " | " + who + " | " +
           md_cell(or_empty(r.message).empty() ? "—" : or_empty(r.message)) + " |\n";
  }
  return out + "\n";
}

/// The document's head: title, severity, owner, tags, summary, how to run it.
std::string header(const Plan& plan) {
  const std::string& title = or_empty(plan.title);
  std::string out =
      "# " + (title.empty() ? plan.runbook : title) + " (" + md_code(plan.runbook) + ")\n\n";
  std::string meta;
  if (!or_empty(plan.severity).empty()) meta += "**Severity:** " + or_empty(plan.severity);
  if (!or_empty(plan.owner).empty())
    meta += std::string(meta.empty() ? "" : " · ") + "**Owner:** " + md_code(or_empty(plan.owner));
  if (!plan.tags.empty()) {
    std::string tags;
    for (const auto& t : plan.tags) tags += (tags.empty() ? "" : ", ") + t;
    meta += std::string(meta.empty() ? "" : " · ") + "**Tags:** " + tags;
  }
  if (!meta.empty()) out += meta + "\n\n";
  if (!or_empty(plan.summary).empty()) out += quote(or_empty(plan.summary), "") + "\n";
  out +=
      "Run it: " + md_code("rbk run " + plan.runbook) + " · Source: " + md_code(plan.file) + "\n\n";
  return out;
}

}  // namespace

std::string render_markdown(const Plan& plan) {
  std::string out = header(plan);
  if (!plan.params.empty()) {
    out += "## Parameters\n\n| name | type | default | meaning |\n| --- | --- | --- | --- |\n";
    for (const auto& p : plan.params) {
      std::string value = or_empty(p.value);
      if (p.type == "list" || p.type == "targets") {  // one per line in the variable
        std::string items;
        for (char c : value) items += c == '\n' ? std::string(", ") : std::string(1, c);
        value = "[" + items + "]";
      }
      std::string def = p.source == plan::ParamSource::Default ? md_code(value) : "*required*";
      out += "| " + md_code(p.name) + " | " + md_cell(p.type) + " | " + def + " | " +
             md_cell(or_empty(p.help)) + " |\n";
    }
    out += "\n";
  }
  if (!plan.secrets.empty()) {
    out += "## Secrets\n\nGiven to commands as environment variables, masked everywhere:\n\n";
    for (const auto& s : plan.secrets)
      out += "- " + md_code(s.name) +
             (s.source == plan::SecretSource::Env ? " from " + md_code("$" + s.var.value_or(""))
                                                  : " from a command") +
             "\n";
    out += "\n";
  }
  int n = 0;
  for (const auto& sec : plan.sections) {
    if (!sec.present) continue;
    out += "## " + std::to_string(++n) + ". " + heading(sec.section) + "\n\n";
    if (sec.section == plan::SectionName::Causes) {
      out += causes_table(or_empty(sec.items));
    } else if (sec.section == plan::SectionName::Escalate) {
      out += escalation_table(or_empty(sec.rules));
    } else {
      for (const auto& it : or_empty(sec.items))
        std::visit(
            [&](const auto& x) {
              if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, plan::Cause>) out += item(x);
            },
            it.body);
    }
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
    out.pop_back();
  return out;
}

}  // namespace rbk
