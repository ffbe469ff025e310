// rbk serve's requests, runs and decisions (server.hpp). Longer than most
// files here: every decision about a run, from its alert to its end, takes
// the one lock of AlertServer and changes the same state, and in one file
// the order of those decisions and the lock that serialises them are read
// together.
#include "interpreter/serve/server.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "interpreter/base/enum_names.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/base/sha256.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/record/notes.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/serve/alert.hpp"

namespace rbk {

/// The run's record, read: the alert that started it, how it last stopped.
struct RecordView {
  std::optional<ev::RunStart> start;
  std::string started;  // run_start's time
  std::optional<ev::AlertStart> alert;
  std::optional<ev::Parked> parked;  // the last one
  std::string outcome;               // the last run_end's, "" when none
  std::string runbook;
  std::string time;                            // of the last event
  std::vector<std::string> causes;             // matched
  bool passed_gate = false;                    // an answer passed
  std::string file;                            // the runbook's, from run_start
  std::string sha256;                          // of its text when the run started
  std::map<std::string, std::string> modules;  // module path → sha256 then
  std::string last_approver;                   // who passed the latest gate a person passed
  std::string section;                         // the section it is in ("" before the first)
  std::vector<std::string> auto_approved_at;   // when rbk serve approved a gate of it
  std::string ended_at;                        // the last run_end's time
};

static RecordView view_of(const std::string& dir) {
  RecordView v;
  std::vector<std::string> problems;
  for (const Event& e : read_events(dir, problems, /*whole_lines_only=*/true)) {
    v.time = e.time;
    if (const auto* s = e.as<ev::RunStart>()) {
      v.start = *s;
      v.started = e.time;
      v.runbook = s->runbook;
      v.file = s->file;
      v.sha256 = s->sha256;
      v.modules = s->modules.value_or(std::map<std::string, std::string>{});
    }
    if (const auto* a = e.as<ev::AlertStart>()) v.alert = *a;
    if (const auto* p = e.as<ev::Parked>()) v.parked = *p;
    if (const auto* c = e.as<ev::Cause>(); c && c->matched) v.causes.push_back(c->id);
    if (const auto* sec = e.as<ev::SectionStart>()) v.section = name_of(sec->section);
    if (const auto* a = e.as<ev::Answer>(); a && a->passed) {
      v.passed_gate = true;
      if (a->via != ev::Via::Auto) v.last_approver = a->by;
      if (a->via == ev::Via::Auto) v.auto_approved_at.push_back(e.time);
    }
    if (e.as<ev::RunEnd>()) v.ended_at = e.time;
    if (const auto* end = e.as<ev::RunEnd>()) v.outcome = std::string(outcome_name(end->outcome));
    if (e.as<ev::Resume>()) {  // going again
      v.outcome.clear();
      v.ended_at.clear();
    }
  }
  return v;
}

namespace {

using nlohmann::json;

HttpResponse reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  return r;
}

/// Equal without saying where they differ: a token is compared in time
/// that depends only on its length.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// The login name of `uid`, or "uid N".
std::string user_name(uint32_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
  return "uid " + std::to_string(uid);
}

const char* state_name(ServedState s) {
  switch (s) {
    case ServedState::Running:
      return "running";
    case ServedState::Parked:
      return "parked";
    case ServedState::Over:
      return "over";
  }
  return "over";
}

/// The value a route's `target` takes for an alert (default: its fingerprint).
std::string target_of(const Route& route, const Alert& alert) {
  if (!route.target) return alert.fingerprint;
  Route one;
  one.params["target"] = *route.target;
  auto v = route_params(one, alert.labels, alert.annotations);
  return v ? v->at("target") : alert.fingerprint;
}

/// An outcome that counts toward a route's breaker: the automation did
/// harm or could not finish (not an interruption, which a resume continues).
bool failed_outcome(const std::string& outcome) {
  return outcome == "failed" || outcome == "not_restored" || outcome == "error" ||
         outcome == "refused" || outcome == "record_failed";
}

/// What changed since the run started (its runbook's or a module's text),
/// "" when nothing did: the resumed run would refuse to go on, so an
/// approval now would be void.
std::string changed_since(const RecordView& v) {
  auto differs = [](const std::string& file, const std::string& then) {
    auto text = read_regular_file(file, size_t{64} << 20);
    return !text || sha256_hex(*text) != then;
  };
  std::string out;
  if (!v.file.empty() && differs(v.file, v.sha256)) out = v.file;
  for (const auto& [path, digest] : v.modules)
    if (differs(path, digest)) out += (out.empty() ? "" : ", ") + path;
  return out;
}

std::string params_text(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

}  // namespace

AlertServer::AlertServer(ServerSetup setup, RunLauncher& launcher)
    : setup_(std::move(setup)), launcher_(launcher) {
  if (!setup_.now)
    setup_.now = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch());
    };
}

