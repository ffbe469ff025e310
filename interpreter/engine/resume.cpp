#include "interpreter/engine/resume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "interpreter/base/format_str.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/runtime/output_capture.hpp"

namespace rbk {

namespace {

// Events whose place in the record depends on threads or on the machine
// rather than on the runbook: not replayed one for one.
bool is_escalation(const Event& e) {
  return e.as<ev::Escalation>() != nullptr;
}
bool is_warning(const Event& e) {
  return e.as<ev::Warning>() != nullptr;
}
// A person's note, and what rbk serve says of the run's alert and its
// waiting at a gate: not what the run did, so the replay makes none of it.
// The same for a command's process group (the machine's pid) and for what
// an earlier `rbk resume` ended of the run's leftovers.
bool not_the_runs(const Event& e) {
  return e.as<ev::TimelineNote>() || e.as<ev::AlertStart>() || e.as<ev::AlertUpdate>() ||
         e.as<ev::Parked>() || e.as<ev::ApprovalVoid>() || e.as<ev::CommandGroup>() ||
         e.as<ev::LeftoversEnded>();
}

// What must be the same for a replayed event to be the recorded one: its
// type, what it is about, and the decision it records. Times, durations,
// who answered and how are not compared (a resumed run is another moment).
std::string replay_key(const Event& e) {
  std::string key(e.type());
  auto add = [&](std::string_view part) {
    key += '|';
    key += part;
  };
  if (const auto* x = e.as<ev::RunStart>()) add(x->runbook);
  if (const auto* x = e.as<ev::CallRunStart>()) add(x->runbook);
  if (const auto* x = e.as<ev::SectionStart>()) add(enum_names(ev::Section{}).name(x->section));
  if (const auto* x = e.as<ev::Signal>()) add(x->id), add(x->firing ? "firing" : "quiet");
  if (const auto* x = e.as<ev::StepStart>()) add(x->step);
  if (const auto* x = e.as<ev::CommandStart>())
    add(x->step), add(std::to_string(x->seq)), add(x->command.value), add(x->target.value_or(""));
  if (const auto* x = e.as<ev::CommandEnd>())
    add(x->step), add(std::to_string(x->seq)), add(x->target.value_or(""));
  if (const auto* x = e.as<ev::BatchStart>())
    add(x->step), add(std::to_string(x->batch)), add(join(x->targets));
  if (const auto* x = e.as<ev::BatchEnd>())
    add(x->step), add(std::to_string(x->batch)), add("ok " + join(x->ok)),
        add("failed " + join(x->failed));
  if (const auto* x = e.as<ev::Gate>()) add(x->step);
  if (const auto* x = e.as<ev::Answer>()) add(x->step), add(x->passed ? "passed" : "not passed");
  if (const auto* x = e.as<ev::Manual>()) add(x->step);
  if (const auto* x = e.as<ev::Ask>()) add(x->step), add(x->name);
  if (const auto* x = e.as<ev::Note>()) add(x->step);
  if (const auto* x = e.as<ev::StepEnd>())
    add(x->step), add(enum_names(ev::StepStatus{}).name(x->status));
  if (const auto* x = e.as<ev::Cause>()) add(x->id), add(x->matched ? "matched" : "not matched");
  if (const auto* x = e.as<ev::Check>()) add(x->id), add(x->passed ? "passed" : "failed");
  if (const auto* x = e.as<ev::Rollback>()) add(x->failed_step);
  if (const auto* x = e.as<ev::CallStart>()) add(x->step), add(x->runbook);
  if (const auto* x = e.as<ev::CallEnd>()) add(x->step), add(x->runbook);
  return key;
}

// How an event reads in a refusal: its type and what it is about.
std::string describe(const Event& e) {
  std::string key = replay_key(e);
  for (char& c : key)
    if (c == '|') c = ' ';
  return key;
}

// Puts each batch's events (between its batch_start and batch_end, or the
// end) in the order of the batch's hosts, each host's in their recorded
// order: the order a batch replays in. A batch holds only its hosts'
// commands; anything else in it stays with the host before it.
void in_batch_order(std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    const auto* batch = events[i].as<ev::BatchStart>();
    if (!batch) continue;
    size_t end = i + 1;
    while (end < events.size() && !events[end].as<ev::BatchEnd>()) ++end;
    size_t last = 0;
    auto rank = [&](const Event& e) {
      std::optional<std::string> host;
      if (const auto* start = e.as<ev::CommandStart>()) host = start->target;
      if (const auto* ended = e.as<ev::CommandEnd>()) host = ended->target;
      if (host) {
        auto it = std::find(batch->targets.begin(), batch->targets.end(), *host);
        last = static_cast<size_t>(it - batch->targets.begin());
      }
      return last;
    };
    std::vector<std::pair<size_t, Event>> ranked;
    for (size_t j = i + 1; j < end; ++j) ranked.emplace_back(rank(events[j]), std::move(events[j]));
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t j = i + 1; j < end; ++j) events[j] = std::move(ranked[j - i - 1].second);
    i = end;
  }
}

