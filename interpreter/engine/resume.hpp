// Resuming a run from its record (`rbk resume`). The engine runs the runbook
// again from the top, but while the record lasts nothing is done again: each
// command's result, each gate's answer and each manual step's answer comes
// from the record, escalations already delivered are not sent again, and
// every event the engine makes is checked against the recorded one and
// dropped. Where the record ends the run goes live, after a `resume` event,
// and writes on into the same record. Replaying instead of restoring a saved
// state means that captures, causes, step results and the undo stack are
// rebuilt by the same code that built them the first time, and a record
// the runbook cannot reproduce is refused, not guessed at.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/record/events.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/command.hpp"

namespace rbk {

/// The command that was running when the run died: a command_start with no
/// command_end.
struct InFlightCommand {
  std::string step{};
  uint64_t seq = 0;
  std::string command{};
  std::string started{};     // its command_start's wall-clock time
  bool destructive = false;  // its step is destructive (gated as such)
};

/// A command's process group as the record has it, with when it was written.
struct RecordedGroup {
  ev::CommandGroup group{};
  int64_t recorded_ms = 0;  // its line's t
};

/// The process groups of the commands that were running when the run died,
/// in the order of their commands: a command_group with no command_end
/// after it, and no resume since (a resume ends what it finds before it goes
/// on, and records it). Read before anything else of a resume, so that even
/// a record it then refuses has its leftovers ended.
std::vector<RecordedGroup> unended_groups(const std::vector<Event>& events);

/// The t of the run's last event (notes and other processes' lines left
/// out): the run was alive then.
int64_t last_run_event_ms(const std::vector<Event>& events);

/// A run's record, read for resuming, and the replay's progress through it.
/// The engine calls it under the bus's lock or on the run's thread.
class ResumeState {
 public:
  /// From a record's events in order (complete lines only). `dir` is the
  /// run's directory, whose output files give the recorded commands' output
  /// (up to `capture_limit` bytes per stream, as the run kept). Refused, with
  /// the reason, when the record cannot be resumed: no run_start, or the run
  /// is over (a run_end other than `interrupted`).
  static Expected<std::unique_ptr<ResumeState>, std::string> from_record(std::vector<Event> events,
                                                                         std::string dir,
                                                                         size_t capture_limit);
  ResumeState(const ResumeState&) = delete;
  ResumeState& operator=(const ResumeState&) = delete;

  /// The record's run_start.
  const ev::RunStart& run_start() const { return start_; }
  /// The command that was running, if one was.
  const std::optional<InFlightCommand>& in_flight() const { return in_flight_; }
  /// The recorded time of the record's last event (ms since the run's start).
  int64_t last_elapsed_ms() const { return last_elapsed_; }
  /// The recorded time of the event take() last replayed (ms since the start).
  int64_t taken_elapsed_ms() const { return taken_elapsed_; }
  /// The run last stopped parked at a gate (rbk serve), not by dying.
  bool parked() const { return parked_; }
  /// The step where the run stopped: the in-flight command's, else the last
  /// step that began and did not end; empty when none.
  const std::string& stopped_at() const { return stopped_at_; }

