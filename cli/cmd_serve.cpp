// `rbk serve`: the Alertmanager webhook receiver. Loads and checks every
// route against its runbook before it listens, serves HTTP on TCP (the
// webhook, health, metrics) and on a Unix socket only its user can open
// (`rbk approve`, `rbk deny`, `rbk runs`), and starts each run as its own
// process (`rbk __serve-run SPEC`) in its own session, so that a run that
// crashes or hangs takes nothing else with it. SIGTERM or Ctrl-C: stop
// accepting, give running runs the policy's grace to finish, then
// interrupt them (their records say `interrupted`: resumable), exit 0.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/serve_paths.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/engine/secret_sources.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/clock.hpp"
#include "interpreter/serve/http.hpp"
#include "interpreter/serve/route_check.hpp"
#include "interpreter/serve/server.hpp"

extern char** environ;

namespace rbk::cli {

namespace {

namespace fs = std::filesystem;

/// The signals that stop the server (blocked in every thread, taken by sigwait).
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, s);
  return set;
}

/// Starts each run as `rbk __serve-run SPEC`, its output in a log file, and
/// reports its end from a reaper thread.
class ProcessLauncher final : public RunLauncher {
 public:
  ProcessLauncher(std::string dir, std::function<void(const std::string&)> ended)
      : dir_(std::move(dir)), ended_(std::move(ended)) {}
  ~ProcessLauncher() override { stop(); }

  /// Names a notify or page command of the server never gets from its
  /// environment: the variables the routed runbooks read secrets from.
  void hide_from_notifiers(std::set<std::string> names) { hidden_ = std::move(names); }

  Expected<void, std::string> launch(const ServeRunSpec& spec) override {
    const std::string base = dir_ + "/" + spec.run_id + (spec.resume ? ".resume" : "");
    const std::string spec_file = base + ".json";
    // 0600: in a directory open to the approvers' group (--socket-group),
    // no member may read or rewrite what a run is started with.
    if (auto w = write_atomically(spec_file, serve_run_spec_json(spec), 0600); !w)
      return fail(w.error());
    const std::string log_file = dir_ + "/" + spec.run_id + ".log";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string self = "/proc/self/exe";
    std::string cmd = "__serve-run";
    std::vector<char*> argv = {self.data(), cmd.data(), const_cast<char*>(spec_file.c_str()),
                               nullptr};
    const int err = spawn(self, &fa, argv, environ, spec.run_id);
    posix_spawn_file_actions_destroy(&fa);
    if (err == ESHUTDOWN) return fail(std::string("rbk serve is stopping: nothing new starts"));
    if (err != 0) return fail("cannot start rbk: " + std::string(std::strerror(err)));
    cv_.notify_all();
    return {};
  }

  /// Runs `script` with /bin/sh and `env` added (rbk.yaml's notify or page
  /// command), not waiting for it; the reaper collects it.
  Expected<void, std::string> spawn_command(const std::string& script,
                                            const std::map<std::string, std::string>& env) {
    std::vector<std::string> vars;
    for (char** e = environ; *e; ++e) {
      const std::string var = *e;
      const std::string name = var.substr(0, var.find('='));
      if (!env.count(name) && !hidden_.count(name)) vars.push_back(var);
    }
    for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", text = script;
    std::vector<char*> argv = {sh.data(), dash_c.data(), text.data(), nullptr};
    // Not a run: nothing to report when it ends.
    const int err = spawn(sh, nullptr, argv, envp.data(), "");
    if (err != 0) return fail("cannot start /bin/sh: " + std::string(std::strerror(err)));
    cv_.notify_all();
    return {};
  }

