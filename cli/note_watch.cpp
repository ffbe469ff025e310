#include "cli/note_watch.hpp"

#include <chrono>
#include <exception>

#include "interpreter/record/notes.hpp"

namespace rbk::cli {

NoteWatch::NoteWatch(const std::string& run_dir, EventSink& display)
    : display_(display), thread_([this, path = run_dir + "/events.jsonl"] { watch(path); }) {}

NoteWatch::~NoteWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void NoteWatch::watch(std::string events_path) {
  // Polling, not inotify: the run's own writes would wake an inotify
  // watch at every event; a look twice a second costs nothing.
  NoteFollower follower(std::move(events_path));
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
    try {
      for (const Event& note : follower.poll()) display_.event(note);
    } catch (const std::exception&) {
      // Showing a note is a courtesy: it is in the record whatever happens here.
    }
  }
}

}  // namespace rbk::cli
