// `rbk history`
#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>
#include "interpreter/base/format_str.hpp"

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/report/report.hpp"

namespace rbk::cli {

namespace {

namespace fs = std::filesystem;

// "850ms", "12s", "1m12s", "2h5m": the units runbooks write durations in.
std::string duration(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return format_str("{}ms", ms);
  int64_t s = ms / 1000;
  if (s < 60) return format_str("{}s", s);
  if (s < 3600) return format_str("{}m{}s", s / 60, s % 60);
  return format_str("{}h{}m", s / 3600, s % 3600 / 60);
}

// "2026-11-23T03:15:02.123Z" → "2026-11-23 03:15:02" (the header says UTC).
std::string started(const std::string& iso) {
  if (iso.size() < 19 || iso[10] != 'T') return iso.empty() ? "-" : iso;
  std::string out = iso.substr(0, 19);
  out[10] = ' ';
  return out;
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

// Green for a good end, red for a bad one, yellow for the rest (refused,
// interrupted, unfinished): what needs a look.
const char* outcome_color(const std::string& outcome) {
  if (outcome == "resolved" || outcome == "not_firing") return "\033[32m";
  if (outcome == "failed" || outcome == "not_restored" || outcome == "error") return "\033[31m";
  return "\033[33m";
}

// --verify: each listed run's output files against the digests its record kept.
std::map<std::string, VerifyResult> verify_runs(const std::vector<RunSummary>& runs) {
  std::map<std::string, VerifyResult> out;
  for (const auto& r : runs) {
    std::vector<std::string> unreadable;  // listed already among the run's problems
    out[r.run_id] = verify_outputs(read_events(r.dir, unreadable), r.dir);
  }
  return out;
}

nlohmann::json to_json(const RunSummary& r) {
  nlohmann::json j = {{"run_id", r.run_id},
                      {"dir", r.dir},
                      {"runbook", r.runbook},
                      {"started", r.started},
                      {"user", r.user},
                      {"outcome", r.outcome},
                      {"exit_code", nullptr},
                      {"duration_ms", r.duration_ms},
                      {"failed_step", r.failed_step},
                      {"live", r.live},
                      {"resumable", r.resumable},
                      {"stopped_at", r.stopped_at},
                      {"problems", r.problems}};
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  return j;
}

std::string table(const std::vector<RunSummary>& runs, bool color,
                  const std::map<std::string, VerifyResult>& verified) {
  using Row = std::vector<std::string>;
  std::vector<Row> rows;
  rows.push_back({"RUN", "STARTED (UTC)", "RUNBOOK", "OUTCOME", "EXIT", "DURATION", "FAILED STEP"});
  for (const auto& r : runs) {
    rows.push_back({r.run_id, started(r.started), or_dash(r.runbook), r.outcome,
                    r.exit_code ? std::to_string(*r.exit_code) : "-", duration(r.duration_ms),
                    or_dash(r.failed_step)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());

  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    for (size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      std::string cell = row[c];
      if (!last) cell.resize(width[c] + 2, ' ');  // pad first: escapes take no columns
      if (color && i > 0 && c == 3)
        cell = outcome_color(row[c]) + row[c] + "\033[0m" + cell.substr(row[c].size());
      out += cell;
    }
    out += '\n';
    if (i > 0) {
      const RunSummary& run = runs[i - 1];
      for (const auto& p : run.problems) out += "  problem: " + p + "\n";
      if (auto v = verified.find(run.run_id); v != verified.end())
        for (const auto& p : v->second.problems) out += "  not as recorded: " + p + "\n";
      if (run.resumable && (run.problems.empty() || run.only_cut_line))
        out += "  resumable: rbk resume " + run.run_id +
               (run.stopped_at.empty() ? "" : " (stopped in step " + run.stopped_at + ")") +
               (run.only_cut_line ? " (it drops the cut last line)" : "") + "\n";
    }
  }
  return out;
}

}  // namespace

int run_history(const HistoryOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  std::error_code ec;
  const std::string& dir = project->config().records_dir;
  const bool json_out = opts.format == "json";
  fs::file_status st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    write(stderr, "rbk: error: cannot read records directory " + display_path(dir) + ": " +
                      ec.message() + "\n");
    return kExitUsage;
  }
  if (fs::exists(st) && !fs::is_directory(st)) {
    write(stderr, "rbk: error: records directory " + display_path(dir) + " is not a directory\n");
    return kExitUsage;
  }
  if (fs::exists(st)) {
    fs::directory_iterator probe(dir, ec);
    if (ec) {
      write(stderr, "rbk: error: cannot read records directory " + display_path(dir) + ": " +
                        ec.message() + "\n");
      return kExitUsage;
    }
  }

  std::vector<RunSummary> runs = list_runs(dir);
  if (runs.empty()) {
    if (json_out) write(stdout, "[]\n");
    write(stderr, "no runs recorded in " + display_path(dir) + "\n");
    return kExitOk;
  }
  size_t older = 0;
  if (opts.limit > 0 && runs.size() > static_cast<size_t>(opts.limit)) {
    older = runs.size() - static_cast<size_t>(opts.limit);
    runs.resize(static_cast<size_t>(opts.limit));
  }

  const auto verified = opts.verify ? verify_runs(runs) : std::map<std::string, VerifyResult>{};
  size_t changed = 0, checked = 0;
  for (const auto& [id, v] : verified) changed += v.problems.size(), checked += v.checked;
  if (json_out) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : runs) {
      all.push_back(to_json(r));
      if (auto v = verified.find(r.run_id); v != verified.end())
        all.back()["verify"] = {{"checked", v->second.checked},
                                {"unverifiable", v->second.unverifiable},
                                {"problems", v->second.problems}};
    }
    write(stdout, json_text(all, 2) + "\n");
  } else {
    write(stdout, table(runs, use_color(stdout), verified));
  }
  if (opts.verify)
    write(stderr, format_str("{} of {} output files of {} {} not as recorded\n", changed, checked,
                             runs.size(), runs.size() == 1 ? "run" : "runs"));
  if (older > 0) {
    write(stderr, format_str("{} older {} not shown (--limit 0 shows all)\n", older,
                             older == 1 ? "run" : "runs"));
  }
  return changed > 0 ? kExitFindings : kExitOk;
}

}  // namespace rbk::cli
