// Resuming steps on targets, at the engine's level with hosts answered in
// memory: a batch's hosts ran at once and the record has them in the order
// they happened to start, which the replay must accept whatever it was;
// nothing recorded runs again, and per-target captures come back from the
// recorded output.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine_fakes.hpp"
#include "interpreter/engine/resume.hpp"
#include "interpreter/runtime/ssh.hpp"

namespace {

using namespace rbk;
using namespace rbk::test;

constexpr const char* kFleet = R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step push "Push" {
      on hosts parallel 3
      run `echo "$RBK_TARGET"` as pushed
    }
    step after "After" {
      on pushed.ok_targets parallel 3
      run `echo "${pushed["web-2"].stdout}"`
    }
  }
}
)";

// Hosts that answer at once: exit 0, "pushed HOST" on stdout. Keeps which
// host ran which step.
class MemoryTargets final : public TargetRunner {
 public:
  CommandResult run_on(const Host& host, const CommandSpec& spec, OutputSink* sink) override {
    std::string step;
    for (const auto& [name, value] : spec.env)
      if (name == "RBK_STEP") step = value;
    const std::string out = "pushed " + host.id + "\n";
    {
      std::lock_guard lock(mu_);
      ran.push_back(step + "@" + host.id);
      ran_scripts.push_back(spec.script + "@" + host.id);
      // The run "stops" once this many commands ran (Ctrl-C between hosts).
      if (cancel && ran.size() == cancel_after) cancel->cancel();
    }
    if (sink) sink->on_output(Stream::Out, out);
    CommandResult r;
    r.exit_code = 0;
    r.out.text = out;
    r.out.total_bytes = out.size();
    return r;
  }
  bool concurrent() const override { return true; }
  std::mutex mu_;
  std::vector<std::string> ran;          // STEP@HOST
  std::vector<std::string> ran_scripts;  // COMMAND@HOST
  CancelToken* cancel = nullptr;
  size_t cancel_after = 0;
};

// Each command's output, by number, as the record's files would keep it.
class Outputs final : public EventSink {
 public:
  void event(const Event&) override {}
  void output(uint64_t seq, Stream stream, std::string_view chunk) override {
    std::lock_guard lock(mu_);
    (stream == Stream::Out ? by_seq[seq].first : by_seq[seq].second).append(chunk);
  }
  std::mutex mu_;
  std::map<uint64_t, std::pair<std::string, std::string>> by_seq;
};

Config fleet_config() {
  Config c;
  for (const char* id : {"web-1", "web-2", "web-3"})
    c.targets.add_host(
        Host{.id = id, .address = "127.0.0.1", .port = {}, .user = {}, .labels = {}});
  c.targets.groups["web"] = {"web-1", "web-2", "web-3"};
  return c;
}

/// The record a first run left, resumed in a new engine with the same
/// hosts: the result, and the ResumeState (divergence(), in_flight()).
struct Resumed {
  std::unique_ptr<ResumeState> state;
  RunResult result;
};
Resumed resume_from(const std::string& runbook, const std::vector<Event>& record, Outputs& outputs,
                    MemoryTargets& hosts) {
  auto state = ResumeState::from_record(record, "", 1 << 20);
  INFO((state ? "" : state.error()));
  REQUIRE(state);
  Resumed r{std::move(*state), {}};
  Harness resumed(runbook, fleet_config());
  resumed.ctx.targets = &hosts;
  r.state->use_clock(resumed.clock, resumed.clock.now());
  r.state->set_outputs([&](uint64_t seq, Stream stream) {
    auto it = outputs.by_seq.find(seq);
    if (it == outputs.by_seq.end()) return std::string();
    return stream == Stream::Out ? it->second.first : it->second.second;
  });
  resumed.ctx.resume = r.state.get();
  resumed.ctx.clock = &r.state->clock();
  r.result = resumed.run();
  return r;
}

/// A first run of a runbook on the three hosts, each command's output kept.
struct FirstRun {
  explicit FirstRun(const char* runbook) : h(runbook, fleet_config()) {
    require_valid(h);
    h.ctx.targets = &hosts;
    h.ctx.sinks.push_back(&outputs);
  }
  Harness h;
  MemoryTargets hosts;
  Outputs outputs;
};

std::vector<Event> typed_events(const MemorySink& sink) {
  std::vector<Event> out;
  for (const auto& seen : sink.events) out.push_back(seen.typed);
  return out;
}

}  // namespace

