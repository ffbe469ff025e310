// The subcommands. main.cpp parses arguments (CLI11 lives only there) and
// calls one of these; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace rbk {
struct ServeRunSpec;
}

namespace rbk::cli {

/// Exit codes shared by every subcommand (documented in docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,              // success, nothing found; a run resolved (or its alert was not firing)
  kExitFindings = 1,        // errors found in the input (check); a run failed and was rolled back
  kExitUsage = 2,           // bad arguments, unreadable paths, config or runbook errors
  kExitRollbackFailed = 3,  // a run failed and its rollback failed too
  kExitRefused = 4,         // a run stopped at a gate that was refused or not approved
  kExitRecordFailed = 5,    // a run stopped because its record could not be written
  kExitInterrupted = 130,   // a run was interrupted (Ctrl-C, SIGTERM, SIGHUP)
};

/// Options of `rbk check`.
struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";  // text | json
  bool verbose = false;         // also list the inventory variables rbk does not use
};
/// `rbk check PATH…`: parse and validate; print diagnostics.
int run_check(const CheckOptions& opts);

/// Options of `rbk parse`.
struct ParseOptions {
  std::string path;
  bool ast = false;
};
/// `rbk parse FILE --ast`: print the AST as JSON.
int run_parse(const ParseOptions& opts);

/// Options of `rbk run` (and of `rbk plan`, which uses target, params, format).
struct RunOptions {
  std::string target;                // NAME on the runbook path, or a FILE
  std::vector<std::string> params;   // -p name=value, as given
  bool dry_run = false;              // --dry-run: plan only
  bool force = false;                // --force: go on when no alert signal fires
  bool non_interactive = false;      // --non-interactive: never prompt
  bool yes = false;                  // --yes: answer y/N gates (never typed ones)
  std::vector<std::string> approve;  // --approve STEP
  std::vector<std::string> answers;  // --answer NAME=VALUE
  std::vector<std::string> targets;  // --target ID|GROUP: narrows every step `on` targets
  std::string color = "auto";        // --color auto|always|never
  // run, resume: text | json (the event stream as JSON lines; --json is an
  // alias); plan: text | json; show: markdown | json
  std::string format = "text";
  std::string record_fixture;  // --record-fixture FILE: write the run as a fixture case
  // `rbk resume` (target and params then come from the record):
  bool resume = false;
  std::string run_id;                      // RUN_ID; empty: the newest resumable run
  std::vector<std::string> assume_done;    // --assume-done STEP
  std::vector<std::string> assume_failed;  // --assume-failed STEP
  bool allow_changed = false;              // --allow-changed
  /// A run of rbk serve (`rbk __serve-run`): its id is given, gates park,
  /// the alert is recorded, a parked gate's decision is applied.
  const ServeRunSpec* serve = nullptr;
};
/// `rbk run NAME|FILE`: run a runbook.
int run_run(const RunOptions& opts);
/// `rbk __serve-run SPEC`: a run rbk serve starts or resumes (serve/run_spec.hpp).
int run_serve_run(const std::string& spec_file);
/// `rbk plan NAME|FILE` (= run --dry-run): show what would run; run nothing.
int run_plan(const RunOptions& opts);
/// `rbk show NAME|FILE`: the runbook as Markdown (`--format json`: the plan's data).
int run_show(const RunOptions& opts);

/// `rbk __complete KIND [RUNBOOK]`: the project's words for a shell
/// completion, one per line (runbooks, params, steps, targets, runs).
int run_complete(const std::string& kind, const std::string& runbook);

struct CliSpec;
/// `rbk completion SHELL`: the completion script for bash, zsh or fish.
int run_completion(const CliSpec& spec, const std::string& shell);
/// `rbk __man DIR`: writes rbk.1 and a page per command into DIR.
int run_man(const CliSpec& spec, const std::string& dir);

/// Options of `rbk list`.
struct ListOptions {
  std::string format = "text";  // text | json
};
/// `rbk list`: the runbooks on the runbook path.
int run_list(const ListOptions& opts);

