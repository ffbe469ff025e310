#include "sshd.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace rbk::test {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kSshd = "/usr/sbin/sshd";
// sshd as root chroots its unprivileged pre-authentication child here, and
// refuses to start without it; the package's service creates it at boot,
// which a container without systemd never does.
constexpr const char* kPrivsepDir = "/run/sshd";
// The environment variable sshd sets in every session (SetEnv) to name the
// server; the class comment in sshd.hpp says why.
constexpr const char* kMarkerVariable = "RBK_TEST_SSHD";
// Bounds, not measurements: sshd ends at once on SIGTERM, and a process
// killed with SIGKILL is gone as soon as the kernel gets to it.
constexpr std::chrono::seconds kTermGrace{30};
constexpr std::chrono::seconds kKillBound{60};
// How often a wait polls (connect, /proc, waitpid).
constexpr std::chrono::milliseconds kPoll{10};
// Another process may take a free port before sshd binds it: tries per server.
constexpr int kPortTries = 20;

std::string quoted(const std::string& path) {
  return "\"" + path + "\"";
}

std::string joined(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  return line;
}

/// In a forked child before exec: no signal blocked and every handler back to
/// its default, since ignored signals and the mask survive exec and sshd or
/// ssh must not inherit the test binary's (Catch2 installs handlers).
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};  // a null sa_handler is SIG_DFL
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
}

/// Pointers into `args` for execv; `args` must outlive the result.
std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

Exit decode(int status) {
  Exit e;
  if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

/// A TCP port on 127.0.0.1 nothing listens on now (the kernel's choice).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool bound = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                     ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(s);
  REQUIRE(bound);
  return ntohs(a.sin_port);
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

/// A process as /proc/PID/stat shows it.
struct Proc {
  int pid = 0, ppid = 0;
  char state = 0;
};

/// Every process now.
std::vector<Proc> processes() {
  std::vector<Proc> all;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    // The command name may hold spaces and parentheses: the fields after it
    // start after the last ')'.
    const std::string stat = read_file("/proc/" + name + "/stat");
    const size_t paren = stat.rfind(')');
    Proc p;
    p.pid = std::stoi(name);
    if (paren == std::string::npos ||
        std::sscanf(stat.c_str() + paren + 1, " %c %d", &p.state, &p.ppid) != 2)
      continue;
    all.push_back(p);
  }
  return all;
}

bool gone_state(char state) {
  return state == 'Z' || state == 'X';
}

/// True when process `pid`'s environment holds exactly `entry` (NAME=value).
/// Unreadable for another user's processes, which a non-root sshd cannot have
/// started anyway.
bool has_environment_entry(int pid, const std::string& entry) {
  const std::string env = read_file("/proc/" + std::to_string(pid) + "/environ");
  std::istringstream in(env);
  for (std::string e; std::getline(in, e, '\0');)
    if (e == entry) return true;
  return false;
}

/// Live processes of the sessions of the listeners `listeners` (whose
/// markers are `markers`), the listeners themselves and this process apart.
std::set<int> session_pids(const std::vector<pid_t>& listeners,
                           const std::vector<std::string>& markers) {
  const std::vector<Proc> all = processes();
  std::multimap<int, int> children;
  for (const auto& p : all)
    if (!gone_state(p.state)) children.emplace(p.ppid, p.pid);
  std::set<int> found;
  std::vector<int> todo(listeners.begin(), listeners.end());
  while (!todo.empty()) {
    const int parent = todo.back();
    todo.pop_back();
    auto [from, to] = children.equal_range(parent);
    for (auto it = from; it != to; ++it)
      if (found.insert(it->second).second) todo.push_back(it->second);
  }
  for (const auto& p : all) {
    if (gone_state(p.state) || p.pid == ::getpid() || found.count(p.pid)) continue;
    for (const auto& m : markers)
      if (has_environment_entry(p.pid, m)) found.insert(p.pid);
  }
  for (pid_t l : listeners) found.erase(l);
  return found;
}

