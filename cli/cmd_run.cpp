// `rbk run NAME|FILE`: load, bind, open the record, run, report.
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <functional>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/load_runbook.hpp"
#include "cli/note_watch.hpp"
#include "cli/queued_display.hpp"
#include "cli/resume_run.hpp"
#include "cli/run_display.hpp"
#include "cli/terminal.hpp"
#include "cli/tty_operator.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/sha256.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/process_runner.hpp"
#include "interpreter/serve/run_spec.hpp"
#include "interpreter/testing/fixture_record.hpp"

namespace rbk::cli {

namespace {

CancelToken* g_cancel = nullptr;

extern "C" void on_signal(int) {
  // Async-signal-safe: sets a flag and writes to an eventfd. The engine sees
  // it, stops every process of the running command and ends the run.
  if (g_cancel) g_cancel->cancel();
}

/// The signals that cancel the run: Ctrl-C, Ctrl-\ (SIGQUIT, whose default
/// would kill rbk at once and leave the command running), SIGTERM, SIGHUP.
constexpr int kCancelSignals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};

/// These signals cancel the run instead of killing rbk, so the command's
/// processes are stopped and the record is closed properly.
class SignalGuard {
 public:
  explicit SignalGuard(CancelToken& token) {
    g_cancel = &token;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : kCancelSignals) sigaction(s, &sa, &old_[s]);
    // A closed terminal or pipe must not kill rbk mid-run: writes just fail.
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_[SIGPIPE]);
  }
  ~SignalGuard() {
    for (int s : kCancelSignals) sigaction(s, &old_[s], nullptr);
    sigaction(SIGPIPE, &old_[SIGPIPE], nullptr);
    g_cancel = nullptr;
  }

 private:
  struct sigaction old_[32]{};
};

/// The run's private folder for capture files (RBK_CAPTURES): 0700 in
/// $XDG_RUNTIME_DIR (a per-user tmpfs) or the temporary directory, removed
/// when the run ends — captures are not masked, so they never go in the record.
class CaptureDir {
 public:
  explicit CaptureDir(const std::string& run_id) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    fs::path base = runtime && *runtime && fs::is_directory(runtime, ec)
                        ? fs::path(runtime)
                        : fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string tmpl = (base / ("rbk-" + run_id + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;  // mkdtemp makes it 0700
  }
  ~CaptureDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  CaptureDir(const CaptureDir&) = delete;
  CaptureDir& operator=(const CaptureDir&) = delete;
  /// Empty when it could not be made (commands then get no RBK_CAPTURES).
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Why `path` cannot receive a new fixture (empty when it can): it exists, or
/// its directory is missing or not writable.
std::string fixture_target_problem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(path, ec)))
    return "already exists; --record-fixture writes a new file";
  fs::path dir = fs::absolute(path, ec).parent_path();
  if (ec || !fs::is_directory(dir, ec)) return "directory " + dir.string() + " does not exist";
  if (::access(dir.c_str(), W_OK) != 0) return "cannot write in " + dir.string();
  return {};
}

/// `--answer NAME=VALUE` as a map, each NAME an `ask` of the runbook (a
/// called runbook's as CALLED/NAME, checked when it runs); false, said, when
/// one is malformed or names no question. The value's type is checked where
/// the question is asked, as a typed answer would be.
bool read_answers(const std::vector<std::string>& given, const ast::Runbook& rb,
                  std::map<std::string, std::string>& out) {
  const std::vector<std::string> names = ast::question_names(rb);
  for (const auto& arg : given) {
    ParamArg a;
    if (!split_param_arg(arg, a)) {
      write(stderr, "rbk: error: --answer " + arg + ": expected NAME=VALUE\n");
      return false;
    }
    const bool called = a.name.find('/') != std::string::npos;
    if (!called && std::find(names.begin(), names.end(), a.name) == names.end()) {
      std::string hint = did_you_mean(a.name, names);
      write(stderr, "rbk: error: --answer " + a.name + ": runbook " + rb.name.name +
                        " asks no question '" + a.name + "'\n" + "help: " +
                        (!hint.empty()   ? hint
                         : names.empty() ? std::string("it has no 'ask' statement")
                                         : "its questions: " + join(names)) +
                        "\n");
      return false;
    }
    out[a.name] = a.value;
  }
  return true;
}

