#include "interpreter/runtime/fanout.hpp"

#include <algorithm>
#include <cstdint>

#include "interpreter/base/suggest.hpp"

namespace rbk {

namespace {

/// `serial`/`max_fail` as a number of targets: N, or P% of `total`, rounded
/// up for a batch size (25% of 3 hosts is a batch of 1) and down for a
/// threshold (10% of 5 hosts tolerates none); nullopt for a percentage of
/// an unknown total.
std::optional<size_t> count_of(const ast::FanoutCount& c, std::optional<size_t> total,
                               bool round_up) {
  const auto n = static_cast<size_t>(std::max<int64_t>(0, c.n));
  if (!c.percent) return n;
  if (!total) return std::nullopt;
  return round_up ? (*total * n + 99) / 100 : *total * n / 100;
}

}  // namespace

Expected<std::vector<std::string>, std::string> resolve_target_names(
    const Targets& targets, const std::vector<std::string>& names,
    const std::set<std::string>& only) {
  std::vector<std::string> hosts;
  for (const auto& name : names) {
    auto ids = targets.resolve(name);
    if (!ids) {
      std::string hint = did_you_mean(name, targets.names());
      return fail("unknown host or group '" + name + "'" +
                  (hint.empty() ? " (declare it under targets in rbk.yaml)" : "; " + hint));
    }
    for (const auto& id : *ids) {
      if (!only.empty() && !only.count(id)) continue;
      if (targets.host(id) && std::find(hosts.begin(), hosts.end(), id) == hosts.end())
        hosts.push_back(id);
    }
  }
  return hosts;
}

Batching batching(const ast::On& on, std::optional<size_t> total) {
  Batching b;
  if (!on.serial)
    b.per_batch = total;
  else if (auto n = count_of(*on.serial, total, true))
    b.per_batch = std::max<size_t>(1, *n);
  // A batch never holds more than the step's hosts, nor runs more at once
  // than it holds.
  if (total && b.per_batch) b.per_batch = std::min(*b.per_batch, *total);
  if (total && b.per_batch)
    b.batches = *b.per_batch == 0 ? 0 : (*total + *b.per_batch - 1) / *b.per_batch;
  else if (!on.serial)
    b.batches = 1;  // every host in one batch, however many there are
  b.max_fail = on.max_fail ? count_of(*on.max_fail, total, false) : std::optional<size_t>(0);
  if (on.parallel)
    b.parallel = static_cast<size_t>(std::max<int64_t>(1, on.parallel->n));
  else if (b.per_batch)
    b.parallel = std::min(*b.per_batch, kDefaultParallel);
  if (b.parallel && b.per_batch && *b.per_batch > 0)
    b.parallel = std::min(*b.parallel, *b.per_batch);
  return b;
}

}  // namespace rbk
