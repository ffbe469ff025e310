#include "interpreter/runtime/clock.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <thread>

#include "interpreter/base/format_str.hpp"

namespace rbk {

namespace {

std::string iso_utc(std::chrono::system_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<Millis>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const int year = tm.tm_year + 1900;
  const int milli = static_cast<int>(ms % 1000);
  if (year < 0 || year > 9999 || milli < 0)  // not a time a run has: the general way
    return format_str("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
  // Every event is stamped: digits by hand, not through a format string.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&](size_t end, int v) {
    for (size_t i = end; v > 0; v /= 10) out[--i] = static_cast<char>('0' + v % 10);
  };
  put(4, year), put(7, tm.tm_mon + 1), put(10, tm.tm_mday), put(13, tm.tm_hour);
  put(16, tm.tm_min), put(19, tm.tm_sec), put(23, milli);
  return out;
}

/// The real clock's schedule: a thread that sleeps until each due in turn.
class ThreadTimer final : public Timer {
 public:
  ThreadTimer(SystemClock& clock, std::vector<Millis> dues, std::function<void(Millis)> fire)
      : thread_([this, &clock, dues = std::move(dues), fire = std::move(fire)] {
          for (Millis due : dues) {
            if (!clock.sleep_until(due, &stop_)) return;
            fire(clock.now());
          }
        }) {}
  ~ThreadTimer() override {
    stop_.cancel();
    thread_.join();
  }

 private:
  CancelToken stop_;  // declared before the thread, which uses it
  std::thread thread_;
};

/// Virtual time's schedule: listeners on the clock, silenced when destroyed
/// (a FakeClock keeps its listeners).
class ListenerTimer final : public Timer {
 public:
  std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
  ~ListenerTimer() override { alive->store(false); }
};

}  // namespace

std::optional<Millis> wall_since(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t secs = ::timegm(&tm);
  if (secs == -1) return std::nullopt;
  auto then = std::chrono::system_clock::from_time_t(secs) + Millis(ms);
  auto since = std::chrono::duration_cast<Millis>(std::chrono::system_clock::now() - then);
  return std::max(since, Millis(0));
}

std::unique_ptr<Timer> SystemClock::schedule(std::vector<Millis> dues,
                                             std::function<void(Millis)> fire) {
  return std::make_unique<ThreadTimer>(*this, std::move(dues), std::move(fire));
}

std::unique_ptr<Timer> FakeClock::schedule(std::vector<Millis> dues,
                                           std::function<void(Millis)> fire) {
  auto timer = std::make_unique<ListenerTimer>();
  std::weak_ptr<std::atomic<bool>> alive = timer->alive;
  auto shared = std::make_shared<std::function<void(Millis)>>(std::move(fire));
  on_advance([alive, shared](Millis t) {
    auto a = alive.lock();
    if (a && a->load()) (*shared)(t);
  });
  for (Millis due : dues) wake_at(due);
  // Dues already past fire now, as the real clock's thread would, not at
  // the clock's next move.
  if (!dues.empty() && dues.front() <= now()) (*shared)(now());
  return timer;
}

Millis SystemClock::now() {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
}

bool SystemClock::sleep_until(Millis deadline, const CancelToken* cancel) {
  while (true) {
    if (cancel && cancel->cancelled()) return false;
    Millis left = deadline - now();
    if (left.count() <= 0) return true;
    pollfd p{cancel ? cancel->fd() : -1, POLLIN, 0};
    int timeout = static_cast<int>(std::min<int64_t>(left.count(), 60'000));
    // poll ignores a negative fd, so without a token this is a plain sleep.
    if (::poll(&p, 1, timeout) < 0 && errno != EINTR) return !(cancel && cancel->cancelled());
  }
}

std::string SystemClock::wall_time() {
  return iso_utc(std::chrono::system_clock::now());
}

Millis FakeClock::now() {
  std::lock_guard lock(mu_);
  return now_;
}

bool FakeClock::sleep_until(Millis deadline, const CancelToken* cancel) {
  if (cancel && cancel->cancelled()) return false;
  move_to(deadline);
  return !(cancel && cancel->cancelled());
}

std::string FakeClock::wall_time() {
  // A fixed epoch plus virtual time: records of fake runs are reproducible.
  return iso_utc(std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600)) +
                 now());
}

void FakeClock::advance(Millis d) {
  move_to(now() + d);
}

void FakeClock::on_advance(std::function<void(Millis)> listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void FakeClock::wake_at(Millis t) {
  std::lock_guard lock(mu_);
  wakeups_.push_back(t);
}

void FakeClock::move_to(Millis t) {
  while (true) {
    std::vector<std::function<void(Millis)>> listeners;
    Millis step;
    {
      std::lock_guard lock(mu_);
      if (t <= now_) return;
      // The earliest wake-up point on the way, else the destination.
      step = t;
      for (Millis w : wakeups_)
        if (w > now_ && w < step) step = w;
      now_ = step;
      listeners = listeners_;
    }
    for (auto& l : listeners) l(step);
    if (step == t) return;
  }
}

}  // namespace rbk