const Route* AlertServer::route_named(const std::string& name) const {
  for (const auto& r : setup_.routes)
    if (r.name == name) return &r;
  return nullptr;
}

void AlertServer::recover() {
  std::lock_guard lock(mu_);
  // When each route's breaker was last reset: failures before then are forgiven.
  std::map<std::string, std::string> resets;
  if (!setup_.state_file.empty()) {
    if (auto text = read_regular_file(setup_.state_file, 1 << 20)) {
      json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j["breaker_resets"].is_object())
        for (const auto& [route, at] : j["breaker_resets"].items())
          if (at.is_string()) resets[route] = at.get<std::string>();
    }
  }
  // Times as the limits count them: now() less how long ago it was.
  auto at = [&](const std::string& iso) {
    return setup_.now() - wall_since(iso).value_or(std::chrono::milliseconds(0));
  };
  std::vector<RunSummary> all = list_runs(setup_.records_dir);
  std::reverse(all.begin(), all.end());  // oldest first: the limits count in order
  for (const RunSummary& s : all) {
    RecordView v = view_of(s.dir);
    if (!v.alert) continue;  // not a run of rbk serve
    const Route* route = route_named(v.alert->route);
    Alert alert;
    alert.fingerprint = v.alert->fingerprint;
    for (const auto& [k, x] : v.alert->labels) alert.labels[k] = x.value;
    for (const auto& [k, x] : v.alert->annotations) alert.annotations[k] = x.value;
    ServedRun run{.run_id = s.run_id,
                  .route = v.alert->route,
                  .alert_key = v.alert->fingerprint + "@" + v.alert->starts_at,
                  .runbook = v.runbook,
                  .target = route ? target_of(*route, alert) : alert.fingerprint,
                  .started = v.started,
                  .since = v.time};
    run.passed_gate = v.passed_gate;
    // The limits know what the server approved before it restarted, and
    // how those runs ended: a restart does not reset them.
    if (route && !v.auto_approved_at.empty()) {
      run.auto_approved = true;
      limits_.approved(*route, run.target, at(v.auto_approved_at.front()));
      if (v.outcome.empty() && !s.live) {
        // It died without an end: it holds no slot of `concurrent`, and is
        // not a failure of the automation (rbk resume continues it).
        limits_.ended(*route, false, at(v.time));
      } else if (!v.outcome.empty() && v.outcome != "parked") {
        const bool failed = failed_outcome(v.outcome);
        auto reset = resets.find(route->name);
        const bool forgiven = reset != resets.end() && v.ended_at <= reset->second;
        limits_.ended(*route, failed && !forgiven, at(v.ended_at));
      }
    }
    if (s.outcome == "parked" && v.parked) {
      run.state = ServedState::Parked;
      run.parked_step = v.parked->step;
      run.plan_hash = v.parked->plan_hash;
      run.expected = v.parked->expected.value;
      intake_.started(run.alert_key, run.run_id);
      log("run " + run.run_id + " waits at step " + run.parked_step + " (from its record)");
    } else if (s.live) {
      // Another process writes it (a run this server did not start, or one
      // left by a server that died): its alert joins it, nothing starts twice.
      intake_.started(run.alert_key, run.run_id);
    } else {
      run.state = ServedState::Over;
      run.outcome = s.outcome;
      intake_.started(run.alert_key, run.run_id);  // its episode's re-sends join it
    }
    runs_[run.run_id] = std::move(run);
  }
}

