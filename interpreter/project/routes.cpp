// Alert routes: Alertmanager's matchers, the first matching route, the
// parameters an alert gives, and reading `routes:` from rbk.yaml.
#include "interpreter/project/routes.hpp"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "interpreter/base/names.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/project/yaml_reader.hpp"

namespace rbk {

namespace {

/// A fully anchored RE2, as Alertmanager's regex matchers are: `^(?:v)$`.
Expected<std::shared_ptr<const re2::RE2>, std::string> anchored(const std::string& pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  // Compiled alone first, so an error quotes what the user wrote.
  if (re2::RE2 plain(pattern, opts); !plain.ok())
    return fail("invalid regex /" + pattern + "/: " + plain.error());
  return std::make_shared<const re2::RE2>("^(?:" + pattern + ")$", opts);
}

bool is_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/// A double-quoted value's text (\" \\ \n \t unescaped), or why it is not one.
Expected<std::string, std::string> unquote(std::string_view q) {
  std::string out;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c == '"') return fail(std::string("an unescaped '\"' inside the quoted value"));
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 2 >= q.size()) return fail(std::string("a '\\' at the end of the quoted value"));
    switch (q[++i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '"':
      case '\\':
        out += q[i];
        break;
      default:
        return fail(std::string("unknown escape '\\") + q[i] + "' (use \\\\ for a backslash)");
    }
  }
  return out;
}

}  // namespace

bool LabelMatcher::matches(const LabelSet& labels) const {
  auto it = labels.find(name);
  const std::string& v = it == labels.end() ? std::string() : it->second;
  switch (op) {
    case Op::Equal:
      return v == value;
    case Op::NotEqual:
      return v != value;
    case Op::Regex:
      return RE2::FullMatch(v, *regex);
    case Op::NotRegex:
      return !RE2::FullMatch(v, *regex);
  }
  return false;
}

Expected<LabelMatcher, std::string> parse_matcher(std::string_view text) {
  LabelMatcher m;
  m.text = trim(text);
  std::string s = m.text;
  size_t name_end = 0;
  while (name_end < s.size() && s[name_end] != '=' && s[name_end] != '!' && s[name_end] != ' ' &&
         s[name_end] != '\t')
    ++name_end;
  m.name = std::string(s.substr(0, name_end));
  if (!is_label_name(m.name))
    return fail("'" + m.text + "' does not start with a label name (letters, digits, _ and :)");
  s = trim(s.substr(name_end));
  if (s.rfind("=~", 0) == 0) {
    m.op = LabelMatcher::Op::Regex;
    s.erase(0, 2);
  } else if (s.rfind("!~", 0) == 0) {
    m.op = LabelMatcher::Op::NotRegex;
    s.erase(0, 2);
  } else if (s.rfind("!=", 0) == 0) {
    m.op = LabelMatcher::Op::NotEqual;
    s.erase(0, 2);
  } else if (s.rfind("=", 0) == 0) {
    m.op = LabelMatcher::Op::Equal;
    s.erase(0, 1);
  } else {
    return fail("'" + m.text + "' has no operator after '" + m.name + "' (=, !=, =~ or !~)");
  }
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    auto v = unquote(s);
    if (!v) return fail("'" + m.text + "': " + v.error());
    m.value = *v;
  } else if (!s.empty() && s.front() == '"') {
    return fail("'" + m.text + "': the quoted value does not end with '\"'");
  } else if (s.find('"') != std::string::npos) {
    // `a=="x"` is a typo far more often than a value starting with '=".
    return fail("'" + m.text + "': an unquoted value holds '\"'; quote the whole value");
  } else {
    m.value = s;
  }
  if (m.op == LabelMatcher::Op::Regex || m.op == LabelMatcher::Op::NotRegex) {
    auto re = anchored(m.value);
    if (!re) return fail("'" + m.text + "': " + re.error());
    m.regex = *re;
  }
  return m;
}

const Route* select_route(const std::vector<Route>& routes, const LabelSet& labels) {
  for (const auto& r : routes) {
    bool all = true;
    for (const auto& m : r.match) all = all && m.matches(labels);
    if (all) return &r;
  }
  return nullptr;
}