TEST_CASE("a batch recorded in any order replays without running a host again", "[resume]") {
  // The first run, killed (as it were) once the push ended: its record up to
  // the push's step_end, its hosts' events put in an order the batch's
  // workers could have made (web-3 started first, web-1 ended last).
  FirstRun run(kFleet);
  Harness& first = run.h;
  MemoryTargets& hosts = run.hosts;
  Outputs& outputs = run.outputs;
  REQUIRE(first.run().exit_code == 0);
  std::vector<Event> record;
  std::map<std::string, Event> start_of, end_of;  // by host
  for (const auto& seen : first.sink.events) {
    if (const auto* s = seen.typed.as<ev::CommandStart>(); s && s->step == "push")
      start_of.emplace(*s->target, seen.typed);
    if (const auto* s = seen.typed.as<ev::CommandEnd>(); s && s->step == "push")
      end_of.emplace(*s->target, seen.typed);
  }
  for (const auto& seen : first.sink.events) {
    const Event& e = seen.typed;
    const auto* start = e.as<ev::CommandStart>();
    const auto* end = e.as<ev::CommandEnd>();
    if ((start && start->step == "push") || (end && end->step == "push")) continue;
    record.push_back(e);
    if (e.as<ev::BatchStart>()) {
      // Numbers as the start order gave them: web-3 1, web-2 2, web-1 3.
      std::map<std::string, uint64_t> renumber{{"web-3", 1}, {"web-2", 2}, {"web-1", 3}};
      std::map<uint64_t, std::pair<std::string, std::string>> moved;
      for (const char* host : {"web-3", "web-2"}) record.push_back(start_of.at(host));
      record.push_back(end_of.at("web-2"));
      record.push_back(start_of.at("web-1"));
      record.push_back(end_of.at("web-3"));
      record.push_back(end_of.at("web-1"));
      for (size_t i = record.size() - 6; i < record.size(); ++i) {
        Event& moved_event = record[i];
        if (auto* s = std::get_if<ev::CommandStart>(&moved_event.body)) {
          moved[renumber.at(*s->target)] = outputs.by_seq.at(s->seq);
          s->seq = renumber.at(*s->target);
        }
        if (auto* s = std::get_if<ev::CommandEnd>(&moved_event.body))
          s->seq = renumber.at(*s->target);
      }
      outputs.by_seq = std::move(moved);
    }
    if (const auto* s = e.as<ev::StepEnd>(); s && s->step == "push") break;
  }
  REQUIRE(record.size() > 8);
  CHECK(hosts.ran.size() == 6);  // push and after, on three hosts
  hosts.ran.clear();

  auto state = ResumeState::from_record(record, "", 1 << 20);
  REQUIRE(state);
  CHECK(!(*state)->in_flight());
  Harness resumed(kFleet, fleet_config());
  resumed.ctx.targets = &hosts;
  (*state)->use_clock(resumed.clock, resumed.clock.now());
  (*state)->set_outputs([&](uint64_t seq, Stream stream) {
    auto it = outputs.by_seq.find(seq);
    if (it == outputs.by_seq.end()) return std::string();
    return stream == Stream::Out ? it->second.first : it->second.second;
  });
  resumed.ctx.resume = state->get();
  resumed.ctx.clock = &(*state)->clock();
  RunResult result = resumed.run();
  INFO((*state)->divergence());
  CHECK((*state)->divergence().empty());
  CHECK(result.exit_code == 0);
  // Only the step after the record's end ran, on every host the replayed
  // push succeeded on, and it read web-2's recorded output.
  std::sort(hosts.ran.begin(), hosts.ran.end());
  CHECK(hosts.ran == std::vector<std::string>{"after@web-1", "after@web-2", "after@web-3"});
  std::vector<uint64_t> live_seqs;
  for (const auto& seen : resumed.sink.events)
    if (const auto* s = seen.typed.as<ev::CommandStart>()) live_seqs.push_back(s->seq);
  std::sort(live_seqs.begin(), live_seqs.end());
  CHECK(live_seqs == std::vector<uint64_t>{4, 5, 6});  // after the record's numbers
}

TEST_CASE("a batch stopped between hosts resumes with the hosts it never started", "[resume]") {
  constexpr const char* kOneByOne = R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step push "Push" {
      on hosts parallel 1
      run `echo "$RBK_TARGET"`
    }
  }
}
)";
  // Ctrl-C once web-1's push ended: web-2 and web-3 never started, and the
  // batch_end names them failed before the step's interrupted step_end.
  FirstRun run(kOneByOne);
  Harness& first = run.h;
  MemoryTargets& hosts = run.hosts;
  Outputs& outputs = run.outputs;
  hosts.cancel = &first.cancel;
  hosts.cancel_after = 1;
  REQUIRE(first.run().outcome == Outcome::Interrupted);
  REQUIRE(hosts.ran == std::vector<std::string>{"push@web-1"});
  REQUIRE(!first.sink.of("batch_end").empty());
  hosts.ran.clear();
  hosts.cancel = nullptr;
  Resumed r = resume_from(kOneByOne, typed_events(first.sink), outputs, hosts);
  INFO(r.state->divergence());
  CHECK(r.state->divergence().empty());
  CHECK(r.result.exit_code == 0);
  CHECK(hosts.ran == std::vector<std::string>{"push@web-2", "push@web-3"});
}

