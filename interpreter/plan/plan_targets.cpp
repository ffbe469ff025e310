#include "interpreter/plan/plan_targets.hpp"

#include <optional>
#include <set>

#include "interpreter/runtime/fanout.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk::plan {

namespace {

/// `serial`, `max_fail` or `parallel` as written: "2", "25%".
OrNull<std::string> written_count(const std::optional<ast::FanoutCount>& c) {
  if (!c) return {};
  return {std::to_string(c->n) + (c->percent ? "%" : "")};
}

OrNull<int64_t> count_or_null(std::optional<size_t> n) {
  if (!n) return {};
  return {static_cast<int64_t>(*n)};
}

/// The host ids `--target` leaves; empty when it was not given. A name
/// rbk.yaml does not declare leaves none (the CLI refuses it before).
std::set<std::string> filter_of(const TargetsInput& in) {
  std::set<std::string> ids;
  for (const auto& name : in.only)
    if (auto found = in.targets->resolve(name)) ids.insert(found->begin(), found->end());
  return ids;
}

/// The parameter named `name`, or null.
const ast::Param* param_named(const ast::Runbook& rb, const std::string& name) {
  for (const auto* p : declared_params(rb))
    if (p->name.name == name) return p;
  return nullptr;
}

/// The names a targets parameter holds in this run: its `-p` value, else
/// its default; nullopt when it is required and not given.
std::optional<std::vector<std::string>> param_names(const ast::Param& p, const BoundParams* b) {
  std::optional<Value> v;
  if (b) {
    if (auto it = b->values.find(p.name.name); it != b->values.end()) v = it->second;
  } else if (p.default_value) {
    v = default_value(p);
  }
  if (!v) return std::nullopt;
  std::vector<std::string> names;
  if (v->kind == ValueKind::List) {
    for (const auto& item : v->items) names.push_back(to_display(item));
  } else if (v->kind != ValueKind::Empty) {
    names.push_back(to_display(*v));
  }
  return names;
}

/// What a capture's set holds, for a step that runs on it.
std::string capture_set(const std::string& capture, const std::string& field) {
  if (field == "failed_targets") return "the hosts where " + capture + " failed";
  if (field == "ok_targets") return "the hosts where " + capture + " succeeded";
  return "the hosts " + capture + " ran on";
}

}  // namespace

On plan_on(const ast::On& on, const TargetsInput& in) {
  static const Targets no_targets;
  TargetsInput full = in;
  if (!full.targets) full.targets = &no_targets;
  On j;
  if (on.targets) j.targets = std::string(on.targets->span.text());
  j.serial = written_count(on.serial);
  j.max_fail = written_count(on.max_fail);
  j.parallel = written_count(on.parallel);
  const std::set<std::string> only = filter_of(full);

  const ast::Expr* e = on.targets.get();
  std::optional<size_t> total;
  if (e && e->kind == ast::ExprKind::Member) {
    j.source = TargetsSource::Capture;
    const std::string capture = e->items.empty() ? std::string() : e->items[0]->name;
    j.unknown.value = "known at run time: " + capture_set(capture, e->name);
    j.narrowed = !only.empty();
  } else if (const ast::Param* p =
                 e && full.runbook ? param_named(*full.runbook, e->name) : nullptr) {
    j.source = TargetsSource::Param;
    auto names = param_names(*p, full.params);
    if (!names) {
      j.unknown.value = "the parameter " + p->name.name + " is required and not given";
    } else {
      j.names.value = *names;
      auto hosts = resolve_target_names(*full.targets, *names, only);
      if (!hosts) {
        j.unknown.value = hosts.error();
      } else {
        // Narrowed: --target left fewer hosts than the names stand for.
        if (!only.empty()) {
          auto all = resolve_target_names(*full.targets, *names, {});
          j.narrowed = all && all->size() != hosts->size();
        }
        total = hosts->size();
        if (hosts->empty())
          j.skipped.value = only.empty() ? "no targets" : "no targets left after --target";
        j.hosts.value = std::move(*hosts);
      }
    }
  } else {
    j.unknown.value = "known at run time";
  }
  if (j.skipped.value) return j;  // no batch runs
  const Batching b = batching(on, total);
  j.per_batch = count_or_null(b.per_batch);
  j.batches = count_or_null(b.batches);
  j.max_fail_count = count_or_null(b.max_fail);
  j.parallel_count = count_or_null(b.parallel);
  return j;
}

std::string targets_count(size_t n) {
  return std::to_string(n) + (n == 1 ? " target" : " targets");
}

std::vector<std::string> batches_text(const On& on) {
  const bool percent = on.serial.value && on.serial.value->ends_with('%');
  std::string batches;
  if (on.batches.value && on.per_batch.value) {
    batches = std::to_string(*on.batches.value) +
              (*on.batches.value == 1 ? " batch of " : " batches of ") +
              std::to_string(*on.per_batch.value);
    if (percent) batches += " (serial " + *on.serial.value + ")";
  } else if (on.batches.value) {
    batches = "one batch of all its hosts";
  } else if (on.per_batch.value) {
    batches = "batches of " + std::to_string(*on.per_batch.value);
  } else {
    batches = "batches of " + on.serial.value.value_or("") + " of its hosts";  // serial P%
  }
  std::string max_fail = "max_fail ";
  if (!on.max_fail.value)
    max_fail += "0 (default)";
  else if (!on.max_fail.value->ends_with('%'))
    max_fail += *on.max_fail.value;
  else if (on.max_fail_count.value)
    max_fail += *on.max_fail.value + " (" +
                targets_count(static_cast<size_t>(*on.max_fail_count.value)) + ")";
  else
    max_fail += *on.max_fail.value + " of its hosts";
  std::string parallel = "parallel ";
  if (on.parallel.value)
    parallel += *on.parallel.value;
  else if (on.parallel_count.value)
    parallel += std::to_string(*on.parallel_count.value) + " (default)";
  else
    parallel += "up to " + std::to_string(kDefaultParallel) + " (default)";
  return {batches, max_fail, parallel};
}

}  // namespace rbk::plan