/// The privilege separation directory sshd needs when run as root: created,
/// owned by root with mode 0755, when missing (never removed: a system
/// directory, which other tests' servers may be using).
void ensure_privsep_dir() {
  if (::geteuid() != 0) return;  // a non-root sshd does not use it
  struct stat st {};
  if (::stat(kPrivsepDir, &st) == 0) return;
  if (::mkdir(kPrivsepDir, 0755) != 0 && errno != EEXIST)
    FAIL(std::string("cannot create ") + kPrivsepDir +
         ", which sshd needs as root: " + std::strerror(errno));
  ::chmod(kPrivsepDir, 0755);  // whatever the umask took away
}

/// Runs ssh-keygen for a new ed25519 key without a passphrase at `path`.
void generate_key(const std::string& path, const std::string& comment) {
  Exit e = run_bounded({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path});
  if (e.code != 0)
    FAIL("ssh-keygen failed (exit " + std::to_string(e.code) + "): " + e.out + e.err +
         "\nopenssh-client is needed: run scripts/install-deps.sh openssh-server");
}

}  // namespace

Exit run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds guard) {
  const std::string tmp = fs::temp_directory_path().string();
  std::string out_path = tmp + "/rbk-bounded-out-XXXXXX";
  std::string err_path = tmp + "/rbk-bounded-err-XXXXXX";
  const int out_fd = ::mkostemp(out_path.data(), O_CLOEXEC);
  const int err_fd = ::mkostemp(err_path.data(), O_CLOEXEC);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || err_fd < 0 || null_fd < 0)
    throw std::runtime_error("run_bounded: cannot open its files in " + tmp);
  std::vector<std::string> args = argv;
  std::vector<char*> cargs = c_argv(args);  // before fork: the child only execs
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    reset_signals();
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execvp(cargs[0], cargs.data());
    _exit(127);
  }
  // In the parent too, so that a kill of the group never misses the child.
  if (pid > 0) ::setpgid(pid, pid);
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  int status = 0;
  const bool exited = pid > 0 && reap_until(pid, Clock::now() + guard, status);
  if (pid > 0 && !exited) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  Exit e = decode(status);
  e.out = read_file(out_path);
  e.err = read_file(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  if (pid < 0) throw std::runtime_error("run_bounded: fork failed for `" + joined(argv) + "`");
  if (!exited)
    throw Hung("hung: `" + joined(argv) + "` did not exit within " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(guard).count()) +
               " s (killed); its output so far:\n" + e.out + e.err);
  return e;
}

std::vector<int> processes_with_marker(const std::string& marker) {
  std::vector<int> found;
  for (const auto& p : processes()) {
    if (gone_state(p.state) || p.pid == ::getpid()) continue;
    std::string cmdline = read_file("/proc/" + std::to_string(p.pid) + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) found.push_back(p.pid);
  }
  return found;
}