HttpResponse AlertServer::handle(const HttpRequest& r) {
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (r.method == "GET" && path == "/healthz") return reply(200, "ok");
  if (r.method == "GET" && path == "/metrics") {
    HttpResponse m = on_metrics();
    m.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return m;
  }
  // Decisions about gates, and a run's plan (GET /runs/ID, the first step of
  // deciding: the exact commands and parameters are for approvers, not for
  // Alertmanager): over the Unix socket, or over TCP with the approvers'
  // token only. The webhook's token (which Alertmanager holds) never
  // approves anything, and without an approvers' token nothing over TCP does.
  const bool decision =
      (r.method == "POST" && (path == "/approve" || path == "/deny" || path == "/breaker/reset")) ||
      (r.method == "GET" && path.rfind("/runs/", 0) == 0);
  // Refused, counted, when the request does not carry `token`.
  auto without = [&](const std::string& token,
                     const std::string& why) -> std::optional<HttpResponse> {
    auto auth = r.headers.find("authorization");
    if (auth != r.headers.end() && same_secret(auth->second, "Bearer " + token))
      return std::nullopt;
    std::lock_guard lock(mu_);
    ++counters_["unauthorized"];
    HttpResponse denied = reply(401, why);
    denied.headers["WWW-Authenticate"] = "Bearer";
    return denied;
  };
  if (r.peer_uid && *r.peer_uid != ::geteuid()) {
    // Another user on the socket is a member of --socket-group: an approver,
    // not Alertmanager and not the service. Plans, decisions, the list of
    // runs; an alert from them would start runs with labels of their choosing.
    if (!decision && !(r.method == "GET" && path == "/runs")) {
      std::lock_guard lock(mu_);
      ++counters_["unauthorized"];
      return reply(403, "only rbk serve's own user may " + r.method + " " + path +
                            " on the socket; approvers may read runs and decide");
    }
  } else if (decision && !r.peer_uid) {
    if (setup_.approver_token.empty())
      return reply(403,
                   "decisions over HTTP need rbk serve --approver-token-file; "
                   "use rbk approve on this machine (the Unix socket)");
    if (auto denied = without(setup_.approver_token, "the approvers' bearer token is required"))
      return *denied;
  } else if (!r.peer_uid && !setup_.token.empty()) {
    // Everything else needs the webhook's token over TCP, when there is one.
    if (auto denied = without(setup_.token, "a bearer token is required")) return *denied;
  }
  if (r.method == "POST" && path == "/alertmanager") return on_alerts(r);
  if (r.method == "POST" && path == "/approve") return on_decision(r, GateDecision::Kind::Approve);
  if (r.method == "POST" && path == "/deny") return on_decision(r, GateDecision::Kind::Deny);
  if (r.method == "GET" && path == "/runs") return on_runs();
  if (r.method == "GET" && path.rfind("/runs/", 0) == 0) return on_run(path.substr(6));
  if (r.method == "POST" && path == "/breaker/reset") return on_reset_breaker(r);
  return reply(404, "no such endpoint: " + r.method + " " + path);
}

