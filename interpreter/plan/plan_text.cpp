// The plan as text for a reader (`rbk plan`), rendered from make_plan's JSON
// alone: nothing here reads the runbook, so the text and `--format json`
// cannot disagree.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "interpreter/base/json_fields.hpp"
#include "interpreter/plan/plan.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

namespace {

using nlohmann::json;

/// `j[key]`, or null when `j` is not an object or has no such key (the
/// renderer never fails on a plan with missing parts).
const json& get(const json& j, const char* key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

using json_fields::flag;
using json_fields::str;

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

/// Items joined with ", " and wrapped before `width` columns.
std::string wrap(const std::vector<std::string>& items, size_t first_col, const std::string& indent,
                 size_t width = 100) {
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

class Renderer {
 public:
  explicit Renderer(const json& plan) : p_(plan) {}

  std::string render() {
    header();
    int n = 0;
    for (const auto& s : get(p_, "sections")) section(s, ++n);
    return out_;
  }

 private:
  const json& p_;
  std::string out_;

  void line(const std::string& s = {}) { out_ += s + "\n"; }

  void header() {
    const std::string name = str(p_, "runbook");
    line("PLAN for runbook " + name + " (" + str(p_, "file") + "): nothing was run.");
    line("This is what `rbk run` would do. No command, secret command or notification was");
    line("executed; conditions and messages are shown as written.");
    line();
    std::string title = str(p_, "title");
    line(title.empty() ? name : title);
    std::string meta =
        "  severity: " + (get(p_, "severity").is_string() ? str(p_, "severity") : "-");
    if (get(p_, "owner").is_string()) meta += "   owner: " + str(p_, "owner");
    line(meta);
    line("  config: " +
         (get(p_, "config").is_string() ? str(p_, "config") : "(no rbk.yaml: defaults)") +
         "   default timeout: " + str(p_, "default_timeout"));
    line();

    const json& params = get(p_, "params");
    if (params.empty()) {
      line("Parameters: none");
    } else {
      line("Parameters (every command receives them as environment variables):");
      size_t w = 0, tw = 0;
      for (const auto& prm : params) {
        w = std::max(w, str(prm, "name").size());
        tw = std::max(tw, str(prm, "type").size());
      }
      for (const auto& prm : params) {
        std::string src = str(prm, "source");
        std::string value = str(prm, "value");
        if (src == "missing") {
          value = "<required, not given>";
        } else if (str(prm, "type") == "list") {  // one element per line in the variable
          std::string items;
          for (char c : value) items += c == '\n' ? std::string(", ") : std::string(1, c);
          value = "[" + items + "]";
        } else if (value.empty()) {
          value = "\"\"";
        }
        std::string l =
            "  " + pad(str(prm, "name"), w) + " : " + pad(str(prm, "type"), tw) + " = " + value;
        if (src == "default") l += "  (default)";
        line(l);
      }
      if (!get(p_, "missing_params").empty())
        line("  (a run asks for the missing ones on a terminal, or takes them with -p NAME=VALUE)");
    }
    const json& secrets = get(p_, "secrets");
    if (!secrets.empty()) {
      line("Secrets (exported to commands, masked everywhere; plan does not read them):");
      size_t w = 0;
      for (const auto& s : secrets) w = std::max(w, str(s, "name").size());
      for (const auto& s : secrets) {
        std::string from = str(s, "source") == "env"
                               ? "from env " + str(s, "var")
                               : "from command `" + str(s, "command") + "` (not run by plan)";
        line("  " + pad(str(s, "name"), w) + " = ***  " + indent_lines(from, "      "));
      }
    }
    line("Set by rbk for every command:");
    size_t w = 0;
    for (const auto& v : get(p_, "rbk_variables")) w = std::max(w, str(v, "name").size());
    for (const auto& v : get(p_, "rbk_variables")) {
      std::string value = str(v, "value");
      line("  " + pad(str(v, "name"), w) + " = " + (value.empty() ? "(empty)" : value));
    }
  }

  void section(const json& s, int n) {
    const std::string name = str(s, "section");
    line();
    std::string head = std::to_string(n) + ". " + upper(name);
    if (!flag(s, "present")) {
      if (name == "alert")
        line(head + ": none (the run starts at diagnosis)");
      else
        line(head + ": none");
      return;
    }
    static const std::map<std::string, std::string> what = {
        {"alert",
         "is the alert real? every signal runs; if none fires, the run stops (unless "
         "--force)"},
        {"diagnose", "read-only; a non-zero exit is recorded, not a failure"},
        {"causes", "no commands; every cause is evaluated in order, any number may match"},
        {"remediate",
         "steps whose condition holds, in order; a failing step applies its failure "
         "policy"},
        {"verify", "a check that does not pass in time fails the run (rollback)"},
        {"rollback", "only after a failure"},
        {"escalate", "start rules fire once an alert signal fires; 'after' counts from the start"},
    };
    auto described = what.find(name);
    line(described == what.end() ? head : head + ": " + described->second);
    if (name == "escalate") return escalation(get(s, "rules"));
    if (name == "rollback") {
      std::vector<std::string> undo;
      for (const auto& id : get(s, "undo_first"))
        if (id.is_string()) undo.push_back(id.get<std::string>());
      if (undo.empty())
        line("  first: no remediation step has an undo block");
      else
        line("  first: the undo blocks of the completed remediation steps, newest first: " +
             wrap(undo, 80, "    "));
      line("  then:");
    }
    if (get(s, "items").empty()) line("  (empty)");
    for (const auto& it : get(s, "items")) {
      if (str(it, "kind") == "cause")
        cause(it);
      else
        item(it, name);
    }
  }

  void cause(const json& c) {
    line("  cause " + str(c, "id") + " \"" + str(c, "title") + "\"");
    line("    matches when " + str(c, "when"));
    if (get(c, "selects").empty())
      line("    (no step selects itself with cause." + str(c, "id") + ")");
    for (const auto& s : get(c, "selects")) {
      std::string l = "    branch: when " + str(s, "when") + " -> " + str(s, "step");
      if (get(s, "title").is_string()) l += " \"" + str(s, "title") + "\"";
      if (str(s, "section") != "remediate") l += " (" + str(s, "section") + ")";
      line(l);
    }
  }

  void gate(const json& g, const std::string& in) {
    const std::string kind = str(g, "kind");
    if (kind == "none") return;
    std::string l = in + "GATE: " + (kind == "typed" ? "typed confirmation" : "y/N confirmation");
    if (!str(g, "reason").empty()) l += " (" + str(g, "reason") + ")";
    line(l);
    const std::string more = in + "      ";
    if (get(g, "prompt").is_string())
      line(more + "prompt: " + quoted(str(g, "prompt"), more + "  "));
    if (kind == "typed") {
      if (flag(g, "typed_by_policy"))
        line(more + "type: the step id " + str(g, "typed") + " (severity policy in rbk.yaml)");
      else
        line(more + "type: the value of " + str(g, "typed"));
    }
    line(more + "without a terminal: " + str(g, "without_terminal"));
  }

  void item(const json& it, const std::string& section) {
    const std::string kind = str(it, "kind");
    std::string head = "  " + kind;
    if (get(it, "id").is_string()) head += " " + str(it, "id");
    if (!str(it, "title").empty()) head += " \"" + str(it, "title") + "\"";
    line(head);
    const std::string in = "    ";
    if (it.contains("when") && get(it, "when").is_string()) line(in + "when " + str(it, "when"));
    if (kind == "signal") {
      line(in + "fires when " +
           (get(it, "condition").is_string() ? str(it, "condition") : "a command exits non-zero"));
    } else if (kind == "check") {
      if (get(it, "within").is_string()) {
        std::string l = in + "polled until it passes, for up to " + str(it, "within");
        if (get(it, "every").is_string()) l += ", every " + str(it, "every");
        line(l);
      } else {
        line(in + "runs once");
      }
      line(in + "passes when " +
           (get(it, "condition").is_string() ? str(it, "condition") : "its commands exit 0"));
    }
    gate(get(it, "gate"), in);
    if (flag(it, "evidence")) line(in + "evidence: output kept in the record and the report");
    if (get(it, "safe").is_string())
      line(in + "safe: " + str(it, "safe") + " (commands rbk cannot analyse run without a gate)");

    std::vector<std::string> caps;
    for (const auto& c : get(it, "captures_before"))
      caps.push_back(str(c, "name") + "=" + str(c, "value"));
    if (section != "escalate") {
      std::string prefix = in + "captures so far: ";
      if (caps.empty())
        line(prefix + "none");
      else
        line(prefix + wrap(caps, prefix.size(), in + "  "));
      std::string step = get(it, "id").is_string() ? str(it, "id") : "";
      line(in + "RBK_SECTION=" + section + " RBK_STEP=" + (step.empty() ? "(empty)" : step));
    }
    statements(get(it, "statements"), get(it, "uses"), in);
    if (get(it, "on_failure").is_string()) {
      std::string l = in + "on failure: " + str(it, "on_failure");
      if (flag(it, "on_failure_default")) l += " (default)";
      line(l);
    }
  }

  void statements(const json& stmts, const json& uses, const std::string& in) {
    long current_use = -1;
    for (const auto& s : stmts) {
      std::string at = in;
      if (s.contains("from_use")) {
        long u = get(s, "from_use").is_number_integer() ? get(s, "from_use").get<long>() : -1;
        if (u != current_use) {
          current_use = u;
          if (uses.is_array() && u >= 0 && static_cast<size_t>(u) < uses.size())
            use_header(uses[static_cast<size_t>(u)], in);
        }
        at = in + "  ";
      } else {
        current_use = -1;
      }
      statement(s, at, uses);
    }
  }

  void use_header(const json& u, const std::string& in) {
    std::string l = in + "use " + str(u, "use");
    if (get(u, "title").is_string()) l += " \"" + str(u, "title") + "\"";
    line(l);
    std::vector<std::string> args;
    for (const auto& a : get(u, "args")) {
      std::string src = str(a, "source");
      if (src == "with")
        args.push_back(str(a, "name") + " = " + str(a, "expr"));
      else if (src == "default")
        args.push_back(str(a, "name") + " = " + str(a, "expr") + " (default)");
      else
        args.push_back(str(a, "name") + " = <required, not given>");
    }
    if (!args.empty()) {
      std::string prefix = in + "  with ";
      line(prefix + wrap(args, prefix.size(), in + "       "));
    }
  }

  void statement(const json& s, const std::string& in, const json& uses) {
    const std::string kind = str(s, "kind");
    if (kind == "run" || kind == "until") {
      std::vector<std::string> opts;
      if (kind == "run") {
        if (get(s, "capture").is_string()) opts.push_back("as " + str(s, "capture"));
        opts.push_back((flag(s, "timeout_default") ? "default timeout " : "timeout ") +
                       str(s, "timeout"));
        if (get(s, "retry").is_number()) {
          std::string r = "retry " + std::to_string(get(s, "retry").get<long long>());
          if (get(s, "retry_every").is_string()) r += " every " + str(s, "retry_every");
          opts.push_back(r);
        }
      } else {
        opts.push_back("repeated until it exits 0, for up to " + str(s, "within"));
        if (get(s, "every").is_string()) opts.push_back("every " + str(s, "every"));
      }
      std::string o;
      for (const auto& x : opts) o += (o.empty() ? "" : ", ") + x;
      const std::string cmd = str(s, "command");
      if (cmd.find('\n') == std::string::npos) {
        line(in + kind + " `" + cmd + "`");
        line(in + "    " + o);
      } else {
        line(in + kind + " (" + o + "):");
        line(in + "    " + indent_lines(cmd, in + "    "));
      }
      return;
    }
    if (kind == "confirm") return;  // shown as the step's GATE
    if (kind == "note") return line(in + "note " + quoted(str(s, "text"), in + "  "));
    if (kind == "manual")
      return line(in + "manual " + quoted(str(s, "text"), in + "  ") + "\n" + in +
                  "    (waits for the operator: done, skip or fail)");
    if (kind == "call") {
      std::vector<std::string> args;
      for (const auto& a : get(s, "args")) args.push_back(str(a, "name") + " = " + str(a, "expr"));
      std::string l = in + "call " + str(s, "runbook");
      if (!args.empty()) l += " with " + wrap(args, l.size() + 6, in + "    ");
      line(l);
      line(in + "    (runs that runbook in this run; see `rbk plan " + str(s, "runbook") + "`)");
      return;
    }
    if (kind == "page" || kind == "notify") return line(in + notify_text(s, in));
    if (kind == "undo") {
      line(in + "undo (runs if a later remediation step or a verify check fails):");
      statements(get(s, "statements"), uses, in + "  ");
      return;
    }
  }

  static std::string notify_text(const json& s, const std::string& in) {
    std::string l = str(s, "kind") + " " + str(s, "role");
    if (get(s, "role_name").is_string()) l += " (" + str(s, "role_name") + ")";
    if (get(s, "message").is_string()) l += " " + quoted(str(s, "message"), in + "  ");
    if (get(s, "when").is_string()) l += " when " + str(s, "when");
    return l;
  }

  void escalation(const json& rules) {
    if (rules.empty()) return line("  (no rules)");
    for (const auto& r : rules) {
      std::string trigger = str(r, "trigger");
      std::string when = trigger == "start"     ? "at start"
                         : trigger == "after"   ? "after " + str(r, "after")
                         : trigger == "failure" ? "on failure"
                                                : "on success";
      line("  " + pad(when, 12) + notify_text(r, "    "));
    }
  }
};

}  // namespace

std::string render_plan(const json& plan) {
  return Renderer(plan).render();
}

}  // namespace rbk
