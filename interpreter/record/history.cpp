#include "interpreter/record/history.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <string_view>

#include <system_error>
#include "interpreter/base/source.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/record/record.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Damaged lines named one by one; past this many, only counted (a record
// overwritten with garbage must not flood `rbk history`).
constexpr size_t kMaxLineProblems = 5;
// The largest events.jsonl read back (command output is not in it).
constexpr size_t kMaxEventsBytes = size_t{256} << 20;

// Calls `each(event)` for every valid line of RUN_DIR/events.jsonl, in order;
// appends a problem for each damaged line and for a missing file. False
// when the file could not be opened. `skip_cut`: a last line without its
// newline (a write the run died in) is passed over, not a problem.
template <class F>
bool for_each_event(const fs::path& run_dir, std::vector<std::string>& problems, F each,
                    bool skip_cut = false, bool* cut_damaged = nullptr) {
  fs::path path = run_dir / "events.jsonl";
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    problems.push_back("no events.jsonl (the record was never written)");
    return false;
  }
  // A FIFO or a link to /dev/zero in a record must not hang `rbk history`.
  auto read = read_regular_file(path.string(), kMaxEventsBytes);
  if (!read) {
    problems.push_back("events.jsonl cannot be read: " + read.error());
    return false;
  }
  const std::string& text = *read;
  size_t damaged = 0;
  auto damage = [&](std::string problem) {
    if (++damaged <= kMaxLineProblems) problems.push_back(std::move(problem));
  };
  std::string_view rest(text);
  for (size_t n = 1; !rest.empty(); ++n) {
    size_t nl = rest.find('\n');
    // Every line the writer makes ends in a newline: one without it was cut
    // short by a crash or a full disk.
    const bool cut = nl == std::string_view::npos;
    std::string_view line = rest.substr(0, cut ? rest.size() : nl);
    rest.remove_prefix(cut ? rest.size() : nl + 1);
    if (line.empty() || (cut && skip_cut)) continue;
    json e = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (e.is_discarded()) {
      damage("line " + std::to_string(n) + " is not valid JSON" +
             (cut ? " (truncated write?)" : ""));
      if (cut && cut_damaged) *cut_damaged = true;
    } else if (!e.is_object()) {
      damage("line " + std::to_string(n) + " is not a JSON object");
    } else if (auto t = e.find("type"); t == e.end() || !t->is_string()) {
      damage("line " + std::to_string(n) + " has no event type");
    } else if (auto event = event_from_json(e); !event) {
      damage("line " + std::to_string(n) + ": " + event.error());
    } else if (*event) {  // else a type this rbk does not know: skipped
      each(std::move(**event));
    }
  }
  if (damaged > kMaxLineProblems)
    problems.push_back("… and " + std::to_string(damaged - kMaxLineProblems) +
                       " more damaged lines");
  return true;
}

RunSummary summarize(const fs::path& dir) {
  RunSummary s;
  s.run_id = dir.filename().string();
  s.dir = dir.string();
  s.outcome = "unfinished";
  bool started = false, ended = false;
  int64_t last_t = 0;
  std::vector<std::string> open_steps;  // begun, not ended
  // A called runbook's start and end are call_run_start and call_run_end:
  // the run's are the only run_start, and run_end (after a `resume`, the
  // last run_end is the one that counts).
  bool cut = false;  // a last line the run's death cut short
  bool readable = for_each_event(
      dir, s.problems,
      [&](Event e) {
        // A person's note, or what a resume ended: maybe long after the run.
        if (e.as<ev::TimelineNote>() || e.as<ev::LeftoversEnded>()) return;
        last_t = e.elapsed_ms;
        if (const auto* start = e.as<ev::RunStart>(); start && !started) {
          started = true;
          s.runbook = start->runbook;
          s.started = e.time;
          s.user = start->user;
        } else if (const auto* end = e.as<ev::RunEnd>()) {
          ended = true;
          s.outcome = outcome_name(end->outcome);
          s.exit_code = end->exit_code;
          s.duration_ms = end->duration_ms.value_or(e.elapsed_ms);
          s.failed_step = end->failed_step.value_or("");
        } else if (e.as<ev::Resume>()) {
          ended = false;
          s.outcome = "unfinished";
          s.exit_code.reset();
          s.failed_step.clear();
          open_steps.clear();  // the replay reopened what it goes on with
        } else if (const auto* step = e.as<ev::StepStart>()) {
          open_steps.push_back(step->step);
        } else if (const auto* step_end = e.as<ev::StepEnd>()) {
          auto it = std::find(open_steps.rbegin(), open_steps.rend(), step_end->step);
          if (it != open_steps.rend()) open_steps.erase(std::next(it).base());
        }
      },
      false, &cut);
  // `rbk resume` drops a cut last line: it is no damage that stops it.
  s.only_cut_line = cut && s.problems.size() == 1;
  if (!ended) s.duration_ms = last_t;
  s.live = !ended && record_in_use(s.dir);
  if (s.live) s.outcome = "running";
  s.resumable =
      started && !s.live && (!ended || s.outcome == "interrupted" || s.outcome == "parked");
  if (s.resumable)
    s.stopped_at = !s.failed_step.empty() ? s.failed_step
                   : open_steps.empty()   ? ""
                                          : open_steps.back();
  if (readable && !started) s.problems.push_back("no run_start event");  // else said already
  return s;
}

