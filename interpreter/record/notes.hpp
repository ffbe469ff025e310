// Timeline notes (`rbk note`): a person's note appended to a run's record
// from any terminal, while the run goes on or after it ended, and read back
// by the running rbk so its terminal shows it.
//
// Every line of events.jsonl is appended with one write(2) under an
// exclusive flock of events.jsonl itself, by the running rbk and by each
// note writer alike: lines from several processes never interleave, and a
// note never lands after the cut half-line a dead run left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

/// Appends a timeline_note to RUN_DIR/events.jsonl, timed from the run's
/// start (run_start's wall-clock time), and fsyncs it. `text` must already
/// be masked. Refused, with the reason, when the record is missing, does not
/// begin with run_start, or ends in a cut line (the run died mid-write:
/// `rbk resume` cuts it first). Returns the event written.
Expected<Event, std::string> append_note(const std::string& run_dir, const std::string& by,
                                         const std::string& text);

/// Appends `body` (already masked) to RUN_DIR/events.jsonl the same way:
/// what rbk serve writes into a run's record (alert_update).
Expected<Event, std::string> append_event(const std::string& run_dir, ev::Body body);

/// Follows a record as it grows and picks out the timeline notes other
/// processes append (the running rbk polls it to show them).
class NoteFollower {
 public:
  /// Starts at the record's current end: notes already there are not new.
  explicit NoteFollower(std::string events_path);
  /// The notes in whole lines appended since the last call, in order.
  std::vector<Event> poll();

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;  // a line not yet whole
};

}  // namespace rbk
