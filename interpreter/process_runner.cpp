// ProcessRunner: the only file that includes Boost.Process (v2, 1.81). It
// costs ~5 s to compile and becomes a compiled library in later Boost, so
// keeping it here keeps both costs in one place.
#include "interpreter/process_runner.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <unordered_set>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/process.hpp>

extern char** environ;

namespace rbk {

// ---------------------------------------------------------------------------
// CancelToken (declared in command.hpp)

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

CancelToken::~CancelToken() {
  ::close(fd_);
}

void CancelToken::cancel() noexcept {
  int saved = errno;  // called from signal handlers: leave errno as found
  flag_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
  errno = saved;
}

void CancelToken::reset() noexcept {
  flag_.store(false);
  uint64_t drained = 0;
  [[maybe_unused]] ssize_t n = ::read(fd_, &drained, sizeof drained);  // nonblocking
}

// ---------------------------------------------------------------------------
// OutputCapture

OutputCapture::OutputCapture(size_t limit)
    : head_limit_(limit / 2), tail_limit_(limit - limit / 2) {}

void OutputCapture::append(std::string_view chunk) {
  total_ += chunk.size();
  size_t to_head = std::min(chunk.size(), head_limit_ - head_.size());
  head_.append(chunk.substr(0, to_head));
  chunk.remove_prefix(to_head);
  if (chunk.empty() || tail_limit_ == 0) return;
  if (chunk.size() >= tail_limit_) {  // the chunk alone fills the tail
    tail_.assign(chunk.substr(chunk.size() - tail_limit_));
    tail_start_ = 0;
    return;
  }
  if (tail_.size() < tail_limit_) {  // still filling: plain append
    size_t n = std::min(chunk.size(), tail_limit_ - tail_.size());
    tail_.append(chunk.substr(0, n));
    chunk.remove_prefix(n);
  }
  while (!chunk.empty()) {  // full: overwrite the oldest bytes
    size_t n = std::min(chunk.size(), tail_limit_ - tail_start_);
    std::copy_n(chunk.data(), n, tail_.begin() + static_cast<std::ptrdiff_t>(tail_start_));
    tail_start_ = (tail_start_ + n) % tail_limit_;
    chunk.remove_prefix(n);
  }
}

Captured OutputCapture::finish() const {
  Captured c;
  c.total_bytes = total_;
  std::string tail = tail_.substr(tail_start_) + tail_.substr(0, tail_start_);
  uint64_t kept = head_.size() + tail.size();
  c.truncated = kept < total_;
  c.text = c.truncated ? head_ + cut_marker(total_ - kept) + tail : head_ + tail;
  return c;
}

std::string cut_marker(uint64_t bytes_cut) {
  return "\n… [rbk: " + std::to_string(bytes_cut) + " bytes cut] …\n";
}

namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using boost::system::error_code;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Process = bp::basic_process<asio::io_context::executor_type>;

// A year: long enough to mean "very long", short enough not to overflow
// steady_clock arithmetic.
constexpr milliseconds kLongest = std::chrono::hours(24 * 365);

milliseconds clamp(milliseconds d) {
  return std::clamp(d, milliseconds{0}, kLongest);
}

error_code last_error() {
  return error_code(errno, boost::system::system_category());
}

// strerror() for the current errno, thread-safe.
std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// A descriptor closed on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Moves a descriptor to 3 or above (close-on-exec), so that the dup2() calls
// onto 0, 1 and 2 in the child can never overwrite one another, even when the
// caller runs with a standard descriptor closed.
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

// waitpid() that survives signal handlers installed without SA_RESTART.
void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
  }
}

// True once `pid` has exited; does not reap it, so its process group ID
// stays reserved.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == -1) {
    return errno == ECHILD;
  }
  return info.si_pid == pid;
}

