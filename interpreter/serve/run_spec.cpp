#include "interpreter/serve/run_spec.hpp"

#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/record/event_json.hpp"

namespace rbk {

namespace {

using nlohmann::json;

constexpr const char* kKinds[] = {"approve", "deny", "alert_resolved"};

}  // namespace

std::string serve_run_spec_json(const ServeRunSpec& spec) {
  json j;
  j["resume"] = spec.resume;
  j["run_id"] = spec.run_id;
  j["runbook"] = spec.runbook;
  j["params"] = spec.params;
  j["shadow"] = spec.shadow;
  if (spec.alert) j["alert"] = event_fields(Event{*spec.alert});
  if (spec.decision) {
    const auto& [step, d] = *spec.decision;
    json dj{
        {"step", step},   {"kind", kKinds[static_cast<int>(d.kind)]}, {"by", d.by},
        {"from", d.from}, {"via", std::string(name_of(d.via))},       {"plan_hash", d.plan_hash}};
    if (d.typed) dj["typed"] = *d.typed;
    j["decision"] = std::move(dj);
  }
  return j.dump();
}

Expected<ServeRunSpec, std::string> parse_serve_run_spec(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return fail("not a JSON object");
  ServeRunSpec spec;
  try {
    spec.resume = j.at("resume").get<bool>();
    spec.run_id = j.at("run_id").get<std::string>();
    spec.runbook = j.at("runbook").get<std::string>();
    spec.params = j.at("params").get<std::vector<std::string>>();
    spec.shadow = j.value("shadow", false);
    if (j.contains("alert")) {
      json a = j["alert"];
      a["type"] = "alert";
      a["t"] = 0;
      a["time"] = "";
      auto e = event_from_json(a);
      if (!e) return fail("alert: " + e.error());
      if (!*e || !(*e)->as<ev::AlertStart>()) return fail("alert: not an alert");
      spec.alert = *(*e)->as<ev::AlertStart>();
    }
    if (j.contains("decision")) {
      const json& dj = j["decision"];
      GateDecision d;
      const std::string kind = dj.at("kind").get<std::string>();
      int k = 0;
      while (k < 3 && kind != kKinds[k]) ++k;
      if (k == 3) return fail("decision.kind: unknown '" + kind + "'");
      d.kind = static_cast<GateDecision::Kind>(k);
      d.by = dj.at("by").get<std::string>();
      d.from = dj.at("from").get<std::string>();
      auto via = enum_names(ev::Via{}).parse(dj.at("via").get<std::string>());
      if (!via) return fail("decision.via: unknown");
      d.via = *via;
      d.plan_hash = dj.at("plan_hash").get<std::string>();
      if (dj.contains("typed")) d.typed = dj["typed"].get<std::string>();
      spec.decision = std::make_pair(dj.at("step").get<std::string>(), std::move(d));
    }
  } catch (const json::exception& e) {
    return fail(std::string("malformed: ") + e.what());
  }
  return spec;
}

}  // namespace rbk
