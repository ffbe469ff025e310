// The run record: an append-only directory per run, written as the run goes,
// so a crash or a lost terminal leaves a readable transcript.
//
//   RECORDS/RUN_ID/events.jsonl      one JSON object per line, per Event:
//                                    {"t": elapsed_ms, "time": …, "type": …, …data}
//   RECORDS/RUN_ID/output/0007.stdout  the full output of command 7
//   RECORDS/RUN_ID/output/0007.stderr
//   RECORDS/RUN_ID/lock              held (flock) by the rbk writing the record
//
// Each event line is written with one write(2) as it happens (no buffering
// in user space), under an exclusive flock of events.jsonl that `rbk note`
// takes too (notes.hpp); sync() fsyncs the files and the directory.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

/// One line of events.jsonl, with its newline: {"t":…,"time":…,"type":…,
/// then the event's fields}, the fixed fields first so a line reads well
/// with `head`. Invalid UTF-8 (command output in a field) becomes U+FFFD
/// instead of an exception.
std::string event_line(const Event& e);

/// Writes one run's record. Not thread-safe (the engine serialises calls).
class RunRecord final : public EventSink {
 public:
  /// Creates RECORDS/RUN_ID/ (and RECORDS when missing), directories 0700 and
  /// files 0600 (a record can hold sensitive output). On failure (RUN_ID
  /// exists already, cannot be made, or is not a plain name), one line
  /// naming the path and the reason.
  static Expected<std::unique_ptr<RunRecord>, std::string> create(const std::string& records_dir,
                                                                  const std::string& run_id);
  /// Opens an existing run's record to write on (`rbk resume`). An
  /// incomplete last line (the run died while writing it) is cut off just
  /// before the first event is written, so a resume that is refused leaves
  /// the record as it was; its length is in dropped_bytes(). Refused while
  /// another rbk holds the record (the run is still going, or being resumed
  /// elsewhere).
  static Expected<std::unique_ptr<RunRecord>, std::string> reopen(const std::string& run_dir);
  /// Closes the files; does not sync (call sync() after run_end).
  ~RunRecord() override;
  RunRecord(const RunRecord&) = delete;  // owns file descriptors
  RunRecord& operator=(const RunRecord&) = delete;

  /// Appends one line to events.jsonl. A command_end closes that command's
  /// output files (so a long run does not run out of descriptors).
  void event(const Event& e) override;
  /// Appends to output/NNNN.stdout|stderr, created on the first chunk.
  void output(uint64_t seq, Stream stream, std::string_view chunk) override;
  /// fsyncs events.jsonl, the output files written since the last sync and
  /// the directories. Never throws; a failure goes to error().
  void sync() override;

  /// The run's directory (absolute).
  const std::string& dir() const { return dir_; }
  /// What reopen() cut off the end of events.jsonl.
  int64_t dropped_bytes() const { return dropped_bytes_; }
  /// The first write error, if any. The engine stops the run at the first
  /// one (see EventSink::failure); the CLI reports it.
  const std::string& error() const { return error_; }
  std::string failure() const override { return error_; }

 private:
  RunRecord(std::string dir, int events_fd, int lock_fd);
  struct OutputFile {
    int fd = -1;           // -1: could not be opened, or writing it failed
    uint64_t bytes = 0;    // written so far
    uint64_t started = 0;  // of them, handed to writeback (sync_file_range, every kWritebackStep)
  };
  static constexpr uint64_t kWritebackStep = 8 << 20;
  /// Command `seq`'s file for `stream`, opened on its first chunk.
  OutputFile& open_output(uint64_t seq, Stream stream);
  void close_outputs(uint64_t seq);
  void fail(const std::string& what, int err);

  std::string dir_;
  int events_fd_ = -1;
  int lock_fd_ = -1;           // flock'ed while this record is written
  int64_t dropped_bytes_ = 0;  // an incomplete last line …
  int64_t cut_at_ = -1;        // … cut here before the first write (-1: none)
  std::map<std::pair<uint64_t, int>, OutputFile> outputs_;  // the commands' output files
  std::vector<std::string> unsynced_;  // output files closed since the last sync
  bool output_dir_made_ = false;
  bool parent_synced_ = false;  // the records directory, which holds the new entry
  // A write to events.jsonl failed: nothing more goes there. A later write
  // that succeeded (space freed meanwhile) would follow a cut line, and the
  // record must end wherever writing failed (record.md).
  bool events_failed_ = false;
  std::string error_;
};

/// Where the whole lines of a record open on `fd` (`size` bytes long) end:
/// the offset after its last newline, 0 when it has none; -1 (errno set)
/// when it cannot be read. Past it is a line a dead writer left cut.
int64_t whole_lines_end(int fd, int64_t size);

/// True while an rbk holds RUN_DIR/lock: the run (or its resume) is going.
/// A shared flock held for a moment tells; an rbk taking the lock tries
/// again for a while, so asking never turns it away.
bool record_in_use(const std::string& run_dir);

/// True for a name a run's directory can have: not empty, not "." or "..",
/// no '/' or NUL (a run id given on the command line names no other path).
bool is_run_id(const std::string& name);

/// A new run id: UTC time and a random suffix, e.g. "20261123T031502Z-7f3a9c".
/// Sorts by start time; unique across machines in practice.
std::string new_run_id();

}  // namespace rbk
