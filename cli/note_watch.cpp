#include "cli/note_watch.hpp"

#include <chrono>
#include <exception>

#include "interpreter/record/notes.hpp"

namespace rbk::cli {

NoteWatch::NoteWatch(const std::string& run_dir, EventSink& display)
    : display_(display), follower_(run_dir + "/events.jsonl"), thread_([this] { watch(); }) {}

NoteWatch::~NoteWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void NoteWatch::watch() {
  // Polling, not inotify: the run's own writes would wake an inotify
  // watch at every event; a look twice a second costs nothing.
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
    try {
      for (const Event& note : follower_.poll()) display_.event(note);
    } catch (const std::exception&) {
      // Showing a note is a courtesy: it is in the record whatever happens here.
    }
  }
}

}  // namespace rbk::cli
