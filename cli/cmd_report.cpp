// `rbk report`: the post-incident report of a run, drafted from its record,
// and `--verify`, which checks the record's output files against the
// digests kept when each command ended.
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/report/report.hpp"

namespace rbk::cli {

namespace {

// The run's directory (the newest run's by default), or "" after saying
// why there is none.
std::string find_run(const Config& config, const std::string& run_id) {
  if (!run_id.empty()) return named_run_dir(config, run_id);
  auto runs = list_runs(config.records_dir);
  if (runs.empty()) {
    write(stderr, "rbk: error: no run in " + display_path(config.records_dir) + "\n");
    return "";
  }
  return runs.front().dir;
}

int verify(const std::string& run_id, const std::vector<Event>& events, const std::string& dir) {
  const VerifyResult r = verify_outputs(events, dir);
  for (const auto& p : r.problems) write(stdout, "rbk: " + run_id + ": " + p + "\n");
  std::string tail;
  if (r.unverifiable)
    tail = "; " + std::to_string(r.unverifiable) +
           " written before rbk kept digests cannot be checked";
  if (!r.problems.empty()) {
    write(stdout, std::to_string(r.problems.size()) + " of " + std::to_string(r.checked) +
                      " output files of " + run_id + " are not as recorded" + tail + "\n");
    return kExitFindings;
  }
  write(stdout, std::to_string(r.checked) + " output files of " + run_id + " are as recorded" +
                    tail + "\n");
  return kExitOk;
}

}  // namespace

int run_report(const ReportOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  const Config& config = project->config();
  const std::string dir = find_run(config, opts.run_id);
  if (dir.empty()) return kExitUsage;
  const std::string run_id = std::filesystem::path(dir).filename().string();
  std::vector<std::string> problems;
  const std::vector<Event> events = read_events(dir, problems);
  for (const auto& p : problems) write(stderr, "rbk: warning: " + run_id + ": " + p + "\n");
  if (events.empty() || !events.front().as<ev::RunStart>()) {
    write(stderr, "rbk: error: the record of " + run_id + " does not begin with run_start\n");
    return kExitUsage;
  }
  if (opts.verify) return verify(run_id, events, dir);

  const nlohmann::json data = report_data(events, dir);
  std::string text;
  if (opts.format == "json") {
    text = data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    std::shared_ptr<const SourceFile> tmpl;
    if (config.report_template.empty()) {
      tmpl = std::make_shared<SourceFile>("(default template)",
                                          std::string(default_report_template()));
    } else {
      auto loaded = SourceFile::load(config.report_template, size_t{1} << 20);
      if (!loaded) {
        write(stderr, "rbk: error: cannot read the report template " +
                          display_path(config.report_template) + " (report.template in " +
                          display_path(config.path) + "): " + loaded.error() + "\n");
        return kExitUsage;
      }
      tmpl = std::move(*loaded);
    }
    auto rendered = render_report(data, *tmpl);
    if (!rendered) {
      write(stderr, render(rendered.error(), use_color(stderr)));
      return kExitUsage;
    }
    text = std::move(*rendered);
  }
  if (opts.output.empty()) {
    write(stdout, text);
    return kExitOk;
  }
  if (auto written = write_atomically(opts.output, text); !written) {
    write(stderr, "rbk: error: cannot write " + opts.output + ": " + written.error() + "\n");
    return kExitUsage;
  }
  write(stderr, "rbk: report of " + run_id + " written to " + opts.output + "\n");
  return kExitOk;
}

}  // namespace rbk::cli
