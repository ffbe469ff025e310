// The runbook path: where `rbk run NAME`, `rbk plan NAME` and `rbk list`
// look for runbooks, and what `rbk list` shows of each.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/project/config.hpp"

namespace rbk {

/// `p` relative to the working directory when it lies under it (what the
/// user would type, and stable across machines in test output), else the
/// absolute path; "" stays "".
std::string display_path(const std::string& p);

/// The directories searched, in order: RBK_PATH (colon-separated, when set
/// and non-empty) first, then rbk.yaml's `paths` (its default: ./runbooks).
/// Relative RBK_PATH entries are taken from `cwd`.
std::vector<std::string> runbook_path(const Config& config, const std::string& cwd);

/// What `rbk run NAME|FILE` resolved to.
struct FoundRunbook {
  std::string path;   // the .rbk file; empty when not found
  std::string error;  // one line when not found: what was searched, "did you mean"
};

/// `name_or_file` containing a '/' or ending in ".rbk" is a file; otherwise
/// NAME.rbk is looked up in each directory of `path` (first wins), then a
/// file whose `runbook NAME` matches. Only the directories themselves are
/// searched, not their subdirectories. A path found under the working
/// directory is returned relative to it (as a user would type it).
FoundRunbook find_runbook(const std::string& name_or_file, const std::vector<std::string>& path);

/// One line of `rbk list`.
struct CatalogEntry {
  std::string name;  // `runbook NAME`
  std::string path;
  std::string title;
  std::string severity;
  std::vector<std::string> signals;  // titles of the alert signals
  std::string problem;               // set when the file does not parse (listed, not dropped)
};

/// Every runbook on the path (modules skipped), sorted by name; a name
/// shadowed by an earlier directory is listed once, from the file
/// `find_runbook(NAME)` would pick. A file that does not parse is listed
/// under its file name with `problem` set ("path:line:col: message").
std::vector<CatalogEntry> list_runbooks(const std::vector<std::string>& path);

}  // namespace rbk
