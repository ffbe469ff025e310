// rbk.yaml: the project's configuration. Runbooks name roles and severities;
// this file says who the roles are, how to reach them, what the severities
// mean, and the policy the engine applies. Every problem is a diagnostic at
// rbk.yaml:line:col, and an unknown key is an error, not silently ignored.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/project/routes.hpp"
#include "interpreter/project/targets.hpp"

namespace rbk {

/// A role runbooks page or notify (`page db-owner`).
struct Role {
  std::string name;     // display name, e.g. "Database owner"
  std::string contact;  // how to reach them, passed to the notification command
};

/// A severity level with its response and resolution targets.
struct SeverityLevel {
  std::string description;
  std::optional<std::chrono::milliseconds> response;
  std::optional<std::chrono::milliseconds> resolution;
};

/// What the engine enforces.
struct Policy {
  std::chrono::milliseconds default_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds grace{std::chrono::seconds(10)};  // TERM → KILL
  std::vector<std::string> typed_confirm_for;  // severities whose destructive gates need typing
  bool allow_non_interactive_approval = true;  // may --approve pass gates without a terminal
  size_t capture_limit = 1 << 20;              // bytes of output kept per capture
  /// `two_person`: an approval through rbk serve is refused when it comes
  /// from whoever approved the run's previous gate (`previous_approver`), or
  /// from whoever last changed the runbook in git (`author`).
  bool approver_not_previous = false;
  bool approver_not_author = false;
};

/// `lint:` settings for `rbk lint`.
struct LintConfig {
  std::map<std::string, std::string> rules;  // rule id → off | note | warning | error
  std::optional<std::vector<std::string>> required_sections;  // unset: the default list
};

/// How rbk runs the OpenSSH client for steps `on` targets (`ssh:`).
struct SshSettings {
  std::string config;  // `ssh -F FILE` (absolute); empty: ssh reads ~/.ssh/config as usual
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
};

/// The whole configuration; defaults apply where rbk.yaml says nothing.
struct Config {
  std::string path;                        // the rbk.yaml read ("" when none was found)
  std::vector<std::string> runbook_paths;  // absolute, in search order
  std::string records_dir;                 // absolute
  std::map<std::string, Role> roles;
  std::map<std::string, SeverityLevel> severities;
  /// The severities as rbk.yaml lists them: the most severe first. Ordering
  /// comparisons of `severity` follow it (`severity >= "sev2"`).
  std::vector<std::string> severity_order;
  std::string page_command;    // shell template; gets RBK_ROLE, RBK_CONTACT, RBK_MESSAGE, …
  std::string notify_command;  // same, for `notify`
  Policy policy;
  std::vector<std::string> redact;  // RE2 patterns masked in output and the record
  std::string report_template;      // `report: template:`, absolute; "" for the default
  LintConfig lint;
  Targets targets;  // the hosts steps can run on, and their groups
  SshSettings ssh;
  std::vector<Route> routes;  // which runbook an alert starts (`rbk serve`), first match wins
};

/// Parses rbk.yaml text. `dir` is where relative paths in it are anchored
/// (the file's directory). Problems are appended to `errors`.
Config parse_config(std::shared_ptr<const SourceFile> file, const std::string& dir,
                    Diagnostics& errors);

/// Finds rbk.yaml in `start` or the nearest directory above it and parses it;
/// without one, the defaults (runbooks in ./runbooks, records in
/// records_outside_project).
Config load_config(const std::string& start, Diagnostics& errors);

/// Where runs are recorded outside any project (no rbk.yaml in `cwd` or
/// above it): $XDG_STATE_HOME/rbk/runs, else ~/.local/state/rbk/runs, else
/// (no absolute HOME either) `cwd`/.rbk/runs.
std::string records_outside_project(const std::string& cwd);

}  // namespace rbk