  /// The decision about the in-flight command was made by the resume
  /// before, which died before it carried it out: it stands, unasked.
  bool carried_over() const { return carried_over_; }
  /// What to do with the in-flight command; the resume event says it.
  void decide(ev::InFlight decision, ev::Via via);
  /// Decides what needs no question, before the engine starts (`rbk resume`
  /// and rbk test alike): a command that only reads runs again;
  /// `assumed_done`, `assumed_failed` (--assume-done/-failed STEP) count it
  /// so; else `approved` (--approve STEP) runs it again. False when a
  /// destructive command is left for the operator.
  bool decide_without_asking(bool approved, bool assumed_done, bool assumed_failed);
  /// No decision yet about a destructive in-flight command: the engine asks
  /// the operator when the replay reaches it (after the step's probe).
  bool undecided() const { return in_flight_ && !decision_; }
  /// True when `start` (made by the replay, not yet emitted) is the undecided
  /// in-flight command and the last event the record has: the run's state
  /// is rebuilt up to it and nothing of the resume is written yet.
  bool asks_at(const ev::CommandStart& start) const;
  /// The operator stopped the resume at the in-flight question (or the
  /// resume was interrupted there): nothing more runs and nothing is written
  /// (the run stays resumable).
  void stop(bool interrupted) {
    stopped_ = true;
    stopped_by_signal_ = interrupted;
    diverge("stopped at the question about the command that was running");
  }
  /// stop() was called.
  bool stopped() const { return stopped_; }
  /// stop() was called because the resume was interrupted (Ctrl-C…).
  bool stopped_by_signal() const { return stopped_by_signal_; }
  /// --allow-changed: a called runbook whose text changed since the run
  /// started is replayed as it is now (recorded), instead of refused.
  void set_allow_changed(bool allow) { allow_changed_ = allow; }
  /// The `resume` event written where the run goes live (the CLI fills
  /// `by`, `dropped_bytes`, `runbook_changed`).
  ev::Resume& resume_event() { return resume_; }

  // ------------------------------------------------------------ the engine

  /// False while the replay is still inside the record.
  bool live() const { return live_; }
  /// What to do with an event the replay made (already masked).
  enum class Take {
    Replayed,  // it is the record's next event: drop it
    Held,      // not replayed (a new escalation): write it once live
    Dropped,   // a warning during the replay: the record has its own
    Diverged,  // the replay went another way than the record
  };
  /// Takes the replay's next event; the record used up, live() turns true.
  /// `clock` is moved to the recorded time of a replayed event.
  Take take(const Event& e);
  /// Why the replay diverged (empty while it has not); read it once the
  /// run is over.
  const std::string& divergence() const { return divergence_; }
  /// The replay cannot go on the way the record went (the first reason
  /// stays); from any thread.
  void diverge(std::string why) {
    std::lock_guard lock(divergence_mu_);
    if (divergence_.empty()) divergence_ = std::move(why);
    diverged_.store(true);
  }
  /// divergence() is not empty; safe from any thread (the timer's too).
  bool diverged() const { return diverged_.load(); }
  /// The number the record gave the command on `target` that the replay
  /// makes next for `step`: a batch's hosts ran at once and took their
  /// numbers in the order they started. nullopt once live, or when the
  /// record's next event is not that command (the replay diverges).
  std::optional<uint64_t> replayed_seq(const std::string& step, const std::string& target) const;
  /// True while replaying when the record's next event is a command of
  /// `step` on a host other than `target`: this host's recorded commands are
  /// used up before the batch's are (it was between two when the run
  /// stopped), so it goes on after the others replayed.
  bool next_is_another_host(const std::string& step, const std::string& target) const;
  /// The recorded result of command `seq`; nullopt for a command the record
  /// did not see end (the in-flight one: see in_flight_result) or run
  /// (a secret's command, which runs again: its output is never recorded).
  std::optional<CommandResult> recorded_result(uint64_t seq, const std::string& step) const;
  /// The in-flight command's result when the decision was done or failed.
  std::optional<CommandResult> in_flight_result(const std::string& by) const;
  /// The recorded answer of the step's next gate, or manual step.
  std::optional<ev::Answer> recorded_answer(const std::string& step);
  std::optional<ev::Manual> recorded_manual(const std::string& step);
  /// The recorded answer of the step's next `ask`.
  std::optional<ev::Ask> recorded_ask(const std::string& step);
  /// True (once per recorded delivery) when this page or notification was
  /// delivered before the run died: it is not sent again.
  bool already_delivered(const ev::Escalation& e);
  /// For an `on interrupted` rule fired as the resume begins: true when the
  /// death it resumes from was told already (rbk saw the interruption and
  /// fired the rule, or an earlier resume did for it). One page per death:
  /// the record's deliveries of the rule against the run's deaths so far.
  bool death_told(const ev::Escalation& e);
  /// True when an earlier resume ran command `seq` again (under the next seq).
  bool ran_again(uint64_t seq) const { return ran_again_.count(seq) > 0; }
  /// Events the replay held, to write after the resume event.
  std::vector<Event> take_held();
  /// The replay's clock: recorded time while replaying, then real time since
  /// the run's original start (so timers keep the run's clock).
  Clock& clock();
  /// Counts the live part on `base` instead of the system clock, the run's
  /// original start `since_start` before base's now (`rbk test`'s virtual
  /// time). Call before the engine starts.
  void use_clock(Clock& base, Millis since_start);
  /// Where recorded commands' output comes from instead of the run's
  /// output files (`rbk test`, which keeps a case's output in memory):
  /// the whole text command `seq` wrote to `stream`.
  void set_outputs(std::function<std::string(uint64_t seq, Stream stream)> outputs) {
    outputs_ = std::move(outputs);
  }

