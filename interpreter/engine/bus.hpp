// The engine's event bus: serialises, masks and stamps every event before a
// sink sees it (shared by a run, the runbooks it calls and the timer thread),
// and masks command output on its way to the sinks. Internal to the engine.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "interpreter/base/async_sha256.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/engine/resume.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/leftovers.hpp"

namespace rbk::engine {

/// A duration as the record writes it: whole milliseconds.
inline int64_t count(Millis d) {
  return d.count();
}

/// Serialises, masks and stamps events for every sink. Shared by a run, the
/// runbooks it calls and the escalation timer thread.
class Bus {
 public:
  Bus(EngineContext& ctx, Masker& masker) : ctx_(ctx), masker_(masker) {}
  /// Adds a secret value (a called runbook's may arrive while a timer fires).
  void add_secret(const std::string& v) {
    std::unique_lock lock(mask_mu_);
    masker_.add_secret(v);
  }
  /// `text` with secrets and redaction patterns masked.
  std::string mask(std::string_view text) const {
    std::shared_lock lock(mask_mu_);
    return masker_.mask(text);
  }
  /// Releases what a stream masker can release of `chunk`, masked.
  std::string mask_chunk(StreamMasker& m, std::string_view chunk) const {
    std::shared_lock lock(mask_mu_);
    return m.push(chunk);
  }
  std::string mask_finish(StreamMasker& m) const {
    std::shared_lock lock(mask_mu_);
    return m.finish();
  }

  /// Masks, stamps and hands one event to every sink, in order. Returns
  /// when it happened on the run's clock: a replayed event's recorded time.
  Millis emit(ev::Body body) {
    Event e{std::move(body)};
    mask(e);
    // Stamped under the lock, so times never go backwards in the record.
    std::lock_guard lock(mu_);
    stamp(e);
    if (replaying()) {
      bool recorded = replay(e);
      return Millis(recorded ? ctx_.resume->taken_elapsed_ms() : e.elapsed_ms);
    }
    for (auto* s : ctx_.sinks) s->event(e);
    check_sinks();
    return Millis(e.elapsed_ms);
  }
  void output(uint64_t seq, Stream stream, std::string_view masked) {
    if (masked.empty()) return;
    std::lock_guard lock(mu_);
    if (replaying()) return;  // nothing runs in the replay but secrets, whose output is never kept
    for (auto* s : ctx_.sinks) s->output(seq, stream, masked);
    check_sinks();
  }
  void sync() {
    std::lock_guard lock(mu_);
    if (replaying()) return;  // nothing was written to make durable
    for (auto* s : ctx_.sinks) s->sync();
    check_sinks();
  }
  /// Why the record can no longer be written (empty while it can). Once set,
  /// the run is cancelled: no further command, gate or notification runs.
  std::string broken() const {
    std::lock_guard lock(broken_mu_);
    return broken_;
  }
  /// broken() is not empty; cheap enough to ask before every command.
  bool is_broken() const { return broken_flag_.load(); }
  /// True while a resumed run replays its record (see resume.hpp).
  bool replaying() const { return ctx_.resume && !ctx_.resume->live(); }
  /// The replay cannot follow its record: the run stops, and nothing more
  /// is written (every later event is dropped).
  void diverge(std::string why) {
    ctx_.resume->diverge(std::move(why));
    if (ctx_.cancel) ctx_.cancel->cancel();
  }
  /// A gate parked the run (rbk serve): the run unwinds as if interrupted
  /// and ends `parked`; nothing more runs.
  void park() { parked_.store(true); }
  bool parked() const { return parked_.load(); }
  /// The alert resolved before anyone approved the parked gate: the run
  /// ends `alert_resolved`.
  void set_alert_resolved() { alert_resolved_.store(true); }
  bool alert_resolved() const { return alert_resolved_.load(); }
  void set_start(Millis t) { start_ = t; }
  Millis start() const { return start_; }
  const Masker& masker() const { return masker_; }
  /// The environment variables secrets are read from, in this runbook and
  /// the ones it calls: no command inherits them (see CommandSpec::unset_env).
  const std::vector<std::string>& secret_sources() const { return secret_sources_; }
  void set_secret_sources(std::vector<std::string> names) { secret_sources_ = std::move(names); }

 private:
  // Called under mu_ after every write. The first failure cancels the run:
  // the running command's process group is ended through the same token as
  // Ctrl-C, and every later command, gate and notification is refused.
  void check_sinks() {
    {
      std::lock_guard lock(broken_mu_);
      if (!broken_.empty()) return;
      for (auto* s : ctx_.sinks)
        if (std::string why = s->failure(); !why.empty()) {
          broken_ = std::move(why);
          break;
        }
      if (broken_.empty()) return;
    }
    broken_flag_.store(true);
    if (ctx_.cancel) ctx_.cancel->cancel();
  }

