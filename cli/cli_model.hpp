// rbk's command line as plain data, read from the CLI11 definition in
// main.cpp: every command, option and positional with its help and the kind
// of value it takes. The man pages and the shell completions are written
// from it, so they can never list an option the parser does not have, or
// miss one it has.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rbk::cli {

/// What a value is, for completing it: a fixed choice, a runbook on the
/// path, a parameter of the chosen runbook, one of its steps, a host or
/// group, a run in the records, a file, or free text.
enum class ValueKind { None, Text, Choice, Runbook, Param, Step, Target, Run, File, Path, Command };

/// One option or positional of a command.
struct OptionSpec {
  std::string short_name;  // "p" for -p; "" when none
  std::string long_name;   // "param" for --param; for a positional, its name
  bool positional = false;
  bool flag = false;  // takes no value
  bool required = false;
  bool repeatable = false;
  std::string help;
  std::string value_name;            // "NAME=VALUE", "STEP", "FILE"…
  std::string default_value;         // "" when none
  ValueKind kind = ValueKind::None;  // what the value is
  std::vector<std::string> choices;  // ValueKind::Choice: every accepted value
};

/// One subcommand.
struct CommandSpec {
  std::string name;
  std::string help;
  std::vector<OptionSpec> options;  // options first, then positionals, in definition order
};

/// The whole command line.
struct CliSpec {
  std::string name;  // "rbk"
  std::string help;
  std::string version;
  std::vector<OptionSpec> global;  // --help, --version
  std::vector<CommandSpec> commands;
};

/// Reads the definition `app` holds (subcommands in a group named "" are
/// internal and left out).
CliSpec describe(CLI::App& app);

/// The man pages of `spec`: file name ("rbk.1", "rbk-run.1") → roff text.
std::vector<std::pair<std::string, std::string>> man_pages(const CliSpec& spec);

/// The completion script of `spec` for `shell` (bash, zsh or fish). Values
/// that depend on the project (runbooks, parameters, steps, hosts, runs)
/// are asked of `rbk __complete` as the user types.
std::string completion_script(const CliSpec& spec, const std::string& shell);

}  // namespace rbk::cli