TEST_CASE("a host between two commands when the run stopped goes on after the batch replayed",
          "[resume]") {
  constexpr const char* kTwoCommands = R"(runbook fleet {
  param hosts : targets = "web"
  remediate {
    step push "Push" {
      on hosts parallel 3
      run `echo one`
      run `echo two`
    }
  }
}
)";
  FirstRun run(kTwoCommands);
  Harness& first = run.h;
  MemoryTargets& hosts = run.hosts;
  Outputs& outputs = run.outputs;
  REQUIRE(first.run().exit_code == 0);
  // Killed while web-1 was between its two commands (the others had run
  // both): its second command and everything after the batch are not in
  // the record.
  std::vector<Event> record;
  for (const Event& e : typed_events(first.sink)) {
    if (e.as<ev::BatchEnd>()) break;
    const auto* start = e.as<ev::CommandStart>();
    const auto* end = e.as<ev::CommandEnd>();
    const bool web1_two =
        (start && start->target == "web-1" && start->command.value == "echo two") ||
        (end && end->target == "web-1" && end->step == "push" && [&] {
          for (const auto& seen : first.sink.of("command_start"))
            if (seen.data["seq"] == end->seq) return seen.data["command"] == "echo two";
          return false;
        }());
    if (!web1_two) record.push_back(e);
  }
  hosts.ran_scripts.clear();
  Resumed r = resume_from(kTwoCommands, record, outputs, hosts);
  INFO(r.state->divergence());
  CHECK(r.state->divergence().empty());
  CHECK(r.result.exit_code == 0);
  CHECK(hosts.ran_scripts == std::vector<std::string>{"echo two@web-1"});
}

TEST_CASE("a record that does not say how --target narrowed the run resumes no step on targets",
          "[resume]") {
  FirstRun run(kFleet);
  Harness& first = run.h;
  MemoryTargets& hosts = run.hosts;
  Outputs& outputs = run.outputs;
  REQUIRE(first.run().exit_code == 0);
  // As an older rbk wrote it: no run_start.targets; killed after the push.
  std::vector<Event> record;
  for (Event e : typed_events(first.sink)) {
    if (auto* start = std::get_if<ev::RunStart>(&e.body)) start->targets.reset();
    record.push_back(e);
    if (const auto* end = e.as<ev::StepEnd>(); end && end->step == "push") break;
  }
  hosts.ran.clear();
  Resumed r = resume_from(kFleet, record, outputs, hosts);
  CHECK_THAT(r.state->divergence(), Catch::Contains("does not say which hosts --target"));
  CHECK(hosts.ran.empty());
  // Stopped before its first step on targets: the resume goes live there,
  // and stops refused (no undo, no rollback), running nothing on any host.
  std::vector<Event> before;
  for (const Event& e : record) {
    if (const auto* start = e.as<ev::StepStart>(); start && start->step == "push") break;
    before.push_back(e);
  }
  Resumed early = resume_from(kFleet, before, outputs, hosts);
  CHECK(early.state->divergence().empty());
  CHECK(early.result.outcome == Outcome::Refused);
  CHECK(hosts.ran.empty());
}

TEST_CASE("a run killed while a batch ran names its hosts in the batch's order", "[resume]") {
  FirstRun run(kFleet);
  REQUIRE(run.h.run().exit_code == 0);
  // Killed once all three pushes had started, web-3 first and web-1 last:
  // which host took the first number is the machine's, so the refusal must
  // not depend on it (a flaky CI run once saw the numbers in this order).
  std::vector<Event> record;
  std::map<std::string, Event> start_of;
  for (const Event& e : typed_events(run.h.sink))
    if (const auto* s = e.as<ev::CommandStart>(); s && s->step == "push")
      start_of.emplace(*s->target, e);
  for (const Event& e : typed_events(run.h.sink)) {
    if (const auto* s = e.as<ev::CommandStart>(); s && s->step == "push") continue;
    record.push_back(e);
    if (e.as<ev::BatchStart>()) {
      uint64_t seq = 0;
      for (const char* host : {"web-3", "web-2", "web-1"}) {
        Event started = start_of.at(host);
        std::get<ev::CommandStart>(started.body).seq = ++seq;
        record.push_back(started);
      }
      break;
    }
  }
  auto state = ResumeState::from_record(record, "", 1 << 20);
  REQUIRE_FALSE(state);
  CHECK_THAT(state.error(), Catch::Contains("commands ran on targets (push on web-1, push on "
                                            "web-2, push on web-3)"));
}