Expected<std::map<std::string, std::string>, std::string> route_params(
    const Route& route, const LabelSet& labels, const LabelSet& annotations) {
  std::map<std::string, std::string> out;
  for (const auto& [param, src] : route.params) {
    if (src.kind == ParamSource::Kind::Constant) {
      out[param] = src.value;
      continue;
    }
    const bool label = src.kind == ParamSource::Kind::Label;
    const LabelSet& from = label ? labels : annotations;
    const std::string what = std::string(label ? "label" : "annotation") + " '" + src.value + "'";
    auto it = from.find(src.value);
    if (it == from.end())
      return fail("parameter '" + param + "': the alert has no " + what + " (route '" + route.name +
                  "')");
    std::string value = it->second;
    if (src.regex) {
      std::string group;
      if (!RE2::FullMatch(value, *src.regex, &group))
        return fail("parameter '" + param + "': " + what + " = \"" + value + "\" does not match /" +
                    src.regex_text + "/ (route '" + route.name + "')");
      value = group;
    }
    out[param] = value;
  }
  return out;
}

namespace {

/// Reads `routes:`, reporting at each node.
class RoutesReader : YamlReader {
 public:
  RoutesReader(const SourceFile& file, Diagnostics& errors, bool approvals_without_terminal)
      : YamlReader(file, errors), approvals_without_terminal_(approvals_without_terminal) {}

  void read(const YAML::Node& n, std::vector<Route>& out) {
    std::set<std::string> names;
    for (const auto& item : list_nodes(n, "routes")) {
      if (!map_of(item, "route")) continue;
      keys(item,
           {"name", "match", "runbook", "params", "target", "auto_approve", "limits", "shadow",
            "on_resolved"},
           "route setting");
      Route r;
      r.where = file_.path() + ":" + std::to_string(item.Mark().line + 1) + ":" +
                std::to_string(item.Mark().column + 1);
      if (auto x = item["name"]) {
        r.name = text(x, "route name");
        if (!r.name.empty() && !is_target_name(r.name))
          error(x, "route name '" + r.name +
                       "' has characters other than letters, digits, ., - and _");
        else if (!r.name.empty() && !names.insert(r.name).second)
          error(x, "a second route named '" + r.name + "'", "route names are unique");
      } else {
        error(item, "a route must have a name", "e.g. name: redis-down");
      }
      if (auto x = item["match"]) {
        for (const auto& m : list_nodes(x, "match")) {
          auto parsed = parse_matcher(text(m, "matcher"));
          if (parsed)
            r.match.push_back(std::move(*parsed));
          else
            error(m, parsed.error(), "matchers are Alertmanager's: alertname=\"X\", sev=~\"a|b\"");
        }
        if (x.IsSequence() && x.size() == 0)
          error(x, "a route with no matcher would take every alert",
                "name the alerts it takes, e.g. match: ['alertname=\"RedisDown\"']");
      } else {
        error(item, "a route must say which alerts it takes (match:)",
              "e.g. match: ['alertname=\"RedisDown\"']");
      }
      if (auto x = item["runbook"])
        r.runbook = text(x, "route runbook");
      else
        error(item, "a route must name its runbook", "e.g. runbook: redis-down");
      if (auto x = item["params"]; x && map_of(x, "route params"))
        for (const auto& kv : x)
          if (auto src = read_source(kv.second, text(kv.first, "parameter name")))
            r.params[kv.first.Scalar()] = std::move(*src);
      if (auto x = item["target"]) {
        r.target = read_source(x, "target");
        if (r.target && r.target->kind == ParamSource::Kind::Constant)
          error(x, "a route's target comes from a label or an annotation",
                "e.g. target: {label: instance}");
      }
      if (auto x = item["auto_approve"]) {
        r.auto_approve = list_of(x, "auto_approve");
        // An automatic approval is one without a terminal: a policy that
        // allows none allows no route to make one.
        if (!approvals_without_terminal_ && !r.auto_approve.empty())
          error(x, "auto_approve, but policy.allow_non_interactive_approval is false",
                "drop auto_approve (a person approves with rbk approve), or allow it in policy");
      }
      if (auto x = item["shadow"]) r.shadow = boolean(x, "shadow").value_or(false);
      if (auto x = item["on_resolved"]) {
        const std::string v = text(x, "on_resolved");
        if (v == "record")
          r.end_on_resolved = false;
        else if (v != "end")
          error(x, "on_resolved is 'end' or 'record', not '" + v + "'",
                "end: a run that passed no gate ends when its alert resolves; record: it goes on");
      }
      if (auto x = item["limits"]) read_limits(x, r.limits);
      if (!r.auto_approve.empty() && !r.limits.per_runbook && !r.limits.per_target &&
          !r.limits.concurrent)
        error(item["auto_approve"], "auto_approve without limits could run away",
              "give limits: {per_runbook: {max: 3, per: 1h}} or per_target or concurrent");
      out.push_back(std::move(r));
    }
  }

