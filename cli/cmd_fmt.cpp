// `rbk fmt [--check|--diff] [PATH…]`: rewrites runbooks in the canonical
// layout (docs/fmt.md).
//
// Exit codes: 0 when every file is formatted (or was rewritten, or --diff
// printed its diffs); 1 with --check when a file is not formatted; 2 when a
// file has syntax errors or cannot be read or written (it is left as it is).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/catalog.hpp"
#include "interpreter/config.hpp"
#include "interpreter/format.hpp"

namespace rbk::cli {

int run_fmt(const FmtOptions& opts) {
  std::vector<std::string> roots = opts.paths;
  const bool from_path = roots.empty();
  if (from_path) {
    auto project = load_project();
    if (!project) return kExitUsage;
    std::error_code ec;
    for (const auto& dir : project->path)
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

  bool errors = false;
  bool unformatted = false;
  for (const auto& path : files) {
    Diagnostics diags;
    auto file = load_source(path, diags);
    if (!file) {
      print_diagnostics(diags);
      errors = true;
      continue;
    }
    ParseResult r = parse(file);
    if (!r.document || has_errors(r.diagnostics)) {
      print_diagnostics(r.diagnostics);
      errors = true;
      continue;
    }
    const std::string formatted = format_document(*r.document);
    if (formatted == file->text()) continue;

    // The formatted text must mean the same: parse it back and compare.
    auto again = std::make_shared<SourceFile>(path, formatted);
    ParseResult r2 = parse(again);
    if (!r2.document || has_errors(r2.diagnostics) || !same_meaning(*r.document, *r2.document)) {
      write(stderr, "rbk: error: " + path +
                        ": formatting would change its meaning (a bug in rbk fmt); "
                        "file left unchanged\n");
      errors = true;
      continue;
    }

    unformatted = true;
    if (opts.check) {
      write(stdout, path + "\n");
    } else if (opts.diff) {
      write(stdout, unified_diff(file->text(), formatted, path));
    } else {
      std::string error;
      if (!write_atomically(path, formatted, error)) {
        write(stderr, "rbk: error: " + path + ": " + error + "\n");
        errors = true;
        continue;
      }
      write(stderr, "formatted " + path + "\n");
    }
  }
  if (errors) return kExitUsage;
  if (opts.check && unformatted) return kExitFindings;
  return kExitOk;
}

}  // namespace rbk::cli
