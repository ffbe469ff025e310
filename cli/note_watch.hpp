// Shows timeline notes (`rbk note`) on the terminal of the rbk running the
// run: a thread looks at the record twice a second for notes other
// processes appended, and hands each to the display.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "interpreter/record/events.hpp"
#include "interpreter/record/notes.hpp"

namespace rbk::cli {

/// Follows RUN_DIR/events.jsonl while it lives; stops (and joins) when destroyed.
class NoteWatch {
 public:
  /// `display` must be safe to call from another thread (QueuedDisplay is,
  /// and queues the note among the run's events).
  NoteWatch(const std::string& run_dir, EventSink& display);
  ~NoteWatch();
  NoteWatch(const NoteWatch&) = delete;  // owns a thread
  NoteWatch& operator=(const NoteWatch&) = delete;

 private:
  void watch();

  EventSink& display_;
  NoteFollower follower_;  // from the record's end when the watch begins
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rbk::cli