HttpResponse AlertServer::on_alerts(const HttpRequest& r) {
  auto n = parse_alert_notification(r.body);
  std::lock_guard lock(mu_);
  if (!n) {
    ++counters_["malformed"];
    log("refused a notification from " + r.peer + ": " + n.error());
    return reply(400, n.error());
  }
  std::string answer;
  for (const IntakeAction& a : intake_.receive(*n, setup_.routes, setup_.check)) {
    const Alert& alert = *a.alert;
    const std::string name = alert.labels.count("alertname") ? alert.labels.at("alertname") : "";
    const std::string what = "alert " + name + " (" + alert.fingerprint + ")";
    std::string line;
    switch (a.kind) {
      case IntakeAction::Kind::Start: {
        ServeRunSpec spec;
        spec.run_id = new_run_id();
        spec.runbook = a.route->runbook;
        for (const auto& [k, v] : a.params) spec.params.push_back(k + "=" + v);
        ev::AlertStart start{.route = a.route->name,
                             .fingerprint = alert.fingerprint,
                             .status = alert.status,
                             .starts_at = alert.starts_at,
                             .generator_url = alert.generator_url};
        for (const auto& [k, v] : alert.labels) start.labels[k] = ev::Text(v);
        for (const auto& [k, v] : alert.annotations) start.annotations[k] = ev::Text(v);
        start.shadow = a.route->shadow;
        spec.alert = std::move(start);
        spec.shadow = a.route->shadow;
        if (auto launched = launcher_.launch(spec); !launched) {
          ++counters_["failed_to_start"];
          line = what + ": cannot start " + a.route->runbook + ": " + launched.error();
          break;
        }
        intake_.started(alert.key(), spec.run_id);
        runs_[spec.run_id] = ServedRun{.run_id = spec.run_id,
                                       .route = a.route->name,
                                       .alert_key = alert.key(),
                                       .runbook = a.route->runbook,
                                       .target = target_of(*a.route, alert),
                                       .started = SystemClock().wall_time(),
                                       .since = SystemClock().wall_time()};
        ++counters_["started"];
        line = what + ": route " + a.route->name + " started run " + spec.run_id + " of " +
               a.route->runbook + (a.params.empty() ? "" : " (" + params_text(a.params) + ")");
        break;
      }
      case IntakeAction::Kind::Join:
      case IntakeAction::Kind::Resolve: {
        auto it = runs_.find(a.run_id);
        const bool resolved = a.kind == IntakeAction::Kind::Resolve;
        std::string did = resolved ? "recorded the resolution" : "joined the run (a re-send)";
        const Route* route = it == runs_.end() ? nullptr : route_named(it->second.route);
        const bool ends = resolved && it != runs_.end() && route && route->end_on_resolved &&
                          !it->second.passed_gate;
        if (ends) {
          it->second.resolved = true;
          if (it->second.state == ServedState::Parked) {
            did = "ended the run parked at step " + it->second.parked_step;
          } else if (it->second.state == ServedState::Running) {
            did = "recorded the resolution; the run ends at its next gate";
          }
        }
        ev::AlertUpdate u{.fingerprint = alert.fingerprint, .status = alert.status, .message = did};
        if (resolved) u.ends_at = alert.ends_at;
        if (auto written = append_event(setup_.records_dir + "/" + a.run_id, u); !written)
          log("cannot record the " + what + " in run " + a.run_id + ": " + written.error());
        if (ends && it->second.state == ServedState::Parked) {
          resume(it->second, GateDecision{.kind = GateDecision::Kind::AlertResolved,
                                          .by = "rbk serve",
                                          .from = "alertmanager",
                                          .via = ev::Via::Auto});
        }
        ++counters_[resolved ? "resolved" : "joined"];
        line = what + ": run " + a.run_id + ": " + did;
        break;
      }
      case IntakeAction::Kind::Unrouted:
        ++counters_["unrouted"];
        line = what + ": " + a.reason + "; nothing runs";
        break;
      case IntakeAction::Kind::Refused:
        ++counters_["refused"];
        line = what + ": route " + a.route->name + " refused it: " + a.reason + "; nothing runs";
        break;
      case IntakeAction::Kind::Ignored:
        line = what + ": " + a.reason;
        break;
    }
    log(line);
    answer += line + "\n";
  }
  // 200 whatever rbk did with each alert: Alertmanager re-sends a
  // notification answered 4xx at every group_interval, forever.
  return reply(200, answer.empty() ? "no alerts" : answer);
}

