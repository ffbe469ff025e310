// rbk's entry point: argument parsing (CLI11's parser is included here and
// in cli_model.cpp, which reads the definition back for man pages and
// completions; cmd_version.cpp reads only its version macros), then one
// subcommand. Nothing escapes as an exception: a bug prints one line and
// exits with a usage code instead of a stack trace.
#include <CLI/CLI.hpp>

#include <exception>
#include <memory>

#include "cli/cli_model.hpp"
#include "cli/commands.hpp"
#include "cli/terminal.hpp"

namespace {

/// The options `run` and `plan` share.
void add_run_target(CLI::App* sub, rbk::cli::RunOptions& run) {
  sub->add_option("runbook", run.target, "A runbook name on the runbook path, or a .rbk file")
      ->required();
  sub->add_option("-p,--param", run.params, "Set a parameter: -p name=value (repeatable)");
}

/// `--format text|json` of `run` and `resume`, and `--json`, its older
/// spelling, kept as an alias: both set the one field, so `--json --format
/// text` contradicts itself and is refused rather than one of them ignored.
void add_event_format(CLI::App* sub, std::string& format, bool& json) {
  auto* given = sub->add_option("--format", format,
                                "Output format: text, or json (the event stream as JSON lines)")
                    ->check(CLI::IsMember({"text", "json"}))
                    ->default_str("text");
  sub->add_flag("--json", json, "Same as --format json");
  sub->callback([&format, &json, given] {
    if (!json) return;
    if (given->count() > 0 && format != "json")
      throw CLI::ValidationError("--json",
                                 "means --format json; it cannot be given with --format " + format);
    format = "json";
  });
}

struct Options {
  rbk::cli::CheckOptions check;
  rbk::cli::ParseOptions parse;
  rbk::cli::RunOptions run;
  rbk::cli::RunOptions plan;
  rbk::cli::RunOptions resume;
  rbk::cli::ListOptions list;
  rbk::cli::HistoryOptions history;
  rbk::cli::NoteOptions note;
  rbk::cli::ReportOptions report;
  rbk::cli::LintCmdOptions lint;
  rbk::cli::TestOptions test;
  rbk::cli::RunOptions show;
  rbk::cli::FmtOptions fmt;
  rbk::cli::VersionOptions version;
  bool run_json = false;     // `run --json`, folded into run.format
  bool resume_json = false;  // `resume --json`, folded into resume.format
  std::string help_topic;
  std::string shell;                          // completion
  std::string complete_kind, complete_after;  // __complete
  std::string man_dir;                        // __man
  std::string serve_spec;                     // __serve-run
  rbk::cli::ServeOptions serve;
  rbk::cli::ApproveOptions approve, deny;
  rbk::cli::RunsOptions runs;
};

/// The first word of the command line (the command), alone made with its
/// options; "" when every command is made with its options (help,
/// completion scripts, man pages); "-" when there is no word (`rbk
/// --version`): every command is made, without its options (but `lsp`'s
/// --stdio, as before). main() does the same for a word that names no
/// command, which CLI11 then refuses as before. CLI11 builds each command
/// and option eagerly: building all of them was a third of the
/// instructions of `rbk check` (issue 12).
std::string_view only_command(int argc, char** argv) {
  static constexpr std::string_view kNeedAll[] = {"help", "completion", "__man"};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.empty() || a[0] == '-') continue;  // rbk's own options take no value
    for (auto n : kNeedAll)
      if (a == n) return {};
    return a;
  }
  return "-";
}

