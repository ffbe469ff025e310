#include "interpreter/runtime/ssh.hpp"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <thread>

#include "interpreter/runtime/ssh_mux.hpp"

namespace rbk {

namespace {

bool is_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// The local side: constant scripts, every value in their environment, so
// that an address or a user name can never be read as shell source or as
// an option of ssh (`--` ends the options; rbk.yaml refuses a leading '-').
// BatchMode: never a password prompt; host keys are checked as the user's
// ssh configuration says (never weakened here). Both add the host's
// settings to the options in "$@" the same way.
constexpr std::string_view kHostOptions =
    R"(if [ -n "$RBK_SSH_CONFIG" ]; then set -- -F "$RBK_SSH_CONFIG" "$@"; fi
if [ -n "$RBK_SSH_PORT" ]; then set -- "$@" -p "$RBK_SSH_PORT"; fi
if [ -n "$RBK_SSH_USER" ]; then set -- "$@" -l "$RBK_SSH_USER"; fi
)";

// Runs `exec /bin/sh -s` on the host, over the host's master connection
// (made by the first command, kept for the run).
const std::string& local_script() {
  static const std::string s =
      std::string(R"(set -- -o BatchMode=yes -o ConnectTimeout="$RBK_SSH_CONNECT_TIMEOUT" \
  -o ControlMaster=auto -o ControlPath="$RBK_SSH_CONTROL_DIR/%C" -o ControlPersist=300 \
  -o ServerAliveInterval=15 -o ServerAliveCountMax=3
)") + std::string(kHostOptions) +
      R"(exec ssh "$@" -- "$RBK_SSH_ADDRESS" 'exec /bin/sh -s')";
  return s;
}

// Ends the host's master connection: `ssh -O exit`.
const std::string& close_script() {
  static const std::string s =
      std::string(R"(set -- -o BatchMode=yes -o ControlPath="$RBK_SSH_CONTROL_DIR/%C"
)") + std::string(kHostOptions) +
      R"(exec ssh "$@" -O exit -- "$RBK_SSH_ADDRESS" 2>/dev/null)";
  return s;
}

}  // namespace

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

namespace {

// Starts the command as the job: in a session (so a process group) of its
// own where the host has setsid, with stdin from /dev/null and without fd 3.
// __rbk_group is that group (-pgid), empty without setsid: then the job
// shares the script's group and has none of its own to signal. Set after the
// job started, so that the command's environment is untouched.
std::string job_start(const std::string& literal) {
  std::string s = "if command -v setsid >/dev/null 2>&1; then\n";
  s += "  setsid /bin/sh -c " + literal + " rbk </dev/null 3<&- &\n";
  s += "  __rbk_job=$! __rbk_group=-$!\n";
  s += "else\n";
  s += "  /bin/sh -c " + literal + " rbk </dev/null 3<&- &\n";
  s += "  __rbk_job=$! __rbk_group=\n";
  s += "fi\n";
  return s;
}

// Shell functions on the processes named in their arguments: -pgid for a
// group, or a bare pid (the job's, only the watcher names it).
//
// A bare pid is signalled only while __rbk_reaped is unset: once the main
// script's `wait` reaped the job, its pid may be reused by any process, and
// a KILL to it would hit that one (often as root). The main script tells the
// watcher with USR1 (see watcher()); a group is safe to name while the
// loop sees it alive, as a live group keeps its number from being reused.
//
// __rbk_alive: is anything still there. kill -0 counts zombies, and where
// the host's PID 1 does not reap orphans (a container without an init), a
// leftover that died at TERM stays a zombie in the group: counted as alive,
// it would cost the whole grace period. So when kill -0 says the group is
// there, ps says whether any of it is more than a zombie (state Z, or X:
// dead). `ps -A -o pgid= -o stat=` is what procps, busybox, toybox and the BSDs
// all accept (-e is another thing on the BSDs; -g is a session in
// procps); where ps is missing or refuses, kill -0's answer stands. This
// costs one ps only when kill -0 finds something, never in the usual case
// of a command that leaves nothing.
//
// __rbk_stop: TERM and CONT, then KILL once the grace period is over, or
// nothing more once all are gone (checked once a second: POSIX sleep counts
// whole seconds). A group that is gone gets no KILL: its number is free.
std::string stop_functions(long grace_s) {
  return R"sh(__rbk_live() {
  __rbk_ps=$(ps -A -o pgid= -o stat= 2>/dev/null) || return 0
  [ -n "$__rbk_ps" ] || return 0
  while IFS=' ' read -r __rbk_g __rbk_s; do
    [ "$__rbk_g" = "$1" ] || continue
    case $__rbk_s in Z* | X*) ;; *) return 0 ;; esac
  done <<__RBK_PS__
