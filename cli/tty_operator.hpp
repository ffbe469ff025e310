// The operator at the terminal: gates, manual steps and missing parameters
// are asked on /dev/tty, never on stdin (the commands' stdin is /dev/null,
// and rbk's own stdin may be a pipe). A read is interrupted by Ctrl-C.
#pragma once

#include <optional>
#include <string>

#include "interpreter/command.hpp"
#include "interpreter/operator.hpp"

namespace rbk::cli {

/// Asks on the controlling terminal. Without one (or with --non-interactive)
/// interactive() is false and nothing is ever asked.
class TtyOperator final : public Operator {
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

  /// Asks for a value (missing parameters); nullopt at end of input.
  std::optional<std::string> ask(const std::string& question);
  /// Writes to the terminal (no-op without one).
  void say(const std::string& text);

 private:
  std::optional<std::string> read_line();

  int fd_ = -1;
  const CancelToken* cancel_;
  bool color_;
  std::string user_;
};

/// The login name of whoever runs rbk ("alice", or "root (sudo from alice)").
std::string current_user();

}  // namespace rbk::cli
