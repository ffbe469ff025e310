// How a run looks on the terminal: a header, section headings, one status
// line per step with its duration, command output indented under its step,
// a live elapsed-time line while a command runs (terminal only), and a
// closing summary. `--json` replaces all of it with the event stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "interpreter/record/events.hpp"

namespace rbk::cli {

/// A question waiting on the terminal (TtyOperator): a line the display
/// prints meanwhile — a timed page, say — must not run into it.
class PendingPrompt {
 public:
  virtual ~PendingPrompt() = default;
  /// Before a line is printed: clears the question's line if one is shown.
  virtual void hide() = 0;
  /// After: draws the question again, below the new line.
  virtual void show() = 0;
};

/// What shows a run: events, output, and output it was not given because it
/// fell behind (QueuedDisplay counts that instead of holding the run).
class Display : public EventSink {
 public:
  /// `bytes` of command `seq`'s `stream` went by unshown, here in the
  /// stream; what comes after them starts a line (unless one line was longer
  /// than QueuedDisplay::kGapTail).
  virtual void skipped(uint64_t seq, Stream stream, uint64_t bytes) = 0;
};

/// Renders events as text for a person.
class TextDisplay final : public Display {
 public:
  /// `live`: stdout is a terminal, so a ticking elapsed time may be drawn.
  TextDisplay(FILE* out, bool color, bool live);
  /// Lines of one command's stream printed before the rest is only counted
  /// (a flood would scroll past unread and hold the run at the terminal's
  /// speed); the last kTailLines are printed when the command ends.
  static constexpr uint64_t kShownLines = 1000;
  /// Lines shown at the end of a stream that went past kShownLines.
  static constexpr size_t kTailLines = 10;
  ~TextDisplay() override;
  TextDisplay(const TextDisplay&) = delete;
  TextDisplay& operator=(const TextDisplay&) = delete;

  void event(const Event& e) override;
  void output(uint64_t seq, Stream stream, std::string_view chunk) override;
  /// A line saying how much was not shown; the stream goes on below it.
  void skipped(uint64_t seq, Stream stream, uint64_t bytes) override;
  /// The record's directory, shown in the header and the summary.
  void set_record_dir(std::string dir) { record_dir_ = std::move(dir); }
  /// The operator's pending question, kept below what is printed (live only).
  void set_prompt(PendingPrompt* prompt) { prompt_ = prompt; }

 private:
  void line(const std::string& text);  // holds mu_
  void lines(std::string_view text);   // whole lines, one write; holds mu_
  void clear_ticker();                 // holds mu_
  std::string paint(const char* code, const std::string& text) const;
  void tick();

  FILE* out_;
  bool color_;
  bool live_;
  std::string record_dir_;
  PendingPrompt* prompt_ = nullptr;
  // One stream of one command as displayed: its first kShownLines lines are
  // printed as they come; after that only counted, and the last few shown
  // when the command ends (the record keeps every byte).
  struct Flow {
    std::string partial;  // an unfinished line
    uint64_t shown = 0;   // lines printed
    bool hiding = false;  // past kShownLines: only counted now
    uint64_t hidden = 0;  // complete lines not printed
    std::string tail;     // the last bytes not printed
    bool cut = false;     // tail no longer starts where the hidden bytes did
  };
  void hide(Flow& f, std::string_view bytes);
  void end_flow(uint64_t seq, int stream, std::string& text);
  std::map<std::pair<uint64_t, int>, Flow> flows_;
  /// Commands on targets: their output is only in the record (fifty hosts
  /// interleaved would be unreadable). A batch shows one live line of
  /// counts (terminal only) and one line when it ends; the step, when it
  /// ends, the hosts where it was ok on one line and each failed host on
  /// its own, with why.
  std::set<uint64_t> target_seqs_;
  struct Fanout {
    bool batch_running = false;
    int batch = 0, batches = 0;
    size_t size = 0;                            // hosts in the batch
    std::set<std::string> running;              // hosts with a command running now
    std::set<std::string> done;                 // hosts of the batch that finished a command
    std::vector<std::string> hosts;             // every host of the step, in first-seen order
    std::map<std::string, std::string> failed;  // host → its first failure
    std::chrono::steady_clock::time_point since;
  } fan_;
  std::string fanout_status() const;  // the live line; holds mu_
  void show_fanout_status();          // holds mu_
  void end_fanout();                  // the step's per-host summary; holds mu_
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;  // a command is running
  bool ticker_shown_ = false;
  bool stop_ = false;
  std::string running_step_;
  std::vector<std::string> calls_;  // the called runbooks running now, outermost first
  std::chrono::steady_clock::time_point running_since_;
  std::chrono::steady_clock::time_point last_output_;
  std::thread ticker_;
};

/// Writes every event (and output chunk) as one JSON line.
class JsonLines final : public Display {
 public:
  explicit JsonLines(FILE* out) : out_(out) {}
  void event(const Event& e) override;
  void output(uint64_t seq, Stream stream, std::string_view chunk) override;
  /// An `output_skipped` line: {"bytes", "seq", "stream", "type"}.
  void skipped(uint64_t seq, Stream stream, uint64_t bytes) override;

 private:
  FILE* out_;
};

}  // namespace rbk::cli