// What the command wrote to one stream, read back from its output file, kept
// as the run kept it (head and tail within the limit). A missing file is
// a command that wrote nothing.
Captured read_output(const std::string& dir, uint64_t seq, Stream stream, size_t limit) {
  OutputCapture capture(limit);
  const int fd = ::open((dir + "/" + output_file(seq, stream)).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      capture.append(std::string_view(buf, static_cast<size_t>(n)));
    ::close(fd);
  }
  return capture.finish();
}

// The step's next recorded answer, taken off its queue.
template <class T>
std::optional<T> next_of(std::map<std::string, std::deque<T>>& by_step, const std::string& step) {
  auto it = by_step.find(step);
  if (it == by_step.end() || it->second.empty()) return std::nullopt;
  T first = std::move(it->second.front());
  it->second.pop_front();
  return first;
}

}  // namespace

std::vector<RecordedGroup> unended_groups(const std::vector<Event>& events) {
  std::map<uint64_t, RecordedGroup> groups;
  for (const Event& e : events) {
    // A group whose command_end is in the record was ended; one without may
    // have outlived the run. A resume ended what it found before it went on
    // (or before it was refused: leftovers_ended).
    if (const auto* group = e.as<ev::CommandGroup>())
      groups[group->seq] = RecordedGroup{*group, e.elapsed_ms};
    else if (const auto* ended = e.as<ev::CommandEnd>())
      groups.erase(ended->seq);
    else if (e.as<ev::LeftoversEnded>() || e.as<ev::Resume>())
      groups.clear();
  }
  std::vector<RecordedGroup> out;
  for (auto& [seq, g] : groups) out.push_back(std::move(g));
  return out;
}

int64_t last_run_event_ms(const std::vector<Event>& events) {
  int64_t last = 0;
  for (const Event& e : events)
    if (!not_the_runs(e)) last = std::max(last, e.elapsed_ms);
  return last;
}

