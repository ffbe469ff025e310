// Time, behind an interface: the engine's waits (retry pauses, `until`
// polling, verify deadlines) and the escalation timers read a Clock, so tests
// (and `rbk test`) run them in virtual time, instantly, without sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/runtime/command.hpp"

namespace rbk {

using Millis = std::chrono::milliseconds;

/// Milliseconds from a recorded wall-clock time ("2026-12-05T11:34:44.123Z",
/// as Clock::wall_time writes it) to now, never negative; nullopt when the
/// text does not read as one.
std::optional<Millis> wall_since(const std::string& iso);

/// What Clock::schedule returns: the schedule stops when it is destroyed
/// (after a call in progress has returned).
class Timer {
 public:
  virtual ~Timer() = default;
};

/// A monotonic clock the engine can wait on and schedule timers with.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Time since an arbitrary fixed start; never goes back.
  virtual Millis now() = 0;
  /// Returns when now() >= deadline (true) or `cancel` fires (false).
  virtual bool sleep_until(Millis deadline, const CancelToken* cancel) = 0;
  /// Wall-clock time as ISO 8601 UTC with milliseconds, for the record.
  virtual std::string wall_time() = 0;
  /// Calls `fire(now)` as each of `dues` (ascending) passes; `fire` decides
  /// what is due by `now` (several dues may pass at once). The real clock
  /// calls it on a thread of its own; virtual time on the thread that moves
  /// the clock, in order, and at once for dues already past.
  virtual std::unique_ptr<Timer> schedule(std::vector<Millis> dues,
                                          std::function<void(Millis)> fire) = 0;
  /// True for virtual time (`rbk test`, the engine tests): work that would
  /// run beside the run (notifications) runs inline, so the record's order is fixed.
  virtual bool is_virtual() const { return false; }
};

/// The real clock: steady_clock for time, poll(2) on the cancel token to wait.
class SystemClock final : public Clock {
 public:
  Millis now() override;
  bool sleep_until(Millis deadline, const CancelToken* cancel) override;
  std::string wall_time() override;
  std::unique_ptr<Timer> schedule(std::vector<Millis> dues,
                                  std::function<void(Millis)> fire) override;
};

/// Virtual time. It moves only when someone sleeps (sleep_until jumps to the
/// deadline at once) or calls advance(); listeners run synchronously, on the
/// thread that moved the clock. A move over a wake-up point (wake_at) stops
/// there first, so a timer due at 10m fires at 10m even when a command
/// "takes" 25 minutes.
class FakeClock final : public Clock {
 public:
  Millis now() override;
  bool sleep_until(Millis deadline, const CancelToken* cancel) override;
  std::string wall_time() override;
  std::unique_ptr<Timer> schedule(std::vector<Millis> dues,
                                  std::function<void(Millis)> fire) override;
  bool is_virtual() const override { return true; }
  /// Moves time forward by `d` (a command that "takes" d, in a fake runner).
  void advance(Millis d);
  /// Called with the new time after every move.
  void on_advance(std::function<void(Millis)> listener);
  /// Makes a move over `t` stop at `t` (and call the listeners) on its way.
  void wake_at(Millis t);

 private:
  void move_to(Millis t);
  std::mutex mu_;
  Millis now_{0};
  std::vector<std::function<void(Millis)>> listeners_;
  std::vector<Millis> wakeups_;
};

}  // namespace rbk