HttpResponse AlertServer::on_decision(const HttpRequest& r, GateDecision::Kind kind) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body["run_id"].is_string() || !body["step"].is_string() ||
      !body["plan_hash"].is_string())
    return reply(400, "expected a JSON object with run_id, step and plan_hash");
  GateDecision d;
  d.kind = kind;
  if (r.peer_uid) {
    // Who it is comes from the kernel (SO_PEERCRED), not from the request.
    d.by = user_name(*r.peer_uid);
    d.from = "unix socket, uid " + std::to_string(*r.peer_uid);
    d.via = ev::Via::Socket;
  } else {
    if (!body["by"].is_string() || body["by"].get<std::string>().empty())
      return reply(400, "an approval over HTTP names who gives it (by)");
    d.by = body["by"].get<std::string>();
    d.from = "http " + r.peer;
    d.via = ev::Via::Http;
  }
  d.plan_hash = body["plan_hash"].get<std::string>();
  if (body["typed"].is_string()) d.typed = body["typed"].get<std::string>();
  const std::string run_id = body["run_id"];
  const std::string step = body["step"];
  std::lock_guard lock(mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return reply(404, "run " + run_id + " is not one of this server's");
  ServedRun& run = it->second;
  if (run.state != ServedState::Parked)
    return reply(
        409, "run " + run_id + " is not waiting at a gate (it is " + state_name(run.state) + ")");
  if (run.parked_step != step)
    return reply(409, "run " + run_id + " waits at step " + run.parked_step + ", not " + step);
  // Read once: what changed since the run started, and who approved before.
  const RecordView record = view_of(setup_.records_dir + "/" + run_id);
  std::string changed;
  if (kind == GateDecision::Kind::Approve) changed = changed_since(record);
  if (kind == GateDecision::Kind::Approve && (d.plan_hash != run.plan_hash || !changed.empty())) {
    const std::string why = !changed.empty() ? "changed since the run started: " + changed
                                             : "the plan changed since it was shown (approved " +
                                                   d.plan_hash.substr(0, 12) + "…, now " +
                                                   run.plan_hash.substr(0, 12) + "…)";
    (void)append_event(setup_.records_dir + "/" + run_id,
                       ev::ApprovalVoid{.step = step, .by = d.by, .reason = why});
    return reply(409, "approval void: " + why + "; look at the plan again");
  }
  if (kind == GateDecision::Kind::Approve) {
    if (std::string why = two_person_problem(record, d.by); !why.empty()) {
      log("run " + run_id + ": approval of " + step + " by " + d.by + " refused: " + why);
      return reply(403, "approval refused: " + why + " (rbk.yaml's policy.two_person)");
    }
  }
  const std::string who = d.by;
  if (!resume(run, std::move(d))) return reply(500, "cannot resume run " + run_id);
  // Once it is on its way: a run that could not be resumed still waits,
  // and its alert's resolution still ends it. (Its record says, when it
  // stops, whether the gate really passed: run_exited.)
  if (kind == GateDecision::Kind::Approve) run.passed_gate = true;
  ++counters_[kind == GateDecision::Kind::Approve ? "approvals" : "denials"];
  const std::string did = kind == GateDecision::Kind::Approve ? "approved" : "denied";
  log("run " + run_id + ": step " + step + " " + did + " by " + who);
  return reply(200, "step " + step + " of run " + run_id + " " + did +
                        (kind == GateDecision::Kind::Approve ? "; the run goes on"
                                                             : "; the run ends refused"));
}

