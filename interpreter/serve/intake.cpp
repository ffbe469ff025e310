// One decision per alert of a notification (intake.hpp).
#include "interpreter/serve/intake.hpp"

#include <set>

namespace rbk {

std::vector<IntakeAction> AlertIntake::receive(const AlertNotification& n,
                                               const std::vector<Route>& routes,
                                               const ParamCheck& check) const {
  std::vector<IntakeAction> out;
  std::set<std::string> seen;
  for (const Alert& alert : n.alerts) {
    IntakeAction a;
    a.alert = &alert;
    const std::string key = alert.key();
    if (!seen.insert(key).second) {
      a.reason = "the same alert twice in one notification";
      out.push_back(std::move(a));
      continue;
    }
    if (std::string run = run_of(key); !run.empty()) {
      a.kind = alert.firing() ? IntakeAction::Kind::Join : IntakeAction::Kind::Resolve;
      a.run_id = run;
      out.push_back(std::move(a));
      continue;
    }
    if (!alert.firing()) {
      a.reason = "resolved, and no run was started for it";
      out.push_back(std::move(a));
      continue;
    }
    a.route = select_route(routes, alert.labels);
    if (!a.route) {
      a.kind = IntakeAction::Kind::Unrouted;
      a.reason = "no route takes it";
      out.push_back(std::move(a));
      continue;
    }
    auto params = route_params(*a.route, alert.labels, alert.annotations);
    Expected<void, std::string> fits =
        params ? check(*a.route, *params) : Expected<void, std::string>(fail(params.error()));
    if (!fits) {
      a.kind = IntakeAction::Kind::Refused;
      a.reason = fits.error();
    } else {
      a.kind = IntakeAction::Kind::Start;
      a.params = std::move(*params);
    }
    out.push_back(std::move(a));
  }
  return out;
}

void AlertIntake::started(const std::string& key, const std::string& run_id) {
  runs_[key] = run_id;
}

void AlertIntake::ended(const std::string& key) {
  runs_.erase(key);
}

std::string AlertIntake::run_of(const std::string& key) const {
  auto it = runs_.find(key);
  return it == runs_.end() ? "" : it->second;
}

}  // namespace rbk
