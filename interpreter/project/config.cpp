#include "interpreter/project/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <re2/re2.h>

#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/project/lint_rules.hpp"
#include "interpreter/project/routes.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;

/// Reads one YAML document into a Config, reporting at the node's position.
class ConfigReader : YamlReader {
 public:
  ConfigReader(const SourceFile& file, std::string dir, Diagnostics& errors)
      : YamlReader(file, errors), dir_(std::move(dir)) {}

  void read(const YAML::Node& root, Config& c) {
    if (root.IsNull()) return;  // an empty rbk.yaml: all defaults
    if (!root.IsMap()) return error(root, "rbk.yaml must be a mapping of settings");
    keys(root,
         {"paths", "records", "roles", "severities", "notify", "policy", "redact", "lint", "report",
          "targets", "ssh", "routes"},
         "top-level setting");
    if (auto n = root["paths"]) {
      auto paths = list_of(n, "paths");
      if (n.IsSequence()) c.runbook_paths.clear();  // a wrong shape keeps the default
      for (const auto& p : paths) c.runbook_paths.push_back(path(p));
    }
    if (auto n = root["records"]) c.records_dir = path(text(n, "records"));
    if (auto n = root["roles"]) read_roles(n, c);
    if (auto n = root["severities"]) read_severities(n, c);
    if (auto n = root["notify"]) {
      if (map_of(n, "notify")) {
        keys(n, {"page", "notify"}, "notify setting");
        if (auto p = n["page"]) c.page_command = notification(p, "notify.page");
        if (auto p = n["notify"]) c.notify_command = notification(p, "notify.notify");
      }
    }
    if (auto n = root["policy"]) read_policy(n, c);
    if (auto n = root["targets"]) read_targets(file_, n, dir_, c.targets, errors_);
    if (auto n = root["routes"])
      read_routes(file_, n, c.routes, errors_, c.policy.allow_non_interactive_approval);
    if (auto n = root["ssh"]; n && map_of(n, "ssh")) {
      keys(n, {"config", "connect_timeout"}, "ssh setting");
      if (auto x = n["config"]) c.ssh.config = path(text(x, "ssh.config"));
      if (auto x = n["connect_timeout"]) {
        auto d = duration(x, "ssh.connect_timeout");
        if (d && *d < std::chrono::seconds(1))
          error(x, "ssh.connect_timeout is at least 1s", "e.g. connect_timeout: 10s");
        else if (d)
          c.ssh.connect_timeout = *d;
      }
    }
    if (auto n = root["lint"]) read_lint(n, c);
    if (auto n = root["report"]) {
      if (map_of(n, "report")) {
        keys(n, {"template"}, "report setting");
        if (auto t = n["template"]) c.report_template = path(text(t, "report.template"));
      }
    }
    if (auto n = root["redact"]) {
      for (const auto& pattern : list_nodes(n, "redact")) {
        std::string p = text(pattern, "a redaction pattern");
        RE2::Options opts;
        opts.set_log_errors(false);
        RE2 re(p, opts);
        if (!re.ok())
          error(pattern, "invalid redaction pattern: " + re.error(), "patterns use RE2 syntax");
        else
          c.redact.push_back(p);
      }
    }
  }

 private:
  std::string dir_;

  /// A notification command runs without a gate (at the start of a run,
  /// when an escalation fires): it must only read and deliver, and rbk must
  /// be able to tell. $RBK_MESSAGE and friends as arguments are fine.
  std::string notification(const YAML::Node& n, const std::string& what) {
    std::string cmd = text(n, what);
    CommandVerdict v = DestructivePatterns::shipped().judge(cmd);
    const char* help =
        "a notification command runs without a gate: it may read and send, and append to a file "
        "(>>), but not change anything";
    if (v.destructive)
      error(n,
            what + " runs '" + command_excerpt(cmd, v.destructive->offset, v.destructive->length) +
                "' (" + v.destructive->pattern->why + ")",
            help);
    else if (v.unanalysable)
      error(n, "rbk cannot analyse " + what + ": " + v.unanalysable->why, help);
    return cmd;
  }