$__rbk_ps
__RBK_PS__
  return 1
}
__rbk_alive() {
  for __rbk_p in "$@"; do
    case $__rbk_p in
      -*) kill -s 0 -- "$__rbk_p" && __rbk_live "${__rbk_p#-}" && return 0 ;;
      *) [ -z "$__rbk_reaped" ] && kill -s 0 -- "$__rbk_p" && return 0 ;;
    esac
  done
  return 1
} 2>/dev/null
__rbk_signal() {
  __rbk_sig=$1
  shift
  for __rbk_p in "$@"; do
    case $__rbk_p in -*) ;; *) [ -z "$__rbk_reaped" ] || continue ;; esac
    kill -s "$__rbk_sig" -- "$__rbk_p"
  done
} 2>/dev/null
__rbk_stop() {
  __rbk_signal TERM "$@"
  __rbk_signal CONT "$@"
  __rbk_left=)sh" +
         std::to_string(grace_s) + R"sh(
  while __rbk_alive "$@"; do
    if [ "$__rbk_left" -le 0 ]; then
      __rbk_signal KILL "$@"
      break
    fi
    sleep 1
    __rbk_left=$((__rbk_left - 1))
  done
} 2>/dev/null
)sh";
}

// The watcher: end of file on stdin means the rbk side is gone (its ssh was
// ended by a deadline or Ctrl-C, or the connection dropped); it then stops
// the job. From then on it ignores TERM (the main script's `kill` of it,
// once the job's shell died of the TERM, must not cut the KILL short) and
// takes USR1 as "the job is reaped": its bare pid is not signalled again.
// With a group, the bare pid gets TERM and CONT once, right away (the job
// before setsid() ran has no group yet), and only the group is watched and
// KILLed: the job's shell usually dies of that TERM and is reaped at once.
// Without setsid there is only the bare pid, watched until the main script
// says it reaped it.
std::string watcher() {
  return R"sh((
  while IFS= read -r __rbk_line; do :; done
  trap '' TERM
  trap '__rbk_reaped=1' USR1
  if [ -n "$__rbk_group" ]; then
    __rbk_signal TERM "$__rbk_job"
    __rbk_signal CONT "$__rbk_job"
    __rbk_stop "$__rbk_group"
  else
    __rbk_stop "$__rbk_job"
  fi
) <&3 >/dev/null 2>&1 &
__rbk_watch=$!
)sh";
}

// Once the job's shell ended (on its own, or stopped), and is reaped: the
// watcher hears so (USR1; before its input ended, USR1 or TERM ends it).
// What is left in the job's group gets 250 ms to finish writing (as on
// rbk's machine; a host whose sleep takes no fraction skips it), then TERM,
// the grace period, KILL. The shell's own pid is not signalled: reaped by
// `wait`, it may be reused. Nothing left (the usual case) costs no wait.
// The exit status is the job's, as `wait` reports it (128+N when killed by
// signal N): rbk's ssh exits with it.
std::string job_end() {
  return R"sh(wait "$__rbk_job"
__rbk_status=$?
kill -s USR1 "$__rbk_watch" 2>/dev/null
kill "$__rbk_watch" 2>/dev/null
if [ -n "$__rbk_group" ] && __rbk_alive "$__rbk_group"; then
  sleep 0.25 2>/dev/null
  if __rbk_alive "$__rbk_group"; then __rbk_stop "$__rbk_group"; fi
fi
exit "$__rbk_status"
)sh";
}

}  // namespace

std::string remote_script(const std::vector<std::pair<std::string, std::string>>& env,
                          std::string_view script, std::chrono::milliseconds grace) {
  // One brace group: the shell reads all of it before it runs any of it, so
  // nothing after it is read from stdin as script, and the watcher reads
  // only the end of file. No variable or function of the wrapper's own is
  // set before the command starts: an exported name cannot be overwritten.
  // The watcher's stdin is fd 3, a copy of this stdin: an asynchronous
  // list's own stdin is /dev/null in a shell without job control.
  std::string s = "{\nexec 3<&0\n";
  for (const auto& [name, value] : env) {
    if (!is_identifier(name)) continue;
    std::string v = value;
    v.erase(std::remove(v.begin(), v.end(), '\0'), v.end());
    s += "export " + name + "=" + shell_quote(v) + "\n";
  }
  const long grace_s = std::max<long>(1, static_cast<long>((grace.count() + 999) / 1000));
  s += job_start(shell_quote(script));
  s += stop_functions(grace_s);
  s += watcher();
  s += job_end();
  s += "}\n";
  return s;
}

