// What `rbk serve` does with each alert of a notification, decided before
// anything runs: start a run, join the run the alert already has (a
// re-send or a group update), end-or-record a resolution, or start nothing
// and say why (no route takes it, a parameter cannot be had). One run per
// alert episode (Alert::key): Alertmanager re-sends whole groups, so the
// same alert arrives many times.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/serve/alert.hpp"

namespace rbk {

/// The decision for one alert.
struct IntakeAction {
  enum class Kind {
    Start,     // a new run of `route`'s runbook with `params`
    Join,      // the alert's run goes on: a re-send or an update, recorded in it
    Resolve,   // the alert's run learns it resolved
    Unrouted,  // no route takes it: nothing runs
    Refused,   // a route takes it but the run cannot start (`reason`)
    Ignored,   // nothing to do (`reason`): a resolution of an alert with no run
  };
  Kind kind = Kind::Ignored;
  const Alert* alert = nullptr;               // into the notification given to receive()
  const Route* route = nullptr;               // Start and Refused
  std::map<std::string, std::string> params;  // Start: name → text, as -p gives them
  std::string run_id;                         // Join and Resolve
  std::string reason;                         // Unrouted, Refused, Ignored
};

/// Checks a route's parameter values against its runbook (types,
/// required ones), as a run would: an error is the reason to refuse.
using ParamCheck = std::function<Expected<void, std::string>(
    const Route&, const std::map<std::string, std::string>&)>;

/// The alerts that have a run, and the decisions for new notifications.
class AlertIntake {
 public:
  /// One decision per alert of `n`, in its order.
  std::vector<IntakeAction> receive(const AlertNotification& n, const std::vector<Route>& routes,
                                    const ParamCheck& check) const;
  /// The run started for the alert with `key` (Alert::key).
  void started(const std::string& key, const std::string& run_id);
  /// That run ended: a later episode of the alert starts a new one.
  void ended(const std::string& key);
  /// The run of the alert with `key`, or "".
  std::string run_of(const std::string& key) const;

 private:
  std::map<std::string, std::string> runs_;  // Alert::key → run id
};

}  // namespace rbk