/// True when a step of `rb` runs `on` targets.
bool runs_on_targets(const ast::Runbook& rb) {
  for (const ast::Step* st : ast::steps_of(rb))
    for (const auto& s : st->body.items)
      if (std::holds_alternative<ast::On>(s)) return true;
  return false;
}

/// Asks for required parameters that were not given; false when one is
/// missing and cannot be asked (no terminal) or the operator gave up.
bool complete_params(RunTarget& rb, TtyOperator& op) {
  for (const ast::Param* p : rb.params.missing) {
    const std::string& name = p->name.name;
    const std::string type = ast::type_name(p->type.kind);
    if (!op.interactive()) {
      write(stderr, "rbk: error: missing required parameter '" + name + "' (" + type +
                        "); give it with -p " + name + "=VALUE\n");
      return false;
    }
    std::string help = p->help ? p->help->plain() : "";
    while (true) {
      auto answer = op.ask(name + " (" + type + (help.empty() ? "" : ", " + help) + "): ");
      if (!answer) {
        write(stderr, "rbk: error: no value for required parameter '" + name + "'\n");
        return false;
      }
      auto v = convert_param(*p, *answer);
      if (v) {
        rb.params.values[name] = std::move(*v);
        break;
      }
      op.say("  " + v.error() + "\n");
    }
  }
  rb.params.missing.clear();
  return true;
}

}  // namespace