  void mask(Event& e) const {
    std::shared_lock lock(mask_mu_);
    masker_.mask(e);
  }
  // Under mu_: the run's clock and the wall clock.
  void stamp(Event& e) {
    e.elapsed_ms = count(ctx_.clock->now() - start_);
    e.time = ctx_.clock->wall_time();
  }

  // Under mu_, while replaying: hands `e` to the replay, which drops it (it
  // is in the record already) or holds it. When `e` used up the record, the
  // run is live from here on: the resume event is written, then what the
  // replay held.
  // True when `e` was the record's own event (replayed, not written).
  bool replay(const Event& e) {
    switch (ctx_.resume->take(e)) {
      case ResumeState::Take::Diverged:
        if (ctx_.cancel) ctx_.cancel->cancel();  // take() said why; see diverge()
        return false;
      case ResumeState::Take::Replayed:
        if (!ctx_.resume->live()) return true;
        break;
      case ResumeState::Take::Held:
      case ResumeState::Take::Dropped:
        return false;
    }
    ResumeState& resume = *ctx_.resume;
    Event marker{resume.resume_event()};
    mask(marker);
    stamp(marker);
    if (auto* r = std::get_if<ev::Resume>(&marker.body))
      r->down_ms = std::max<int64_t>(0, marker.elapsed_ms - resume.last_elapsed_ms());
    // The event that used up the record was replayed: it is not written again.
    for (auto* s : ctx_.sinks) s->event(marker);
    for (Event& held : resume.take_held()) {
      stamp(held);  // written now, after the resume event: times never go back
      for (auto* s : ctx_.sinks) s->event(held);
    }
    check_sinks();
    return true;
  }

  EngineContext& ctx_;
  Masker& masker_;
  mutable std::shared_mutex mask_mu_;  // add_secret against concurrent masking
  std::mutex mu_;                      // one event or chunk at a time, in order
  Millis start_{0};
  std::vector<std::string> secret_sources_;  // set before the first command
  mutable std::mutex broken_mu_;
  std::string broken_;
  std::atomic<bool> broken_flag_{false};
  std::atomic<bool> parked_{false};
  std::atomic<bool> alert_resolved_{false};
};

/// Masks a command's output per stream and hands it to the bus, keeping
/// the SHA-256 of what each stream's output file receives; records the
/// command's process group once it has one that lasts (command_group).
class MaskingSink final : public OutputSink {
 public:
  MaskingSink(Bus& bus, uint64_t seq, std::string step, std::optional<std::string> target)
      : bus_(bus),
        seq_(seq),
        step_(std::move(step)),
        target_(std::move(target)),
        out_(bus.masker()),
        err_(bus.masker()) {}
  void on_output(Stream stream, std::string_view chunk) override {
    Kept& k = stream == Stream::Out ? out_ : err_;
    pass(stream, k, bus_.mask_chunk(k.masker, chunk));
  }
  void on_started(int pid) override {
    // The start report comes only for a shell still running after
    // kStartReportDelayMs; one that ended since may be reaped already, and
    // then its pid reads as gone (0 ticks): nothing is left to name.
    static const std::string boot = boot_id();
    const uint64_t ticks = start_ticks(pid);
    if (ticks == 0 || boot.empty()) return;
    bus_.emit(ev::CommandGroup{.step = step_,
                               .seq = seq_,
                               .pgid = pid,
                               .leader_start = ticks,
                               .boot_id = boot,
                               .target = target_});
  }
  void finish() {
    pass(Stream::Out, out_, bus_.mask_finish(out_.masker));
    pass(Stream::Err, err_, bus_.mask_finish(err_.masker));
  }
  /// The digest of the masked bytes of `stream` (the output file's), or
  /// nullopt when it wrote nothing (there is no file).
  std::optional<std::string> sha256(Stream stream) const {
    const Kept& k = stream == Stream::Out ? out_ : err_;
    return k.bytes ? std::optional(k.digest.hex()) : std::nullopt;
  }

 private:
  struct Kept {
    explicit Kept(const Masker& m) : masker(m) {}
    StreamMasker masker;
    AsyncSha256 digest;  // a flood of output is hashed on another core
    uint64_t bytes = 0;
  };
  void pass(Stream stream, Kept& k, std::string masked) {
    if (masked.empty()) return;
    // Hashed first: the digest is of all the command wrote, even when the
    // record's copy stops short (record.md); one buffer for both.
    auto shared = std::make_shared<const std::string>(std::move(masked));
    k.digest.update(shared);
    k.bytes += shared->size();
    bus_.output(seq_, stream, *shared);
  }
  Bus& bus_;
  uint64_t seq_;
  std::string step_;
  std::optional<std::string> target_;
  Kept out_, err_;
};

}  // namespace rbk::engine
