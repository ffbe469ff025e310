// How a step `on` targets spreads over its hosts, in one place for the engine
// (which runs the batches) and the planner (which shows them), so a plan and
// a run cannot disagree: the names a `targets` value holds, resolved to host
// ids through rbk.yaml and narrowed by `--target`, and the arithmetic of
// `serial`, `max_fail` and `parallel`.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

/// How many targets of a batch run at once when the step does not say.
inline constexpr size_t kDefaultParallel = 20;

/// The host ids `names` (hosts and groups of rbk.yaml) stand for: groups
/// flattened, each host once, in the order named, and only those in `only`
/// when it is not empty (`--target`, as host ids). A name rbk.yaml does not
/// declare is an error, with a "did you mean".
Expected<std::vector<std::string>, std::string> resolve_target_names(
    const Targets& targets, const std::vector<std::string>& names,
    const std::set<std::string>& only);

/// A step's batches: each field as the engine runs them over the step's
/// hosts (a batch holds at most all of them, and runs at most its own hosts
/// at once). Without the number of hosts only what `on` alone decides is
/// set (`serial 2`: batches of 2; no `serial`: one batch; `max_fail 1`: 1).
struct Batching {
  std::optional<size_t> per_batch;  // hosts per batch (the last may have fewer)
  std::optional<size_t> batches;
  std::optional<size_t> max_fail;  // failed hosts the step tolerates, over all batches
  std::optional<size_t> parallel;  // hosts of a batch at once
};

/// The batches of `on` over `total` hosts (nullopt: not known yet).
/// `serial P%` rounds up (at least 1 per batch), `max_fail P%` rounds down.
Batching batching(const ast::On& on, std::optional<size_t> total);

}  // namespace rbk
