// A route against the runbook it starts: what `rbk serve` checks once when
// it loads its routes (every parameter a route sets is declared, every
// auto_approve step exists), and for each alert (its values converted to
// the declared types as `-p` is, every required parameter given, every
// targets value a host or group of rbk.yaml). An alert's labels reach a
// run only through these checks, and then only as parameter values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/routes.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// What is wrong with `route` starting `rb`, one line each (none: fine).
std::vector<std::string> check_route(const Route& route, const ast::Runbook& rb);

/// Whether `values` (an alert's, from route_params) can start `rb`: each
/// converted to its declared type, required ones given, targets known to
/// `targets`; the first problem otherwise.
Expected<void, std::string> check_route_params(const ast::Runbook& rb,
                                               const std::map<std::string, std::string>& values,
                                               const Targets& targets);

}  // namespace rbk
