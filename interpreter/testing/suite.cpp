#include "interpreter/testing/suite.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>

#include "interpreter/base/sha256.hpp"
#include "interpreter/base/workers.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/record.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;

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

}  // namespace

Expected<void, LoadProblem> TestSuite::add(const std::string& file, Diagnostics& warnings) {
  auto problem = [](Diagnostics diags) { return fail(LoadProblem{std::move(diags), ""}); };
  Diagnostics diags;
  auto source = load_source(file, diags, kMaxFixtureBytes);
  if (!source) return problem(std::move(diags));
  LoadedFixture out;
  out.fixture = parse_fixture(source, diags);
  if (has_errors(diags)) return problem(std::move(diags));
  const Fixture& f = out.fixture;
  FoundRunbook found = locate(f, ws_.path());
  auto at_runbook =
      Span::of(*source, f.runbook_pos.offset, f.runbook_pos.offset + f.runbook_pos.length);
  if (found.path.empty())
    return problem({error_at(at_runbook, "cannot find runbook '" + f.runbook + "'", found.error)});
  // The runbook's own errors are shown as they are, then one line here.
  LoadedFile rb = load_file(found.path, modules_);
  if (!rb.ok() || !rb.parsed.document->runbook()) {
    Diagnostics all = std::move(rb.diagnostics);
    all.push_back(error_at(at_runbook, "runbook '" + f.runbook + "' (" + found.path +
                                           ") cannot be tested: it is not a valid runbook"));
    return problem(std::move(all));
  }
  out.runbook = std::make_unique<ParseResult>(std::move(rb.parsed));
  // The configuration: the fixture's `config`, else the rbk.yaml nearest the runbook.
  Diagnostics cfg_diags;
  if (!f.config.empty()) {
    fs::path p = fs::path(file).parent_path() / f.config;
    if (auto cfg = load_source(p.lexically_normal().string(), cfg_diags, kMaxConfigBytes))
      out.config = parse_config(cfg, fs::absolute(p).parent_path().string(), cfg_diags);
  } else {
    out.config = load_config(fs::absolute(found.path).parent_path().string(), cfg_diags);
  }
  Diagnostics fx = check_fixture(f, *out.runbook->document, &out.config.targets);
  cfg_diags.insert(cfg_diags.end(), fx.begin(), fx.end());
  if (has_errors(cfg_diags)) return problem(std::move(cfg_diags));
  warnings.insert(warnings.end(), cfg_diags.begin(), cfg_diags.end());

  LoadedFixture& l = loaded_.emplace_back(std::move(out));
  l.target.doc = l.runbook->document.get();
  l.target.file = found.path;
  l.target.sha256 = sha256_hex(l.runbook->source->text());
  l.target.config = &l.config;
  l.target.patterns = &patterns_;
  std::vector<std::string> search = runbook_path(l.config, ws_.cwd());
  const std::string dir = fs::path(l.target.file).parent_path().string();
  search.push_back(dir.empty() ? "." : dir);
  l.target.find_runbook = [this, search](const std::string& name) {
    return called_.find(search, name);
  };
  return {};
}

std::vector<CaseResult> TestSuite::run() const {
  std::vector<CaseResult> jobs;
  std::vector<std::string> run_ids;  // for keep_records()
  std::set<std::string> stems;       // taken: fixtures of one name in other folders differ
  for (const auto& l : loaded_) {
    const std::string name = std::filesystem::path(l.fixture.file->path()).filename().string();
    const std::string base = name.substr(0, name.rfind(".test.y"));  // NAME.test.y(a)ml
    std::string stem = base;
    for (int k = 2; !stems.insert(stem).second; ++k) stem = base + "." + std::to_string(k);
    for (const auto& c : l.fixture.cases) {
      jobs.push_back({&l, &c, {}, 0});
      run_ids.push_back(stem + "-case" + std::to_string(&c - l.fixture.cases.data() + 1));
    }
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    FileModuleLoader modules;  // not thread-safe: one per worker
    for (size_t i = next++; i < jobs.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
      std::unique_ptr<RunRecord> record;
      if (!records_dir_.empty()) {
        auto made = RunRecord::create(records_dir_, run_ids[i]);
        if (!made) {
          jobs[i].report.name = jobs[i].fixture_case->name;
          jobs[i].report.failures.push_back(made.error());
          continue;
        }
        record = std::move(*made);
      }
      jobs[i].report = run_case(jobs[i].fixture->fixture, *jobs[i].fixture_case,
                                jobs[i].fixture->target, modules, record.get());
      if (record) record->sync();
      jobs[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  };
  run_workers(jobs.size(), worker, 16);
  return jobs;
}

}  // namespace rbk
