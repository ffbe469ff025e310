// The Runner's steps `on` targets: the hosts resolved from rbk.yaml, batches
// behind a gate each, a batch's hosts at most `parallel` at once over SSH,
// per-target captures, the failure threshold, and undo where the step ran.
#include <algorithm>
#include <atomic>
#include <thread>

#include "interpreter/base/format_str.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/engine/runner.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/fanout.hpp"

namespace rbk::engine {

Expected<std::vector<const Host*>, std::string> Runner::resolve_on(const ast::On& on) {
  if (!on.targets) return fail(std::string("'on' names no targets"));
  Eval<Value> v = Value{};
  {
    std::lock_guard lock(state_mu_);
    v = evaluate(*on.targets, *this);
  }
  if (!v) return fail(v.error().span.where() + ": " + v.error().what());
  std::vector<std::string> names;
  if (v->kind == ValueKind::List) {
    for (const auto& item : v->items) names.push_back(to_display(item));
  } else if (v->kind != ValueKind::Empty) {
    names.push_back(to_display(*v));
  }
  const Targets& t = ctx_.config->targets;
  auto ids = resolve_target_names(t, names, ctx_.target_filter);
  if (!ids) return fail(ids.error());
  std::vector<const Host*> hosts;
  for (const auto& id : *ids) hosts.push_back(t.host(id));
  return hosts;
}

BlockResult Runner::run_on_targets(const ast::On& on, const std::vector<StepStatement>& stmts,
                                   const Gate& g, const std::string& id, const std::string& title,
                                   Mode mode, ev::Section section, bool evidence, bool* gate_passed,
                                   std::vector<std::string>& ran_on) {
  if (ctx_.resume && !ctx_.resume->run_start().targets) {
    // Which hosts --target narrowed the run to is not known: running on all
    // of them could reach hosts the run was kept away from.
    const std::string why =
        "the run's record does not say which hosts --target narrowed it to (an older rbk wrote "
        "it); start a new run";
    if (bus_.replaying()) bus_.diverge(why);
    // Refused, as a gate nobody passed: not a failure that would start the
    // undo and the rollback of what the run did before.
    return {BlockEnd::Refused, why};
  }
  auto hosts = resolve_on(on);
  if (!hosts) return {BlockEnd::Failed, hosts.error()};
  if (hosts->empty())
    return {BlockEnd::Skipped,
            ctx_.target_filter.empty() ? "no targets" : "no targets left after --target"};
  if (!ctx_.targets) return {BlockEnd::Failed, "this run cannot run commands on other hosts"};
  // The notes once for the step, not once per host.
  for (const auto& s : stmts)
    if (const auto* n = std::get_if<ast::Note>(s.stmt))
      bus_.emit(ev::Note{.step = qualified(id), .text = text(n->text, id)});

  const size_t total = hosts->size();
  const Batching shape = batching(on, total);  // every field is set: the total is known
  const size_t per_batch = shape.per_batch.value_or(total);
  const size_t max_fail = shape.max_fail.value_or(0);
  size_t parallel = shape.parallel.value_or(1);
  if (!ctx_.targets->concurrent()) parallel = 1;  // scripted runners answer in order
  const int batches = static_cast<int>(shape.batches.value_or(1));

  std::vector<std::string> failed;
  for (int b = 0; b < batches; ++b) {
    const size_t from = static_cast<size_t>(b) * per_batch;
    std::vector<const Host*> batch(
        hosts->begin() + static_cast<std::ptrdiff_t>(from),
        hosts->begin() + static_cast<std::ptrdiff_t>(std::min(total, from + per_batch)));
    std::vector<std::string> ids;
    for (const Host* h : batch) ids.push_back(h->id);
    BlockResult gate = pass_gate(g, id, title, stmts, &ids);
    if (gate.end != BlockEnd::Ok) {
      if (ran_on.empty()) return gate;
      // Earlier batches ran: the step counts as having changed those hosts
      // (its undo is stacked for a later failure); the run stops refused.
      gate.reason += format_str(" at batch {} of {}; it ran on {}", b + 1, batches, join(ran_on));
      gate.changed = true;
      return gate;
    }
    *gate_passed = true;
    if (g.destructive) bus_.sync();  // the record says what is about to happen, on disk
    bus_.emit(
        ev::BatchStart{.step = qualified(id), .batch = b + 1, .batches = batches, .targets = ids});

    std::vector<TargetRun> runs(batch.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next++) < batch.size();)
        runs[i] = exec_on_target(*batch[i], stmts, mode, id, section, evidence, g.destructive,
                                 std::nullopt, true);
    };
    {
      // A batch the record has replays its hosts one by one, in the order
      // the replay reads them (resume.hpp); one it does not runs as always.
      const size_t at_once = bus_.replaying() ? 1 : std::min(parallel, batch.size());
      std::vector<std::jthread> workers;
      for (size_t w = 1; w < at_once; ++w) workers.emplace_back(work);
      work();
    }  // joined
    // Replayed, a host whose recorded commands were used up before another
    // host's (it was between two commands when the run stopped) goes on now,
    // when the whole batch's record has been replayed.
    for (size_t i = 0; i < runs.size(); ++i)
      if (runs[i].deferred)
        runs[i] = exec_on_target(*batch[i], stmts, mode, id, section, evidence, g.destructive,
                                 std::move(runs[i]), false);

