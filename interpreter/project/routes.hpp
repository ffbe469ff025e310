// Alert routes in rbk.yaml (`routes:`): which runbook an Alertmanager alert
// starts, and where each of its parameters comes from. Matchers are
// Alertmanager's own (`name="v"`, `!=`, `=~`, `!~`; regexes fully
// anchored; a missing label is ""), so a team copies them from its
// Alertmanager configuration unchanged. `rbk serve` acts on them.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/expected.hpp"

namespace YAML {
class Node;
}

namespace re2 {
class RE2;
}

namespace rbk {

/// Labels or annotations of one alert.
using LabelSet = std::map<std::string, std::string>;

/// One label matcher, as Alertmanager writes it.
struct LabelMatcher {
  enum class Op { Equal, NotEqual, Regex, NotRegex };
  std::string name;
  Op op = Op::Equal;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // Regex and NotRegex: `value`, fully anchored
  std::string text;                       // as written, for messages

  /// Whether `labels` satisfy it; a label the alert lacks counts as "".
  bool matches(const LabelSet& labels) const;
};

/// Parses one matcher (`alertname="RedisDown"`, `severity=~"high|critical"`,
/// the value quoted or not), or says why it cannot.
Expected<LabelMatcher, std::string> parse_matcher(std::string_view text);

/// Where a route's parameter value comes from: a constant, or an alert's
/// label or annotation, optionally cut by a regex's one capture group.
struct ParamSource {
  enum class Kind { Constant, Label, Annotation };
  Kind kind = Kind::Constant;
  std::string value;                      // the constant, or the label's / annotation's name
  std::shared_ptr<const re2::RE2> regex;  // fully anchored; its group is the value
  std::string regex_text;
};

/// The longest window a limit may have.
inline constexpr std::chrono::milliseconds kMaxLimitWindow = std::chrono::hours(24 * 31);

/// At most `max` within any `per` (at most kMaxLimitWindow).
struct WindowLimit {
  int max = 0;
  std::chrono::milliseconds per{0};
};

/// The limits inside which a route's gates may be approved without a
/// person; past any of them the run waits for one.
struct RouteLimits {
  std::optional<WindowLimit> per_runbook;  // auto-approvals of the runbook, any target
  std::optional<WindowLimit> per_target;   // of the runbook on one target
  std::optional<int> concurrent;           // this route's auto-approved runs going at once
  std::optional<WindowLimit> breaker;      // failed runs that open the circuit breaker
};

/// One route: the first whose matchers all hold takes the alert.
struct Route {
  std::string name;
  std::vector<LabelMatcher> match;
  std::string runbook;  // a name on the runbook path, or a .rbk file
  std::map<std::string, ParamSource> params;
  std::optional<ParamSource> target;  // what a per-target limit counts by (default: fingerprint)
  std::vector<std::string> auto_approve;  // step ids whose gates pass inside `limits`
  RouteLimits limits;
  /// Shadow mode: diagnosis runs for real, remediation is recorded as
  /// would_run and never executed (docs/serve.md).
  bool shadow = false;
  /// The alert resolved before the run passed any gate: end it (true, the
  /// default) or only record it (`on_resolved: record`).
  bool end_on_resolved = true;
  std::string where;  // "rbk.yaml:LINE:COL", for messages
};

/// The first route whose matchers all hold for `labels`, or nullptr.
const Route* select_route(const std::vector<Route>& routes, const LabelSet& labels);

/// Each parameter's value for an alert (name → text, converted to the
/// declared type later, as `-p` is), or why one cannot be had: a missing
/// label or annotation, or a value its regex does not match.
Expected<std::map<std::string, std::string>, std::string> route_params(const Route& route,
                                                                       const LabelSet& labels,
                                                                       const LabelSet& annotations);

/// Reads rbk.yaml's `routes:` (a list) into `out`; problems are diagnostics
/// at file:line:col. `approvals_without_terminal` is the policy's
/// allow_non_interactive_approval: when false, `auto_approve` is an error.
void read_routes(const SourceFile& file, const YAML::Node& n, std::vector<Route>& out,
                 Diagnostics& errors, bool approvals_without_terminal = true);

}  // namespace rbk
