// The heart of `rbk serve`, apart from sockets and processes: answers each
// HTTP request (Alertmanager's webhook, approvals, the list of runs,
// health and metrics), decides with AlertIntake what each alert does,
// starts and resumes runs through a RunLauncher (the CLI spawns
// `rbk __serve-run`), and learns from each run's record how it stopped:
// parked at a gate (waiting for `rbk approve`, or approved automatically
// inside the route's limits), or over. Everything it knows about a run it
// can read back from the records at start-up, so a restart loses nothing.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/routes.hpp"
#include "interpreter/serve/http.hpp"
#include "interpreter/serve/intake.hpp"
#include "interpreter/serve/limits.hpp"
#include "interpreter/serve/run_spec.hpp"

namespace rbk {

/// What the server reads from a run's record (server.cpp).
struct RecordView;

/// Starts run processes for the server; each one's end is reported back
/// through AlertServer::run_exited.
class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  /// Starts a process for `spec`, or says why it could not.
  virtual Expected<void, std::string> launch(const ServeRunSpec& spec) = 0;
};

/// Where a run of the server is.
enum class ServedState { Running, Parked, Over };

/// One run the server started, as `rbk runs` and /runs show it.
struct ServedRun {
  std::string run_id{};
  std::string route{};
  std::string alert_key{};  // Alert::key()
  std::string runbook{};
  std::string target{};   // what per-target limits count by
  std::string started{};  // when the run started (ISO 8601 UTC, ms): the newest come first
  ServedState state = ServedState::Running;
  std::string parked_step{};   // Parked: the gate it waits at
  std::string plan_hash{};     // Parked: what an approval must name
  std::string since{};         // when it began its state (ISO 8601 UTC)
  std::string outcome{};       // Over: run_end's outcome
  bool resolved = false;       // its alert resolved
  bool auto_approved = false;  // counted in the route's limits
  bool passed_gate = false;    // a gate of it was approved: a resolution no longer ends it
  std::string expected{};      // Parked: what its typed gate wants typed ("" for confirm)
  /// The size of its record when the server last resumed it: unchanged when
  /// the run process ended, the resume refused (nothing ran).
  uintmax_t record_size_at_resume = 0;
  bool resuming = false;
  bool stuck = false;  // a resume of it refused: no automatic approval retries it
};

/// What the server needs from the project.
struct ServerSetup {
  std::vector<Route> routes;
  std::string records_dir;
  std::string token;  // a bearer token the webhook must send; empty: none needed
  /// The bearer token decisions over TCP (/approve, /deny, /breaker/reset)
  /// must send; never the webhook's. Empty: decisions only over the socket.
  std::string approver_token;
  /// Where the server keeps what no record holds (breaker resets); "": nowhere.
  std::string state_file;
  ParamCheck check;  // an alert's parameters against the route's runbook
  /// The clock limits count on (ms); tests give their own.
  std::function<std::chrono::milliseconds()> now;
  /// Where the server's log lines go (the CLI prints them).
  std::function<void(const std::string&)> log;
  /// policy.two_person: who may not approve a run's gate.
  bool approver_not_previous = false;
  bool approver_not_author = false;
  /// Who last changed a runbook file (`git log -1`: "NAME <EMAIL>"), "" when unknown.
  std::function<std::string(const std::string& file)> author_of;
  /// Tells the owner of `route`'s runbook (kind "notify": a run waits at a
  /// gate; "page": the route's breaker opened). The CLI runs rbk.yaml's
  /// notify or page command.
  std::function<void(const std::string& route, const std::string& kind, const std::string& message)>
      tell;
};

/// The server's state and decisions; thread-safe (requests arrive on the
/// io thread, run ends on the reaper's).
class AlertServer {
 public:
  AlertServer(ServerSetup setup, RunLauncher& launcher);
  /// Reads the records: runs an alert started that are parked or still
  /// going get their place back (their alert joins them again).
  void recover();
  /// Answers one request (the HttpServer's handler).
  HttpResponse handle(const HttpRequest& r);
  /// A run process ended: reads its record and acts on how it stopped.
  void run_exited(const std::string& run_id);
  /// The runs the server knows, newest first.
  std::vector<ServedRun> runs() const;

 private:
  HttpResponse on_alerts(const HttpRequest& r);
  HttpResponse on_decision(const HttpRequest& r, GateDecision::Kind kind);
  HttpResponse on_runs() const;
  /// GET /runs/ID: where the run is and, parked, its plan (run_start and
  /// the parked event, as the record has them).
  HttpResponse on_run(const std::string& run_id) const;
  HttpResponse on_metrics() const;
  HttpResponse on_reset_breaker(const HttpRequest& r);
  const Route* route_named(const std::string& name) const;
  /// Why `approver` may not approve a gate of `run_id` under policy.two_person ("" if they may).
  std::string two_person_problem(const RecordView& record, const std::string& approver) const;
  /// Resumes a parked run with `d` about its gate (under mu_).
  bool resume(ServedRun& run, GateDecision d);
  /// A run is parked: resolved, auto-approved, or left for a person (under mu_).
  void on_parked(ServedRun& run, const RecordView& record);
  void log(const std::string& line) const {
    if (setup_.log) setup_.log(line);
  }

  ServerSetup setup_;
  RunLauncher& launcher_;
  mutable std::mutex mu_;
  AlertIntake intake_;
  AutoApprovalLimits limits_;
  std::map<std::string, ServedRun> runs_;      // by run id
  std::map<std::string, long long> counters_;  // for /metrics
};

}  // namespace rbk