Expected<std::unique_ptr<ResumeState>, std::string> ResumeState::from_record(
    std::vector<Event> events, std::string dir, size_t capture_limit) {
  std::unique_ptr<ResumeState> r(new ResumeState());
  r->dir_ = std::move(dir);
  r->capture_limit_ = capture_limit;
  if (events.empty() || !events.front().as<ev::RunStart>())
    return fail(std::string("the record does not begin with run_start"));
  r->start_ = *events.front().as<ev::RunStart>();
  struct Open {
    ev::CommandStart start;
    std::string time;
  };
  std::map<uint64_t, Open> open;            // started, not ended
  std::map<std::string, bool> destructive;  // by step, from its latest step_start
  // The latest resume's decision about the command then in flight, until
  // the record shows it carried out (the counted command_end, or the next
  // command_start: the one run again). A resume killed between writing its
  // decision and carrying it out leaves it pending: the next resume carries
  // it out as decided, never runs the command unasked under its old number.
  struct Pending {
    Open command;
    ev::InFlight decision;
    ev::Via via;
  };
  std::optional<Pending> pending;
  std::vector<std::string> steps_open;
  // An interrupted run (Ctrl-C, SIGTERM, SIGHUP) recorded how it unwound:
  // the stopped command's end, the step's, the run's. The replay skips that
  // unwinding up to the next resume (or the record's end); the stopped
  // command counts as in flight.
  bool cut = false;
  bool segment_ended = false;  // the run (or its latest resume) wrote its run_end
  // A batch stopped between hosts (no command was running) ends with a
  // batch_end naming as failed the hosts it never started, then the step's
  // interrupted step_end: that batch_end is the unwinding too, so those
  // hosts run when the resume goes live.
  std::set<size_t> unwinding;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto* interrupted = events[i].as<ev::StepEnd>();
    if (!interrupted || interrupted->status != ev::StepStatus::Interrupted) continue;
    size_t j = i;
    while (j > 0 && (is_warning(events[j - 1]) || is_escalation(events[j - 1]) ||
                     not_the_runs(events[j - 1])))
      --j;
    const auto* batch = j > 0 ? events[j - 1].as<ev::BatchEnd>() : nullptr;
    if (batch && batch->step == interrupted->step) unwinding.insert(j - 1);
  }
  for (size_t index = 0; index < events.size(); ++index) {
    const Event& e = events[index];
    if (not_the_runs(e)) continue;
    r->last_elapsed_ = e.elapsed_ms;
    if (const auto* end = e.as<ev::RunEnd>()) {
      if (end->outcome != Outcome::Interrupted && end->outcome != Outcome::Parked)
        return fail("the run is over: its outcome is " + std::string(outcome_name(end->outcome)));
      r->parked_ = end->outcome == Outcome::Parked;
      if (end->outcome == Outcome::Interrupted) ++r->deaths_;
      segment_ended = true;
    }
    if (is_escalation(e)) {
      const ev::Escalation& told = *e.as<ev::Escalation>();
      r->delivered_[key(told)]++;
      continue;
    }
    if (const auto* earlier = e.as<ev::Resume>()) {
      if (!segment_ended) ++r->deaths_;  // killed: no run_end before this resume
      segment_ended = false;
      // An earlier resume decided about the command then in flight: it is
      // not in flight any more (run again under a new seq, or ended).
      if (earlier->seq) {
        if (auto it = open.find(*earlier->seq); it != open.end() && earlier->decision)
          pending = Pending{it->second, *earlier->decision, earlier->via.value_or(ev::Via::Tty)};
        open.erase(*earlier->seq);
        if (earlier->decision == ev::InFlight::RunAgain) r->ran_again_.insert(*earlier->seq);
      }
      // What that resume did is the run's too, and the replay must make it
      // again: only the unwinding of an interruption before it is skipped.
      cut = false;
      r->parked_ = false;
      continue;  // the replay writes no resume of its own there
    }
    if (is_warning(e) || cut) continue;
    const auto* ended = e.as<ev::CommandEnd>();
    const auto* answered = e.as<ev::Answer>();
    const auto* step_end = e.as<ev::StepEnd>();
    if (e.as<ev::RunEnd>() || (ended && ended->cancelled) || unwinding.count(index) ||
        (answered && answered->reason &&
         (answered->reason->value == "interrupted" || answered->reason->value == "parked")) ||
        (step_end && step_end->status == ev::StepStatus::Interrupted)) {
      cut = true;
      continue;  // a cancelled command stays open: it is the one in flight
    }
    r->expected_.push_back(e);
    if (const auto* started = e.as<ev::StepStart>()) {
      destructive[started->step] = started->destructive;
      steps_open.push_back(started->step);
    } else if (step_end) {
      if (!steps_open.empty() && steps_open.back() == step_end->step) steps_open.pop_back();
    } else if (const auto* command = e.as<ev::CommandStart>()) {
      open[command->seq] = {*command, e.time};
      pending.reset();  // the decision was carried out: counted, or run again as this
    } else if (ended) {
      open.erase(ended->seq);
      pending.reset();
      r->ends_[ended->seq] = *ended;
    } else if (answered) {
      r->answers_[answered->step].push_back(*answered);
    } else if (const auto* manual = e.as<ev::Manual>()) {
      r->manuals_[manual->step].push_back(*manual);
    } else if (const auto* ask = e.as<ev::Ask>()) {
      r->asks_[ask->step].push_back(*ask);
    }
  }
  if (!segment_ended) ++r->deaths_;  // the one resumed from: killed, no run_end
  // A batch's hosts run at once: which of them ran first is the machine's,
  // not the runbook's. The replay runs them one by one in the batch's order.
  in_batch_order(r->expected_);
  // Commands on hosts that were running when the run died: which of them
  // finished there is not known, and deciding host by host is not built.
  // Refusing is safe; a second deploy on a host is not.
  // Named in the batch's order, not by number: which host took the first
  // number was the machine's, and the message must not change with it.
  std::vector<std::string> remote;
  for (const Event& e : r->expected_)
    if (const auto* started = e.as<ev::CommandStart>();
        started && started->target && open.count(started->seq))
      remote.push_back(started->step + " on " + *started->target);
  if (!remote.empty())
    return fail("it stopped while commands ran on targets (" + join(remote) +
                "), and rbk resume cannot yet decide host by host whether to run them again; "
                "start a new run (--target narrows it to the hosts still to do)");
  // Commands on this machine run one at a time: only the last one can be in flight.
  auto in_flight = [&](const Open& last) {
    auto it = destructive.find(last.start.step);
    return InFlightCommand{.step = last.start.step,
                           .seq = last.start.seq,
                           .command = last.start.command.value,
                           .started = last.time,
                           .destructive = it != destructive.end() && it->second};
  };
  if (!open.empty()) r->in_flight_ = in_flight(open.rbegin()->second);
  if (!r->in_flight_ && pending) {
    // Decided by the resume before, not carried out: in flight still, and
    // decided the same way without asking again.
    r->in_flight_ = in_flight(pending->command);
    r->ran_again_.erase(pending->command.start.seq);  // runs again once, live, under a new number
    r->decide(pending->decision, pending->via);
    r->carried_over_ = true;
  }
  if (r->in_flight_)
    r->stopped_at_ = r->in_flight_->step;
  else if (!steps_open.empty())
    r->stopped_at_ = steps_open.back();
  // Real time since the original start: the record's last event happened
  // last_elapsed_ after it, and the run has been down since at least then.
  Millis since = Millis(r->last_elapsed_);
  if (auto wall = wall_since(events.front().time)) since = std::max(since, *wall);
  r->clock_ = std::make_unique<ResumeClock>(*r->system_, since);
  return r;
}

