// What the plan shows of a step `on` targets: its hosts when they are known
// before the run (a `targets` parameter's value resolved through rbk.yaml,
// narrowed by `--target`), and its batches and thresholds, computed as the
// engine computes them (runtime/fanout).
#pragma once

#include <string>
#include <vector>

#include "interpreter/plan/plan_types.hpp"
#include "interpreter/project/targets.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk::plan {

/// What the plan needs to find a step's hosts.
struct TargetsInput {
  const ast::Runbook* runbook = nullptr;
  const BoundParams* params = nullptr;  // null: every parameter at its default
  const Targets* targets = nullptr;     // rbk.yaml's hosts and groups
  std::vector<std::string> only;        // `--target` names; empty: every host
};

/// The plan of `on`: the expression as written, the hosts (or why they are
/// not known: a capture's set, a parameter not given, a name rbk.yaml does
/// not declare), and the batches, max_fail and parallel as far as they are
/// known without the hosts.
On plan_on(const ast::On& on, const TargetsInput& in);

/// The batches and thresholds of `on` in words, for the text and the
/// Markdown alike: {"3 batches of 2", "max_fail 1", "parallel 2"}; what
/// depends on hosts not known yet says so ("batches of 25% of its hosts").
std::vector<std::string> batches_text(const On& on);

/// "5 targets", "1 target".
std::string targets_count(size_t n);

}  // namespace rbk::plan
