// Test doubles for the engine: a command runner that answers from a script
// and advances a virtual clock, an operator that answers from a queue, and a
// sink that keeps every event. No real process, no sleeping.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grammar/parse.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/operator.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/file_modules.hpp"

namespace rbk::test {

/// One scripted command result.
struct FakeResult {
  int exit = 0;
  std::string out;
  std::string err;
  int64_t takes_ms = 100;  // virtual time the command takes
  bool timed_out = false;
  bool cancel = false;  // cancels the run's token while "running" (Ctrl-C)
};

/// Answers commands whose script contains a key; a key may have a sequence
/// of results (the last repeats). Unmatched commands exit 0 with no output.
class FakeRunner final : public CommandRunner {
 public:
  FakeRunner(FakeClock& clock, CancelToken* cancel) : clock_(clock), cancel_(cancel) {}
  void on(const std::string& contains, std::vector<FakeResult> results) {
    script_.push_back({contains, std::move(results), 0});
  }
  CommandResult run(const CommandSpec& spec, OutputSink* sink) override {
    ran.push_back(spec.script);
    if (syncs) syncs_when_run.push_back(*syncs);
    envs.push_back(spec.env);
    FakeResult fr;
    for (auto& s : script_) {
      if (spec.script.find(s.key) == std::string::npos) continue;
      fr = s.results[std::min(s.next, s.results.size() - 1)];
      ++s.next;
      break;
    }
    if (sink && !fr.out.empty()) sink->on_output(Stream::Out, fr.out);
    if (sink && !fr.err.empty()) sink->on_output(Stream::Err, fr.err);
    CommandResult r;
    int64_t takes = fr.timed_out ? spec.timeout.count() : fr.takes_ms;
    clock_.advance(Millis(takes));
    r.duration = Millis(takes);
    r.out.text = fr.out;
    r.out.total_bytes = fr.out.size();
    r.err.text = fr.err;
    r.err.total_bytes = fr.err.size();
    if (fr.cancel && cancel_) cancel_->cancel();
    if (fr.cancel) {
      r.cancelled = true;
    } else if (fr.timed_out) {
      r.timed_out = true;
    } else {
      r.exit_code = fr.exit;
    }
    return r;
  }
  /// The value of `name` in the environment of the n-th command run.
  std::optional<std::string> env_of(size_t n, const std::string& name) const {
    std::optional<std::string> v;
    for (const auto& [k, val] : envs.at(n))
      if (k == name) v = val;
    return v;
  }

  std::vector<std::string> ran;
  std::vector<std::vector<std::pair<std::string, std::string>>> envs;
  const int* syncs = nullptr;       // the sink's sync count, when a test watches it
  std::vector<int> syncs_when_run;  // that count as each command started

 private:
  struct Entry {
    std::string key;
    std::vector<FakeResult> results;
    size_t next;
  };
  FakeClock& clock_;
  CancelToken* cancel_;
  std::vector<Entry> script_;
};

/// Answers from queues; with `tty = false` it is a run without a terminal.
class FakeOperator final : public Operator {
 public:
  bool tty = true;
  std::deque<std::optional<bool>> confirms;
  std::deque<std::optional<std::string>> typed_answers;
  std::deque<std::optional<ManualAnswer>> manuals;
  std::vector<std::string> asked;  // every question, in order

  bool interactive() const override { return tty; }
  std::string user() const override { return "tester"; }
  std::optional<bool> confirm(const std::string& q) override {
    asked.push_back(q);
    if (confirms.empty()) return std::nullopt;
    auto a = confirms.front();
    confirms.pop_front();
    return a;
  }
  std::optional<std::string> typed(const std::string& q, const std::string& expected) override {
    asked.push_back(q + " [type " + expected + "]");
    if (typed_answers.empty()) return std::nullopt;
    auto a = typed_answers.front();
    typed_answers.pop_front();
    return a;
  }
  std::optional<ManualAnswer> manual(const std::string& q) override {
    asked.push_back(q);
    if (manuals.empty()) return std::nullopt;
    auto a = manuals.front();
    manuals.pop_front();
    return a;
  }
  std::deque<std::optional<std::string>> answers;  // to `ask`, in order
  std::optional<std::string> ask(const std::string& q, const std::string& retry) override {
    asked.push_back(retry.empty() ? q : q + " (" + retry + ")");
    if (answers.empty()) return std::nullopt;
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
};

/// Keeps every event and all output; at the end, hands the events to the
/// schema check as a record (collect_record).
class MemorySink final : public EventSink {
 public:
  MemorySink() = default;
  MemorySink(const MemorySink&) = delete;
  MemorySink& operator=(const MemorySink&) = delete;
  ~MemorySink() override;
  /// An event as the tests read it: the JSON fields the record writes.
  struct Seen {
    std::string type;
    nlohmann::json data;  // event_fields()
    int64_t elapsed_ms = 0;
    Event typed;
  };
  std::vector<Seen> events;
  std::string all_output;
  int syncs = 0;
  std::vector<size_t> synced_after;  // events.size() at each sync
  void event(const Event& e) override {
    events.push_back({std::string(e.type()), event_fields(e), e.elapsed_ms, e});
  }
  void output(uint64_t, Stream, std::string_view chunk) override { all_output.append(chunk); }
  void sync() override {
    ++syncs;
    synced_after.push_back(events.size());
  }

  /// "type:key" for each event, e.g. "step_end:restart=ok" (see trace()).
  std::vector<Seen> of(const std::string& type) const {
    std::vector<Seen> out;
    for (const auto& e : events)
      if (e.type == type) out.push_back(e);
    return out;
  }
  /// The events as short lines, for comparing whole sequences.
  std::vector<std::string> trace() const;
};

/// A runbook parsed from text and checked (the test fails on errors), with
/// everything a run needs wired to fakes.
struct Harness {
  explicit Harness(const std::string& text, Config cfg = {});
  RunResult run(std::map<std::string, Value> params = {});

  FakeClock clock;
  CancelToken cancel;
  FakeRunner runner{clock, &cancel};
  FakeOperator op;
  MemorySink sink;
  Config config;
  DestructivePatterns patterns;
  FileModuleLoader modules;
  ParseResult parsed;
  std::map<std::string, std::unique_ptr<ParseResult>> others;  // for `call`
  EngineContext ctx;
  Diagnostics diagnostics;  // parse + check errors (empty for a valid runbook)

  /// Adds a runbook `call` can find by name.
  void add_runbook(const std::string& name, const std::string& text);
};

/// Fails the test with the diagnostics when the runbook is not valid.
void require_valid(const Harness& h);

}  // namespace rbk::test