SshSession::~SshSession() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::pair<std::string, std::string>> SshSession::ssh_env(const Host& host) const {
  long timeout_s = std::max<long>(1, static_cast<long>(settings_.connect_timeout.count() / 1000));
  return {{"RBK_SSH_ADDRESS", host.address},
          {"RBK_SSH_PORT", host.port ? std::to_string(*host.port) : ""},
          {"RBK_SSH_USER", host.user},
          {"RBK_SSH_CONFIG", settings_.config},
          {"RBK_SSH_CONNECT_TIMEOUT", std::to_string(timeout_s)},
          {"RBK_SSH_CONTROL_DIR", dir_}};
}

Expected<CommandSpec, std::string> SshSession::command(
    const Host& host, std::string_view script,
    const std::vector<std::pair<std::string, std::string>>& env, CommandSpec base) {
  if (dir_.empty()) {
    // Short, private, and the same for every host: a Unix socket's path is
    // at most 107 bytes, and %C (a hash) keeps each host's name out of it.
    const char* runtime = ::getenv("XDG_RUNTIME_DIR");
    std::string tmpl = std::string(runtime && *runtime ? runtime : "/tmp") + "/rbk-ssh-XXXXXX";
    if (tmpl.size() > 60) tmpl = "/tmp/rbk-ssh-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      return fail("cannot make a private directory for the SSH connections: " + tmpl);
    dir_ = tmpl;
  }
  if (std::none_of(used_.begin(), used_.end(), [&](const Host& h) { return h.id == host.id; }))
    used_.push_back(host);
  base.script = local_script();
  base.input = remote_script(env, script, base.grace);
  base.env = ssh_env(host);
  return base;
}

namespace {
// How many `ssh -O exit` run at once at the end of a run.
constexpr size_t kParallelCloses = 16;
}  // namespace

bool SshSession::terminate_masters() const {
  // Every socket in the private directory is a master of this run's. Asked
  // over its socket, each ends without a process being started: an `ssh -O
  // exit` costs a process and its configuration read, for every host.
  const auto until = std::chrono::steady_clock::now() + kMuxBudget;
  bool all = true;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code kind;
    const bool socket = it->is_socket(kind);
    if (kind) all = false;
    if (!socket) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    all = left.count() > 0 && terminate_master(it->path().string(), std::min(left, kMuxTimeout)) &&
          all;
  }
  return all && !ec;  // a directory not read to its end: not known to be all
}

void SshSession::close(CommandRunner& runner) {
  if (dir_.empty()) return;
  if (terminate_masters()) used_.clear();  // else each host's `ssh -O exit`, below
  // All at once (a few at a time): one after another, fifty hosts' closes
  // took longer than the step that used them. A host whose master has ended
  // already costs its `ssh -O exit` a failed connect to the socket.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < used_.size();) {
      CommandSpec spec;
      spec.script = close_script();
      spec.env = ssh_env(used_[i]);
      spec.timeout = std::chrono::seconds(10);
      spec.grace = std::chrono::seconds(1);
      runner.run(spec, nullptr);
    }
  };
  {
    std::vector<std::jthread> workers;
    for (size_t w = 1; w < std::min<size_t>(used_.size(), kParallelCloses); ++w)
      workers.emplace_back(work);
    work();
  }  // joined
  used_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

CommandResult SshRunner::run_on(const Host& host, const CommandSpec& spec, OutputSink* sink) {
  Expected<CommandSpec, std::string> ssh = fail(std::string());
  {
    std::lock_guard lock(mu_);
    ssh = session_.command(host, spec.script, spec.env, spec);
  }
  if (!ssh) {
    CommandResult r;
    r.spawn_failed = true;
    r.error = ssh.error();
    return r;
  }
  CommandResult r = local_.run(*ssh, sink);
  // rbk ending ssh (a deadline, Ctrl-C) also makes it exit 255: that is the
  // deadline's or the cancel's, not the connection's.
  if (r.exit_code == SshSession::kSshFailure && r.error.empty() && !r.timed_out && !r.cancelled) {
    // ssh says why on its stderr (refused, no route, host key, timeout).
    std::string why = r.err.text;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    if (size_t nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
    r.error = "ssh to " + host.id + " failed (exit 255)" + (why.empty() ? "" : ": " + why);
  }
  return r;
}

bool never_connected(const CommandResult& r) {
  if (r.spawn_failed) return true;
  if (r.exit_code != SshSession::kSshFailure || r.timed_out || r.cancelled) return false;
  // What ssh says when it got no session at all; any other 255 may come
  // after the command started there (a dropped connection), so it counts
  // as run: its undo must not be skipped.
  for (const char* before : {"Connection refused", "No route to host", "Connection timed out",
                             "Could not resolve hostname", "Host key verification failed",
                             "Permission denied", "Network is unreachable", "connect to host"})
    if (r.err.text.find(before) != std::string::npos) return true;
  return false;
}

void SshRunner::finish() {
  std::lock_guard lock(mu_);
  session_.close(local_);
}

}  // namespace rbk