    ev::BatchEnd end{.step = qualified(id), .batch = b + 1};
    {
      std::lock_guard lock(state_mu_);
      for (const auto& run : runs) {
        if (run.ran) ran_on.push_back(run.host);
        (run.ok ? end.ok : end.failed).push_back(run.host);
        if (!run.ok) failed.push_back(run.host + " (" + run.reason + ")");
        for (const auto& [name, c] : run.captures) {
          TargetCaptures& per_host = target_captures_[name];
          std::erase_if(per_host, [&](const auto& p) { return p.first == run.host; });
          per_host.emplace_back(run.host, c);
        }
      }
    }
    end.stopped = failed.size() > max_fail && b + 1 < batches;
    bus_.emit(end);
    if (g.destructive) bus_.sync();
    if (interrupted())
      return {BlockEnd::Interrupted, "interrupted", ast::FailurePolicy::Rollback, !ran_on.empty()};
    if (failed.size() > max_fail) break;
  }
  if (failed.size() > max_fail) {
    std::string why = format_str("{} of {} targets failed", failed.size(), total);
    if (max_fail > 0) why += format_str(" (max_fail {})", max_fail);
    return {BlockEnd::Failed, why + ": " + join(failed), ast::FailurePolicy::Rollback,
            !ran_on.empty()};
  }
  if (!failed.empty())
    bus_.emit(ev::Warning{.message = format_str("{} of {} targets failed, within max_fail {}: {}",
                                                failed.size(), total, max_fail, join(failed)),
                          .step = qualified(id)});
  return {};
}

Runner::TargetRun Runner::exec_on_target(const Host& host, const std::vector<StepStatement>& stmts,
                                         Mode mode, const std::string& step, ev::Section section,
                                         bool evidence, bool write_ahead,
                                         std::optional<TargetRun> carried, bool may_defer) {
  TargetRun t = carried ? std::move(*carried) : TargetRun{};
  t.host = host.id;
  const auto [first, first_attempt] = t.deferred.value_or(std::pair<size_t, int>{0, 1});
  t.deferred.reset();
  for (size_t index = first; index < stmts.size(); ++index) {
    const auto* r = std::get_if<ast::Run>(stmts[index].stmt);
    if (!r) continue;  // a gate, a note (once per step) or an undo block (later)
    if (interrupted()) {
      t.reason = "interrupted";
      return t;
    }
    const Millis timeout = deadline_of(*r);
    const int attempts = 1 + static_cast<int>(r->retry.value_or(0));
    const Millis every = r->retry_every ? duration_of(*r->retry_every) : kDefaultRetryEvery;
    for (int attempt = index == first ? first_attempt : 1;; ++attempt) {
      if (may_defer && bus_.replaying() &&
          ctx_.resume->next_is_another_host(qualified(step), host.id)) {
        t.deferred = std::pair(index, attempt);
        return t;
      }
      CommandResult res = run_remote(host, r->shell, timeout, step, section, attempt, evidence,
                                     write_ahead, t.captures);
      if (!never_connected(res)) t.ran = true;  // where the step ran, its undo runs
      if (r->capture) {
        std::erase_if(t.captures, [&](const auto& p) { return p.first == r->capture->name; });
        t.captures.emplace_back(r->capture->name, capture_of(res));
      }
      if (res.cancelled || interrupted()) {
        t.reason = "interrupted";
        return t;
      }
      if (res.ok()) break;
      // In diagnosis a non-zero exit is information, as on this machine; a
      // host that could not be reached says nothing about it.
      const bool unreached = never_connected(res);
      if (mode == Mode::Inform && !unreached) break;
      if (attempt >= attempts) {
        t.reason = unreached && !res.error.empty() ? res.error : describe_failure(res, timeout);
        return t;
      }
      if (!ctx_.clock->sleep_until(now() + every, ctx_.cancel)) {
        t.reason = "interrupted";
        return t;
      }
    }
  }
  t.ok = true;
  return t;
}

