#include "interpreter/plan/show.hpp"

#include <algorithm>

#include "interpreter/base/json_fields.hpp"

namespace rbk {

namespace {

using json = nlohmann::json;

using json_fields::str;

/// Text inside a Markdown table cell: pipes escaped, lines joined.
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}

/// The longest run of backticks in `s`: a fence must be longer.
size_t longest_backticks(const std::string& s) {
  size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

/// Every line of `s` (the last one too, even when empty) after `prefix`.
std::string prefix_lines(const std::string& s, const std::string& prefix) {
  std::string out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t eol = s.find('\n', at);
    if (eol == std::string::npos) eol = s.size();
    out += prefix + s.substr(at, eol - at) + "\n";
    at = eol + 1;
  }
  return out;
}

/// Inline code that survives backticks inside it.
std::string code(const std::string& s) {
  std::string fence(longest_backticks(s) + 1, '`');
  bool pad = !s.empty() && (s.front() == '`' || s.back() == '`');
  return fence + (pad ? " " : "") + s + (pad ? " " : "") + fence;
}

/// A fenced block that no line of `s` can close.
std::string block(const std::string& s, const char* lang, const std::string& indent) {
  std::string fence(std::max<size_t>(3, longest_backticks(s) + 1), '`');
  return indent + fence + lang + "\n" + prefix_lines(s, indent) + indent + fence + "\n";
}

/// A quoted paragraph (summary, manual instructions).
std::string quote(const std::string& s, const std::string& indent) {
  return prefix_lines(s, indent + "> ");
}

std::string gate_line(const json& g) {
  const std::string kind = str(g, "kind");
  if (kind == "none" || kind.empty()) return "";
  std::string out = "**Asks first";
  const std::string reason = str(g, "reason");
  if (g.value("destructive", false))
    out += reason.empty() || reason == "marked destructive" ? " (destructive)"
                                                            : " (destructive: " + reason + ")";
  out += ":** ";
  if (kind == "typed")
    out += "the operator types " +
           code(g.contains("typed") && g["typed"].is_string() ? g["typed"].get<std::string>()
                                                              : "the step id") +
           (g.value("typed_by_policy", false) ? " (policy for this severity)" : "");
  else
    out += "y/N";
  if (!str(g, "prompt").empty()) out += " — “" + str(g, "prompt") + "”";
  if (!str(g, "without_terminal").empty())
    out += ". Without a terminal: " + code("rbk run … " + str(g, "without_terminal"));
  return out + "\n";
}

std::string statements(const json& list, const std::string& indent);

std::string statement(const json& s, const std::string& indent) {
  const std::string kind = str(s, "kind");
  if (kind == "run") {
    std::string opts =
        "timeout " + str(s, "timeout") + (s.value("timeout_default", false) ? " (default)" : "");
    if (s.contains("retry") && s["retry"].is_number())
      opts +=
          ", retry " + std::to_string(s["retry"].get<int>()) + " every " + str(s, "retry_every");
    if (!str(s, "capture").empty()) opts += ", output as " + code(str(s, "capture"));
    return indent + "- Runs (" + opts + "):\n\n" + block(str(s, "command"), "sh", indent + "  ") +
           "\n";
  }
  if (kind == "until")
    return indent + "- Waits until this succeeds (within " + str(s, "within") +
           (str(s, "every").empty() ? "" : ", every " + str(s, "every")) + "):\n\n" +
           block(str(s, "command"), "sh", indent + "  ") + "\n";
  if (kind == "note") return indent + "- Note: " + str(s, "text") + "\n";
  if (kind == "manual")
    return indent + "- **Manual step** (answer done, skip or fail):\n\n" +
           quote(str(s, "text"), indent + "  ") + "\n";
  if (kind == "call") {
    std::string args;
    if (s.contains("args"))
      for (const auto& a : s["args"])
        args += (args.empty() ? " with " : ", ") + code(str(a, "name") + " = " + str(a, "expr"));
    return indent + "- Runs runbook " + code(str(s, "runbook")) + args + "\n";
  }
  if (kind == "page" || kind == "notify")
    return indent + "- " + (kind == "page" ? "Pages " : "Notifies ") + code(str(s, "role")) +
           (str(s, "message").empty() ? "" : ": “" + str(s, "message") + "”") +
           (str(s, "when").empty() ? "" : " when " + code(str(s, "when"))) + "\n";
  if (kind == "undo")
    return indent + "- **Undo** (runs if a later step fails):\n" +
           statements(s["statements"], indent + "  ");
  return "";  // confirm: shown with the gate
}

std::string statements(const json& list, const std::string& indent) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& s : list) out += statement(s, indent);
  return out;
}

/// Starts a new paragraph: exactly one blank line before what follows.
void para(std::string& out) {
  while (out.size() < 2 || out.compare(out.size() - 2, 2, "\n\n") != 0) out += "\n";
}