 private:
  ResumeState() = default;
  static std::string key(const ev::Escalation& e);

  ev::RunStart start_;
  std::string dir_;
  size_t capture_limit_ = 0;
  std::vector<Event> expected_;  // the events the replay must make, in order
  size_t next_ = 0;
  bool live_ = false;
  bool allow_changed_ = false;
  bool stopped_ = false;
  bool stopped_by_signal_ = false;
  bool parked_ = false;
  std::mutex divergence_mu_;  // diverge() runs on the engine's and the timer's threads
  std::string divergence_;
  std::atomic<bool> diverged_{false};
  std::map<uint64_t, ev::CommandEnd> ends_;
  std::set<uint64_t> ran_again_;
  std::map<std::string, std::deque<ev::Answer>> answers_;
  std::map<std::string, std::deque<ev::Manual>> manuals_;
  std::map<std::string, std::deque<ev::Ask>> asks_;
  std::map<std::string, int> delivered_;  // by escalation key
  int deaths_ = 0;  // interruptions and kills so far, the one resumed from included
  std::optional<InFlightCommand> in_flight_;
  std::optional<ev::InFlight> decision_;
  bool carried_over_ = false;
  std::string stopped_at_;
  int64_t last_elapsed_ = 0;
  int64_t taken_elapsed_ = 0;
  ev::Resume resume_;
  std::vector<Event> held_;
  std::mutex delivered_mu_;                               // the timer thread delivers too
  std::function<std::string(uint64_t, Stream)> outputs_;  // set_outputs(); else the files
  std::unique_ptr<SystemClock> system_ = std::make_unique<SystemClock>();
  std::unique_ptr<class ResumeClock> clock_;
};

/// The clock of a resumed run: virtual while the replay runs (moved to each
/// replayed event's recorded time; waits return at once), then `base`
/// (the system clock, or rbk test's virtual one) counted from the run's
/// original start, `since_start` ago.
class ResumeClock final : public Clock {
 public:
  ResumeClock(Clock& base, Millis since_start);
  bool is_virtual() const override { return system_.is_virtual(); }
  Millis now() override;
  bool sleep_until(Millis deadline, const CancelToken* cancel) override;
  std::string wall_time() override;
  std::unique_ptr<Timer> schedule(std::vector<Millis> dues,
                                  std::function<void(Millis)> fire) override;
  /// Sets the replay's time (never backwards).
  void replay_at(Millis t);
  /// From now on, real time.
  void go_live();

 private:
  Millis real_now();  // real time since the original start
  Clock& system_;     // the base clock
  Millis offset_;     // original start on the system clock's scale (may be negative)
  std::mutex mu_;
  bool live_ = false;
  Millis virtual_{0};
  Millis last_{0};  // never goes back
};

}  // namespace rbk