CommandResult Runner::run_remote(const Host& host, const ast::Shell& shell, Millis timeout,
                                 const std::string& step, ev::Section section, int attempt,
                                 bool evidence, bool write_ahead,
                                 const std::vector<std::pair<std::string, CaptureData>>& own) {
  std::vector<std::string> too_big;
  CommandSpec spec = command_spec(shell.text, timeout, section, step, too_big);
  // A secret goes to another host only for a command that names it ($NAME):
  // each host sees the least it needs, not every credential of the run.
  std::erase_if(spec.env, [&](const auto& kv) {
    return std::any_of(secrets_.begin(), secrets_.end(),
                       [&](const auto& s) { return s.first == kv.first; }) &&
           !mentions_variable(shell.text, kv.first);
  });
  for (const auto& [name, c] : own) spec.env.emplace_back(name, c.value());
  spec.env.emplace_back("RBK_TARGET", host.id);
  // Replaying, the command takes the number the record gave it (the
  // batch's hosts took theirs in the order they started).
  const bool replayed = bus_.replaying();
  uint64_t seq = 0;
  std::optional<uint64_t> recorded;
  {
    std::lock_guard lock(seq_mu_);
    if (replayed) recorded = ctx_.resume->replayed_seq(qualified(step), host.id);
    seq = recorded ? *recorded : ++*seq_;
    *seq_ = std::max(*seq_, seq);
  }
  std::vector<std::string> names;
  for (const auto& [n, v] : spec.env) names.push_back(n);
  bus_.emit(ev::CommandStart{.step = qualified(step),
                             .seq = seq,
                             .command = shell.text,
                             .line = shell.first_line,
                             .timeout_ms = count(timeout),
                             .attempt = attempt,
                             .env = std::move(names),
                             .target = host.id});
  if (write_ahead) bus_.sync();  // on disk before the process exists
  MaskingSink sink(bus_, seq, qualified(step), host.id);
  CommandResult r;
  std::string unreadable = capture_too_big_for(shell.text, too_big);
  if (unreadable.empty()) unreadable = ungated_by_values(shell.text, spec.env, write_ahead);
  if (replayed) {
    // The record saw it end (a command still running when the run died
    // refuses the resume before it starts): counted, never run again.
    auto result = recorded ? ctx_.resume->recorded_result(seq, qualified(step)) : std::nullopt;
    if (result) {
      r = std::move(*result);
    } else {
      bus_.diverge("command " + std::to_string(seq) + " of step " + qualified(step) + " on " +
                   host.id + " has no result in the record");
      r.cancelled = true;
      r.error = "not run: the resume diverged";
    }
  } else if (!refused_start(unreadable, r)) {
    r = ctx_.targets->run_on(host, spec, &sink);
  }
  sink.finish();
  ev::CommandEnd end = step_command_end(qualified(step), seq, r, sink, !replayed, evidence);
  end.target = host.id;
  bus_.emit(std::move(end));
  if (write_ahead) bus_.sync();  // on disk before anything else happens
  return r;
}

BlockResult Runner::undo_on_targets(const std::vector<StepStatement>& stmts, const std::string& id,
                                    const std::vector<std::string>& hosts, bool gated) {
  std::vector<std::string> failed;
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
    const Host* h = ctx_.config->targets.host(*it);
    if (!h || !ctx_.targets) {
      failed.push_back(*it + " (cannot be reached)");
      continue;
    }
    // Written ahead (and judged with its values) as a local undo is: as
    // destructive as its gate says.
    TargetRun run = exec_on_target(*h, stmts, Mode::Act, id, ev::Section::Undo, false, gated);
    if (!run.ok) failed.push_back(*it + " (" + run.reason + ")");
  }
  if (failed.empty()) return {};
  return {BlockEnd::Failed, "undo failed on " + join(failed)};
}

}  // namespace rbk::engine
