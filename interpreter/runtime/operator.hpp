// The operator: the person at the terminal who answers gates, manual steps
// and missing parameters. The CLI implements it on /dev/tty (never the
// commands' stdin); tests and `rbk test` script it.
#pragma once

#include <optional>
#include <string>

namespace rbk {

/// An answer to a `manual` step.
enum class ManualAnswer { Done, Skip, Fail };

/// What to do with a destructive command that was running when the run died.
enum class InFlightAnswer { RunAgain, Done, Failed };

/// What `rbk resume` knows about that command when it asks.
struct InFlightQuestion {
  std::string step{};
  std::string command{};
  std::string started{};  // its command_start's wall-clock time
  /// The step's verify probe (or its `until` check), run just now; empty
  /// when the step has none.
  std::string probe{};
  /// How the probe went: "exit 0", or how it failed, then its last lines
  /// (masked); or why it was not run.
  std::string probe_result{};
  bool probe_ran = false;
  bool probe_passed = false;  // it ran and exited 0
};

/// What rbk knows about the in-flight command, as the question tells it.
inline std::string describe(const InFlightQuestion& q) {
  std::string out = "Destructive step " + q.step + " was running when the run died: `" + q.command +
                    "` started " + q.started +
                    "; no result was recorded, so it may have done its work, part of it, or "
                    "nothing.\n";
  if (!q.probe.empty())
    out += "Its check `" + q.probe + "` " +
           (!q.probe_ran     ? "was " + q.probe_result
            : q.probe_passed ? "passes now: " + q.probe_result
                             : "does not pass now: " + q.probe_result) +
           "\n";
  return out;
}

/// Asks the operator. Every method returns nullopt when no answer could be
/// read (no terminal, end of input, or the run was interrupted).
class Operator {
 public:
  virtual ~Operator() = default;
  /// True when questions can be asked at all (a terminal, not --non-interactive).
  virtual bool interactive() const = 0;
  /// Who answers, for the record (login name).
  virtual std::string user() const = 0;
  /// A y/N question; anything but yes is no.
  virtual std::optional<bool> confirm(const std::string& question) = 0;
  /// Asks the operator to type `expected`; returns what they typed.
  virtual std::optional<std::string> typed(const std::string& question,
                                           const std::string& expected) = 0;
  /// Shows an instruction and waits for done / skip / fail.
  virtual std::optional<ManualAnswer> manual(const std::string& instruction) = 0;
  /// An `ask`: shows the question (with `retry`, why the last answer was
  /// refused) and returns the line the operator typed.
  virtual std::optional<std::string> ask(const std::string& question, const std::string& retry) = 0;
  /// `rbk resume`: what to do with the destructive command that was running
  /// when the run died; nullopt stops the resume. By default it stops.
  virtual std::optional<InFlightAnswer> in_flight(const InFlightQuestion& /*question*/) {
    return std::nullopt;
  }
};

}  // namespace rbk
