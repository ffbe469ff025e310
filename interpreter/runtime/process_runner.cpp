// ProcessRunner: rbk's side of running a command. The per-command supervisor
// (supervisor.cpp) starts the shell and ends its processes; this file sets it
// up, reads the output, keeps the deadline, passes cancellation on and turns
// the supervisor's reports into a CommandResult. One poll() loop per run, on
// the caller's thread.
#include "interpreter/runtime/process_runner.hpp"
#include "interpreter/base/fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <memory>
#include <system_error>
#include <unordered_set>

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "interpreter/runtime/supervisor.hpp"

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

namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;  // not Clock: rbk::Clock is the engine's

// A year: long enough to mean "very long", short enough not to overflow
// steady_clock arithmetic.
constexpr milliseconds kLongest = std::chrono::hours(24 * 365);

// Beyond the supervisor's own bounds (grace, kill window), how long rbk waits
// for it to finish stopping a command before it kills the supervisor. Only a
// supervisor that is itself stopped or stuck needs it.
constexpr milliseconds kSupervisorSlack{5000};

// After the command's deadline, how long the supervisor waits for rbk's stop
// before it stops the command itself (SupervisorSpec::backstop). rbk's own
// stop comes first whenever rbk can act; the margin only keeps the two apart.
constexpr milliseconds kBackstopMargin{1000};

milliseconds clamp(milliseconds d) {
  return std::clamp(d, milliseconds{0}, kLongest);
}

// write() that cannot kill rbk with SIGPIPE when the pipe's readers are gone
// (a shell may exit without reading its input): rbk's CLI ignores SIGPIPE
// during a run, but a runner must not depend on its caller for that. The
// signal is blocked on this thread for the call, and one the call raised
// (sent to this thread) is taken back before the mask is restored; what is
// left is EPIPE.
ssize_t write_without_sigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_only, old;
  ::sigemptyset(&pipe_only);
  ::sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  ::sigpending(&pending);
  bool was_pending = ::sigismember(&pending, SIGPIPE) == 1;  // someone else's: left alone
  ssize_t n = ::write(fd, data, size);
  int saved = errno;
  if (n == -1 && saved == EPIPE && !was_pending) {
    timespec now{};
    while (::sigtimedwait(&pipe_only, nullptr, &now) == -1 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

// waitpid() that survives signal handlers installed without SA_RESTART.
int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
  }
  return status;
}