void build(CLI::App& app, Options& o, std::string_view only) {
  // Only `only` gets its options; no other command is made at all (CLI11
  // builds each command's help flag and formatters eagerly: a quarter of
  // `rbk check`'s own instructions before it read a file), except that with
  // no command named ("-") each is made without its options, for the help.
  auto wanted = [only](std::string_view name) { return only.empty() || only == name; };
  auto command = [&](const char* name, const char* description) -> CLI::App* {
    return only == "-" || wanted(name) ? app.add_subcommand(name, description) : nullptr;
  };
  auto& check = o.check;
  auto& parse = o.parse;
  auto& help_topic = o.help_topic;
  app.set_version_flag("--version", std::string("rbk ") + RBK_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "Run 'rbk help COMMAND' for one command's options.\n"
      "Exit codes: 0 ok, 1 errors found / run failed and rolled back, 2 usage error,\n"
      "3 run failed and not restored, 4 refused at a gate, 5 run record could not be written,\n"
      "130 interrupted (docs/cli.md).");

  auto* c = command("check", "Parse and validate runbooks; report errors only");
  if (wanted("check")) {
    c->add_option("paths", check.paths, "Files, or directories searched for *.rbk")->required();
    c->add_option("--format", check.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    c->add_flag("--verbose", check.verbose,
                "Also list the inventory variables rbk does not use (as notes)");
  }

  auto* p = command("parse", "Parse one file; with --ast print its syntax tree as JSON");
  if (wanted("parse")) {
    p->add_option("file", parse.path, "The .rbk file")->required();
    p->add_flag("--ast", parse.ast, "Print the AST as JSON (with source spans)");
  }

  auto* r = command("run", "Run a runbook step by step, with gates, rollback and a record");
  if (wanted("run")) {
    add_run_target(r, o.run);
    r->add_flag("--dry-run", o.run.dry_run, "Show the plan; run nothing (same as 'rbk plan')");
    r->add_flag("--force", o.run.force, "Go on even when no alert signal is firing");
    r->add_flag("--non-interactive", o.run.non_interactive,
                "Never prompt; gates pass only with --approve");
    r->add_flag("--yes", o.run.yes,
                "Answer y/N gates; without a terminal only non-destructive ones (never typed)");
    r->add_option("--approve", o.run.approve, "Approve the gate of STEP (repeatable)");
    r->add_option("--answer", o.run.answers,
                  "Answer the question 'ask NAME' with VALUE instead of asking (NAME=VALUE, "
                  "repeatable)");
    r->add_option("--target", o.run.targets,
                  "Run steps 'on' targets only on this host or group from rbk.yaml (repeatable)");
    add_event_format(r, o.run.format, o.run_json);
    r->add_option("--record-fixture", o.run.record_fixture,
                  "Also write what the run saw as a fixture for 'rbk test' (a new FILE)");
    r->add_option("--color", o.run.color, "Colour: auto (terminal only), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->default_str("auto");
  }

  auto* re = command("resume",
                     "Continue a run that died or was interrupted, without repeating what it did");
  if (wanted("resume")) {
    re->add_option("run_id", o.resume.run_id, "The run (default: the newest one that can resume)");
    re->add_flag("--non-interactive", o.resume.non_interactive,
                 "Never prompt; a destructive step that was running is decided only by a flag");
    re->add_flag("--yes", o.resume.yes,
                 "Answer y/N gates; without a terminal only non-destructive ones (never typed)");
    re->add_option("--approve", o.resume.approve,
                   "Approve the gate of STEP; for the step that was running: run it again");
    re->add_option("--answer", o.resume.answers,
                   "Answer the question 'ask NAME' with VALUE instead of asking (NAME=VALUE, "
                   "repeatable)");
    re->add_option("--assume-done", o.resume.assume_done,
                   "Count the command of STEP that was running as done, without running it");
    re->add_option(
        "--assume-failed", o.resume.assume_failed,
        "Count the command of STEP that was running as failed (undo and rollback follow)");
    re->add_flag("--allow-changed", o.resume.allow_changed,
                 "Resume although the runbook changed since the run started (recorded)");
    add_event_format(re, o.resume.format, o.resume_json);
    re->add_option("--color", o.resume.color, "Colour: auto (terminal only), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->default_str("auto");
  }

  auto* pl = command("plan", "Show what a run would do: commands, gates, branches");
  if (wanted("plan")) {
    add_run_target(pl, o.plan);
    pl->add_option("--target", o.plan.targets,
                   "Show steps 'on' targets only on this host or group from rbk.yaml (repeatable)");
    pl->add_option("--format", o.plan.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
  }

  auto* l = command("list", "List the runbooks on the runbook path");
  if (wanted("list")) {
    l->add_option("--format", o.list.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
  }

  auto* hi = command("history", "List past runs from the records directory");
  if (wanted("history")) {
    hi->add_option("--format", o.history.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    hi->add_option("-n,--limit", o.history.limit, "Show the newest N runs (0: all)")
        ->check(CLI::Range(0, 1000000))
        ->default_str("20");
    hi->add_flag("--verify", o.history.verify,
                 "Check each listed run's output files against the digests its record kept "
                 "(exit 1 when one changed or is gone)");
  }

  auto* no =
      command("note", "Add a timestamped note to a run's timeline (default: the run going now)");
  if (wanted("note")) {
    no->add_option("args", o.note.args, "[RUN_ID] TEXT: the run (see rbk history), then the note")
        ->required()
        ->expected(1, 2);
  }

  auto* rp = command("report",
                     "Draft the post-incident report of a run from its record (Markdown or JSON)");
  if (wanted("report")) {
    rp->add_option("run_id", o.report.run_id, "The run (default: the newest one)");
    rp->add_option("--format", o.report.format, "Output format")
        ->check(CLI::IsMember({"md", "json"}))
        ->default_str("md");
    rp->add_option("-o,--output", o.report.output,
                   "Write the report to FILE (replaced atomically)");
    rp->add_flag("--verify", o.report.verify,
                 "Check every recorded output file against its sha256; write no report");
  }

  auto* li = command("lint", "Check runbooks and apply the safety and style rules (CI)");
  if (wanted("lint")) {
    li->add_option("paths", o.lint.paths, "Files, or directories searched for *.rbk");
    li->add_option("--format", o.lint.format, "Output format")
        ->check(CLI::IsMember({"text", "json", "sarif", "github"}))
        ->default_str("text");
    li->add_option("--max-warnings", o.lint.max_warnings, "Fail when there are more warnings")
        ->check(CLI::Range(0, 1000000));
    li->add_flag("--no-shellcheck", o.lint.no_shellcheck, "Do not run ShellCheck");
  }

  auto* sh = command(
      "show", "A runbook as Markdown for a wiki or status doc: steps, commands, gates, escalation");
  if (wanted("show")) {
    add_run_target(sh, o.show);
    sh->add_option("--format", o.show.format, "Output format")
        ->check(CLI::IsMember({"markdown", "json"}))
        ->default_str("markdown");
  }

  auto* te = command("test",
                     "Run fixture cases against runbooks: scripted commands, no real command runs");
  if (wanted("test")) {
    te->add_option("paths", o.test.paths,
                   "Fixtures (*.test.yaml), runbooks (their fixtures) or directories");
    te->add_option("--format", o.test.format, "Output format")
        ->check(CLI::IsMember({"text", "junit", "json"}))
        ->default_str("text");
  }

  auto* f = command("fmt", "Rewrite runbooks in the canonical layout");
  if (wanted("fmt")) {
    f->add_option("paths", o.fmt.paths, "Files, or directories searched for *.rbk");
    auto* fc =
        f->add_flag("--check", o.fmt.check, "List unformatted files (exit 1); change nothing");
    f->add_flag("--diff", o.fmt.diff, "Print a unified diff; change nothing")->excludes(fc);
    f->add_option("--format", o.fmt.format, "Output format (json: one document for every file)")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
  }

  auto* v = command("version", "Show rbk's version (json: also its build and libraries)");
  if (wanted("version")) {
    v->add_option("--format", o.version.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
  }

  if (auto* ls = command("lsp", "Start the language server on stdin/stdout (for editors)")) {
    ls->add_flag("--stdio")->description("Speak over stdin/stdout: the default and only transport");
  }

  auto* h = command("help", "Show help for a command");
  if (wanted("help")) {
    h->add_option("command", help_topic, "The command");
  }

  auto* co = command("completion", "Print the shell completion script for SHELL");
  if (wanted("completion")) {
    co->add_option("shell", o.shell, "The shell")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  }

  auto* sv = command("serve",
                     "Receive Alertmanager's webhook: alerts start runbooks by rbk.yaml's routes");
  if (wanted("serve")) {
    sv->add_option("--listen", o.serve.listen, "ADDRESS:PORT to listen on (127.0.0.1:9095)");
    sv->add_option("--approver-token-file", o.serve.approver_token_file,
                   "A second bearer token, for approvals over HTTP (rbk approve --server)");
    sv->add_option("--token-file", o.serve.token_file,
                   "A file holding the bearer token requests must send; required beyond 127.0.0.1");
    sv->add_option("--socket-group", o.serve.socket_group,
                   "Open the Unix socket to GROUP: its members approve as themselves");
  }
  for (auto [name, opts, help] :
       {std::tuple{"approve", &o.approve, "Approve the gate a run started by an alert waits at"},
        std::tuple{"deny", &o.deny, "Refuse the gate a run started by an alert waits at"}}) {
    auto* a = command(name, help);
    if (!wanted(name)) continue;
    a->add_option("run_id", opts->run_id, "The run (see rbk runs)")->required();
    a->add_option("step", opts->step, "The step whose gate it waits at")->required();
    a->add_flag("--yes", opts->yes, "Decide without asking (without a terminal)");
    if (opts == &o.approve)
      a->add_option("--typed", opts->typed, "A typed gate's value, given without a terminal");
    a->add_option("--server", opts->server,
                  "Reach rbk serve over HTTP (http://HOST:PORT) instead of its Unix socket");
    a->add_option("--token-file", opts->token_file, "The bearer token for --server, from a file");
  }
  o.deny.deny = true;
  auto* rs = command("runs", "The runs rbk serve started and where each one is");
  if (wanted("runs")) {
    rs->add_option("--format", o.runs.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    rs->add_flag("--all", o.runs.all, "Also the runs that are over");
    rs->add_option("--reset-breaker", o.runs.reset_breaker,
                   "Close ROUTE's circuit breaker: automatic approvals resume");
  }

  // Internal, in no group (so in no help, page or completion): the
  // completion scripts' questions, and the build's man pages.
  if (auto* cq = command("__complete", "")) {
    cq->group("");
    if (wanted("__complete")) {
      cq->add_option("kind", o.complete_kind)->required();
      cq->add_option("runbook", o.complete_after);
    }
  }
  if (auto* mn = command("__man", "")) {
    mn->group("");
    if (wanted("__man")) mn->add_option("dir", o.man_dir)->required();
  }
  // A run started or resumed by rbk serve, from its spec file (serve/run_spec).
  if (auto* sr = command("__serve-run", "")) {
    sr->group("");
    if (wanted("__serve-run")) sr->add_option("spec", o.serve_spec)->required();
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto app_ptr = std::make_unique<CLI::App>("rbk: declarative incident runbooks", "rbk");
    auto options = std::make_unique<Options>();
    const std::string_view only = only_command(argc, argv);
    build(*app_ptr, *options, only);
    if (!only.empty() && only != "-" && app_ptr->get_subcommands({}).empty()) {
      // The first word names no command: every command is made (as when
      // none is named), and CLI11 refuses the word as it always did.
      app_ptr = std::make_unique<CLI::App>("rbk: declarative incident runbooks", "rbk");
      options = std::make_unique<Options>();
      build(*app_ptr, *options, "-");
    }
    CLI::App& app = *app_ptr;
    Options& o = *options;
    auto& help_topic = o.help_topic;
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // --help and --version arrive here as "errors" with exit code 0.
      if (e.get_exit_code() == 0) {
        app.exit(e);
        return rbk::cli::kExitOk;
      }
      rbk::cli::write(stderr, std::string("rbk: error: ") + e.what() +
                                  "\nRun 'rbk --help' or 'rbk help COMMAND' for usage.\n");
      return rbk::cli::kExitUsage;
    }
    // The command parsed, found once. Not got_subcommand(), which throws
    // for a command never made, nor get_subcommands(), which leaves out a
    // command given after `--` though CLI11 parsed it.
    std::string_view ran;
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->parsed()) ran = sub->get_name();
    auto got = [ran](std::string_view name) { return ran == name; };
    if (got("check")) return rbk::cli::run_check(o.check);
    if (got("parse")) return rbk::cli::run_parse(o.parse);
    if (got("run")) return o.run.dry_run ? rbk::cli::run_plan(o.run) : rbk::cli::run_run(o.run);
    if (got("resume")) {
      o.resume.resume = true;
      return rbk::cli::run_run(o.resume);
    }
    if (got("plan")) return rbk::cli::run_plan(o.plan);
    if (got("list")) return rbk::cli::run_list(o.list);
    if (got("history")) return rbk::cli::run_history(o.history);
    if (got("note")) return rbk::cli::run_note(o.note);
    if (got("report")) return rbk::cli::run_report(o.report);
    if (got("lint")) return rbk::cli::run_lint(o.lint);
    if (got("fmt")) return rbk::cli::run_fmt(o.fmt);
    if (got("test")) return rbk::cli::run_test(o.test);
    if (got("show")) return rbk::cli::run_show(o.show);
    if (got("lsp")) return rbk::cli::run_lsp();
    if (got("__complete")) return rbk::cli::run_complete(o.complete_kind, o.complete_after);
    if (got("completion")) return rbk::cli::run_completion(rbk::cli::describe(app), o.shell);
    if (got("__man")) return rbk::cli::run_man(rbk::cli::describe(app), o.man_dir);
    if (got("__serve-run")) return rbk::cli::run_serve_run(o.serve_spec);
    if (got("serve")) return rbk::cli::run_serve(o.serve);
    if (got("approve")) return rbk::cli::run_approve(o.approve);
    if (got("deny")) return rbk::cli::run_approve(o.deny);
    if (got("runs")) return rbk::cli::run_runs(o.runs);
    if (got("version")) return rbk::cli::run_version(o.version);
    if (got("help")) {
      if (help_topic.empty()) {
        // app.help() would describe the `help` command itself (CLI11 shows
        // the help of the subcommand that was parsed): format rbk's own.
        rbk::cli::write(stdout,
                        app.get_formatter()->make_help(&app, "rbk", CLI::AppFormatMode::Normal));
        return rbk::cli::kExitOk;
      }
      for (auto* sub : app.get_subcommands({})) {
        if (sub->get_name() == help_topic) {
          rbk::cli::write(stdout, sub->help());
          return rbk::cli::kExitOk;
        }
      }
      rbk::cli::write(stderr, "rbk: error: unknown command '" + help_topic + "'\n");
      return rbk::cli::kExitUsage;
    }
    // No command: a usage error, so the help goes to stderr.
    rbk::cli::write(stderr, app.help());
    return rbk::cli::kExitUsage;
  } catch (const std::exception& e) {
    rbk::cli::write(
        stderr, std::string("rbk: internal error: ") + e.what() +
                    "\nThis is a bug in rbk; please report it with the input that caused it.\n");
    return rbk::cli::kExitUsage;
  } catch (...) {
    rbk::cli::write(stderr, "rbk: internal error\n");
    return rbk::cli::kExitUsage;
  }
}
