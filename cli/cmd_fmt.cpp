// `rbk fmt [--check|--diff] [PATH…]`: rewrites runbooks in the canonical
// layout (docs/fmt.md).
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
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/base/diff.hpp"
#include "interpreter/base/fd.hpp"
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
  // what each one prints is kept and printed in the files' order.
  struct Outcome {
    std::string out, err;
    bool error = false;
    bool unformatted = false;
  };
  std::vector<Outcome> outcomes(files.size());
  const bool color = use_color(stderr);
  auto one = [&](const std::string& path, Outcome& o) {
    auto fail = [&](const Diagnostics& diags) {
      for (const auto& d : diags) o.err += render(d, color);
      o.error = true;
    };
    Diagnostics diags;
    auto file = load_source(path, diags);
    if (!file) return fail(diags);
    ParseResult r = parse(file);
    if (!r.document || has_errors(r.diagnostics)) return fail(r.diagnostics);
    const std::string formatted = format_document(*r.document);
    if (formatted == file->text()) return;
    o.unformatted = true;
    // --check writes and shows nothing: the guard below, most of the work
    // on an unformatted file, is for the text fmt writes or shows.
    if (opts.check) {
      o.out = path + "\n";
      return;
    }
    // The formatted text must mean the same: parse it back and compare.
    auto again = std::make_shared<SourceFile>(path, formatted);
    ParseResult r2 = parse(again);
    if (!r2.document || has_errors(r2.diagnostics) || !same_meaning(*r.document, *r2.document)) {
      o.err = "rbk: error: " + path +
              ": formatting would change its meaning (a bug in rbk fmt); file left unchanged\n";
      o.error = true;
      return;
    }
    if (opts.diff) {
      o.out = unified_diff(file->text(), formatted, path);
    } else {
      if (auto written = write_atomically(path, formatted); !written) {
        o.err = "rbk: error: " + path + ": " + written.error() + "\n";
        o.error = true;
        return;
      }
      o.err = "formatted " + path + "\n";
    }
  };
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      try {
        one(files[i], outcomes[i]);
      } catch (const std::exception& e) {
        outcomes[i].err = "rbk: error: " + files[i] + ": internal error: " + e.what() + "\n";
        outcomes[i].error = true;
      }
    }
  };
  run_workers(files.size(), worker);

  bool errors = false;
  bool unformatted = false;
  for (const Outcome& o : outcomes) {
    if (!o.err.empty()) write(stderr, o.err);
    if (!o.out.empty()) write(stdout, o.out);
    errors = errors || o.error;
    unformatted = unformatted || o.unformatted;
  }
  if (errors) return kExitUsage;
  if (opts.check && unformatted) return kExitFindings;
  return kExitOk;
}

}  // namespace rbk::cli