/// Options of `rbk history`.
struct HistoryOptions {
  std::string format = "text";  // text | json
  int limit = 20;               // newest N runs; 0 = all
  bool verify = false;          // check each listed run's output files (exit 1 on a change)
};
/// `rbk history`: past runs from the records directory.
int run_history(const HistoryOptions& opts);

/// Options of `rbk note`.
struct NoteOptions {
  std::vector<std::string> args;  // [RUN_ID] TEXT
};
/// `rbk note [RUN_ID] TEXT`: a timestamped note on a run's timeline.
int run_note(const NoteOptions& opts);

/// Options of `rbk report`.
struct ReportOptions {
  std::string run_id;         // empty: the newest run
  std::string format = "md";  // md | json
  std::string output;         // -o FILE; empty: stdout
  bool verify = false;        // --verify: check the output files' digests only
};
/// `rbk report [RUN_ID]`: the post-incident report drafted from a record.
int run_report(const ReportOptions& opts);

/// Options of `rbk lint`.
struct LintCmdOptions {
  std::vector<std::string> paths;  // files or directories; none: the runbook path
  std::string format = "text";     // text | json | sarif | github
  int max_warnings = -1;           // fail when warnings exceed N (-1: never)
  bool no_shellcheck = false;      // skip ShellCheck
};
/// `rbk lint [PATH…]`: check + rules, for CI.
int run_lint(const LintCmdOptions& opts);

/// Options of `rbk test`.
struct TestOptions {
  std::vector<std::string> paths;  // fixtures, runbooks or directories; none: the runbook path
  std::string format = "text";     // text | junit | json
};
/// `rbk test [PATH…]`: run fixture cases against runbooks, no real command.
int run_test(const TestOptions& opts);

/// Options of `rbk fmt`.
struct FmtOptions {
  std::vector<std::string> paths;  // files or directories; none: the runbook path
  bool check = false;              // list unformatted files, exit 1; change nothing
  bool diff = false;               // print a unified diff; change nothing
  std::string format = "text";     // text | json
};
/// `rbk fmt [--check|--diff] [PATH…]`: the canonical layout.
int run_fmt(const FmtOptions& opts);

/// Options of `rbk version`.
struct VersionOptions {
  std::string format = "text";  // text | json
};
/// `rbk version`: rbk's version; in JSON also how it was built and with what.
int run_version(const VersionOptions& opts);

/// Options of `rbk serve`.
struct ServeOptions {
  std::string listen = "127.0.0.1:9095";  // --listen ADDRESS:PORT
  std::string token_file;                 // --token-file FILE: the bearer token Alertmanager sends
  std::string approver_token_file;        // --approver-token-file FILE: for decisions over HTTP
  std::string socket_group;               // --socket-group GROUP: its members use the socket
};
/// `rbk serve`: the Alertmanager webhook receiver; alerts start runbooks by rbk.yaml's routes.
int run_serve(const ServeOptions& opts);

/// Options of `rbk approve` and `rbk deny`.
struct ApproveOptions {
  std::string run_id;
  std::string step;
  bool deny = false;       // rbk deny
  bool yes = false;        // --yes: decide without asking (no terminal)
  std::string typed;       // --typed VALUE: a typed gate's value, without a terminal
  std::string server;      // --server http://HOST:PORT: over HTTP instead of the Unix socket
  std::string token_file;  // --token-file FILE: the bearer token for --server
};
/// `rbk approve RUN_ID STEP` / `rbk deny RUN_ID STEP`: decide about a parked gate.
int run_approve(const ApproveOptions& opts);

/// Options of `rbk runs`.
struct RunsOptions {
  std::string format = "text";  // text | json
  bool all = false;             // --all: runs that are over too
  std::string reset_breaker;    // --reset-breaker ROUTE: close a route's circuit breaker
};
/// `rbk runs`: rbk serve's runs and where each is.
int run_runs(const RunsOptions& opts);

/// `rbk lsp`: the language server on stdin/stdout, until `exit` or the input ends.
int run_lsp();

}  // namespace rbk::cli