std::string AlertServer::two_person_problem(const RecordView& v,
                                            const std::string& approver) const {
  if (!setup_.approver_not_previous && !setup_.approver_not_author) return "";
  auto same = [&](std::string a) {
    std::string b = approver;
    for (auto* s : {&a, &b})
      std::transform(s->begin(), s->end(), s->begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return !a.empty() && a == b;
  };
  if (setup_.approver_not_previous && same(v.last_approver))
    return approver + " approved this run's previous gate; another person must approve this one";
  if (setup_.approver_not_author && setup_.author_of && !v.file.empty()) {
    // "NAME <EMAIL>": the name, or the e-mail address's part before '@'.
    const std::string author = setup_.author_of(v.file);
    const size_t lt = author.find(" <");
    const std::string name = author.substr(0, lt);
    const std::string email = lt == std::string::npos ? "" : author.substr(lt + 2);
    if (same(name) || same(email.substr(0, email.find('@'))))
      return approver + " last changed " + v.file + "; another person must approve it";
  }
  return "";
}

bool AlertServer::resume(ServedRun& run, GateDecision d) {
  ServeRunSpec spec;
  spec.resume = true;
  spec.run_id = run.run_id;
  spec.decision = std::make_pair(run.parked_step, std::move(d));
  std::error_code ec;
  const uintmax_t size =
      std::filesystem::file_size(setup_.records_dir + "/" + run.run_id + "/events.jsonl", ec);
  if (auto launched = launcher_.launch(spec); !launched) {
    log("cannot resume run " + run.run_id + ": " + launched.error());
    return false;
  }
  run.record_size_at_resume = ec ? 0 : size;
  run.resuming = true;
  run.state = ServedState::Running;
  run.since = SystemClock().wall_time();
  return true;
}

void AlertServer::run_exited(const std::string& run_id) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  ServedRun& run = it->second;
  const std::string dir = setup_.records_dir + "/" + run_id;
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(dir + "/events.jsonl", ec);
  const bool refused = run.resuming && !ec && size == run.record_size_at_resume;
  run.resuming = false;
  RecordView v = view_of(dir);
  run.since = v.time;
  run.passed_gate = v.passed_gate;  // an approval void in the run passed nothing
  if (v.outcome == "parked" && v.parked) {
    run.state = ServedState::Parked;
    run.parked_step = v.parked->step;
    run.plan_hash = v.parked->plan_hash;
    run.expected = v.parked->expected.value;
    if (refused) {
      // The resume refused before it wrote anything (its log says why):
      // nothing ran, and deciding again the same way would only loop.
      run.stuck = true;
      const std::string why = "rbk serve could not resume the run (nothing ran; see .rbk/serve/" +
                              run_id + ".log); it waits at step " + run.parked_step;
      (void)append_event(dir, ev::Warning{.message = why, .step = run.parked_step});
      log("run " + run_id + ": " + why);
      if (setup_.tell) setup_.tell(run.route, "notify", "run " + run_id + ": " + why);
      return;
    }
    run.stuck = false;
    on_parked(run, v);
    return;
  }
  run.state = ServedState::Over;
  run.outcome = v.outcome.empty() ? "unfinished" : v.outcome;
  ++counters_["outcome " + run.outcome];
  // The alert keeps its run when the run is over: a re-send of the same
  // episode joins it (no second run while it fires) and its resolution is
  // recorded in it. A new episode (another startsAt) starts a new run.
  if (v.outcome.empty())
    log("run " + run_id + " ended without a run_end: rbk resume " + run_id + " continues it");
  if (const Route* route = route_named(run.route); route && run.auto_approved) {
    const bool failed = failed_outcome(run.outcome);
    const bool was_open = limits_.breaker_open(route->name);
    limits_.ended(*route, failed, setup_.now());
    if (!was_open && limits_.breaker_open(route->name)) {
      // Once, when it trips: automation that keeps failing stops, and its
      // owner hears of it; then it refuses quietly until a person resets it.
      const std::string why = "the circuit breaker of route " + route->name +
                              " opened: automatic approvals stop until a person resets it "
                              "(rbk runs --reset-breaker " +
                              route->name + ")";
      ++counters_["breaker_trips"];
      (void)append_event(setup_.records_dir + "/" + run_id, ev::Warning{.message = why});
      if (setup_.tell) setup_.tell(route->name, "page", why + "; last run " + run_id);
      log(why);
    }
  }
  log("run " + run_id + " ended: " + run.outcome);
}

