// `rbk lint [PATH…]`: parse, check and lint every file (in parallel, one
// module loader per worker), then print the findings in path order.
#include <algorithm>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/lint/driver.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/lint/sarif.hpp"

namespace rbk::cli {

namespace {

/// Takes each file's result as a worker finishes it, and prints (text and
/// github formats) or keeps (json and sarif, one document at the end) the
/// results in the files' order as soon as every file before them is done:
/// memory stays flat in the number of files however many findings they have.
class InOrder {
 public:
  InOrder(const std::vector<std::string>& files, const std::string& format)
      : files_(files),
        keep_(format == "json" || format == "sarif"),
        github_(format == "github"),
        color_(use_color(stdout)),
        results_(files.size()),
        done_(files.size(), false) {}

  /// File `i` is finished with `r`.
  void finish(size_t i, LintFileResult r) {
    std::lock_guard lock(mu_);
    results_[i] = std::move(r);
    done_[i] = true;
    for (; next_ < files_.size() && done_[next_]; ++next_) take(next_);
  }

  size_t errors = 0, warnings = 0, notes = 0;
  /// Every file's findings, when kept (json, sarif).
  const std::vector<LintFileResult>& kept() const { return results_; }

 private:
  void take(size_t i) {
    LintFileResult& r = results_[i];
    for (const auto& n : r.notes)
      if (notes_seen_.insert(n).second) write(stderr, "rbk: note: " + n + "\n");
    std::string out;
    for (const auto& d : r.diags) {
      if (d.severity == Severity::Error)
        ++errors;
      else if (d.severity == Severity::Warning)
        ++warnings;
      else
        ++notes;
      if (keep_) continue;
      if (github_) {
        out += to_github(d, files_[i]);
        if (out.empty() || out.back() != '\n') out += '\n';  // one command per line
      } else {
        out += render(d, color_);
      }
    }
    if (!out.empty()) write(stdout, out);
    if (!keep_) r = LintFileResult{};
  }

  const std::vector<std::string>& files_;
  const bool keep_, github_, color_;
  std::mutex mu_;
  std::vector<LintFileResult> results_;
  std::vector<bool> done_;
  size_t next_ = 0;
  std::set<std::string> notes_seen_;
};

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int run_lint(const LintCmdOptions& opts) {
  // The format was checked by the argument parser (main.cpp).
  auto project = open_workspace();
  if (!project) return kExitUsage;
  auto patterns = load_patterns();
  if (!patterns) {
    print_problem(patterns.error());
    return kExitUsage;
  }

  std::vector<std::string> paths = opts.paths;
  if (paths.empty()) paths = project->runbook_dirs();
  std::vector<std::string> missing;
  std::vector<std::string> files = expand_paths(paths, missing);
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  if (files.empty()) {
    write(stderr, "rbk: error: no .rbk files found in the given paths\n");
    return kExitUsage;
  }

  Diagnostics config_warnings;
  auto policies = lint_policies(*project, files, *patterns, !opts.no_shellcheck, config_warnings);
  print_diagnostics(config_warnings);
  if (!policies) {
    print_problem(policies.error());
    return kExitUsage;
  }
  InOrder printer(files, opts.format);
  lint_files(files, *policies,
             [&](size_t i, LintFileResult&& r) { printer.finish(i, std::move(r)); });

  const size_t errors = printer.errors, warnings = printer.warnings, note_count = printer.notes;
  const bool too_many = opts.max_warnings >= 0 && warnings > static_cast<size_t>(opts.max_warnings);

  if (opts.format == "json") {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : printer.kept())
      for (const auto& d : r.diags) {
        nlohmann::json j = to_json(d);
        if (const RuleInfo* rule = find_rule(d.code)) j["rule"] = rule->name;
        all.push_back(std::move(j));
      }
    write(stdout, json_text({{"files", files.size()},
                             {"errors", errors},
                             {"warnings", warnings},
                             {"notes", note_count},
                             {"diagnostics", all}},
                            2) +
                      "\n");
  } else if (opts.format == "sarif") {
    std::vector<FileFindings> ff;
    for (size_t i = 0; i < files.size(); ++i) ff.push_back({files[i], printer.kept()[i].diags});
    write(stdout, json_text(to_sarif(ff, lint_rules()), 2) + "\n");
  } else if (opts.format != "github") {
    std::string out;
    if (errors + warnings + note_count == 0) {
      out += "no findings in " + plural(files.size(), "file", "files") + "\n";
    } else {
      out += plural(errors, "error", "errors") + ", " + plural(warnings, "warning", "warnings") +
             ", " + plural(note_count, "note", "notes") + " in " +
             plural(files.size(), "file", "files") + "\n";
    }
    write(stdout, out);
  }
  if (too_many)
    write(stderr, "rbk: error: " + plural(warnings, "warning", "warnings") + " (at most " +
                      std::to_string(opts.max_warnings) + " allowed)\n");
  return errors > 0 || too_many ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
