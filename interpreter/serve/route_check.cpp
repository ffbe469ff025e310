// A route against its runbook (route_check.hpp).
#include "interpreter/serve/route_check.hpp"

#include <algorithm>

#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/runtime/params.hpp"

namespace rbk {

std::vector<std::string> check_route(const Route& route, const ast::Runbook& rb) {
  std::vector<std::string> out;
  const std::string at = route.where + ": route '" + route.name + "'";
  std::vector<std::string> params;
  for (const ast::Param* p : declared_params(rb)) params.push_back(p->name.name);
  for (const auto& [name, src] : route.params)
    if (std::find(params.begin(), params.end(), name) == params.end()) {
      std::string hint = did_you_mean(name, params);
      out.push_back(at + " sets parameter '" + name + "', which runbook " + rb.name.name +
                    " does not declare" + (hint.empty() ? "" : " (" + hint + ")"));
    }
  std::vector<std::string> steps;
  for (const ast::Step* st : ast::steps_of(rb)) steps.push_back(st->id.name);
  for (const auto& s : route.auto_approve)
    if (std::find(steps.begin(), steps.end(), s) == steps.end()) {
      std::string hint = did_you_mean(s, steps);
      out.push_back(at + " auto-approves step '" + s + "', which runbook " + rb.name.name +
                    " does not have" + (hint.empty() ? "" : " (" + hint + ")"));
    }
  return out;
}

Expected<void, std::string> check_route_params(const ast::Runbook& rb,
                                               const std::map<std::string, std::string>& values,
                                               const Targets& targets) {
  std::vector<ParamArg> args;
  for (const auto& [name, value] : values) args.push_back({name, value});
  BoundParams bound = bind_params(rb, args);
  if (!bound.errors.empty()) return fail(bound.errors.front());
  if (!bound.missing.empty())
    return fail("required parameter '" + bound.missing.front()->name.name +
                "' is not given by the route");
  for (const ast::Param* p : declared_params(rb)) {
    if (p->type.kind != ast::TypeKind::Targets) continue;
    auto v = bound.values.find(p->name.name);
    if (v == bound.values.end()) continue;
    for (const auto& item : v->second.items)
      if (!targets.resolve(item.text))
        return fail("parameter " + p->name.name + ": unknown host or group '" + item.text + "'");
  }
  return {};
}

}  // namespace rbk