  /// Starts `path` with `argv` in a session of its own, registered as a
  /// child (`run_id`, empty for a notification); an errno on failure.
  int spawn(const std::string& path, const posix_spawn_file_actions_t* fa, std::vector<char*>& argv,
            char* const* envp, const std::string& run_id) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own session: no terminal, and a signal to the server's group
    // reaches the server only (which decides what runs see). The signals the
    // server blocks are unblocked and at their defaults in the child.
    sigset_t none, stops = stop_signals();
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &stops);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int err = 0;
    {
      std::lock_guard lock(mu_);
      // Stopping: nothing new starts (a run that parks now stays parked).
      err = stopping_ ? ESHUTDOWN : posix_spawn(&pid, path.c_str(), fa, &attr, argv.data(), envp);
      if (err == 0) children_[pid] = run_id;
    }
    posix_spawnattr_destroy(&attr);
    return err;
  }

  /// Reaps runs as they end, until stop().
  void start() {
    reaper_ = std::thread([this] {
      while (true) {
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return stopping_ || !children_.empty(); });
          if (children_.empty()) return;  // stopping, and nothing left
        }
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) {
          if (errno == EINTR) continue;
          return;
        }
        std::string run_id;
        {
          std::lock_guard lock(mu_);
          auto it = children_.find(pid);
          if (it == children_.end()) continue;
          run_id = it->second;
          children_.erase(it);
        }
        if (!run_id.empty()) ended_(run_id);
        cv_.notify_all();
      }
    });
  }
  /// Waits up to `grace` for the runs to end, then interrupts the rest
  /// (SIGTERM: each records `interrupted`, ends its command and exits).
  void finish(std::chrono::milliseconds grace) {
    std::unique_lock lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(lock, grace, [&] { return children_.empty(); }))
      for (const auto& [pid, run] : children_) ::kill(pid, SIGTERM);
    // An interrupted run ends its command (TERM, its grace, KILL) and
    // records that: more than twice the grace and it is stuck. Killed, its
    // commands' supervisors end them (rbk's end of their channel closes), and
    // `rbk resume` continues it.
    if (!cv_.wait_for(lock, 2 * grace + std::chrono::seconds(30),
                      [&] { return children_.empty(); }))
      for (const auto& [pid, run] : children_) ::kill(-pid, SIGKILL);
    cv_.wait(lock, [&] { return children_.empty(); });
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
  }
  /// The runs (and notifications) going now.
  size_t running() const {
    std::lock_guard lock(mu_);
    return children_.size();
  }

 private:
  std::string dir_;
  std::function<void(const std::string&)> ended_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<pid_t, std::string> children_;
  bool stopping_ = false;
  std::thread reaper_;
  std::set<std::string> hidden_;  // see hide_from_notifiers
};

/// `ADDR:PORT` or `[V6]:PORT` into its parts; false when malformed.
bool split_listen(const std::string& text, std::string& address, uint16_t& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return false;
  address = text.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  const std::string digits = text.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 5)
    return false;
  const int p = std::stoi(digits);
  if (p > 65535) return false;
  port = static_cast<uint16_t>(p);
  return !address.empty();
}

/// Who last changed `file` in git ("NAME <EMAIL>"), or "" when git cannot
/// say (no git, not in a repository, not tracked): read-only, bounded output.
std::string last_git_author(const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path = fs::absolute(file, ec);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::string git = "git", dash_c = "-C", dir = path.parent_path().string(), log = "log",
              one = "-1", format = "--format=%an <%ae>", dashes = "--", name = path.string();
  std::vector<char*> argv = {git.data(),    dash_c.data(), dir.data(),  log.data(), one.data(),
                             format.data(), dashes.data(), name.data(), nullptr};
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "git", &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  std::string text;
  if (err == 0) {
    // It runs while the server holds its lock: 5 s, then it is killed and
    // the author is unknown (the approval is not refused for it).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char buf[512];
    while (text.size() < 4096) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd pfd{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
        ::kill(pid, SIGKILL);
        text.clear();
        break;
      }
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) text.clear();
  }
  ::close(out[0]);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

/// Reads the bearer token in `file` (none when `file` is empty) into `token`;
/// false after saying why it cannot be used.
bool read_token(const std::string& option, const std::string& file, std::string& token) {
  if (file.empty()) return true;
  auto read = read_regular_file(file, 4096);
  if (!read) {
    write(stderr, "rbk: error: " + option + " " + file + ": " + read.error() + "\n");
    return false;
  }
  token = *read;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.size() < 16) {
    write(stderr,
          "rbk: error: " + option + " " + file + ": the token is shorter than 16 characters\n");
    return false;
  }
  return true;
}

bool loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

void log_line(const std::string& line) {
  // Alert labels and values are in these lines: a line break or an escape
  // sequence in one must not forge a log line or drive the terminal.
  std::string one_line;
  for (char c : line) one_line += c == '\n' ? std::string("\\n") : std::string(1, c);
  write(stderr, "rbk serve: " + SystemClock().wall_time() + " " + printable(one_line) + "\n");
}