// True when a live process (not a zombie) is in process group `pgid`. Reads
// /proc because kill(-pgid, 0) cannot tell: zombies still count as members,
// and our own shell stays a zombie until the very end on purpose.
bool group_alive(pid_t pgid) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
  if (!dir) return true;  // cannot tell: the grace period then ends in KILL
  while (const dirent* entry = ::readdir(dir.get())) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    char path[300];
    std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
    Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) continue;  // exited meanwhile
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf - 1)) == -1 && errno == EINTR) {
    }
    if (n <= 0) continue;
    buf[n] = '\0';
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and ')'.
    const char* after_comm = std::strrchr(buf, ')');
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (!after_comm || std::sscanf(after_comm + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
      continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

// Everything the child does between fork and exec. The parent may have other
// threads, so only async-signal-safe calls: no allocation, no locks.
struct ChildSetup {
  int in_fd, out_fd, err_fd;  // all >= 3 and close-on-exec
  const char* dir;            // null: stay in the caller's directory
  int max_fd;                 // fallback bound when close_range() is missing

  error_code on_exec_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&,
                           const char* const*) {
    // Own group first: everything the command starts can then be signalled
    // together. The launcher returns only after exec (or its failure), so the
    // parent never sees the child before this has happened.
    if (::setpgid(0, 0) == -1) return last_error();
    if (::dup2(in_fd, STDIN_FILENO) == -1 || ::dup2(out_fd, STDOUT_FILENO) == -1 ||
        ::dup2(err_fd, STDERR_FILENO) == -1) {
      return last_error();
    }
    if (dir && ::chdir(dir) == -1) return last_error();
    // Blocked and ignored signals survive exec: a caller that blocks TERM
    // would otherwise make the command deaf to the timeout's TERM.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    close_stray_fds(launcher.fd_whitelist);
    return {};
  }

  // The launcher calls ::exit() after a failed exec, which would run atexit
  // handlers and flush stdio copies in the child; leave at once instead (the
  // error has already been sent to the parent). Variadic because 1.81 detects
  // this hook with one signature and calls it with another.
  template <typename... Args>
  void on_exec_error(bp::posix::default_launcher&, Args&&...) {
    ::_exit(127);
  }

  // Closes every descriptor above 2 except the launcher's (its exec-error
  // pipe). 1.81's own close_all() skips those between 3 and that pipe, which
  // would leak the caller's files and the pipes' other ends into the command.
  void close_stray_fds(const std::vector<int>& keep) const {
    unsigned lo = 3;
    for (;;) {
      unsigned next = UINT_MAX;  // smallest kept descriptor >= lo
      for (int fd : keep) {
        if (fd >= 0 && static_cast<unsigned>(fd) >= lo)
          next = std::min(next, static_cast<unsigned>(fd));
      }
      if (next > lo) close_range_or_loop(lo, next - 1);
      if (next == UINT_MAX) return;
      lo = next + 1;
    }
  }

  void close_range_or_loop(unsigned lo, unsigned hi) const {
    if (::close_range(lo, hi, 0) == 0) return;
    for (unsigned fd = lo; fd <= hi && fd <= static_cast<unsigned>(max_fd); ++fd) {
      ::close(static_cast<int>(fd));
    }
  }
};

// One run of one command: the child, its pipes, the timers, the state machine.
class Session {
 public:
  Session(const CommandSpec& spec, OutputSink* sink, CancelToken* cancel)
      : spec_(spec),
        sink_(sink),
        cancel_(cancel),
        out_(io_, Stream::Out, spec.capture_limit),
        err_(io_, Stream::Err, spec.capture_limit) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ~Session() {
    if (pid_ > 0 && !reaped_) {  // only reached when something threw
      kill_all(SIGKILL);
      reap(pid_);
      if (proc_) proc_->detach();
    }
  }

  CommandResult run() {
    start_ = Clock::now();
    if (check_spec() && spawn()) {
      try {
        start_waiting();
        io_.run();
      } catch (const std::exception& e) {
        note(std::string("internal error while running the command: ") + e.what());
      }
      kill_all(SIGKILL);  // whatever happened above, nothing of the group survives
      collect_status();
    }
    result_.out = out_.capture.finish();
    result_.err = err_.capture.finish();
    result_.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
    return std::move(result_);
  }

 private:
  // Where the command is in its life; each event handler looks at it.
  enum class Phase {
    Running,   // until the shell exits, the deadline passes or a cancel
    Draining,  // the shell exited; pipes get kDrainWindow to close
    Stopping,  // TERM sent; KILL after the grace period or when no one is left
    Killed,    // KILL sent; waiting (bounded) for the pipes to close
    Done,
  };

  struct Reader {
    Reader(asio::io_context& io, Stream s, size_t limit) : pipe(io), stream(s), capture(limit) {}
    asio::readable_pipe pipe;
    Stream stream;
    OutputCapture capture;
    std::array<char, 64 * 1024> buf{};
    bool open = true;
  };

  // --- before the child exists

  bool fail(std::string why) {
    result_.spawn_failed = true;
    result_.error = std::move(why);
    return false;
  }

  bool check_spec() {
    if (spec_.timeout <= milliseconds{0}) {
      return fail("no timeout: every command needs a positive deadline");
    }
    if (spec_.script.find('\0') != std::string::npos) return fail("the script contains a NUL byte");
    if (spec_.working_dir.find('\0') != std::string::npos) {
      return fail("the working directory contains a NUL byte");
    }
    if (cancel_ && cancel_->cancelled()) {
      result_.cancelled = true;
      result_.error = "cancelled before the command started";
      return false;
    }
    return build_env();
  }

  // The caller's environment with spec.env laid over it, one entry per name.
  // Only names appear in errors: values may be secrets.
  bool build_env() {
    std::unordered_set<std::string_view> names;
    for (const auto& [name, value] : spec_.env) {
      if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos) {
        return fail("invalid environment variable name '" + name + "'");
      }
      if (value.find('\0') != std::string::npos) {
        return fail("the value of environment variable " + name + " contains a NUL byte");
      }
      names.insert(name);
    }
    for (const auto& name : spec_.unset_env) names.insert(name);
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      if (!names.count(entry.substr(0, entry.find('=')))) env_storage_.emplace_back(entry);
    }
    for (size_t i = 0; i < spec_.env.size(); ++i) {
      const auto& [name, value] = spec_.env[i];
      bool overridden_later =
          std::any_of(spec_.env.begin() + static_cast<std::ptrdiff_t>(i) + 1, spec_.env.end(),
                      [&](const auto& later) { return later.first == name; });
      if (!overridden_later) env_storage_.push_back(name + "=" + value);
    }
    for (const std::string& entry : env_storage_) envp_.push_back(entry.c_str());
    envp_.push_back(nullptr);
    return true;
  }

  bool spawn() {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) == -1) return fail("pipe: " + errno_text());
    Fd out_read(above_stdio(out_pipe[0])), out_write(above_stdio(out_pipe[1]));
    if (::pipe2(err_pipe, O_CLOEXEC) == -1) return fail("pipe: " + errno_text());
    Fd err_read(above_stdio(err_pipe[0])), err_write(above_stdio(err_pipe[1]));
    Fd null_in(above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    if (out_read.get() < 0 || out_write.get() < 0 || err_read.get() < 0 || err_write.get() < 0 ||
        null_in.get() < 0) {
      return fail("cannot set up the command's stdio: " + errno_text());
    }
    rlimit files{};
    int max_fd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 1u << 20
                     ? static_cast<int>(files.rlim_cur)
                     : 1 << 20;
    ChildSetup setup{null_in.get(), out_write.get(), err_write.get(),
                     spec_.working_dir.empty() ? nullptr : spec_.working_dir.c_str(), max_fd};

    bp::posix::default_launcher launcher;
    launcher.env = envp_.data();
    std::vector<std::string> args{"-c", spec_.script};
    error_code ec;
    // A failed exec used to flush the parent's stdio buffers a second time
    // from the child; ChildSetup now _exit()s, but flushing is cheap.
    std::fflush(nullptr);
    try {
      Process proc = launcher(io_.get_executor(), ec, bp::filesystem::path("/bin/sh"), args, setup);
      if (ec) {
        if (launcher.pid > 0) reap(launcher.pid);  // 1.81 leaves the failed child unreaped
        std::string where = spec_.working_dir.empty() ? "" : " in '" + spec_.working_dir + "'";
        return fail("cannot start /bin/sh" + where + ": " + ec.message());
      }
      pid_ = proc.id();
      proc_.emplace(std::move(proc));
    } catch (const std::exception& e) {
      if (launcher.pid > 0) {
        ::kill(-launcher.pid, SIGKILL);
        ::kill(launcher.pid, SIGKILL);
        reap(launcher.pid);
      }
      return fail(std::string("cannot start /bin/sh: ") + e.what());
    }
    // The parent's copies of the write ends must go now, or the reads would
    // never see end-of-file.
    out_write.reset();
    err_write.reset();
    null_in.reset();
    if (::getpgid(pid_) != pid_) {  // cannot happen (see ChildSetup); fail safe if it does
      kill_all(SIGKILL);
      collect_status();
      return fail("the command did not get its own process group");
    }
    out_read_.reset(out_read.release());
    err_read_.reset(err_read.release());
    return true;
  }

  // --- the event loop

  // Hands the descriptors to asio and starts every wait; may throw, so it runs
  // where an exception still ends in killing the group.
  void start_waiting() {
    out_.pipe.assign(out_read_.release());
    err_.pipe.assign(err_read_.release());
    // A pidfd of our own (1.81 does not expose its own): readable once the
    // shell has exited, without reaping it. No PID race: it is our unreaped child.
    Fd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    if (exit_fd.get() < 0) throw std::system_error(errno, std::generic_category(), "pidfd");
    exit_fd_.assign(exit_fd.release());
    if (cancel_) {
      Fd cancel_fd(::fcntl(cancel_->fd(), F_DUPFD_CLOEXEC, 0));
      if (cancel_fd.get() < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
      cancel_fd_.assign(cancel_fd.release());
    }
    read(out_);
    read(err_);
    exit_fd_.async_wait(asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
      if (phase_ == Phase::Done || ec == asio::error::operation_aborted) return;
      if (ec)
        note("cannot watch the command's exit: " + ec.message());  // the deadline still holds
      else
        on_shell_exit();
    });
    if (cancel_fd_.is_open()) {
      cancel_fd_.async_wait(asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
        if (!ec && phase_ != Phase::Done) on_cancel();
      });
    }
    arm(timer_, timer_gen_, clamp(spec_.timeout), &Session::on_deadline);
    if (cancel_ && cancel_->cancelled()) on_cancel();  // cancelled while spawning
  }

  void read(Reader& r) {
    r.pipe.async_read_some(asio::buffer(r.buf), [this, &r](const error_code& ec, size_t n) {
      if (n > 0) deliver(r, std::string_view(r.buf.data(), n));
      if (ec) {  // end of file, or the pipe was closed when done
        r.open = false;
        if (phase_ != Phase::Done) on_pipe_closed();
      } else if (phase_ != Phase::Done) {
        read(r);
      }
    });
  }

  void deliver(Reader& r, std::string_view chunk) {
    r.capture.append(chunk);
    if (!sink_ || sink_failed_) return;
    try {
      sink_->on_output(r.stream, chunk);
    } catch (const std::exception& e) {
      sink_failed_ = true;
      note(std::string("output sink failed (output still captured): ") + e.what());
    } catch (...) {
      sink_failed_ = true;
      note("output sink failed (output still captured)");
    }
  }

  // Starts (or restarts) a timer; a stale expiry is told apart by generation.
  void arm(asio::steady_timer& t, unsigned& gen, milliseconds after, void (Session::*fn)()) {
    unsigned g = ++gen;
    t.expires_after(after);
    t.async_wait([this, &gen, g, fn](const error_code& ec) {
      if (!ec && g == gen && phase_ != Phase::Done) (this->*fn)();
    });
  }

  bool pipes_open() const { return out_.open || err_.open; }

  void on_shell_exit() {
    if (shell_exited_) return;  // seen by both the deadline check and the pidfd
    shell_exited_ = true;
    if (phase_ == Phase::Running) {
      if (!pipes_open()) return stop_group();
      phase_ = Phase::Draining;  // background processes may still hold the pipes
      arm(timer_, timer_gen_, kDrainWindow, &Session::stop_group);
    } else if (phase_ == Phase::Stopping) {
      check_group();
    }
  }

  void on_pipe_closed() {
    if (pipes_open()) return;
    if (phase_ == Phase::Draining)
      stop_group();
    else if (phase_ == Phase::Stopping)
      check_group();
    else if (phase_ == Phase::Killed)
      finish();
  }

  void on_deadline() {
    if (phase_ != Phase::Running) return;
    if (has_exited(pid_)) return on_shell_exit();  // exited at the last moment
    result_.timed_out = true;
    stop_group();
  }

  void on_cancel() {
    if (phase_ == Phase::Running && !has_exited(pid_)) {
      result_.cancelled = true;
      stop_group();
    } else if (phase_ == Phase::Running || phase_ == Phase::Draining) {
      stop_group();  // the command itself had finished: only leftovers are stopped
    }
  }

  // TERM to the group (CONT too, so stopped members can act on it); KILL when
  // the grace period ends or as soon as no live member is left.
  void stop_group() {
    if (!group_alive(pid_) || spec_.grace <= milliseconds{0}) return kill_group();
    kill_all(SIGTERM);
    kill_all(SIGCONT);
    phase_ = Phase::Stopping;
    arm(timer_, timer_gen_, clamp(spec_.grace), &Session::kill_group);
    poll_delay_ = milliseconds{5};
    arm(poll_, poll_gen_, poll_delay_, &Session::poll_group);
  }

  void poll_group() {
    if (phase_ != Phase::Stopping) return;
    if (!group_alive(pid_)) return kill_group();
    poll_delay_ = std::min(poll_delay_ * 2, milliseconds{100});
    arm(poll_, poll_gen_, poll_delay_, &Session::poll_group);
  }

  void check_group() {
    if (!group_alive(pid_)) kill_group();
  }

  void kill_group() {
    kill_all(SIGKILL);
    phase_ = Phase::Killed;
    poll_.cancel();
    if (!pipes_open()) return finish();
    // Killed processes close their pipes; only one outside the group (which
    // left it with setsid, say) can keep them open. Do not wait for it forever.
    arm(timer_, timer_gen_, kPipeCloseWindow, &Session::give_up_on_pipes);
  }

  void give_up_on_pipes() {
    note(
        "the output pipes stayed open after the command's process group was killed "
        "(a process outside the group holds them); later output is lost");
    finish();
  }

  void finish() {
    phase_ = Phase::Done;
    error_code ignored;
    timer_.cancel();
    poll_.cancel();
    out_.pipe.close(ignored);
    err_.pipe.close(ignored);
    exit_fd_.close(ignored);
    cancel_fd_.close(ignored);
  }

  // --- signals and the exit status

  // Signals the group and, should the shell have left it, the shell itself.
  // Safe from PID reuse: the shell is reaped only after the last call, so its
  // PID (the group's ID) cannot be given to anyone else before then.
  void kill_all(int sig) {
    if (pid_ <= 0 || reaped_) return;
    ::kill(-pid_, sig);
    if (::getpgid(pid_) != pid_) ::kill(pid_, sig);
  }

  void collect_status() {
    error_code ec;
    proc_->wait(ec);  // the shell was killed if still running: this returns
    reaped_ = true;
    int status = proc_->native_exit_code();
    // Forget the PID: ~basic_process would otherwise waitpid() and KILL it
    // again, and by then it may belong to another run's child.
    proc_->detach();
    if (ec) return note("lost the command's exit status: " + ec.message());
    if (WIFEXITED(status)) {
      result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result_.signal = WTERMSIG(status);
    }
  }

  void note(const std::string& message) {
    if (!result_.error.empty()) result_.error += "; ";
    result_.error += message;
  }

  const CommandSpec& spec_;
  OutputSink* sink_;
  CancelToken* cancel_;
  asio::io_context io_{1};  // first: the objects below need it until they go
  Reader out_, err_;
  asio::posix::stream_descriptor exit_fd_{io_};
  asio::posix::stream_descriptor cancel_fd_{io_};
  asio::steady_timer timer_{io_};  // deadline, then drain window, grace, pipe close
  asio::steady_timer poll_{io_};   // liveness checks during the grace period
  unsigned timer_gen_ = 0, poll_gen_ = 0;
  milliseconds poll_delay_{5};
  Fd out_read_, err_read_;  // the parent's ends, until asio takes them
  std::optional<Process> proc_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool shell_exited_ = false;
  bool sink_failed_ = false;
  Phase phase_ = Phase::Running;
  std::vector<std::string> env_storage_;
  std::vector<const char*> envp_;
  Clock::time_point start_;
  CommandResult result_;
};

}  // namespace

CommandResult ProcessRunner::run(const CommandSpec& spec, OutputSink* sink) {
  try {
    auto session = std::make_unique<Session>(spec, sink, cancel_);
    return session->run();
  } catch (const std::exception& e) {  // before the child exists (Session cleans up after)
    CommandResult r;
    r.spawn_failed = true;
    r.error = std::string("cannot run the command: ") + e.what();
    return r;
  } catch (...) {
    CommandResult r;
    r.spawn_failed = true;
    r.error = "cannot run the command";
    return r;
  }
}

}  // namespace rbk
