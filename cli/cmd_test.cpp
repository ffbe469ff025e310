// `rbk test [PATH…]`: load every fixture and its runbook, check the fixture
// against the runbook, run all cases in parallel (virtual time, scripted
// commands and answers, never a real process), then report in fixture order.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>

#include "cli/commands.hpp"
#include "cli/files.hpp"
#include "cli/load_runbook.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "cli/workers.hpp"
#include "grammar/parse.hpp"
#include "interpreter/catalog.hpp"
#include "interpreter/check.hpp"
#include "interpreter/fixture.hpp"
#include "interpreter/fixture_replay.hpp"
#include "interpreter/junit.hpp"
#include "interpreter/sha256.hpp"

namespace rbk::cli {

namespace {

namespace fs = std::filesystem;

/// A fixture with its runbook, ready to run.
struct Loaded {
  Fixture fixture;
  std::unique_ptr<ParseResult> runbook;
  Config config;
  FixtureTarget target;
};

/// Finds, parses and checks `call`ed runbooks once, for all workers. The
/// search path is the fixture's (its rbk.yaml's runbook path, then the
/// calling runbook's folder, as `rbk run` and `rbk lint` look).
class CalledRunbooks {
 public:
  const ast::Document* find(const std::vector<std::string>& path, const std::string& name,
                            std::string& error) {
    std::string key = name;
    for (const auto& p : path) key += '\n' + p;
    std::lock_guard lock(mu_);
    auto it = docs_.find(key);
    if (it == docs_.end()) {
      std::unique_ptr<ParseResult> r;
      FoundRunbook f = find_runbook(name, path);
      std::string err = f.error;
      if (!f.path.empty()) r = load_called(f.path, modules_, err);
      it = docs_.emplace(key, std::make_pair(std::move(r), err)).first;
    }
    if (!it->second.first) {
      error = it->second.second;
      return nullptr;
    }
    return it->second.first->document.get();
  }