SshdFleet::SshdFleet(int n) {
  if (::access(kSshd, X_OK) != 0)
    FAIL("openssh-server is not installed: run scripts/install-deps.sh openssh-server");
  REQUIRE(n > 0);
  const passwd* pw = ::getpwuid(::geteuid());
  if (pw == nullptr) FAIL("no user name for uid " + std::to_string(::geteuid()));
  user_ = pw->pw_name;
  try {
    ensure_privsep_dir();
    const std::string d = dir();
    host_key_ = d + "/host_ed25519";
    client_key_ = d + "/client_ed25519";
    authorized_keys_ = d + "/authorized_keys";
    known_hosts_ = d + "/known_hosts";
    ssh_config_ = d + "/ssh_config";
    home_ = d + "/home";
    fs::create_directory(home_);
    fs::permissions(home_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    generate_key(host_key_, "rbk-test-host");
    generate_key(client_key_, "rbk-test-client");
    write_file(authorized_keys_, read_file(client_key_ + ".pub"));

    servers_.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int tries = 0;
      while (!start(i))
        if (++tries == kPortTries)
          FAIL("sshd " + std::to_string(i) + " found its port taken " + std::to_string(kPortTries) +
               " times; its last log:\n" + log(i));
    }

    // "ssh-ed25519 AAAA… comment": the key without its comment.
    std::istringstream pub(read_file(host_key_ + ".pub"));
    std::string type, key;
    pub >> type >> key;
    REQUIRE(!key.empty());
    std::string hosts;
    for (const auto& s : servers_)
      hosts += "[127.0.0.1]:" + std::to_string(s.port) + " " + type + " " + key + "\n";
    write_file(known_hosts_, hosts);

    // Strict host-key checking against the fleet's known_hosts only: no
    // global file (/etc/ssh/ssh_known_hosts could vouch for a port), no key
    // learnt or rewritten, no prompt, no key but the fleet's.
    std::ostringstream config;
    config << "# For `ssh -F` to the servers of an rbk test fleet (tests/sshd.cpp).\n"
           << "Host *\n"
           << "  User " << user_ << "\n"
           << "  IdentityFile " << quoted(client_key_) << "\n"
           << "  IdentitiesOnly yes\n"
           << "  UserKnownHostsFile " << quoted(known_hosts_) << "\n"
           << "  GlobalKnownHostsFile /dev/null\n"
           << "  StrictHostKeyChecking yes\n"
           << "  UpdateHostKeys no\n"
           << "  BatchMode yes\n"
           << "  LogLevel ERROR\n";
    write_file(ssh_config_, config.str());
  } catch (...) {
    // A failed start ends what did start: the destructor will not run.
    std::vector<int> all(servers_.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    shut_down(all);
    throw;
  }
}

bool SshdFleet::start(int i) {
  Server& s = servers_[static_cast<size_t>(i)];
  const std::string d = dir();
  const std::string base = d + "/sshd-" + std::to_string(i);
  s.port = free_port();
  s.config = base + ".config";
  s.log = base + ".log";
  s.marker = std::string(kMarkerVariable) + "=" + base;
  std::ostringstream config;
  config << "# Server " << i << " of an rbk test fleet (tests/sshd.cpp).\n"
         << "ListenAddress 127.0.0.1\n"
         << "Port " << s.port << "\n"
         << "HostKey " << quoted(host_key_) << "\n"
         << "PidFile " << quoted(base + ".pid") << "\n"
         << "AuthorizedKeysFile " << quoted(authorized_keys_)
         << "\n"
         // The temporary directory's owner and modes are not a real home's.
         << "StrictModes no\n"
         << "PasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\n"
         << "UsePAM no\n"
         // CI runs as root: a key login only.
         << "PermitRootLogin prohibit-password\n"
         // 50 parallel sessions multiplexed over connections, and as many
         // connections being set up at once.
         << "MaxSessions 100\n"
         << "MaxStartups 100\n"
         << "LogLevel VERBOSE\n"
         // The session's environment (one SetEnv line: sshd takes the first).
         // The marker names the server, so that stop() finds the processes
         // that left the session's tree. HOME is the fleet's empty home:
         // Debian's bash sources ~/.bashrc for an ssh command, and the
         // user's own (root's in CI) is no part of the test; here it runs
         // `pyenv init`, which takes seconds and leaves a lock behind when
         // a session is killed during it, stalling every later login.
         << "SetEnv " << quoted(s.marker) << " " << quoted("HOME=" + home_)
         << "\n"
         // Nor the user's ~/.ssh/rc, run by sshd before the command.
         << "PermitUserRC no\n";
  write_file(s.config, config.str());
  write_file(s.log, "");
  std::vector<std::string> args = {kSshd, "-D", "-e", "-f", s.config, "-E", s.log};
  std::vector<char*> cargs = c_argv(args);
  const int log_fd = ::open(s.log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(log_fd >= 0);
  REQUIRE(null_fd >= 0);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    // A test binary that dies (a crash, ctest's timeout) takes its servers
    // with it; the signal is sent when the thread that forked ends, and
    // Catch2 runs every test on the main thread.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(1);
    reset_signals();
    ::dup2(null_fd, 0);
    // What sshd prints before it opens its log (a bad config) goes there too.
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(cargs[0], cargs.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  REQUIRE(pid > 0);
  ::setpgid(pid, pid);
  s.pid = pid;

  // Ready when the port accepts connections and the log says this sshd is
  // the one listening (not another process that took the port first).
  const std::string listening =
      "Server listening on 127.0.0.1 port " + std::to_string(s.port) + ".";
  const std::string name = "sshd " + std::to_string(i) + " (port " + std::to_string(s.port) +
                           ", pid " + std::to_string(pid) + ", " + s.config + ")";
  const auto deadline = Clock::now() + kHangGuard;
  while (true) {
    if (accepts(s.port) && log(i).find(listening) != std::string::npos) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      s.pid = -1;
      const std::string text = log(i);
      if (text.find("Address already in use") != std::string::npos) return false;
      FAIL(name + " exited (" +
           (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                              : "signal " + std::to_string(WTERMSIG(status))) +
           ") before accepting connections; its log:\n" + text);
    }
    if (Clock::now() >= deadline)
      FAIL(name + " hung: no connection accepted within " + std::to_string(kHangGuard.count()) +
           " minutes; its log:\n" + log(i));
    std::this_thread::sleep_for(kPoll);
  }
}

void SshdFleet::shut_down(const std::vector<int>& which) {
  std::vector<pid_t> listeners;
  std::vector<std::string> markers;
  for (int i : which) {
    const Server& s = at(i);
    if (s.pid <= 0) continue;
    listeners.push_back(s.pid);
    markers.push_back(s.marker);
  }
  if (listeners.empty()) return;
  // A stopped listener accepts and forks nothing more.
  for (pid_t l : listeners) ::kill(l, SIGSTOP);
  // Freeze before killing: a frozen process forks nothing, so once a scan
  // finds no process it has not frozen, none can appear; killing one by one
  // instead would let a process fork between the scan and its death.
  std::set<int> frozen;
  const auto guard = Clock::now() + kKillBound;
  for (int quiet = 0; quiet < 2 && Clock::now() < guard;) {
    bool added = false;
    for (int p : session_pids(listeners, markers))
      if (frozen.insert(p).second) {
        ::kill(p, SIGSTOP);
        added = true;
      }
    quiet = added ? 0 : quiet + 1;
  }
  for (int p : frozen) ::kill(p, SIGKILL);
  // SIGTERM waits for the SIGCONT: sshd then removes its pid file and exits.
  for (pid_t l : listeners) {
    ::kill(l, SIGTERM);
    ::kill(l, SIGCONT);
  }
  for (pid_t l : listeners) {
    int status = 0;
    if (!reap_until(l, Clock::now() + kTermGrace, status)) {
      ::kill(l, SIGKILL);
      while (::waitpid(l, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  for (int i : which) servers_[static_cast<size_t>(i)].pid = -1;
  // The session processes are not our children: wait until each is dead
  // (init reaps them), so that a test checking for survivors sees none.
  const auto until = Clock::now() + kKillBound;
  while (!std::all_of(frozen.begin(), frozen.end(), dead) && Clock::now() < until)
    std::this_thread::sleep_for(kPoll);
}

SshdFleet::~SshdFleet() {
  std::vector<int> all(servers_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  shut_down(all);
}

const SshdFleet::Server& SshdFleet::at(int i) const {
  if (i < 0 || i >= size())
    throw std::out_of_range("SshdFleet: no server " + std::to_string(i) + " of " +
                            std::to_string(size()));
  return servers_[static_cast<size_t>(i)];
}

int SshdFleet::port(int i) const {
  return at(i).port;
}

pid_t SshdFleet::pid(int i) const {
  return at(i).pid;
}

int SshdFleet::size() const {
  return static_cast<int>(servers_.size());
}

std::string SshdFleet::ssh_config() const {
  return ssh_config_;
}

std::string SshdFleet::known_hosts() const {
  return known_hosts_;
}

std::string SshdFleet::dir() const {
  return tmp_.path.string();
}

std::string SshdFleet::home() const {
  return home_;
}

std::string SshdFleet::user() const {
  return user_;
}

std::string SshdFleet::log(int i) const {
  return read_file(at(i).log);
}

std::vector<std::string> SshdFleet::ssh_argv(int i, const std::string& command) const {
  return {"ssh", "-F", ssh_config_, "-p", std::to_string(port(i)), "127.0.0.1", command};
}

std::vector<int> SshdFleet::session_processes(int i) const {
  const Server& s = at(i);
  if (s.pid <= 0) return {};
  std::set<int> found = session_pids({s.pid}, {s.marker});
  return {found.begin(), found.end()};
}

void SshdFleet::stop(int i) {
  at(i);  // the range check
  shut_down({i});
}

}  // namespace rbk::test
