// The run's display behind a queue: the engine's bus calls its sinks while it
// holds its mutex, so a display blocked on a paused terminal (Ctrl-S, `| less`
// with nobody scrolling, a --json reader that stopped) would hold every event
// of the run, and the escalation timers with them. QueuedDisplay copies what
// it is given and returns at once; its own thread hands it, in order, to the
// real display. Events are never dropped. Command output past a bound waits
// for a display that keeps writing (it is only slower than the command, and
// loses nothing); for one that wrote nothing for a while (stopped), output is
// counted instead of queued, and the display says how much it did not show,
// then shows the gap's last lines (where a flood's error usually is).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "cli/run_display.hpp"
#include "interpreter/runtime/command.hpp"

namespace rbk::cli {

/// An EventSink that never waits for a stopped display: a writer thread of
/// its own feeds `display`. Thread-safe (the bus, the note watch and the
/// operator call it from their threads).
class QueuedDisplay final : public EventSink {
 public:
  /// Output bytes queued at most (a paused terminal costs this much memory).
  static constexpr uint64_t kDefaultBound = 4u << 20;
  /// What each queued chunk counts against the bound besides its bytes.
  static constexpr uint64_t kChunkOverhead = 64;
  /// The end of a gap kept and shown after the count of what was not: enough
  /// for the last lines of a flood (a longer last line is cut).
  static constexpr size_t kGapTail = 64 * 1024;
  /// How long a full queue waits for a display that writes nothing before it
  /// counts it stopped (a paused terminal), and output is only counted.
  static constexpr std::chrono::milliseconds kStalled{1000};
  /// `bound`: queued output past which a chunk waits for the display, or is
  /// only counted once the display wrote nothing for `stalled`.
  explicit QueuedDisplay(std::unique_ptr<Display> display, uint64_t bound = kDefaultBound,
                         std::chrono::milliseconds stalled = kStalled);
  /// Writes out everything queued (the summary is in it), then joins.
  ~QueuedDisplay() override;
  QueuedDisplay(const QueuedDisplay&) = delete;
  QueuedDisplay& operator=(const QueuedDisplay&) = delete;

  void event(const Event& e) override;
  void output(uint64_t seq, Stream stream, std::string_view chunk) override;
  /// Waits until everything queued before the call is written (a question is
  /// about to be shown below it). False, at once, when `cancel` is cancelled
  /// first: a terminal that stays paused must not outlast Ctrl-C.
  bool drain(const CancelToken* cancel = nullptr);

 private:
  struct Chunk {
    uint64_t seq;
    Stream stream;
    std::string text;
  };
  struct Gap {
    uint64_t seq;
    Stream stream;
    uint64_t bytes;
  };
  // A stream's output skipped since the last item queued: its count, and its
  // last kGapTail bytes or more (trimmed to a line's start when it closes).
  struct OpenGap {
    uint64_t seq;
    Stream stream;
    uint64_t bytes = 0;
    std::string tail;
  };
  // An event on the heap: a chunk's item stays small (kChunkOverhead).
  using Item = std::variant<std::unique_ptr<Event>, Chunk, Gap>;
  static_assert(sizeof(Item) <= kChunkOverhead);
  /// What a queued chunk counts against the bound: its bytes and about what
  /// the queue spends on it, so that a flood of one-byte chunks is bounded too.
  static uint64_t cost(const Chunk& c) { return c.text.size() + kChunkOverhead; }
  void push(Item item);  // holds mu_
  void close_gaps();     // queues what was skipped so far; holds mu_
  void write();          // the writer thread

  std::unique_ptr<Display> display_;
  const uint64_t bound_;
  const std::chrono::milliseconds stalled_;
  std::mutex mu_;
  std::condition_variable work_;     // the writer waits for items
  std::condition_variable written_;  // drain() and a full queue wait for the writer
  std::deque<Item> queue_;
  uint64_t pushed_ = 0;        // items queued so far
  uint64_t done_ = 0;          // items the display has had
  uint64_t queued_bytes_ = 0;  // cost() of the chunks not written yet
  bool skipping_ = false;      // the display stopped; until the writer halves the queue
  std::vector<OpenGap> gaps_;  // output skipped since the last queued item, per stream
  bool idle_ = false;          // the writer waits on work_
  bool wake_ = false;          // push() found it waiting: notify work_ once mu_ is released
  int waiting_ = 0;            // drain() and output() calls waiting on written_
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace rbk::cli