void AlertServer::on_parked(ServedRun& run, const RecordView& v) {
  if (run.resolved) {
    resume(run, GateDecision{.kind = GateDecision::Kind::AlertResolved,
                             .by = "rbk serve",
                             .from = "alertmanager",
                             .via = ev::Via::Auto});
    return;
  }
  const Route* route = route_named(run.route);
  const bool automatic = route && std::find(route->auto_approve.begin(), route->auto_approve.end(),
                                            run.parked_step) != route->auto_approve.end();
  if (automatic) {
    const auto now = setup_.now();
    LimitVerdict verdict = limits_.check(*route, run.target, now);
    const std::string changed = changed_since(v);
    if (verdict.allowed && !changed.empty()) {
      // The resumed run would refuse a changed runbook: a person decides.
      (void)append_event(setup_.records_dir + "/" + run.run_id,
                         ev::Warning{.message = "not approved automatically: changed since the "
                                                "run started: " +
                                                changed + "; it waits for a person",
                                     .step = run.parked_step});
    } else if (verdict.allowed) {
      // A typed gate's value is for a person to type; inside its limits the
      // route approves the step itself, as --approve would.
      const bool resumed = resume(run, GateDecision{.kind = GateDecision::Kind::Approve,
                                                    .by = "rbk serve",
                                                    .from = "route " + route->name,
                                                    .via = ev::Via::Auto,
                                                    .plan_hash = run.plan_hash,
                                                    .typed = run.expected});
      if (resumed) {
        if (!run.auto_approved) limits_.approved(*route, run.target, now);
        run.auto_approved = true;
        run.passed_gate = true;
        ++counters_["auto_approvals"];
        log("run " + run.run_id + ": step " + run.parked_step + " approved inside route " +
            route->name + "'s limits");
        return;
      }
      // It could not be started (resume() logged why): a person decides.
    }
    if (!verdict.allowed) {
      ++counters_["limits_hit"];
      const std::string why = "not approved automatically: limit " + verdict.limit + " reached (" +
                              std::to_string(verdict.count) + " of " + std::to_string(verdict.max) +
                              "); it waits for a person";
      (void)append_event(setup_.records_dir + "/" + run.run_id,
                         ev::Warning{.message = why, .step = run.parked_step});
      log("run " + run.run_id + ": step " + run.parked_step + " " + why);
    }
  }
  ++counters_["parked"];
  const std::string waits = "run " + run.run_id + " of " + run.runbook + " waits at step " +
                            run.parked_step + ": rbk approve " + run.run_id + " " + run.parked_step;
  log(waits);
  if (setup_.tell) {
    // What a person needs to decide: the causes found and what would run.
    std::string message = waits;
    if (!v.causes.empty()) {
      message += "; causes:";
      for (const auto& c : v.causes) message += " " + c;
    }
    if (v.parked)
      for (const auto& c : v.parked->commands) message += "; would run: " + c.value;
    setup_.tell(run.route, "notify", message);
  }
}

HttpResponse AlertServer::on_reset_breaker(const HttpRequest& r) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body["route"].is_string())
    return reply(400, "expected a JSON object with route");
  const std::string name = body["route"];
  std::lock_guard lock(mu_);
  if (!route_named(name)) return reply(404, "no route named " + name);
  const bool was_open = limits_.breaker_open(name);
  limits_.reset_breaker(name);
  if (!setup_.state_file.empty()) {
    // Kept, so that a restart does not count the failures a person forgave.
    json state = json::object();
    if (auto text = read_regular_file(setup_.state_file, 1 << 20)) {
      json old = json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (old.is_object()) state = std::move(old);
    }
    state["breaker_resets"][name] = SystemClock().wall_time();
    if (auto written = write_atomically(setup_.state_file, state.dump() + "\n", 0600); !written)
      log("cannot keep the breaker's reset in " + setup_.state_file + ": " + written.error());
  }
  const std::string who = r.peer_uid ? user_name(*r.peer_uid) : "http " + r.peer;
  log("route " + name + "'s breaker reset by " + who + (was_open ? "" : " (it was closed)"));
  return reply(200, "route " + name + "'s breaker is closed" +
                        (was_open ? std::string("; automatic approvals resume") : " (it was)"));
}

std::vector<ServedRun> AlertServer::runs() const {
  std::lock_guard lock(mu_);
  std::vector<ServedRun> out;
  for (const auto& [id, run] : runs_) out.push_back(run);
  // Newest first by when they started: two ids of the same second sort by
  // their random suffix, not by age.
  std::sort(out.begin(), out.end(), [](const ServedRun& a, const ServedRun& b) {
    return a.started != b.started ? a.started > b.started : a.run_id > b.run_id;
  });
  return out;
}