Clock& ResumeState::clock() {
  return *clock_;
}

void ResumeState::use_clock(Clock& base, Millis since_start) {
  clock_ = std::make_unique<ResumeClock>(base, since_start);
}

void ResumeState::decide(ev::InFlight decision, ev::Via via) {
  decision_ = decision;
  if (!in_flight_) return;
  resume_.step = in_flight_->step;
  resume_.seq = in_flight_->seq;
  resume_.command = ev::Text(in_flight_->command);
  resume_.decision = decision;
  resume_.via = via;
}

bool ResumeState::decide_without_asking(bool approved, bool assumed_done, bool assumed_failed) {
  if (!in_flight_ || decision_) return true;
  // --assume-* before --approve: --approve STEP may be there for the
  // step's gate, the assumption is only about the command in flight.
  if (!in_flight_->destructive)
    decide(ev::InFlight::RunAgain, ev::Via::Approve);
  else if (assumed_done)
    decide(ev::InFlight::Done, ev::Via::Approve);
  else if (assumed_failed)
    decide(ev::InFlight::Failed, ev::Via::Approve);
  else if (approved)
    decide(ev::InFlight::RunAgain, ev::Via::Approve);
  return decision_.has_value();
}

bool ResumeState::asks_at(const ev::CommandStart& start) const {
  if (live_ || !undecided() || next_ + 1 != expected_.size()) return false;
  const auto* last = expected_[next_].as<ev::CommandStart>();
  return last && last->seq == in_flight_->seq && start.seq == last->seq && start.step == last->step;
}