// When a run began, as a string that sorts in time order: run_start's time,
// else the time in the run id ("20261123T031502Z-…" → "2026-11-23T03:15:02");
// a run with neither sorts after every dated one (prefix "0" < "1").
std::string sort_key(const RunSummary& s) {
  if (!s.started.empty()) return "1" + s.started;
  const std::string& id = s.run_id;
  bool stamp = id.size() >= 16 && id[8] == 'T' && id[15] == 'Z';
  for (size_t i = 0; stamp && i < 15; ++i)
    if (i != 8 && (id[i] < '0' || id[i] > '9')) stamp = false;
  if (!stamp) return "0" + id;
  return "1" + id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) + "T" +
         id.substr(9, 2) + ":" + id.substr(11, 2) + ":" + id.substr(13, 2);
}

}  // namespace

std::vector<Event> read_events(const std::string& run_dir, std::vector<std::string>& problems,
                               bool whole_lines_only) {
  std::vector<Event> events;
  try {
    for_each_event(
        run_dir, problems, [&](Event e) { events.push_back(std::move(e)); }, whole_lines_only);
  } catch (const std::exception& ex) {
    problems.push_back(std::string("events.jsonl could not be read: ") + ex.what());
  }
  return events;
}

std::vector<RunSummary> list_runs(const std::string& records_dir) {
  std::vector<RunSummary> runs;
  std::error_code ec;
  fs::path root = fs::absolute(records_dir, ec);
  if (ec) return runs;
  root = root.lexically_normal();
  fs::directory_iterator it(root, ec);
  if (ec) return runs;  // missing (or unreadable: the CLI checks and says so)
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    std::error_code dir_ec;
    if (name.empty() || name[0] == '.' || !it->is_directory(dir_ec)) continue;
    try {
      runs.push_back(summarize(path));
    } catch (const std::exception& ex) {
      RunSummary s;
      s.run_id = name;
      s.dir = path.string();
      s.outcome = "unfinished";
      s.problems.push_back(std::string("the record could not be read: ") + ex.what());
      runs.push_back(std::move(s));
    }
  }
  std::vector<std::pair<std::string, size_t>> keys;
  keys.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) keys.emplace_back(sort_key(runs[i]), i);
  std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return runs[a.second].run_id > runs[b.second].run_id;
  });
  std::vector<RunSummary> sorted;
  sorted.reserve(runs.size());
  for (const auto& [key, i] : keys) sorted.push_back(std::move(runs[i]));
  return sorted;
}

std::string newest_live_run(const std::string& records_dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(records_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code dir_ec;
    if (!name.empty() && name[0] != '.' && it->is_directory(dir_ec)) dirs.push_back(it->path());
  }
  std::sort(dirs.rbegin(), dirs.rend());
  for (const auto& dir : dirs)
    if (record_in_use(dir.string())) return dir.string();
  return "";
}

}  // namespace rbk
