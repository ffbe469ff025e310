// What `rbk fmt` did to each file, and how it says so: the text it has always
// printed, or with `--format json` one document for tools (docs/cli.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

/// Where one file stands after `rbk fmt`.
enum class FmtStatus {
  AlreadyFormatted,  // in the canonical layout already; nothing to do
  Rewritten,         // written in the canonical layout
  WouldChange,       // not in the layout; --check or --diff left it as it is
  Error,             // not parsed, read or written: left as it is
};

/// One file's result, kept until every worker is done so the report follows
/// the files' order.
struct FmtOutcome {
  FmtStatus status = FmtStatus::AlreadyFormatted;
  // Error: the diagnostics when the file could not be read or parsed; the
  // message (without the path) when the trouble has no place in it (a write
  // failed, a bug)
  LoadProblem error;
  std::string diff;  // WouldChange under --diff: the unified diff
};

/// "write", "check" or "diff": what fmt was asked to do.
std::string fmt_mode(bool check, bool diff);

/// The `--format json` document: every file (in `files`' order, as
/// `outcomes`) with its status, then the counts of each status.
nlohmann::json fmt_json(const std::vector<std::string>& files,
                        const std::vector<FmtOutcome>& outcomes, const std::string& mode);

/// The text report: diagnostics and "formatted PATH" on stderr, the files
/// --check lists and the diffs --diff prints on stdout.
void print_fmt_text(const std::vector<std::string>& files, const std::vector<FmtOutcome>& outcomes,
                    bool check);

}  // namespace rbk::cli