std::string ResumeState::key(const ev::Escalation& e) {
  // The runbook too: a called runbook's rule is not its caller's.
  return format_str("{}|{}|{}|{}|{}|{}|{}", enum_names(ev::Trigger{}).name(e.trigger),
                    enum_names(ev::NoticeKind{}).name(e.kind), e.role, e.step.value_or(""),
                    e.after_ms.value_or(-1), e.from_step.value_or(""), e.runbook.value_or(""));
}

ResumeState::Take ResumeState::take(const Event& e) {
  if (live_) return Take::Held;  // not called once live; harmless if it is
  if (diverged_.load()) return Take::Dropped;
  if (is_escalation(e)) {
    held_.push_back(e);
    return Take::Held;
  }
  if (is_warning(e)) return Take::Dropped;
  if (next_ >= expected_.size() || replay_key(e) != replay_key(expected_[next_])) {
    diverge(next_ >= expected_.size()
                ? "the replay went past the end of the record with " + describe(e)
                : "the record has " + describe(expected_[next_]) + " where the runbook now makes " +
                      describe(e));
    return Take::Diverged;
  }
  // A called runbook is compared where its call is replayed (the runbook's
  // own text and its modules were compared before the replay began).
  const auto* call_now = e.as<ev::CallRunStart>();
  const auto* call_then = expected_[next_].as<ev::CallRunStart>();
  if (call_now && call_then && call_now->sha256 != call_then->sha256) {
    if (!allow_changed_) {
      diverge("the called runbook " + call_now->runbook + " (" + call_now->file +
              ") changed since the run started (sha256 " + call_then->sha256.substr(0, 12) +
              "… then, " + call_now->sha256.substr(0, 12) +
              "… now); --allow-changed resumes with it as it is now");
      return Take::Diverged;
    }
    resume_.runbook_changed = true;
  }
  taken_elapsed_ = expected_[next_].elapsed_ms;
  clock_->replay_at(Millis(taken_elapsed_));
  if (++next_ == expected_.size()) {
    live_ = true;
    clock_->go_live();
  }
  return Take::Replayed;
}

std::optional<uint64_t> ResumeState::replayed_seq(const std::string& step,
                                                  const std::string& target) const {
  if (live_ || next_ >= expected_.size()) return std::nullopt;
  const auto* start = expected_[next_].as<ev::CommandStart>();
  if (!start || start->step != step || start->target != target) return std::nullopt;
  return start->seq;
}

bool ResumeState::next_is_another_host(const std::string& step, const std::string& target) const {
  if (live_ || next_ >= expected_.size()) return false;
  const auto* start = expected_[next_].as<ev::CommandStart>();
  return start && start->step == step && start->target && *start->target != target;
}