 private:
  std::mutex mu_;
  FileModuleLoader modules_;
  std::map<std::string, std::pair<std::unique_ptr<ParseResult>, std::string>> docs_;
};

/// The runbook a fixture names: a path (relative to the fixture), or a name
/// looked up beside the fixture, in the folder above (for tests/), then on
/// the runbook path.
FoundRunbook locate(const Fixture& f, const std::vector<std::string>& path) {
  const fs::path dir = fs::path(f.file->path()).parent_path();
  if (f.runbook.find('/') != std::string::npos || f.runbook.ends_with(".rbk")) {
    fs::path p = dir / f.runbook;
    if (p.extension() != ".rbk") p += ".rbk";  // as imports do
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return {p.lexically_normal().string(), ""};
    return {"", "no runbook file " + p.lexically_normal().string()};
  }
  std::vector<std::string> search = {dir.empty() ? "." : dir.string(),
                                     (dir.empty() ? fs::path("..") : dir.parent_path()).string()};
  search.insert(search.end(), path.begin(), path.end());
  return find_runbook(f.runbook, search);
}

/// Loads one fixture; false after printing why it cannot run.
bool load(const std::string& file, const Project& project, const DestructivePatterns& patterns,
          FileModuleLoader& modules, Loaded& out) {
  Diagnostics diags;
  auto source = load_source(file, diags, kMaxFixtureBytes);
  if (!source) {
    print_diagnostics(diags);
    return false;
  }
  out.fixture = parse_fixture(source, diags);
  if (has_errors(diags)) {
    print_diagnostics(diags);
    return false;
  }
  const Fixture& f = out.fixture;
  FoundRunbook found = locate(f, project.path);
  auto at_runbook =
      Span::of(*source, f.runbook_pos.offset, f.runbook_pos.offset + f.runbook_pos.length);
  if (found.path.empty()) {
    print_diagnostics(
        {error_at(at_runbook, "cannot find runbook '" + f.runbook + "'", found.error)});
    return false;
  }
  // The runbook's own errors are shown as they are, then one line here.
  Diagnostics rb_diags;
  auto rb_source = load_source(found.path, rb_diags);
  if (rb_source) {
    out.runbook = std::make_unique<ParseResult>(parse(rb_source));
    rb_diags = out.runbook->diagnostics;
    if (out.runbook->document) {
      Diagnostics more = check(*out.runbook->document, &modules);
      rb_diags.insert(rb_diags.end(), more.begin(), more.end());
    }
  }
  if (!rb_source || !out.runbook->document || has_errors(rb_diags) ||
      !out.runbook->document->runbook()) {
    print_diagnostics(rb_diags);
    print_diagnostics({error_at(at_runbook, "runbook '" + f.runbook + "' (" + found.path +
                                                ") cannot be tested: it is not a valid runbook")});
    return false;
  }
  // The configuration: the fixture's `config`, else the rbk.yaml nearest the runbook.
  Diagnostics cfg_diags;
  if (!f.config.empty()) {
    fs::path p = fs::path(file).parent_path() / f.config;
    if (auto cfg = load_source(p.lexically_normal().string(), cfg_diags, kMaxConfigBytes))
      out.config = parse_config(cfg, fs::absolute(p).parent_path().string(), cfg_diags);
  } else {
    out.config = load_config(fs::absolute(found.path).parent_path().string(), cfg_diags);
  }
  Diagnostics fx = check_fixture(f, *out.runbook->document);
  cfg_diags.insert(cfg_diags.end(), fx.begin(), fx.end());
  print_diagnostics(cfg_diags);
  if (has_errors(cfg_diags)) return false;

  out.target.doc = out.runbook->document.get();
  out.target.file = found.path;
  out.target.sha256 = sha256_hex(out.runbook->source->text());
  out.target.config = &out.config;
  out.target.patterns = &patterns;
  return true;
}

}  // namespace

int run_test(const TestOptions& opts) {
  auto project = load_project();
  if (!project) return kExitUsage;
  Diagnostics setup;
  DestructivePatterns patterns =
      DestructivePatterns::load(DestructivePatterns::default_path(), setup);
  print_diagnostics(setup);
  if (has_errors(setup)) return kExitUsage;

  // Which fixtures: files and folders given (a runbook file means its
  // fixtures), else every fixture on the runbook path.
  std::vector<std::string> paths = opts.paths;
  std::vector<std::string> runbook_files;
  if (paths.empty()) {
    std::error_code ec;
    for (const auto& dir : project->path)
      if (fs::is_directory(dir, ec)) {
        fs::path p = fs::proximate(dir, ec);
        paths.push_back(ec ? dir : p.string());
      }
  }
  std::vector<std::string> missing;
  std::vector<std::string> files;
  for (const auto& f : expand_paths(paths, missing, is_fixture_file)) {
    if (fs::path(f).extension() == ".rbk") {
      const std::vector<std::string> own = fixtures_for(f);
      if (own.empty()) write(stderr, "rbk: note: " + f + " has no fixture file\n");
      files.insert(files.end(), own.begin(), own.end());
    } else {
      files.push_back(f);
    }
  }
  for (const auto& m : missing) write(stderr, "rbk: error: " + m + ": no such file or directory\n");
  if (!missing.empty()) return kExitUsage;
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  if (files.empty()) {
    write(stderr, "rbk: error: no fixtures (*.test.yaml) found in the given paths\n");
    return kExitUsage;
  }

  std::list<Loaded> loaded;  // stable addresses: cases point into their fixture
  bool fixture_errors = false;
  CalledRunbooks called;
  {
    FileModuleLoader modules;
    for (const auto& file : files) {
      Loaded& l = loaded.emplace_back();
      if (!load(file, *project, patterns, modules, l)) {
        fixture_errors = true;
        loaded.pop_back();
        continue;
      }
      std::vector<std::string> search = runbook_path(l.config, project->cwd);
      const std::string dir = fs::path(l.target.file).parent_path().string();
      search.push_back(dir.empty() ? "." : dir);
      l.target.find_runbook = [&called, search](const std::string& name, std::string& error) {
        return called.find(search, name, error);
      };
    }
  }

  struct Job {
    const Loaded* fixture;
    const FixtureCase* c;
    CaseReport report;
    double seconds = 0;
  };
  std::vector<Job> jobs;
  for (const auto& l : loaded)
    for (const auto& c : l.fixture.cases) jobs.push_back({&l, &c, {}, 0});
  std::atomic<size_t> next{0};
  auto worker = [&] {
    FileModuleLoader modules;  // not thread-safe: one per worker
    for (size_t i = next++; i < jobs.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
      jobs[i].report =
          run_case(jobs[i].fixture->fixture, *jobs[i].c, jobs[i].fixture->target, modules);
      jobs[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  };
  run_workers(jobs.size(), worker, 16);

  size_t passed = 0, failed = 0;
  for (const auto& j : jobs) (j.report.passed ? passed : failed)++;
  if (opts.format == "junit") {
    std::vector<JUnitSuite> suites;
    for (const auto& j : jobs) {
      const std::string& path = j.fixture->fixture.file->path();
      if (suites.empty() || suites.back().name != path) suites.push_back({path, {}});
      JUnitCase c;
      c.name = j.report.name;
      c.classname = j.fixture->target.doc->runbook()->name.name;
      c.file = path;
      c.line = j.report.pos.line;
      c.passed = j.report.passed;
      c.failure = describe_failures(j.report);
      c.seconds = j.seconds;
      suites.back().cases.push_back(std::move(c));
    }
    write(stdout, to_junit(suites));
  } else {
    const bool color = use_color(stdout);
    auto paint = [&](const char* code, const std::string& s) {
      return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
    };
    std::string out;
    for (const auto& j : jobs) {
      const std::string where =
          j.fixture->fixture.file->path() + ":" + std::to_string(j.report.pos.line);
      out += (j.report.passed ? paint("32", "PASS") : paint("31;1", "FAIL")) + "  " + where + "  " +
             j.report.name + "\n";
      if (!j.report.passed) out += describe_failures(j.report);
    }
    out += std::to_string(passed) + " passed, " + std::to_string(failed) + " failed\n";
    write(stdout, out);
  }
  if (fixture_errors) return kExitUsage;
  return failed > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
