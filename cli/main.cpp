// rbk's entry point: argument parsing (the only file that includes CLI11),
// then one subcommand. Nothing escapes as an exception: a bug prints one line
// and exits with a usage code instead of a stack trace.
#include <CLI/CLI.hpp>

#include <exception>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"

namespace {

void build(CLI::App& app, rbk::cli::CheckOptions& check, rbk::cli::ParseOptions& parse,
           std::string& help_topic) {
  app.set_version_flag("--version", std::string("rbk ") + RBK_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "Run 'rbk help COMMAND' for one command's options.\n"
      "Exit codes: 0 ok, 1 errors found, 2 usage error.");

  auto* c = app.add_subcommand("check", "Parse and validate runbooks; report errors only");
  c->add_option("paths", check.paths, "Files, or directories searched for *.rbk")->required();
  c->add_option("--format", check.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");

  auto* p = app.add_subcommand("parse", "Parse one file; with --ast print its syntax tree as JSON");
  p->add_option("file", parse.path, "The .rbk file")->required();
  p->add_flag("--ast", parse.ast, "Print the AST as JSON (with source spans)");

  auto* h = app.add_subcommand("help", "Show help for a command");
  h->add_option("command", help_topic, "The command");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"rbk: declarative incident runbooks", "rbk"};
    rbk::cli::CheckOptions check;
    rbk::cli::ParseOptions parse;
    std::string help_topic;
    build(app, check, parse, help_topic);
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
    if (app.got_subcommand("check")) return rbk::cli::run_check(check);
    if (app.got_subcommand("parse")) return rbk::cli::run_parse(parse);
    if (app.got_subcommand("help")) {
      if (help_topic.empty()) {
        rbk::cli::write(stdout, app.help());
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
