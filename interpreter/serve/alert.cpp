// Alertmanager's webhook payload, version 4, read strictly.
#include "interpreter/serve/alert.hpp"

#include <re2/re2.h>
#include <nlohmann/json.hpp>

namespace rbk {

namespace {

using nlohmann::json;

/// The deepest nesting of `[` and `{` outside strings: checked before
/// parsing, so no hostile payload makes anything recurse deeply.
int nesting(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

/// Reads fields of one JSON object, the first problem kept with its path.
class Fields {
 public:
  Fields(const json& j, std::string path, std::string& problem)
      : j_(j), path_(std::move(path)), problem_(problem) {}

  std::string text(const char* key, bool required = true) {
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fault(key, "missing");
      return "";
    }
    if (!it->is_string()) {
      fault(key, "expected a string");
      return "";
    }
    return it->get<std::string>();
  }

  LabelSet labels(const char* key, bool required) {
    LabelSet out;
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fault(key, "missing");
      return out;
    }
    if (!it->is_object()) {
      fault(key, "expected an object of strings");
      return out;
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        fault(std::string(key) + "." + k, "expected a string");
        return out;
      }
      out[k] = v.get<std::string>();
    }
    return out;
  }

  /// "firing" or "resolved", the only states Alertmanager sends.
  std::string status() {
    std::string s = text("status");
    if (problem_.empty() && s != "firing" && s != "resolved")
      fault("status", "\"" + s + "\" is neither firing nor resolved");
    return s;
  }

  long long integer(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end()) return 0;
    if (!it->is_number_integer()) fault(key, "expected a whole number");
    return it->is_number_integer() ? it->get<long long>() : 0;
  }

  void fault(const std::string& key, const std::string& what) {
    if (problem_.empty()) problem_ = (path_.empty() ? "" : path_ + ".") + key + ": " + what;
  }

 private:
  const json& j_;
  std::string path_;
  std::string& problem_;
};

bool rfc3339(const std::string& t) {
  static const RE2 re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
  return RE2::FullMatch(t, re);
}

}  // namespace

Expected<AlertNotification, std::string> parse_alert_notification(std::string_view body) {
  if (nesting(body) > kMaxAlertPayloadDepth)
    return fail("nested deeper than " + std::to_string(kMaxAlertPayloadDepth) +
                " levels: not an Alertmanager notification");
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(std::string("not JSON"));
  if (!j.is_object()) return fail(std::string("not a JSON object"));
  std::string problem;
  AlertNotification n;
  Fields top(j, "", problem);
  n.version = top.text("version");
  if (problem.empty() && n.version != "4")
    return fail("webhook payload version \"" + n.version + "\"; rbk reads version \"4\"");
  n.group_key = top.text("groupKey");
  n.status = top.status();
  n.receiver = top.text("receiver", false);
  n.external_url = top.text("externalURL", false);
  n.truncated_alerts = top.integer("truncatedAlerts");
  n.group_labels = top.labels("groupLabels", false);
  n.common_labels = top.labels("commonLabels", false);
  n.common_annotations = top.labels("commonAnnotations", false);
  auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array()) {
    top.fault("alerts", alerts == j.end() ? "missing" : "expected an array");
    return fail(problem);
  }
  for (size_t i = 0; i < alerts->size() && problem.empty(); ++i) {
    const json& a = (*alerts)[i];
    const std::string path = "alerts[" + std::to_string(i) + "]";
    if (!a.is_object()) {
      problem = path + ": expected an object";
      break;
    }
    Fields f(a, path, problem);
    Alert alert;
    alert.status = f.status();
    alert.labels = f.labels("labels", true);
    alert.annotations = f.labels("annotations", false);
    alert.starts_at = f.text("startsAt");
    alert.ends_at = f.text("endsAt", false);
    alert.generator_url = f.text("generatorURL", false);
    alert.fingerprint = f.text("fingerprint");
    if (!problem.empty()) break;
    if (!rfc3339(alert.starts_at))
      f.fault("startsAt", "\"" + alert.starts_at + "\" is not an RFC 3339 time");
    else if (!alert.ends_at.empty() && !rfc3339(alert.ends_at))
      f.fault("endsAt", "\"" + alert.ends_at + "\" is not an RFC 3339 time");
    else if (!RE2::FullMatch(alert.fingerprint, "[0-9a-f]{1,32}"))
      f.fault("fingerprint", "\"" + alert.fingerprint + "\" is not a hexadecimal fingerprint");
    else if (alert.labels.empty())
      f.fault("labels", "an alert without labels");
    n.alerts.push_back(std::move(alert));
  }
  if (!problem.empty()) return fail(problem);
  return n;
}

}  // namespace rbk