// One run of one command: the supervisor, the output pipes, the deadline.
class Session {
 public:
  Session(const CommandSpec& spec, OutputSink* sink, CancelToken* cancel, Spawner& spawner)
      : spec_(spec),
        spawner_(spawner),
        sink_(sink),
        cancel_(cancel),
        out_{Stream::Out, OutputCapture(spec.capture_limit), UniqueFd()},
        err_{Stream::Err, OutputCapture(spec.capture_limit), UniqueFd()} {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ~Session() {
    if (sup_.pid > 0) {      // only reached when something threw: end of file on
      sup_.channel.reset();  // the channel makes the supervisor stop the command
      reap(sup_.pid);
    }
  }

  CommandResult run() {
    start_ = Steady::now();
    if (check_spec() && spawn()) {
      try {
        loop();
      } catch (const std::exception& e) {
        note(std::string("internal error while running the command: ") + e.what());
      }
      close_input();  // closed already, unless the loop threw
      if (idle_) {    // clean and waiting: the next command may use it
        spawner_.give_back(sup_);
      } else if (sup_.pid > 0) {  // the loop did not see the supervisor exit: make it stop
        sup_.channel.reset();
        reap(sup_.pid);
        sup_.pid = -1;
      }
    }
    result_.out = out_.capture.finish();
    result_.err = err_.capture.finish();
    result_.duration = std::chrono::duration_cast<milliseconds>(Steady::now() - start_);
    return std::move(result_);
  }

 private:
  // Where the command is in its life.
  enum class Phase {
    Running,   // until the shell exits, the deadline passes or a cancel
    Draining,  // the shell exited; the pipes get kDrainWindow to close
    Stopping,  // a stop or release was asked for; until the supervisor exits
    Closing,   // the supervisor exited; the pipes get kPipeCloseWindow to close
    Done,
  };

  // Why a stop of the whole tree was asked for.
  enum class Reason { None, Timeout, Cancel };

  struct Reader {
    Stream stream;
    OutputCapture capture;
    UniqueFd fd;
  };

  // --- before the supervisor exists

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
    // The caller's entries as they are (copied before the command starts:
    // into the spawner's request, or the forked supervisor's memory), then ours.
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      if (!names.count(entry.substr(0, entry.find('=')))) envp_.push_back(*e);
    }
    for (size_t i = 0; i < spec_.env.size(); ++i) {
      const auto& [name, value] = spec_.env[i];
      bool overridden_later =
          std::any_of(spec_.env.begin() + static_cast<std::ptrdiff_t>(i) + 1, spec_.env.end(),
                      [&](const auto& later) { return later.first == name; });
      if (!overridden_later) env_storage_.push_back(name + "=" + value);
    }
    for (std::string& entry : env_storage_) envp_.push_back(entry.data());
    envp_.push_back(nullptr);
    return true;
  }

  bool spawn() {
    SupervisorSpec s;
    s.script = spec_.script.c_str();
    s.envp = envp_.data();
    s.working_dir = spec_.working_dir.empty() ? nullptr : spec_.working_dir.c_str();
    s.grace = clamp(spec_.grace);
    s.kill_window = kKillWindow;
    // None past what the request carries (INT_MAX ms, 24 days): it must
    // never come before rbk's own deadline.
    if (milliseconds backstop = clamp(spec_.timeout) + kBackstopMargin; backstop.count() < INT_MAX)
      s.backstop = backstop;
    s.stdin_pipe = spec_.input.has_value();
    auto started = spawner_.start(s);
    if (!started) return fail(started.error());
    sup_ = std::move(*started);
    out_.fd = std::move(sup_.out);
    err_.fd = std::move(sup_.err);
    in_ = std::move(sup_.in);
    due_ = start_ + clamp(spec_.timeout);
    return true;
  }

  // --- the event loop

  void loop() {
    while (phase_ != Phase::Done) {
      std::array<pollfd, 5> fds{};
      size_t n = 0;
      auto watch = [&](int fd, short events = POLLIN) {
        if (fd < 0) return -1;
        fds[n] = {fd, events, 0};
        return static_cast<int>(n++);
      };
      int out = watch(out_.fd.get());
      int err = watch(err_.fd.get());
      // Only while bytes are left: once all are written the pipe stays open
      // (no end of file) but is not watched, as it would always be writable.
      int in = input_left() > 0 ? watch(in_.get(), POLLOUT) : -1;
      int channel = idle_ ? -1 : watch(sup_.channel.get());
      // The token stays readable once cancelled: watched only while a cancel
      // still changes something.
      int cancel = cancel_ && (phase_ == Phase::Running || phase_ == Phase::Draining)
                       ? watch(cancel_->fd())
                       : -1;
      if (::poll(fds.data(), n, timeout_ms()) == -1) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      if (out >= 0 && fds[static_cast<size_t>(out)].revents) read(out_);
      if (err >= 0 && fds[static_cast<size_t>(err)].revents) read(err_);
      if (in >= 0 && fds[static_cast<size_t>(in)].revents) write_input();
      if (channel >= 0 && fds[static_cast<size_t>(channel)].revents) on_channel();
      if (cancel >= 0 && fds[static_cast<size_t>(cancel)].revents) on_cancel();
      on_time(Steady::now());
    }
  }

  // Until the current phase's deadline or window ends, for poll().
  int timeout_ms() const {
    auto left = std::chrono::ceil<milliseconds>(due_ - Steady::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
  }

  // Moves to `next`, which lasts until `until` at the most.
  void enter(Phase next, Steady::time_point until) {
    phase_ = next;
    due_ = until;
  }

  void on_time(Steady::time_point now) {
    if (now < due_) return;
    switch (phase_) {
      case Phase::Running:  // the deadline
        return stop(Reason::Timeout);
      case Phase::Draining:
        return release();
      case Phase::Stopping:  // unreaped, so its pid cannot belong to anyone else yet
        ::kill(sup_.pid, SIGKILL);
        supervisor_killed_ = true;
        due_ = Steady::time_point::max();  // its end of file follows
        return note("the command's supervisor did not finish stopping it and was killed");
      case Phase::Closing:
        note(
            "the output pipes stayed open after the command ended (a process that left its "
            "process group holds them); later output is lost");
        phase_ = Phase::Done;
        return;
      case Phase::Done:
        return;
    }
  }

  static constexpr size_t kSlice = 64 * 1024;

  void read(Reader& r) {
    // As much as the pipe holds (1 MiB, see make_pipe), into one buffer per
    // thread: a fresh megabyte per command would be a fresh mmap each time.
    thread_local std::vector<char> buf(size_t{1} << 20);
    ssize_t n = ::read(r.fd.get(), buf.data(), buf.size());
    if (n > 0) {
      // Handed on in slices of 64 KiB: what the sinks build per chunk (an
      // event line, a masked copy) then stays small enough for the heap to
      // reuse, where a megabyte would be fresh pages from the kernel each time.
      std::string_view got(buf.data(), static_cast<size_t>(n));
      for (size_t at = 0; at < got.size(); at += kSlice) deliver(r, got.substr(at, kSlice));
      return;
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) return;
    r.fd.reset();  // end of file (or an error: nothing more will come)
    if (pipes_open()) return;
    if (phase_ == Phase::Draining) release();
    if (phase_ == Phase::Closing) phase_ = Phase::Done;
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

  bool pipes_open() const { return out_.fd.get() >= 0 || err_.fd.get() >= 0; }

  // Bytes of spec.input not written yet; 0 once the stdin pipe is closed.
  size_t input_left() const {
    return in_.get() >= 0 && spec_.input ? spec_.input->size() - input_at_ : 0;
  }

  // As much of the rest of the input as the pipe takes now (it is
  // nonblocking). POLLERR, too, lands here: write() then says why.
  void write_input() {
    ssize_t n = write_without_sigpipe(in_.get(), spec_.input->data() + input_at_, input_left());
    if (n > 0) {
      input_at_ += static_cast<size_t>(n);
      return;
    }
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) return;
    // EPIPE: nothing reads the pipe any more (the shell exited, or closed
    // its stdin), so nothing can: the rest is dropped, which is not an error.
    in_.reset();
  }

  // End of file on the shell's stdin, once the shell has exited (on its own
  // or stopped; what it left running may still read and sees the end now)
  // or the supervisor is done. Not when a stop is only asked for: a `cat`
  // would end on the end of file before the TERM, and a timed-out command
  // look like one that finished. Closing twice is a no-op.
  void close_input() { in_.reset(); }

  void on_channel() {
    SupervisorReport report;
    ssize_t n = ::recv(sup_.channel.get(), &report, sizeof report, MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(sizeof report)) return on_report(report);
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) return;
    on_supervisor_exit();  // end of file: the supervisor is gone
  }

  void on_report(const SupervisorReport& report) {
    if (report.kind == kReportStarted) {
      result_.pid = report.value;
      if (sink_ && !sink_failed_) sink_->on_started(report.value);
    } else if (report.kind == kReportSpawnFailed) {
      std::string where = spec_.working_dir.empty() ? "" : " in '" + spec_.working_dir + "'";
      fail("cannot start /bin/sh" + where + ": " + errno_text(report.value));
    } else if (report.kind == kReportExited) {
      on_shell_exit(report);
    } else if (report.kind == kReportIdle) {
      on_supervisor_idle();
    }
  }

  void on_shell_exit(const SupervisorReport& report) {
    shell_ended_ = true;
    close_input();
    if (report.pid > 0) result_.pid = report.pid;
    if (report.value == CLD_EXITED)
      result_.exit_code = report.status;
    else
      result_.signal = report.status;  // CLD_KILLED or CLD_DUMPED
    if (report.deadline && phase_ == Phase::Running) {
      // The supervisor stopped it at the backstop, as rbk's deadline would
      // have: rbk could not act in time (its output blocked, or stopped).
      reason_ = Reason::Timeout;
      enter(Phase::Stopping, Steady::now() + clamp(spec_.grace) + kKillWindow + kSupervisorSlack);
    }
    if (report.stopped) {  // ended by the stop, not on its own at the last moment
      result_.timed_out = reason_ == Reason::Timeout;
      result_.cancelled = reason_ == Reason::Cancel;
    }
    if (phase_ != Phase::Running) return;
    if (report.clean) {
      // Nothing is left to stop: the supervisor is idle already, or
      // finishes on its own; the pipes reach end of file as soon as they
      // are drained.
      if (report.idle) return on_supervisor_idle();
      enter(Phase::Stopping, Steady::now() + clamp(spec_.grace) + kKillWindow + kSupervisorSlack);
      return;
    }
    if (!pipes_open()) return release();
    // Background processes may still hold the pipes.
    enter(Phase::Draining, Steady::now() + kDrainWindow);
  }

  void on_cancel() {
    if (phase_ == Phase::Running)
      stop(Reason::Cancel);
    else if (phase_ == Phase::Draining)
      release();  // the command itself had finished: only leftovers are stopped
  }

  // Stops the whole tree (TERM, grace, KILL; the supervisor does it).
  void stop(Reason why) {
    reason_ = why;
    request(SupervisorRequest::Stop);
  }

  // The command is over: the supervisor ends what is left in its group and
  // releases what left it.
  void release() { request(SupervisorRequest::Release); }

  void request(SupervisorRequest what) {
    char byte = static_cast<char>(what);
    // Fails only when the supervisor is gone, which end of file then tells.
    while (::send(sup_.channel.get(), &byte, 1, MSG_NOSIGNAL) == -1 && errno == EINTR) {
    }
    enter(Phase::Stopping, Steady::now() + clamp(spec_.grace) + kKillWindow + kSupervisorSlack);
  }

  void on_supervisor_exit() {
    sup_.channel.reset();
    int status = reap(sup_.pid);
    sup_.pid = -1;
    if (WIFSIGNALED(status) && !supervisor_killed_) {
      note("the command's supervisor was killed by signal " + std::to_string(WTERMSIG(status)) +
           "; what the command started may still run");
    }
    supervisor_done();
  }

  // The supervisor finished the command as on its exit, but stays for the
  // next one (it is given back to the spawner once the pipes are done).
  void on_supervisor_idle() {
    idle_ = true;
    supervisor_done();
  }

  // The supervisor is done with the command (exited, or idle): only the
  // pipes may still be open.
  void supervisor_done() {
    close_input();
    if (!shell_ended_ && !result_.spawn_failed) note("lost the command's exit status");
    enter(pipes_open() ? Phase::Closing : Phase::Done, Steady::now() + kPipeCloseWindow);
  }

  void note(const std::string& message) {
    if (!result_.error.empty()) result_.error += "; ";
    result_.error += message;
  }

  const CommandSpec& spec_;
  Spawner& spawner_;
  OutputSink* sink_;
  CancelToken* cancel_;
  Reader out_, err_;
  UniqueFd in_;          // the write end of the shell's stdin pipe, with spec.input
  size_t input_at_ = 0;  // how much of spec.input was written to it
  SupervisorHandle sup_;
  Phase phase_ = Phase::Running;
  Reason reason_ = Reason::None;
  bool shell_ended_ = false;
  bool supervisor_killed_ = false;
  bool idle_ = false;  // the supervisor reported kReportIdle
  bool sink_failed_ = false;
  std::vector<std::string> env_storage_;  // the entries spec.env makes
  std::vector<char*> envp_;               // environ's kept entries, then those
  Steady::time_point start_;
  Steady::time_point due_;  // when the current phase ends at the latest
  CommandResult result_;
};

}  // namespace

CommandResult ProcessRunner::run(const CommandSpec& spec, OutputSink* sink) {
  try {
    auto session = std::make_unique<Session>(spec, sink, cancel_, spawner_);
    return session->run();
  } catch (const std::exception& e) {  // before the supervisor exists (Session cleans up after)
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