std::string item(const json& it) {
  const std::string kind = str(it, "kind");
  std::string out = "### " + code(str(it, "id")) +
                    (str(it, "title").empty() ? "" : " — " + str(it, "title")) + "\n\n";
  if (!str(it, "when").empty()) out += "Runs only when " + code(str(it, "when")) + ".\n\n";
  const std::string gate = gate_line(it.value("gate", json::object()));
  if (!gate.empty()) out += gate + "\n";
  if (it.value("evidence", false)) out += "Its output is kept as evidence in the record.\n\n";
  if (!str(it, "safe").empty())
    out += "Marked safe: “" + str(it, "safe") +
           "” (its commands rbk cannot analyse run without a gate).\n\n";
  if (!str(it, "on_failure").empty() && !it.value("on_failure_default", false))
    out += "On failure: " + str(it, "on_failure") + ".\n\n";
  out += statements(it.value("statements", json::array()), "");
  if (kind == "signal" && !str(it, "condition").empty()) {
    para(out);
    out += "Fires when " + code(str(it, "condition")) + ".\n";
  }
  if (kind == "check") {
    if (!str(it, "within").empty()) {
      para(out);
      out += "Retried every " + str(it, "every") + " for up to " + str(it, "within") + ".\n";
    }
    if (!str(it, "condition").empty()) {
      para(out);
      out += "Passes when " + code(str(it, "condition")) + ".\n";
    }
  }
  para(out);
  return out;
}

const char* heading(const std::string& section) {
  if (section == "alert") return "Alert: is it real?";
  if (section == "diagnose") return "Diagnose (read-only)";
  if (section == "causes") return "Likely causes";
  if (section == "remediate") return "Remediate";
  if (section == "verify") return "Verify";
  if (section == "rollback") return "Rollback (when remediation or verification fails)";
  return "Escalation timeline";
}

}  // namespace

std::string render_markdown(const json& plan) {
  std::string out = "# " +
                    (str(plan, "title").empty() ? str(plan, "runbook") : str(plan, "title")) +
                    " (" + code(str(plan, "runbook")) + ")\n\n";
  std::string meta;
  if (!str(plan, "severity").empty()) meta += "**Severity:** " + str(plan, "severity");
  if (!str(plan, "owner").empty())
    meta += std::string(meta.empty() ? "" : " · ") + "**Owner:** " + code(str(plan, "owner"));
  if (plan.contains("tags") && !plan["tags"].empty()) {
    std::string tags;
    for (const auto& t : plan["tags"]) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
    meta += std::string(meta.empty() ? "" : " · ") + "**Tags:** " + tags;
  }
  if (!meta.empty()) out += meta + "\n\n";
  if (!str(plan, "summary").empty()) out += quote(str(plan, "summary"), "") + "\n";
  out += "Run it: " + code("rbk run " + str(plan, "runbook")) +
         " · Source: " + code(str(plan, "file")) + "\n\n";

  if (plan.contains("params") && !plan["params"].empty()) {
    out += "## Parameters\n\n| name | type | default | meaning |\n| --- | --- | --- | --- |\n";
    for (const auto& p : plan["params"]) {
      std::string def = str(p, "source") == "default" ? code(str(p, "value")) : "*required*";
      out += "| " + code(str(p, "name")) + " | " + cell(str(p, "type")) + " | " + def + " | " +
             cell(str(p, "help")) + " |\n";
    }
    out += "\n";
  }
  if (plan.contains("secrets") && !plan["secrets"].empty()) {
    out += "## Secrets\n\nGiven to commands as environment variables, masked everywhere:\n\n";
    for (const auto& s : plan["secrets"])
      out +=
          "- " + code(str(s, "name")) +
          (str(s, "source") == "env" ? " from " + code("$" + str(s, "var")) : " from a command") +
          "\n";
    out += "\n";
  }
  int n = 0;
  for (const auto& sec : plan.value("sections", json::array())) {
    if (!sec.value("present", false)) continue;
    const std::string name = str(sec, "section");
    out += "## " + std::to_string(++n) + ". " + heading(name) + "\n\n";
    if (name == "causes") {
      out += "| cause | meaning | when | selects |\n| --- | --- | --- | --- |\n";
      for (const auto& c : sec.value("items", json::array())) {
        std::string sel;
        for (const auto& s : c.value("selects", json::array()))
          sel += (sel.empty() ? "" : ", ") + code(str(s, "step"));
        out += "| " + code(str(c, "id")) + " | " + cell(str(c, "title")) + " | " +
               code(str(c, "when")) + " | " + (sel.empty() ? "—" : sel) + " |\n";
      }
      out += "\n";
    } else if (name == "escalate") {
      out += "| when | who | message |\n| --- | --- | --- |\n";
      for (const auto& r : sec.value("rules", json::array())) {
        const std::string t = str(r, "trigger");
        std::string when = t == "start"     ? "when the alert fires"
                           : t == "after"   ? "after " + str(r, "after")
                           : t == "failure" ? "if the run fails"
                                            : "when it is resolved";
        if (!str(r, "when").empty()) when += ", if " + code(str(r, "when"));
        std::string who = str(r, "kind") + " " + code(str(r, "role"));
        if (!str(r, "role_name").empty()) who += " (" + str(r, "role_name") + ")";
        out += "| " + cell(when) + " | " + who + " | " +
               cell(str(r, "message").empty() ? "—" : str(r, "message")) + " |\n";
      }
      out += "\n";
    } else {
      for (const auto& it : sec.value("items", json::array())) out += item(it);
    }
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n')
    out.pop_back();
  return out;
}

}  // namespace rbk
