// `rbk fmt [--check|--diff] [--format text|json] [PATH…]`: rewrites runbooks
// in the canonical layout (docs/fmt.md); fmt_report prints what it did.
//
// Exit codes: 0 when every file is formatted (or was rewritten, or --diff
// printed its diffs); 1 with --check when a file is not formatted; 2 when a
// file has syntax errors or cannot be read or written (it is left as it is).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/fmt_report.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/base/diff.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/base/workers.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/syntax/format.hpp"

namespace rbk::cli {

int run_fmt(const FmtOptions& opts) {
  std::vector<std::string> roots = opts.paths;
  const bool from_path = roots.empty();
  if (from_path) {
    auto project = open_workspace();
    if (!project) return kExitUsage;
    std::error_code ec;
    for (const auto& dir : project->path())
      if (std::filesystem::exists(dir, ec)) roots.push_back(dir);
  }
  std::vector<std::string> missing;
  std::vector<std::string> files = expand_paths(roots, missing);
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  if (files.empty()) {
    write(stderr, from_path ? "rbk: error: no .rbk files found in the runbook path\n"
                            : "rbk: error: no .rbk files found in the given paths\n");
    return kExitUsage;
  }

  // Files are independent: workers take them in turn (as lint does), and
  // what each one gives is kept and printed in the files' order.
  std::vector<FmtOutcome> outcomes(files.size());
  auto one = [&](const std::string& path, FmtOutcome& o) {
    auto fail = [&](const Diagnostics& diags) {
      o.error.diagnostics = diags;
      o.status = FmtStatus::Error;
    };
    auto problem = [&](std::string why) {
      o.error.message = std::move(why);
      o.status = FmtStatus::Error;
    };
    Diagnostics diags;
    auto file = load_source(path, diags);
    if (!file) return fail(diags);
    ParseResult r = parse(file);
    if (!r.document || has_errors(r.diagnostics)) return fail(r.diagnostics);
    const std::string formatted = format_document(*r.document);
    if (formatted == file->text()) return;
    o.status = FmtStatus::WouldChange;
    // --check writes and shows nothing: the guard below, most of the work
    // on an unformatted file, is for the text fmt writes or shows.
    if (opts.check) return;
    // The formatted text must mean the same: parse it back and compare.
    auto again = std::make_shared<SourceFile>(path, formatted);
    ParseResult r2 = parse(again);
    if (!r2.document || has_errors(r2.diagnostics) || !same_meaning(*r.document, *r2.document))
      return problem("formatting would change its meaning (a bug in rbk fmt); file left unchanged");
    if (opts.diff) {
      o.diff = unified_diff(file->text(), formatted, path);
    } else if (auto written = write_atomically(path, formatted); !written) {
      problem(written.error());
    } else {
      o.status = FmtStatus::Rewritten;
    }
  };
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      try {
        one(files[i], outcomes[i]);
      } catch (const std::exception& e) {
        outcomes[i].error.message = std::string("internal error: ") + e.what();
        outcomes[i].status = FmtStatus::Error;
      }
    }
  };
  run_workers(files.size(), worker);

  if (opts.format == "json")
    write(stdout, json_text(fmt_json(files, outcomes, fmt_mode(opts.check, opts.diff)), 2) + "\n");
  else
    print_fmt_text(files, outcomes, opts.check);
  bool errors = false;
  bool unformatted = false;
  for (const FmtOutcome& o : outcomes) {
    errors = errors || o.status == FmtStatus::Error;
    unformatted = unformatted || o.status == FmtStatus::WouldChange;
  }
  if (errors) return kExitUsage;
  if (opts.check && unformatted) return kExitFindings;
  return kExitOk;
}

}  // namespace rbk::cli
