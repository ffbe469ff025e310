// `rbk approve RUN_ID STEP` and `rbk deny RUN_ID STEP`: a person decides
// about a gate a run started by an alert is parked at. The plan comes from
// rbk serve, which reads it from the run's record (the `parked` event: the
// exact commands, targets, the steps after it, and the parameters from
// run_start); it is shown, confirmed on the terminal (a typed gate's value
// typed), and the decision goes back over the same way (the Unix socket, or
// HTTP with the approvers' token), bound to the plan's hash: if the plan is
// not that one when the run comes to the gate again, the approval is void.
// `rbk runs`: the server's runs and where each one is.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/serve_paths.hpp"
#include "cli/terminal.hpp"
#include "cli/tty_operator.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/serve/http.hpp"

namespace rbk::cli {

namespace {

using nlohmann::json;

constexpr std::chrono::seconds kServerDeadline{30};

/// The plan a person decides on, as the record shows it.
std::string plan_text(const ev::RunStart& start, const ev::Parked& p) {
  std::string out = "Run " + start.run_id + " of " + start.runbook + " waits at step " + p.step +
                    (p.destructive ? " (destructive)" : "") + "\n";
  for (const auto& [name, v] : start.params)
    out += "  param " + name + " = " + v.value.dump() + "\n";
  out += "  gate: " + p.prompt.value + "\n";
  if (p.targets) {
    std::string hosts;
    for (const auto& h : *p.targets) hosts += (hosts.empty() ? "" : ", ") + h;
    out += "  on: " + hosts + "\n";
  }
  for (const auto& c : p.commands) out += "  $ " + c.value + "\n";
  if (!p.remaining.empty()) out += "Then, if it goes on:\n";
  for (const auto& s : p.remaining) {
    out += "  step " + s.step + (s.title.value.empty() ? "" : " (" + s.title.value + ")") +
           (s.destructive ? " [destructive]" : "") + "\n";
    for (const auto& c : s.commands) out += "    $ " + c.value + "\n";
  }
  out += "Plan " + p.plan_hash.substr(0, 12) + "…\n";
  return out;
}

/// Says why the server cannot be reached, with what to do.
void unreachable(const std::string& socket, const std::string& why) {
  write(stderr, "rbk: error: cannot reach rbk serve at " + display_path(socket) + ": " + why +
                    " (is rbk serve running in this project?)\n");
}

/// `http://HOST:PORT` (HOST an address or a name, `[V6]` in brackets).
bool split_http_url(const std::string& url, std::string& host, uint16_t& port) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string digits = rest.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const int p = std::stoi(digits);
  if (p < 1 || p > 65535) return false;
  port = static_cast<uint16_t>(p);
  return true;
}

/// How `rbk approve` reaches rbk serve: its Unix socket, or HTTP with the
/// approvers' token (--server). Says what went wrong itself.
class ServerLink {
 public:
  /// False (said) when --server or --token-file is wrong.
  bool open(const ApproveOptions& opts, const Config& config) {
    if (opts.server.empty()) {
      socket_ = serve_socket(config);
      return true;
    }
    if (!split_http_url(opts.server, host_, port_)) {
      write(stderr, "rbk: error: --server " + opts.server + ": expected http://HOST:PORT\n");
      return false;
    }
    if (opts.token_file.empty()) {
      write(stderr, "rbk: error: --server needs --token-file FILE (rbk serve's bearer token)\n");
      return false;
    }
    auto token = read_regular_file(opts.token_file, 4096);
    if (!token) {
      write(stderr, "rbk: error: --token-file " + opts.token_file + ": " + token.error() + "\n");
      return false;
    }
    token_ = *token;
    while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r')) token_.pop_back();
    server_ = opts.server;
    return true;
  }
  /// Over HTTP the request says who decides (the socket's peer credentials
  /// are not there to say it).
  bool over_http() const { return !server_.empty(); }
  /// One request; nullopt (said) when the server cannot be reached.
  std::optional<HttpResponse> ask(const std::string& method, const std::string& path,
                                  const std::string& body = "") const {
    Expected<HttpResponse, std::string> answer =
        over_http() ? http_request_tcp(host_, port_, method, path, body, kServerDeadline,
                                       {{"Authorization", "Bearer " + token_},
                                        {"Content-Type", "application/json"}})
                    : http_request_unix(socket_, method, path, body, kServerDeadline);
    if (answer) return *answer;
    if (over_http())
      write(stderr,
            "rbk: error: cannot reach rbk serve at " + server_ + ": " + answer.error() + "\n");
    else
      unreachable(socket_, answer.error());
    return std::nullopt;
  }

 private:
  std::string socket_, server_, host_, token_;
  uint16_t port_ = 0;
};

}  // namespace

