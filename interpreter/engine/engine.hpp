// The step engine: runs one runbook (and the runbooks it calls) section by
// section, with gates before anything destructive, rollback on failure,
// escalation timers, and every event reported to the sinks (the record, the
// terminal). All side effects go through the context's interfaces, so tests
// drive it with fake commands, a scripted operator and a virtual clock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/record/events.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/runtime/command.hpp"
#include "interpreter/runtime/operator.hpp"
#include "interpreter/runtime/ssh.hpp"
#include "interpreter/runtime/value.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "interpreter/syntax/ast.hpp"

namespace rbk {

class ResumeState;

// Outcome, outcome_name and exit_code_for are in record/events.hpp: the
// record writes them.

/// Finds, parses and checks a runbook by name for `call`, or says why it
/// cannot. The returned document must outlive the run.
using RunbookFinder =
    std::function<Expected<const ast::Document*, std::string>(const std::string& name)>;

/// A decision about a parked gate, made outside the run (`rbk approve` or
/// `rbk deny` through rbk serve, serve's automatic approval inside a
/// route's limits, or the alert's resolution) and handed to the resumed run.
struct GateDecision {
  enum class Kind { Approve, Deny, AlertResolved };
  Kind kind = Kind::Approve;
  std::string by{};                    // who: a user, or "rbk serve"
  std::string from{};                  // where from: "unix socket, uid 1000", "route NAME"
  ev::Via via = ev::Via::Socket;       // Socket, Http or Auto
  std::string plan_hash{};             // the parked plan approved (Approve)
  std::optional<std::string> typed{};  // a typed gate's value, as the approver typed it
};

/// Everything a run needs from outside, shared with the runbooks it calls.
struct EngineContext {
  CommandRunner* runner = nullptr;
  /// Runs notification commands; null: `runner`. Not stopped by `cancel`,
  /// so that `on interrupted` rules reach someone after Ctrl-C or SIGHUP.
  CommandRunner* notify_runner = nullptr;
  Operator* op = nullptr;
  Clock* clock = nullptr;
  std::vector<EventSink*> sinks;  // the record, the terminal, …
  CancelToken* cancel = nullptr;  // Ctrl-C / SIGTERM / SIGHUP
  const Config* config = nullptr;
  const DestructivePatterns* patterns = nullptr;
  ModuleLoader* modules = nullptr;
  RunbookFinder find_runbook;  // may be empty: `call` then fails the step
  /// Set by `rbk resume`: the run replays its record before it goes on
  /// (see resume.hpp). Its clock must be `clock`.
  ResumeState* resume = nullptr;
  /// Runs the commands of steps `on` targets (over SSH); null: such a step fails.
  TargetRunner* targets = nullptr;
  /// `--target ID|GROUP`, resolved to host ids: every step `on` targets runs
  /// only on these (empty: no narrowing).
  std::set<std::string> target_filter;

  std::string run_id;
  std::string record_dir;  // passed to commands as RBK_RECORD_DIR
  /// A private directory (0700) where every capture is also written whole,
  /// one file per name, passed to commands as RBK_CAPTURES: the environment
  /// cannot hold a large capture (see kMaxCaptureInEnv). Empty: no files
  /// (rbk test, where no command runs).
  std::string capture_dir;
  bool force = false;             // go on when no alert signal fires
  bool yes = false;               // y/N gates pass (never typed ones)
  std::set<std::string> approve;  // step ids whose gates pass without asking
  /// `--answer NAME=VALUE`: answers to `ask`, by name (CALLED/NAME in a
  /// called runbook), used instead of asking.
  std::map<std::string, std::string> answers;
  /// When set (`rbk test`), every secret's value comes from here (missing
  /// ones are empty): no environment variable is read, no secret command run.
  const std::map<std::string, std::string>* secret_values = nullptr;
  /// A run started by an alert (rbk serve): a gate that nothing here passes
  /// parks the run (outcome `parked`, resumable) instead of refusing it.
  bool park_at_gates = false;
  /// Decisions about parked gates, by step id (a called runbook's as CALLED/STEP).
  std::map<std::string, GateDecision> decisions;
  /// Shadow mode (a route's `shadow: true`): the alert and the diagnosis run
  /// for real; remediation and `finally` steps are recorded as would_run and
  /// never executed; verification, rollback and escalations do not happen.
  bool shadow = false;
  /// The alert that started the run: recorded right after run_start.
  std::optional<ev::AlertStart> alert;
};

/// The largest capture exported as `$NAME`, and the most that all captures
/// together may take in a command's environment: beyond them a command gets
/// the capture only from the file $RBK_CAPTURES/NAME, and a command whose
/// text mentions `$NAME` is not started (it would see an empty value).
/// (Linux allows 128 KiB per variable, name included, and about a quarter
/// of the stack limit — usually 2 MiB — for all of them and the arguments.)
inline constexpr size_t kMaxCaptureInEnv = size_t{120} << 10;
inline constexpr size_t kMaxCapturesInEnv = size_t{1} << 20;

/// One run's input.
struct RunRequest {
  const ast::Document* doc = nullptr;
  std::map<std::string, Value> params;         // bound, complete (see params.hpp)
  std::string file;                            // the runbook's path
  std::string sha256;                          // of the runbook's text, for the record
  std::map<std::string, std::string> modules;  // module path → sha256 of its text
};

/// How it ended.
struct RunResult {
  Outcome outcome = Outcome::Error;
  int exit_code = 2;
  std::string failed_step;          // the step or check that failed or was refused
  std::vector<std::string> causes;  // ids of the causes that matched
  int steps_run = 0;
  int escalations = 0;
  std::string message;  // for Error: why
};

/// Runs a runbook to its end. Never throws.
RunResult run_runbook(EngineContext& ctx, const RunRequest& req);

}  // namespace rbk