HttpResponse AlertServer::on_runs() const {
  json list = json::array();
  for (const ServedRun& r : runs()) {
    json j{{"run_id", r.run_id},           {"route", r.route}, {"runbook", r.runbook},
           {"state", state_name(r.state)}, {"since", r.since}, {"resolved", r.resolved}};
    if (r.state == ServedState::Parked) {
      j["step"] = r.parked_step;
      j["plan_hash"] = r.plan_hash;
    }
    if (r.state == ServedState::Over) j["outcome"] = r.outcome;
    if (r.state == ServedState::Running) {
      // Where it is: the section it last entered, from its record.
      const std::string sec = view_of(setup_.records_dir + "/" + r.run_id).section;
      j["section"] = sec.empty() ? "alert" : sec;
    }
    list.push_back(std::move(j));
  }
  HttpResponse out = reply(200, list.dump());
  out.content_type = "application/json";
  return out;
}

HttpResponse AlertServer::on_run(const std::string& run_id) const {
  std::string state, outcome;
  {
    std::lock_guard lock(mu_);
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return reply(404, "run " + run_id + " is not one of this server's");
    state = state_name(it->second.state);
    outcome = it->second.outcome;
  }
  // The plan as the run's record shows it: what rbk approve shows, so an
  // approver needs no access to the records, only to this server.
  const RecordView v = view_of(setup_.records_dir + "/" + run_id);
  json j{{"run_id", run_id}, {"state", state}};
  if (!outcome.empty()) j["outcome"] = outcome;
  if (v.start) j["run_start"] = event_json(Event{.body = *v.start, .elapsed_ms = 0, .time = {}});
  if (state == "parked" && v.parked)
    j["parked"] = event_json(Event{.body = *v.parked, .elapsed_ms = 0, .time = {}});
  HttpResponse out = reply(200, j.dump());
  out.content_type = "application/json";
  return out;
}

HttpResponse AlertServer::on_metrics() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int> states;
  for (const auto& [id, r] : runs_) ++states[state_name(r.state)];
  auto count = [&](const std::string& key) {
    auto it = counters_.find(key);
    return it == counters_.end() ? 0LL : it->second;
  };
  std::string out;
  out += "# HELP rbk_serve_runs Runs this server knows, by state.\n# TYPE rbk_serve_runs gauge\n";
  for (const char* s : {"running", "parked", "over"})
    out += std::string("rbk_serve_runs{state=\"") + s + "\"} " + std::to_string(states[s]) + "\n";
  out +=
      "# HELP rbk_serve_alerts_total Alerts received, by what became of them.\n"
      "# TYPE rbk_serve_alerts_total counter\n";
  for (const char* k : {"started", "joined", "resolved", "unrouted", "refused", "failed_to_start"})
    out += std::string("rbk_serve_alerts_total{result=\"") + k + "\"} " + std::to_string(count(k)) +
           "\n";
  out +=
      "# HELP rbk_serve_requests_refused_total Requests refused before any alert was read.\n"
      "# TYPE rbk_serve_requests_refused_total counter\n";
  for (const char* k : {"malformed", "unauthorized"})
    out += std::string("rbk_serve_requests_refused_total{reason=\"") + k + "\"} " +
           std::to_string(count(k)) + "\n";
  out +=
      "# HELP rbk_serve_runs_ended_total Runs over, by outcome.\n"
      "# TYPE rbk_serve_runs_ended_total counter\n";
  for (const auto& [k, v] : counters_)
    if (k.rfind("outcome ", 0) == 0)
      out +=
          "rbk_serve_runs_ended_total{outcome=\"" + k.substr(8) + "\"} " + std::to_string(v) + "\n";
  out +=
      "# HELP rbk_serve_gates_total Gate decisions, by who made them.\n"
      "# TYPE rbk_serve_gates_total counter\n";
  for (const char* k :
       {"approvals", "denials", "auto_approvals", "limits_hit", "parked", "breaker_trips"})
    out += std::string("rbk_serve_gates_total{decision=\"") + k + "\"} " +
           std::to_string(count(k)) + "\n";
  out +=
      "# HELP rbk_serve_breaker_open Whether a route's circuit breaker is open.\n"
      "# TYPE rbk_serve_breaker_open gauge\n";
  for (const Route& r : setup_.routes)
    out += "rbk_serve_breaker_open{route=\"" + r.name + "\"} " +
           (limits_.breaker_open(r.name) ? "1" : "0") + "\n";
  return reply(200, out);
}

}  // namespace rbk