int run_approve(const ApproveOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  const Config& config = project->config();
  // It goes into a URL path: the characters run ids are made of, only.
  if (!is_run_id(opts.run_id) ||
      opts.run_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._-") != std::string::npos) {
    write(stderr, "rbk: error: '" + opts.run_id + "' is not a run id (see rbk runs)\n");
    return kExitUsage;
  }
  TtyOperator op(opts.yes, nullptr, use_color(stderr));
  if (!op.interactive() && !opts.deny && !config.policy.allow_non_interactive_approval) {
    // As `rbk run --approve` without a terminal: the policy wants a person
    // at one. A denial stops a run, so it needs none.
    write(stderr,
          "rbk: error: no terminal to confirm on, and rbk.yaml's policy allows no approval "
          "without one\n");
    return kExitRefused;
  }
  ServerLink server;
  if (!server.open(opts, config)) return kExitUsage;
  // The plan comes from the server, which reads it from the run's record:
  // an approver needs this server, not the records.
  auto shown = server.ask("GET", "/runs/" + opts.run_id);
  if (!shown) return kExitUsage;
  json run = json::parse(shown->body, nullptr, /*allow_exceptions=*/false);
  if (shown->status != 200 || !run.is_object()) {
    write(stderr,
          "rbk: error: " + (shown->status == 200 ? "rbk serve sent no plan" : shown->body) + "\n");
    return kExitRefused;
  }
  std::optional<ev::RunStart> start;
  std::optional<ev::Parked> parked;
  for (const char* key : {"run_start", "parked"}) {
    if (!run.contains(key)) continue;
    auto e = event_from_json(run[key]);
    if (e && *e && (*e)->as<ev::RunStart>()) start = *(*e)->as<ev::RunStart>();
    if (e && *e && (*e)->as<ev::Parked>()) parked = *(*e)->as<ev::Parked>();
  }
  const std::string state = run.value("state", "");
  if (!start || !parked || state != "parked") {
    const std::string outcome = run.value("outcome", "");
    write(stderr, "rbk: error: run " + opts.run_id + " is not waiting at a gate (it is " +
                      (state == "over" && !outcome.empty() ? "over: " + outcome : state) + ")\n");
    return kExitRefused;
  }
  if (parked->step != opts.step) {
    write(stderr, "rbk: error: run " + opts.run_id + " waits at step " + parked->step + ", not " +
                      opts.step + "\n");
    return kExitUsage;
  }
  // Its values may come from an alert's labels: shown, never obeyed.
  write(stdout, printable(plan_text(*start, *parked)));

  const bool typed_gate =
      !opts.deny && parked->kind == ev::GateKind::Typed && !parked->expected.value.empty();
  std::optional<std::string> typed = opts.typed.empty() ? std::nullopt : std::optional(opts.typed);
  const std::string verb = opts.deny ? "Deny" : "Approve";
  if (op.interactive()) {
    if (typed_gate && !typed) {
      typed =
          op.typed("Type '" + parked->expected.value + "' to approve step " + parked->step + ": ",
                   parked->expected.value);
      if (!typed || *typed != parked->expected.value) {
        write(stderr,
              "rbk: not approved: the value typed is not '" + parked->expected.value + "'\n");
        return kExitRefused;
      }
    } else {
      auto yes = op.confirm(verb + " step " + parked->step + " of run " + opts.run_id + "?");
      if (!yes || !*yes) {
        write(stderr, "rbk: nothing was sent\n");
        return kExitRefused;
      }
    }
  } else if (!opts.yes || (typed_gate && !typed)) {
    write(stderr, std::string("rbk: error: no terminal to confirm on; ") +
                      (typed_gate ? "--yes --typed VALUE" : "--yes") + " " +
                      (opts.deny ? "denies" : "approves") + " without asking\n");
    return kExitUsage;
  }

  json body{{"run_id", opts.run_id}, {"step", parked->step}, {"plan_hash", parked->plan_hash}};
  if (typed) body["typed"] = *typed;
  if (server.over_http()) body["by"] = current_user();
  auto answer = server.ask("POST", opts.deny ? "/deny" : "/approve", body.dump());
  if (!answer) return kExitUsage;
  write(answer->status == 200 ? stdout : stderr,
        std::string(answer->status == 200 ? "rbk: " : "rbk: error: ") + answer->body);
  return answer->status == 200 ? kExitOk : kExitRefused;
}

int run_runs(const RunsOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  const std::string socket = serve_socket(project->config());
  if (!opts.reset_breaker.empty()) {
    auto reset = http_request_unix(socket, "POST", "/breaker/reset",
                                   json{{"route", opts.reset_breaker}}.dump(), kServerDeadline);
    if (!reset) {
      unreachable(socket, reset.error());
      return kExitUsage;
    }
    write(reset->status == 200 ? stdout : stderr,
          std::string(reset->status == 200 ? "rbk: " : "rbk: error: ") + reset->body);
    return reset->status == 200 ? kExitOk : kExitUsage;
  }
  auto answer = http_request_unix(socket, "GET", "/runs", "", kServerDeadline);
  if (!answer) {
    unreachable(socket, answer.error());
    return kExitUsage;
  }
  json runs = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (answer->status != 200 || !runs.is_array()) {
    write(stderr,
          "rbk: error: rbk serve answered " + std::to_string(answer->status) + ": " + answer->body);
    return kExitUsage;
  }
  if (opts.format == "json") {
    write(stdout, runs.dump() + "\n");
    return kExitOk;
  }
  for (const json& r : runs) {
    if (!opts.all && r.value("state", "") == "over") continue;
    std::string where = r.value("state", "");
    if (where == "parked")
      where = "waiting at gate " + r.value("step", "") + " since " + r.value("since", "");
    else if (where == "over")
      where = r.value("outcome", "");
    else if (where == "running") {
      static const std::map<std::string, std::string> doing = {
          {"alert", "checking the alert"}, {"diagnose", "diagnosing"}, {"causes", "diagnosing"},
          {"remediate", "remediating"},    {"verify", "verifying"},    {"rollback", "rolling back"},
          {"undo", "rolling back"},        {"finally", "cleaning up"}};
      auto it = doing.find(r.value("section", ""));
      where = it == doing.end() ? "running" : it->second;
    }
    write(stdout, r.value("run_id", "") + "  " + r.value("runbook", "") + "  (route " +
                      r.value("route", "") + ")  " + where + "\n");
  }
  return kExitOk;
}

}  // namespace rbk::cli
