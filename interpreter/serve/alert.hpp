// What Prometheus Alertmanager's webhook sends (payload version 4), read
// strictly: every field rbk uses must be there with its type, unknown
// fields are ignored, and a payload too deeply nested is refused before it
// is parsed. `rbk serve` starts or joins one run per alert (fingerprint and
// start time), never per notification: Alertmanager re-sends a whole group
// when one alert of it changes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/routes.hpp"

namespace rbk {

/// One alert of a notification.
struct Alert {
  std::string status;  // "firing" or "resolved": this alert's, not the group's
  LabelSet labels;
  LabelSet annotations;
  std::string starts_at;  // RFC 3339, as sent
  std::string ends_at;    // RFC 3339; "0001-01-01T00:00:00Z" while firing
  std::string generator_url;
  std::string fingerprint;  // a hash of the label set: the same in every episode

  bool firing() const { return status == "firing"; }
  /// What one run is kept for: the fingerprint and this episode's start, so
  /// the same alert firing again later is a new incident.
  std::string key() const { return fingerprint + "@" + starts_at; }
};

/// One webhook notification: a group of alerts.
struct AlertNotification {
  std::string version;  // "4"
  std::string group_key;
  std::string status;  // "firing" when any alert of the group fires
  std::string receiver;
  std::string external_url;
  long long truncated_alerts = 0;
  LabelSet group_labels;
  LabelSet common_labels;
  LabelSet common_annotations;
  std::vector<Alert> alerts;
};

/// The deepest nesting of arrays and objects a payload may have (a real one
/// has 3).
inline constexpr int kMaxAlertPayloadDepth = 16;

/// Reads a webhook body, or says in one line what is wrong with it, naming
/// the field (`alerts[0].labels.instance: expected a string`).
Expected<AlertNotification, std::string> parse_alert_notification(std::string_view body);

}  // namespace rbk