int run_run(const RunOptions& opts) {
  CancelToken cancel;
  // Before the runbook, the stdlib and the patterns are loaded: the spawner
  // is a copy of rbk as it is now, and each command's supervisor a copy of
  // the spawner, so the smaller rbk is here the cheaper every command.
  ProcessRunner runner(&cancel);
  runner.prepare();
  // `rbk resume`: the runbook and its parameters are the record's.
  std::unique_ptr<ResumeInput> resume;
  if (opts.resume) {
    int code = kExitUsage;
    resume = open_resume(opts, code);
    if (!resume) return code;
  }
  auto target = resume ? load_run_target(resume->file, resume->params)
                       : load_run_target(opts.target, opts.params);
  if (!target) return kExitUsage;
  const LoadedRunbook& rb = *target->runbook;
  const std::string sha256 = sha256_hex(rb.parsed.source->text());
  const std::map<std::string, std::string> modules =
      rb.modules ? rb.modules->digests() : std::map<std::string, std::string>{};
  if (resume && !check_unchanged(opts, *resume->state, rb.file, sha256, modules))
    return kExitRefused;
  // Checked before anything runs: a run must not end with nowhere to put its fixture.
  std::error_code ec;
  if (!opts.record_fixture.empty()) {
    std::string why = fixture_target_problem(opts.record_fixture);
    if (!why.empty()) {
      write(stderr, "rbk: error: --record-fixture " + opts.record_fixture + ": " + why + "\n");
      return kExitUsage;
    }
  }

  std::map<std::string, std::string> answers;
  if (!read_answers(opts.answers, *rb.parsed.document->runbook(), answers)) return kExitUsage;

  SignalGuard signals(cancel);
  // Past a file-size limit (ulimit -f) a write must fail like a full disk
  // (and stop the run with its record), not kill rbk with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  const bool color = opts.color == "always" ||
                     (opts.color == "auto" && opts.format != "json" && use_color(stdout));
  // Prompts follow --color like the rest of the output (they go to /dev/tty).
  TtyOperator op(opts.non_interactive, &cancel,
                 opts.color == "always" || (opts.color == "auto" && use_color(stderr)));
  if (!complete_params(*target, op)) return cancel.cancelled() ? kExitInterrupted : kExitUsage;
  std::set<std::string> target_filter;
  if (!check_targets(*target, resume ? std::vector<std::string>{} : opts.targets, target_filter))
    return kExitUsage;
  if (resume && !resume->state->run_start().targets &&
      runs_on_targets(*rb.parsed.document->runbook())) {
    // An older rbk's record: whether --target narrowed the run is not known,
    // and running on every host could reach hosts it was kept away from. (A
    // called runbook's step on targets is refused where the run reaches it.)
    write(stderr, "rbk: error: cannot resume " + resume->run_id +
                      ": its record does not say which hosts --target narrowed it to (an older "
                      "rbk wrote it), and the runbook has steps on targets; start a new run\n");
    return kExitRefused;
  }
  if (resume) {
    // A resume narrows its fan-outs as the run did: the replay must meet the
    // batches the record has, and the rest must not reach other hosts. By
    // id, as hosts: a name that became a group since must not widen it.
    for (const std::string& id :
         resume->state->run_start().targets.value_or(std::vector<std::string>{})) {
      if (!rb.scope.config.targets.host(id)) {
        write(stderr, "rbk: error: cannot resume " + resume->run_id + ": host " + id +
                          ", which the run was narrowed to (--target), is no longer in "
                          "rbk.yaml's targets\n");
        return kExitRefused;
      }
      target_filter.insert(id);
    }
  }
  if (resume) {
    if (!decide_in_flight(opts, *resume->state, op))
      return cancel.cancelled() ? kExitInterrupted : kExitRefused;
    resume->state->resume_event().by = op.user();
  }

  // No record, no run: a run that could not be reconstructed afterwards is
  // worse than a clear error now.
  std::string run_id;
  std::string error;
  std::unique_ptr<RunRecord> record;
  if (resume) {
    record = std::move(resume->record);
    run_id = resume->run_id;
  }
  if (opts.serve && !resume) {
    // rbk serve chose the id, so it knows where the record is at once.
    run_id = opts.serve->run_id;
    auto made = RunRecord::create(rb.scope.config.records_dir, run_id);
    if (made)
      record = std::move(*made);
    else
      error = made.error();
  }
  for (int attempt = 0; attempt < 5 && !record && !opts.serve; ++attempt) {
    // Ids have a random suffix; two runs in the same second could still meet.
    run_id = new_run_id();
    auto made = RunRecord::create(rb.scope.config.records_dir, run_id);
    if (made)
      record = std::move(*made);
    else
      error = made.error();
  }
  if (!record) {
    write(stderr, "rbk: error: cannot create the run record: " + error + "\n");
    return kExitUsage;
  }

  const std::string shown_dir = display_path(record->dir());

  std::unique_ptr<Display> shown;
  if (opts.format == "json") {
    shown = std::make_unique<JsonLines>(stdout);
  } else {
    auto text = std::make_unique<TextDisplay>(stdout, color, isatty(STDOUT_FILENO) != 0);
    text->set_record_dir(shown_dir);
    text->set_prompt(&op);
    shown = std::move(text);
  }
  // The bus calls its sinks under its lock: a paused terminal must hold
  // neither the run nor its escalation timers, only what is shown.
  auto display = std::make_unique<QueuedDisplay>(std::move(shown));
  op.set_display(display.get());

  std::unique_ptr<FixtureRecorder> recorder;
  if (!opts.record_fixture.empty()) {
    namespace fs = std::filesystem;
    RecordedInvocation how;
    fs::path dir = fs::absolute(opts.record_fixture, ec).parent_path();
    how.runbook = fs::absolute(rb.file, ec).lexically_proximate(dir).string();
    how.terminal = op.interactive();
    how.approve.insert(opts.approve.begin(), opts.approve.end());
    how.targets = opts.targets;
    how.yes = opts.yes;
    how.force = opts.force;
    how.capture_limit = rb.scope.config.policy.capture_limit;
    recorder = std::make_unique<FixtureRecorder>(how);
  }

  SystemClock clock;
  CaptureDir captures(run_id);
  CalledRunbooks called;  // documents `call` loaded, kept alive
  EngineContext ctx;
  ctx.runner = &runner;
  // Notifications of an interrupted run (`on interrupted`) must still go
  // out; this runner has no cancel token. It starts supervisors only when a
  // notification is sent.
  ProcessRunner notify_runner(nullptr);
  ctx.notify_runner = &notify_runner;
  ctx.op = &op;
  ctx.clock = resume ? &resume->state->clock() : &clock;
  ctx.resume = resume ? resume->state.get() : nullptr;
  ctx.sinks = {record.get(), display.get()};
  if (recorder) ctx.sinks.push_back(recorder.get());
  ctx.cancel = &cancel;
  ctx.config = &rb.scope.config;
  ctx.patterns = &target->patterns;
  ctx.modules = rb.modules.get();
  ctx.run_id = run_id;
  ctx.record_dir = record->dir();
  ctx.capture_dir = captures.path();
  ctx.force = opts.force;
  ctx.yes = opts.yes;
  ctx.approve.insert(opts.approve.begin(), opts.approve.end());
  ctx.answers = answers;
  if (resume && resume->shadow) {
    ctx.shadow = true;
    ctx.park_at_gates = true;  // as it started: nobody answers its gates here
  }
  if (opts.serve) {
    ctx.park_at_gates = true;
    ctx.alert = opts.serve->alert;
    ctx.shadow = ctx.shadow || opts.serve->shadow;
    if (opts.serve->decision) ctx.decisions.insert(*opts.serve->decision);
  }
  // Steps `on` targets: the OpenSSH client, one connection per host, closed
  // when the run ends (its destructor, also on an early return).
  SshRunner ssh(runner, rb.scope.config.ssh);
  ctx.targets = &ssh;
  ctx.target_filter = target_filter;
  const std::vector<std::string> search = rb.call_path();
  ctx.find_runbook = [&](const std::string& name) { return called.find(search, name); };

  RunRequest req;
  req.doc = rb.parsed.document.get();
  req.params = target->params.values;
  req.file = rb.file;
  req.sha256 = sha256;
  req.modules = modules;
  if (resume) {
    const std::string& at = resume->state->stopped_at();
    write(stderr, "rbk: resuming run " + run_id + " of " +
                      rb.parsed.document->runbook()->name.name +
                      (at.empty() ? "" : ", stopped at step " + at) + "\n");
  }
  RunResult result;
  {
    NoteWatch notes(record->dir(), *display);  // `rbk note` from other terminals, shown here
    result = run_runbook(ctx, req);
  }
  ssh.finish();
  op.set_display(nullptr);
  display.reset();  // everything queued written (the summary last), the ticker stopped
  if (resume && resume->state->stopped()) {
    write(stderr, "rbk: stopped; nothing more was run or recorded (rbk resume " + run_id +
                      " asks again)\n");
    return resume->state->stopped_by_signal() ? kExitInterrupted : kExitRefused;
  }
  if (resume && !resume->state->divergence().empty()) {
    write(stderr, "rbk: error: cannot resume " + run_id +
                      ": the runbook no longer makes the run its record shows (" +
                      resume->state->divergence() + "); nothing more was run or recorded\n");
    return kExitRefused;
  }
  if (result.outcome == Outcome::Interrupted)
    write(stderr, "rbk: the run was interrupted; rbk resume " + run_id + " continues it\n");
  if (result.outcome == Outcome::Parked)
    write(stderr, "rbk: the run waits at step " + result.failed_step + " for rbk approve " +
                      run_id + " " + result.failed_step + "\n");
  if (!result.message.empty() &&
      (result.outcome == Outcome::Error || result.outcome == Outcome::RecordFailed))
    write(stderr, "rbk: error: " + result.message + "\n");
  if (recorder) {
    if (auto written = write_atomically(opts.record_fixture, recorder->yaml()))
      write(stderr, "rbk: fixture written to " + opts.record_fixture + " (replay: rbk test " +
                        opts.record_fixture + ")\n");
    else
      write(stderr,
            "rbk: error: cannot write " + opts.record_fixture + ": " + written.error() + "\n");
  }
  if (!record->error().empty() && result.outcome != Outcome::RecordFailed) {
    // Cannot happen (the engine stops at the first record error); never exit 0 if it does.
    write(stderr, "rbk: error: the run record is incomplete: " + record->error() + "\n");
    return kExitRecordFailed;
  }
  return result.exit_code;
}

int run_serve_run(const std::string& spec_file) {
  auto text = read_regular_file(spec_file, size_t{1} << 20);
  if (!text) {
    write(stderr, "rbk: error: " + spec_file + ": " + text.error() + "\n");
    return kExitUsage;
  }
  auto spec = parse_serve_run_spec(*text);
  if (!spec) {
    write(stderr, "rbk: error: " + spec_file + ": " + spec.error() + "\n");
    return kExitUsage;
  }
  RunOptions opts;
  opts.serve = &*spec;
  opts.non_interactive = true;  // nobody at a terminal: gates park
  opts.color = "never";
  opts.resume = spec->resume;
  if (spec->resume)
    opts.run_id = spec->run_id;
  else {
    opts.target = spec->runbook;
    opts.params = spec->params;
  }
  return run_run(opts);
}

}  // namespace rbk::cli