/// The gid of group `name` (or a number), if there is such a group.
std::optional<unsigned> group_id(const std::string& name) {
  struct group g {};
  struct group* found = nullptr;
  const bool number = !name.empty() && name.size() < 10 &&
                      name.find_first_not_of("0123456789") == std::string::npos;
  // A group with many members needs a larger buffer: ERANGE asks for one.
  for (size_t size = 16384; size <= (size_t{16} << 20); size *= 4) {
    std::vector<char> buf(size);
    int err = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
    if (err == 0 && !found && number)
      err = ::getgrgid_r(static_cast<gid_t>(std::stoul(name)), &g, buf.data(), buf.size(), &found);
    if (err == ERANGE) continue;
    if (err == 0 && found) return found->gr_gid;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

int run_serve(const ServeOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  const Config& config = project->config();
  // The approvers' group: each of them reaches the socket as themselves, so
  // the record names the person (SO_PEERCRED), not the service account.
  std::optional<unsigned> group;
  if (!opts.socket_group.empty()) {
    group = group_id(opts.socket_group);
    if (!group) {
      write(stderr, "rbk: error: --socket-group " + opts.socket_group + ": no such group\n");
      return kExitUsage;
    }
  }
  std::string address;
  uint16_t port = 0;
  if (!split_listen(opts.listen, address, port)) {
    write(stderr, "rbk: error: --listen " + opts.listen + ": expected ADDRESS:PORT\n");
    return kExitUsage;
  }
  // Anyone who can reach the port can start runbooks: off the loopback
  // interface only with a token, and the token only from a file (a command
  // line is visible to every user in ps).
  std::string token, approver_token;
  if (!read_token("--token-file", opts.token_file, token) ||
      !read_token("--approver-token-file", opts.approver_token_file, approver_token))
    return kExitUsage;
  if (!approver_token.empty() && approver_token == token) {
    write(stderr,
          "rbk: error: --approver-token-file: the approvers' token must not be the "
          "webhook's (Alertmanager holds that one)\n");
    return kExitUsage;
  }
  if (token.empty() && !loopback(address)) {
    write(stderr, "rbk: error: --listen " + opts.listen +
                      ": listening beyond 127.0.0.1 needs a bearer token: --token-file FILE "
                      "(Alertmanager's http_config.authorization sends it)\n");
    return kExitUsage;
  }
  if (config.routes.empty()) {
    write(stderr,
          "rbk: error: " + (config.path.empty() ? std::string("no rbk.yaml") : config.path) +
              " has no routes: rbk serve would run nothing (docs/serve.md)\n");
    return kExitUsage;
  }
  // Every route against its runbook, before anything listens: a route that
  // cannot start its runbook is an error now, not at 3 a.m.
  std::map<std::string, std::unique_ptr<LoadedRunbook>> runbooks;
  bool ok = true;
  for (const Route& route : config.routes) {
    auto rb = project->load_runbook(route.runbook);
    if (!rb) {
      print_problem(rb.error());
      write(stderr, "rbk: error: " + route.where + ": route " + route.name +
                        " starts a runbook that cannot be loaded\n");
      ok = false;
      continue;
    }
    for (const std::string& problem : check_route(route, *(*rb)->parsed.document->runbook())) {
      write(stderr, "rbk: error: " + route.where + ": route " + route.name + ": " + problem + "\n");
      ok = false;
    }
    runbooks[route.name] = std::move(*rb);
  }
  if (!ok) return kExitUsage;

  const std::string dir = serve_dir(config);
  if (auto made = private_dir(dir, group); !made) {
    write(stderr, "rbk: error: " + made.error() + "\n");
    return kExitUsage;
  }
  if (group) {
    if (const std::string closed = unreachable_for(dir, *group); !closed.empty())
      log_line("warning: members of " + opts.socket_group + " cannot reach the socket: " +
               display_path(closed) + " is not searchable by them (chmod g+x or o+x)");
  }

  // Blocked before any thread starts, so that every thread inherits the mask
  // and only sigwait below takes them.
  sigset_t stops = stop_signals();
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  AlertServer* server_ptr = nullptr;
  ProcessLauncher launcher(dir, [&](const std::string& run_id) {
    if (server_ptr) server_ptr->run_exited(run_id);
  });
  {
    // The variables the routed runbooks, and what they call, read secrets
    // from: the server holds them for its runs, and its own notify or page
    // command must get none of them, as the engine's notifier gets none.
    // Found as a run finds them (templates expanded; calls on the runbook's
    // own call path).
    std::set<std::string> hidden;
    for (const auto& [route, rb] : runbooks) {
      CalledRunbooks called;
      const std::vector<std::string> search = rb->call_path();
      const RunbookFinder find = [&](const std::string& name) { return called.find(search, name); };
      for (std::string& name : engine::secret_sources(*rb->parsed.document, *rb->modules, find))
        hidden.insert(std::move(name));
    }
    launcher.hide_from_notifiers(std::move(hidden));
  }
  ServerSetup setup;
  setup.routes = config.routes;
  setup.records_dir = config.records_dir;
  setup.token = token;
  setup.approver_token = approver_token;
  setup.state_file = dir + "/state.json";
  // Limits count in wall-clock milliseconds: what a restart reads back from
  // the records' times is on the same clock.
  setup.now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
  };
  setup.log = log_line;
  // A run waiting at a gate, or a breaker that opened: the owner of the
  // route's runbook hears it through rbk.yaml's notify or page command.
  setup.tell = [&](const std::string& route, const std::string& kind, const std::string& message) {
    auto loaded = runbooks.find(route);
    if (loaded == runbooks.end()) {  // a run of a route rbk.yaml no longer has
      log_line("not told (route " + route + " is no longer in rbk.yaml): " + message);
      return;
    }
    std::string owner;
    const ast::Runbook& rb = *loaded->second->parsed.document->runbook();
    for (const auto& item : rb.items)
      if (const auto* m = std::get_if<ast::Meta>(&item);
          m && m->kind == ast::MetaKind::Owner && m->word)
        owner = m->word->name;
    const std::string& command = kind == "page" ? config.page_command : config.notify_command;
    if (command.empty() || owner.empty()) {
      log_line("not told (" +
               std::string(command.empty() ? "no " + kind + " command in rbk.yaml"
                                           : "the runbook has no owner") +
               "): " + message);
      return;
    }
    auto role = config.roles.find(owner);
    auto sent = launcher.spawn_command(
        command, {{"RBK_ROLE", owner},
                  {"RBK_CONTACT", role == config.roles.end() ? "" : role->second.contact},
                  {"RBK_MESSAGE", message},
                  {"RBK_KIND", kind},
                  {"RBK_RUNBOOK", rb.name.name},
                  {"RBK_ROUTE", route}});
    log_line(sent ? kind + " sent to " + owner + ": " + message
                  : "cannot " + kind + " " + owner + ": " + sent.error());
  };
  setup.approver_not_previous = config.policy.approver_not_previous;
  setup.approver_not_author = config.policy.approver_not_author;
  setup.author_of = [](const std::string& file) { return last_git_author(file); };
  setup.check = [&](const Route& route, const std::map<std::string, std::string>& values) {
    return check_route_params(*runbooks.at(route.name)->parsed.document->runbook(), values,
                              config.targets);
  };
  AlertServer server(setup, launcher);
  server.recover();
  server_ptr = &server;
  launcher.start();

  HttpServer http(HttpLimits{}, [&](const HttpRequest& r) { return server.handle(r); });
  if (auto listening = http.listen_tcp(address, port); !listening) {
    write(stderr, "rbk: error: --listen: " + listening.error() + "\n");
    return kExitUsage;
  }
  const std::string socket = serve_socket(config);
  if (auto listening = http.listen_unix(socket, group); !listening) {
    write(stderr, "rbk: error: " + listening.error() + "\n");
    return kExitUsage;
  }
  http.start();
  log_line("listening on http://" +
           (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
           std::to_string(http.tcp_port()) + " (POST /alertmanager) and " + display_path(socket) +
           "; " + std::to_string(config.routes.size()) + " route" +
           (config.routes.size() == 1 ? "" : "s") + ", records in " +
           display_path(config.records_dir));

  int sig = 0;
  while (sigwait(&stops, &sig) != 0) {
  }
  log_line(std::string("stopping (") + strsignal(sig) + "): no new alerts; " +
           std::to_string(launcher.running()) + " run(s) going get " +
           std::to_string(config.policy.grace.count() / 1000) + "s to finish");
  http.stop();
  launcher.finish(config.policy.grace);
  launcher.stop();
  log_line("stopped");
  return kExitOk;
}

}  // namespace rbk::cli