  template <typename Map>
  static std::string names(const Map& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  std::string path(const std::string& p) {
    if (p.empty()) return p;
    fs::path x(p);
    return (x.is_absolute() ? x : fs::path(dir_) / x).lexically_normal().string();
  }

  /// Each `id: {…}` entry of a map of named entries (roles, severities):
  /// the id must be a lower-case word and the entry a mapping with `known`
  /// keys; `read` takes the id and the entry.
  template <typename Read>
  void named_entries(const YAML::Node& n, const std::string& what, const std::string& name_help,
                     const std::vector<std::string>& known, bool example_on_shape, Read read) {
    if (!map_of(n, what == "role" ? "roles" : "severities")) return;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        error(kv.first, what + " names must be plain words");
        continue;
      }
      const std::string id = kv.first.Scalar();
      if (!is_lower_word(id)) error(kv.first, "invalid " + what + " name '" + id + "'", name_help);
      if (kv.second.IsMap()) {
        keys(kv.second, known, (what + " setting").c_str());
      } else {
        std::string example = "e.g. " + id + ": {";
        for (size_t i = 0; i < known.size(); ++i) example += (i ? ", " : "") + known[i] + ": \"…\"";
        error(kv.second, what + " '" + id + "' must be a mapping",
              example_on_shape ? example + "}" : "");
      }
      read(id, kv.second);
    }
  }

  void read_roles(const YAML::Node& n, Config& c) {
    named_entries(n, "role", "role names are lower-case words joined by '-', e.g. db-owner",
                  {"name", "contact"}, true, [&](const std::string& id, const YAML::Node& e) {
                    Role r;
                    if (e.IsMap()) {
                      if (auto x = e["name"]) r.name = text(x, "name");
                      if (auto x = e["contact"]) r.contact = text(x, "contact");
                    }
                    c.roles[id] = r;
                  });
  }

  void read_severities(const YAML::Node& n, Config& c) {
    named_entries(n, "severity", "severities are lower-case words, e.g. critical",
                  {"description", "response", "resolution"}, false,
                  [&](const std::string& id, const YAML::Node& e) {
                    SeverityLevel s;
                    if (e.IsMap()) {
                      if (auto x = e["description"]) s.description = text(x, "description");
                      if (auto x = e["response"]) s.response = duration(x, "response");
                      if (auto x = e["resolution"]) s.resolution = duration(x, "resolution");
                    }
                    if (!c.severities.count(id)) c.severity_order.push_back(id);
                    c.severities[id] = s;
                  });
  }

  void read_lint(const YAML::Node& n, Config& c) {
    if (!map_of(n, "lint")) return;
    keys(n, {"rules", "required_sections"}, "lint setting");
    if (auto x = n["rules"]; x && map_of(x, "lint.rules")) {
      std::vector<std::string> ids;
      for (const auto& r : lint_rules()) ids.push_back(r.id);
      for (const auto& kv : x) {
        if (!kv.first.IsScalar()) {
          error(kv.first, "rule ids are plain words, e.g. RBK101");
          continue;
        }
        const std::string id = kv.first.Scalar();
        if (!find_rule(id)) {
          std::string hint = did_you_mean(id, ids);
          error(kv.first, "unknown lint rule '" + id + "'",
                hint.empty() ? "rule ids are listed in docs/lint.md" : hint);
          continue;
        }
        std::string level = text(kv.second, "lint.rules." + id);
        if (level != "off" && level != "note" && level != "warning" && level != "error") {
          if (kv.second.IsScalar())
            error(kv.second, "invalid level '" + level + "' for " + id,
                  "levels are off, note, warning and error");
          continue;
        }
        c.lint.rules[id] = level;
      }
    }
    if (auto x = n["required_sections"]) {
      static const std::vector<std::string> known{"alert",  "diagnose", "causes",  "remediate",
                                                  "verify", "rollback", "finally", "escalate"};
      std::vector<std::string> sections;
      for (const auto& item : list_nodes(x, "required_sections")) {
        std::string s = text(item, "required_sections entry");
        if (std::find(known.begin(), known.end(), s) == known.end()) {
          if (item.IsScalar()) {
            std::string hint = did_you_mean(s, known);
            error(item, "unknown section '" + s + "' in required_sections",
                  hint.empty() ? "sections: " + join(known) : hint);
          }
          continue;
        }
        sections.push_back(s);
      }
      if (x.IsSequence()) c.lint.required_sections = sections;
    }
  }

  void read_policy(const YAML::Node& n, Config& c) {
    if (!map_of(n, "policy")) return;
    keys(n,
         {"default_timeout", "grace", "typed_confirm_for", "allow_non_interactive_approval",
          "capture_limit", "two_person"},
         "policy setting");
    if (auto x = n["default_timeout"]) {
      // 0s would mean "no timeout" to a reader and "ignored" to rbk: an error,
      // never a silent 5m.
      if (auto d = duration(x, "default_timeout"); d && d->count() > 0)
        c.policy.default_timeout = *d;
      else if (d)
        error(x, "default_timeout must be longer than 0s",
              "every command has a timeout; give the longest a command may take, e.g. 30m");
    }
    if (auto x = n["grace"])
      if (auto d = duration(x, "grace")) c.policy.grace = *d;
    if (auto x = n["typed_confirm_for"]) {
      std::vector<std::string> known;
      for (const auto& [k, v] : c.severities) known.push_back(k);
      for (const auto& item : list_nodes(x, "typed_confirm_for")) {
        std::string level = text(item, "typed_confirm_for entry");
        if (!known.empty() && !c.severities.count(level)) {
          std::string hint = did_you_mean(level, known);
          error(item, "unknown severity '" + level + "' in typed_confirm_for",
                hint.empty() ? "severities defined here: " + names(c.severities) : hint);
        }
        c.policy.typed_confirm_for.push_back(level);
      }
    }
    if (auto x = n["allow_non_interactive_approval"]) {
      std::string v = text(x, "allow_non_interactive_approval");
      if (v == "true")
        c.policy.allow_non_interactive_approval = true;
      else if (v == "false")
        c.policy.allow_non_interactive_approval = false;
      else
        error(x, "'allow_non_interactive_approval' must be true or false");
    }
    if (auto x = n["two_person"]) {
      for (const auto& item : list_nodes(x, "two_person")) {
        const std::string rule = text(item, "two_person entry");
        if (rule == "previous_approver")
          c.policy.approver_not_previous = true;
        else if (rule == "author")
          c.policy.approver_not_author = true;
        else
          error(item, "unknown two_person rule '" + rule + "'",
                "previous_approver (not who approved the run's previous gate) or author (not "
                "who last changed the runbook)");
      }
    }
    if (auto x = n["capture_limit"]) {
      std::string v = text(x, "capture_limit");
      size_t end = 0;
      bool ok = !v.empty() && v.size() < 12 && std::isdigit(static_cast<unsigned char>(v[0]));
      unsigned long long bytes = ok ? std::stoull(v, &end) : 0;
      std::string unit = ok ? v.substr(end) : "";
      if (unit == "KiB")
        bytes <<= 10;
      else if (unit == "MiB")
        bytes <<= 20;
      else if (!unit.empty())
        ok = false;
      if (!ok || bytes < 1024)
        error(x, "invalid capture_limit '" + v + "'",
              "e.g. 1MiB, 256KiB or 65536 (at least 1024 bytes)");
      else
        c.policy.capture_limit = bytes;
    }
  }
};

}  // namespace

