// `rbk lint [PATH…]`: parse, check and lint every file (in parallel, one
// module loader per worker), then print the findings in path order.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "cli/workers.hpp"
#include "grammar/parse.hpp"
#include "interpreter/catalog.hpp"
#include "interpreter/json_text.hpp"
#include "interpreter/lint.hpp"
#include "interpreter/process_runner.hpp"
#include "interpreter/sarif.hpp"

namespace rbk::cli {

namespace {

namespace fs = std::filesystem;

struct FileResult {
  Diagnostics diags;
  std::vector<std::string> notes;
};

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
  void finish(size_t i, FileResult r) {
    std::lock_guard lock(mu_);
    results_[i] = std::move(r);
    done_[i] = true;
    for (; next_ < files_.size() && done_[next_]; ++next_) take(next_);
  }

  size_t errors = 0, warnings = 0, notes = 0;
  /// Every file's findings, when kept (json, sarif).
  const std::vector<FileResult>& kept() const { return results_; }

 private:
  void take(size_t i) {
    FileResult& r = results_[i];
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
    if (!keep_) r = FileResult{};
  }

  const std::vector<std::string>& files_;
  const bool keep_, github_, color_;
  std::mutex mu_;
  std::vector<FileResult> results_;
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
  auto project = load_project();
  if (!project) return kExitUsage;
  const std::vector<std::string>& search = project->path;
  Diagnostics setup;
  DestructivePatterns patterns =
      DestructivePatterns::load(DestructivePatterns::default_path(), setup);
  print_diagnostics(setup);
  if (has_errors(setup)) return kExitUsage;
  std::error_code ec;

  std::vector<std::string> paths = opts.paths;
  if (paths.empty()) {
    for (const auto& dir : search)
      if (fs::is_directory(dir, ec)) {
        fs::path p = fs::proximate(dir, ec);
        paths.push_back(ec ? dir : p.string());
      }
  }
  std::vector<std::string> missing;
  std::vector<std::string> files = expand_paths(paths, missing);
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  if (files.empty()) {
    write(stderr, "rbk: error: no .rbk files found in the given paths\n");
    return kExitUsage;
  }

  // Each file is linted under the rbk.yaml nearest to it (its folder, then
  // the folders above), as editors and CI see it: a folder of examples or of
  // another team's runbooks can carry its own policy inside one repository.
  std::list<Config> configs;  // what the policies point to (stable addresses)
  std::vector<LintOptions> policies(1);
  std::vector<size_t> policy_of(files.size(), 0);
  auto make_policy = [&](const Config& config, std::vector<std::string> path) {
    LintOptions lo;
    lo.config = &config;
    lo.patterns = &patterns;
    lo.runbook_path = std::move(path);
    lo.shellcheck = !opts.no_shellcheck;
    return lo;
  };
  // Policy 0: the working directory's (already read and reported by load_project).
  policies[0] = make_policy(project->config, search);
  {
    std::map<std::string, size_t> by_dir, by_config{{project->config.path, 0}};
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string dir = fs::absolute(fs::path(files[i]).parent_path(), ec).string();
      auto known = by_dir.find(dir);
      if (known == by_dir.end()) {
        Diagnostics config_diags;
        Config config = load_config(dir, config_diags);
        // No rbk.yaml above the file: the working directory's defaults apply.
        auto same = by_config.find(config.path.empty() ? project->config.path : config.path);
        if (same == by_config.end()) {
          print_diagnostics(config_diags);
          if (has_errors(config_diags)) return kExitUsage;
          std::vector<std::string> path = runbook_path(config, project->cwd);
          same = by_config.emplace(config.path, policies.size()).first;
          policies.push_back(make_policy(configs.emplace_back(std::move(config)), std::move(path)));
        }
        known = by_dir.emplace(dir, same->second).first;
      }
      policy_of[i] = known->second;
    }
  }

  InOrder printer(files, opts.format);
  std::atomic<size_t> next{0};
  // Each worker lints its files up to ShellCheck, then runs one ShellCheck
  // process for the shell literals of a batch of them; memory stays bounded
  // by the batch (each file's parse tree lives until its batch is done).
  constexpr size_t kShellCheckBatch = 32;
  auto worker = [&] {
    FileModuleLoader loader;  // not thread-safe: one per worker
    ProcessRunner runner;     // its supervisors serve the worker's batches in turn
    struct Pending {
      size_t index;
      FileResult result;
      ParseResult parsed;
      PendingLint lint;
    };
    std::vector<Pending> batch;
    auto fail = [&](FileResult& r, size_t i, const std::exception& e) {
      Diagnostic d;
      d.path = files[i];
      d.message = std::string("internal error while linting: ") + e.what();
      r.diags.push_back(std::move(d));
    };
    auto flush = [&] {
      std::vector<PendingLint*> lints;
      for (Pending& p : batch) lints.push_back(&p.lint);
      std::vector<std::string> notes;
      try {
        lint_shellcheck(lints, runner, notes);
      } catch (const std::exception& e) {
        notes.push_back(std::string("shellcheck skipped: ") + e.what());
      }
      for (Pending& p : batch) {
        FileResult& r = p.result;
        r.notes.insert(r.notes.end(), notes.begin(), notes.end());
        try {
          Diagnostics more =
              lint_finish(*p.parsed.document, policies[policy_of[p.index]], std::move(p.lint));
          r.diags.insert(r.diags.end(), more.begin(), more.end());
        } catch (const std::exception& e) {
          fail(r, p.index, e);
        }
        p.parsed = ParseResult{};  // the tree goes before the findings wait for their turn
        printer.finish(p.index, std::move(r));
      }
      batch.clear();
    };
    for (size_t i = next++; i < files.size(); i = next++) {
      FileResult r;
      try {
        if (auto file = load_source(files[i], r.diags)) {
          ParseResult pr = parse(file);
          r.diags = std::move(pr.diagnostics);
          if (pr.document) {
            PendingLint lint = lint_start(*pr.document, policies[policy_of[i]], loader);
            batch.push_back(Pending{i, std::move(r), std::move(pr), std::move(lint)});
            r = FileResult{};
            if (batch.size() >= kShellCheckBatch || opts.no_shellcheck) flush();
            continue;
          }
        }
      } catch (const std::exception& e) {
        fail(r, i, e);
      }
      printer.finish(i, std::move(r));
    }
    flush();
  };
  run_workers(files.size(), worker);

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
