// `rbk run … --record-fixture FILE`: turns what a real run saw (commands
// with their output, exit status and duration; the operator's answers and
// how long they took; the outcome) into a fixture case that `rbk test`
// replays to the same end. It listens to the run's events, which the engine
// has already masked, so secrets never reach the fixture.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "interpreter/record/events.hpp"
#include "interpreter/runtime/output_capture.hpp"
#include "interpreter/testing/fixture_expect.hpp"

namespace rbk {

/// How the run was started: what the fixture case must repeat.
struct RecordedInvocation {
  std::string runbook;  // as the fixture names it (a path relative to the fixture)
  bool terminal = true;
  std::set<std::string> approve;
  std::vector<std::string> targets;  // --target, as given
  bool yes = false;
  bool force = false;
  size_t capture_limit = size_t{1} << 20;  // output kept per stream, as the engine does
};

/// An EventSink that remembers a run as a fixture.
class FixtureRecorder final : public EventSink {
 public:
  explicit FixtureRecorder(RecordedInvocation how) : how_(std::move(how)) {}
  void event(const Event& e) override;
  void output(uint64_t seq, Stream stream, std::string_view chunk) override;
  /// The fixture file's text (YAML with a header comment).
  std::string yaml() const;

 private:
  struct Result {
    std::string out, err;
    int exit = 0;
    bool timed_out = false;
    int64_t duration_ms = 0;
  };
  struct Entry {
    std::string step, command, target;  // target: "" on this machine
    std::vector<Result> results;
  };
  struct Answer {
    std::string step, kind, value;
    int64_t after_ms = 0;
  };
  struct Running {
    size_t entry;
    OutputCapture out, err;
  };

  RecordedInvocation how_;
  nlohmann::json params_ = nlohmann::json::object();
  std::vector<std::string> secrets_;
  std::string run_id_, started_;
  std::vector<Entry> entries_;
  std::map<uint64_t, Running> running_;  // by command seq
  std::vector<Answer> answers_;
  std::map<std::string, std::string> flag_answers_;  // --answer NAME=VALUE, masked
  int64_t asked_at_ = 0;                             // when the current gate or step started
  std::vector<std::string> steps_, causes_;
  TargetStatuses target_statuses_;
  struct Esc {
    std::string role, rule;
  };
  std::vector<Esc> escalations_;
  std::string outcome_;
  int exit_code_ = -1;
  std::vector<std::string> unreplayable_;  // what the fixture cannot express
};

}  // namespace rbk
