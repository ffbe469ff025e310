// The operator at the terminal: gates, manual steps and missing parameters
// are asked on /dev/tty, never on stdin (the commands' stdin is /dev/null,
// and rbk's own stdin may be a pipe). A read is interrupted by Ctrl-C.
#pragma once

#include <optional>
#include <string>

#include <mutex>

#include "cli/queued_display.hpp"
#include "interpreter/runtime/command.hpp"
#include "interpreter/runtime/operator.hpp"

namespace rbk::cli {

/// Asks on the controlling terminal. Without one (or with --non-interactive)
/// interactive() is false and nothing is ever asked.
class TtyOperator final : public Operator, public PendingPrompt {
 public:
  TtyOperator(bool non_interactive, const CancelToken* cancel, bool color);
  ~TtyOperator() override;
  TtyOperator(const TtyOperator&) = delete;
  TtyOperator& operator=(const TtyOperator&) = delete;

  bool interactive() const override { return fd_ >= 0; }
  std::string user() const override { return user_; }
  std::optional<bool> confirm(const std::string& question) override;
  std::optional<std::string> typed(const std::string& question,
                                   const std::string& expected) override;
  std::optional<ManualAnswer> manual(const std::string& instruction) override;
  std::optional<InFlightAnswer> in_flight(const InFlightQuestion& question) override;

  /// An `ask` statement: the question, why the last answer was refused, a line.
  std::optional<std::string> ask(const std::string& question, const std::string& retry) override;
  /// Asks for a value (missing parameters); nullopt at end of input.
  std::optional<std::string> ask(const std::string& question);
  /// Writes to the terminal (no-op without one), below what the display queued.
  void say(const std::string& text);
  /// The run's display: what it queued is written before anything is asked
  /// or said here (nullptr: none, or no longer).
  void set_display(QueuedDisplay* display) { display_ = display; }

  // PendingPrompt: the display moves a waiting question below what it prints.
  void hide() override;
  void show() override;

 private:
  /// Shows `shown` (printable already; its last line is the one waiting for an answer) and reads
  /// the answer; the question is redrawn if the display prints meanwhile.
  std::optional<std::string> ask_line(const std::string& shown);
  std::optional<std::string> read_line();
  /// Waits for the display to write what it queued; false when cancelled.
  bool settle();
  /// Writes `text` as it is: hide() and show() run on the display's thread,
  /// which must not wait for itself.
  void put(const std::string& text);

  int fd_ = -1;
  const CancelToken* cancel_;
  bool color_;
  std::string user_;
  QueuedDisplay* display_ = nullptr;
  std::mutex prompt_mu_;
  std::string waiting_;  // the last line of the question being asked, empty when none
};

/// The login name of whoever runs rbk ("alice", or "root (sudo from alice)").
std::string current_user();

}  // namespace rbk::cli