 private:
  bool approvals_without_terminal_;
  /// Reports at `n`: nothing is read from it.
  std::nullopt_t reject(const YAML::Node& n, std::string msg, std::string help = {}) {
    error(n, std::move(msg), std::move(help));
    return std::nullopt;
  }

  void read_limits(const YAML::Node& n, RouteLimits& l) {
    if (!map_of(n, "limits")) return;
    keys(n, {"per_runbook", "per_target", "concurrent", "breaker"}, "limit");
    if (auto x = n["per_runbook"]) l.per_runbook = window(x, "per_runbook", "max");
    if (auto x = n["per_target"]) l.per_target = window(x, "per_target", "max");
    if (auto x = n["breaker"]) l.breaker = window(x, "breaker", "failures");
    if (auto x = n["concurrent"]) {
      auto v = integer(x, "concurrent");
      if (v && *v < 1)
        error(x, "concurrent is at least 1", "to allow no automatic approval, drop auto_approve");
      else if (v)
        l.concurrent = static_cast<int>(std::min(*v, 1000000LL));
    }
  }

  /// `{max: N, per: DURATION}` (the count key named `count`).
  std::optional<WindowLimit> window(const YAML::Node& n, const std::string& what,
                                    const char* count) {
    if (!map_of(n, what)) return std::nullopt;
    keys(n, {count, "per"}, (what + " setting").c_str());
    if (!n[count] || !n["per"])
      return reject(n, what + " needs " + count + " and per",
                    "e.g. {" + std::string(count) + ": 3, per: 1h}");
    const std::optional<long long> c = integer(n[count], what + "." + count);
    const std::optional<std::chrono::milliseconds> d = duration(n["per"], what + ".per");
    if (!c || !d) return std::nullopt;
    const long long most = *c;
    const std::chrono::milliseconds per = *d;
    if (most < 1 || per.count() <= 0 || per > kMaxLimitWindow)
      return reject(n,
                    what + ": " + count + " is at least 1, and per longer than 0s and at most 31d");
    WindowLimit w;
    w.max = static_cast<int>(std::min(most, 1000000LL));
    w.per = per;
    return w;
  }

  /// A constant, or `{label|annotation: NAME, regex: RE}`.
  std::optional<ParamSource> read_source(const YAML::Node& v, const std::string& name) {
    ParamSource src;
    if (v.IsScalar()) {
      src.value = text(v, "parameter value");
      return src;
    }
    if (!map_of(v, "parameter '" + name + "'")) return std::nullopt;
    keys(v, {"label", "annotation", "regex"}, "parameter source");
    if (v["label"] && v["annotation"])
      return reject(v, "parameter '" + name + "' comes from a label or an annotation, not both");
    if (auto x = v["label"]) {
      src.kind = ParamSource::Kind::Label;
      src.value = text(x, "label name");
    } else if (auto y = v["annotation"]) {
      src.kind = ParamSource::Kind::Annotation;
      src.value = text(y, "annotation name");
    } else {
      return reject(v, "parameter '" + name + "' names no label or annotation",
                    "e.g. " + name + ": {label: instance}");
    }
    if (auto x = v["regex"]) {
      src.regex_text = text(x, "regex");
      auto re = anchored(src.regex_text);
      if (!re) return reject(x, re.error(), "regexes use RE2 syntax");
      if ((*re)->NumberOfCapturingGroups() != 1)
        return reject(x,
                      "the regex of parameter '" + name + "' has " +
                          std::to_string((*re)->NumberOfCapturingGroups()) +
                          " capture groups; its one group is the value",
                      "e.g. regex: '([^:]+):\\d+' takes the host of host:port");
      src.regex = *re;
    }
    return src;
  }
};

}  // namespace

void read_routes(const SourceFile& file, const YAML::Node& n, std::vector<Route>& out,
                 Diagnostics& errors, bool approvals_without_terminal) {
  RoutesReader(file, errors, approvals_without_terminal).read(n, out);
}

}  // namespace rbk