Config parse_config(std::shared_ptr<const SourceFile> file, const std::string& dir,
                    Diagnostics& errors) {
  Config c;
  c.path = file->path();
  c.runbook_paths = {(fs::path(dir) / "runbooks").lexically_normal().string()};
  c.records_dir = (fs::path(dir) / ".rbk" / "runs").lexically_normal().string();
  std::optional<YAML::Node> root = load_yaml(*file, errors);
  if (!root) return c;
  read_guarded(
      *file, errors, [&] { ConfigReader(*file, dir, errors).read(*root, c); },
      "rbk.yaml has a structure rbk cannot read",
      "see docs/config.md for the settings and their shapes");
  return c;
}

Config load_config(const std::string& start, Diagnostics& errors) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    fs::path candidate = d / "rbk.yaml";
    // Anything named rbk.yaml is the config: a directory, FIFO or device
    // there is an error (read_regular_file says which), never a silent
    // fallback to defaults that would drop `redact` and the policy.
    if (fs::exists(fs::symlink_status(candidate, ec))) {
      // Named as found (a link to /dev/zero is reported as rbk.yaml, not its target).
      fs::path shown = candidate.lexically_proximate(fs::current_path(ec));
      auto file = load_source((ec ? candidate : shown).string(), errors, kMaxConfigBytes);
      if (!file) break;
      return parse_config(file, d.string(), errors);
    }
    if (d == d.parent_path()) break;
  }
  Config c;
  c.runbook_paths = {(dir / "runbooks").lexically_normal().string()};
  c.records_dir = records_outside_project(dir.string());
  return c;
}

std::string records_outside_project(const std::string& cwd) {
  // The XDG Base Directory rules: $XDG_STATE_HOME when it is set and
  // absolute, else ~/.local/state. Without either, the working directory's
  // .rbk/runs, as inside a project: a record is never dropped for want of a home.
  auto absolute_env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v && v[0] == '/' ? v : "";
  };
  fs::path state;
  if (std::string x = absolute_env("XDG_STATE_HOME"); !x.empty())
    state = x;
  else if (std::string home = absolute_env("HOME"); !home.empty())
    state = fs::path(home) / ".local" / "state";
  if (state.empty()) return (fs::path(cwd) / ".rbk" / "runs").lexically_normal().string();
  return (state / "rbk" / "runs").lexically_normal().string();
}

}  // namespace rbk