std::optional<CommandResult> ResumeState::recorded_result(uint64_t seq,
                                                          const std::string& step) const {
  auto it = ends_.find(seq);
  if (it == ends_.end() || it->second.step != step) return std::nullopt;
  const ev::CommandEnd& end = it->second;
  if (end.output) return std::nullopt;  // a secret's command: read the secret again
  CommandResult r;
  r.exit_code = end.exit;
  r.signal = end.signal;
  r.timed_out = end.timed_out;
  r.cancelled = end.cancelled;
  r.spawn_failed = end.spawn_failed.value_or(false);
  if (end.error) r.error = end.error->value;
  r.duration = Millis(end.duration_ms);
  for (Stream stream : {Stream::Out, Stream::Err}) {
    Captured& kept = stream == Stream::Out ? r.out : r.err;
    if (outputs_) {
      OutputCapture capture(capture_limit_);
      capture.append(outputs_(seq, stream));
      kept = capture.finish();
    } else {
      kept = read_output(dir_, seq, stream, capture_limit_);
    }
  }
  return r;
}

std::optional<CommandResult> ResumeState::in_flight_result(const std::string& by) const {
  if (!in_flight_ || !decision_ || *decision_ == ev::InFlight::RunAgain) return std::nullopt;
  CommandResult r;
  const bool done = *decision_ == ev::InFlight::Done;
  r.exit_code = done ? 0 : -1;
  r.spawn_failed = !done;  // no exit status: it is "could not complete", not an exit code
  r.error = "no result recorded: the run died while it ran; counted as " +
            std::string(done ? "done" : "failed") + " at resume by " + by;
  return r;
}

std::optional<ev::Answer> ResumeState::recorded_answer(const std::string& step) {
  return live_ ? std::nullopt : next_of(answers_, step);
}

std::optional<ev::Manual> ResumeState::recorded_manual(const std::string& step) {
  return live_ ? std::nullopt : next_of(manuals_, step);
}

std::optional<ev::Ask> ResumeState::recorded_ask(const std::string& step) {
  return live_ ? std::nullopt : next_of(asks_, step);
}

bool ResumeState::death_told(const ev::Escalation& e) {
  // An `on interrupted` delivery is never taken off delivered_ (that is
  // already_delivered's, for the other rules): it counts them all.
  std::lock_guard lock(delivered_mu_);
  auto it = delivered_.find(key(e));
  return (it == delivered_.end() ? 0 : it->second) >= deaths_;
}

bool ResumeState::already_delivered(const ev::Escalation& e) {
  std::lock_guard lock(delivered_mu_);
  auto it = delivered_.find(key(e));
  if (it == delivered_.end() || it->second == 0) return false;
  --it->second;
  return true;
}

std::vector<Event> ResumeState::take_held() {
  return std::exchange(held_, {});
}

// ------------------------------------------------------------ ResumeClock

ResumeClock::ResumeClock(Clock& base, Millis since_start)
    : system_(base), offset_(base.now() - since_start) {}

Millis ResumeClock::real_now() {
  return system_.now() - offset_;
}

Millis ResumeClock::now() {
  std::lock_guard lock(mu_);
  Millis t = live_ ? real_now() : virtual_;
  last_ = std::max(last_, t);
  return last_;
}

bool ResumeClock::sleep_until(Millis deadline, const CancelToken* cancel) {
  {
    std::lock_guard lock(mu_);
    if (!live_) {  // a recorded wait: it has passed already
      virtual_ = std::max(virtual_, deadline);
      return !(cancel && cancel->cancelled());
    }
  }
  return system_.sleep_until(deadline + offset_, cancel);
}

std::string ResumeClock::wall_time() {
  return system_.wall_time();
}

std::unique_ptr<Timer> ResumeClock::schedule(std::vector<Millis> dues,
                                             std::function<void(Millis)> fire) {
  // Timers keep the run's original clock, in real time even during the
  // replay: one due while the run was down fires at once.
  for (Millis& due : dues) due += offset_;
  return system_.schedule(std::move(dues),
                          [this, fire = std::move(fire)](Millis t) { fire(t - offset_); });
}

void ResumeClock::replay_at(Millis t) {
  std::lock_guard lock(mu_);
  virtual_ = std::max(virtual_, t);
}

void ResumeClock::go_live() {
  std::lock_guard lock(mu_);
  live_ = true;
}

}  // namespace rbk
