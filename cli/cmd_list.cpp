// `rbk list`: the runbook catalogue, one line per runbook on the runbook path.
#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/terminal.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/project/config.hpp"

namespace rbk::cli {

namespace {

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

int run_list(const ListOptions& opts) {
  auto project = open_workspace();
  if (!project) return kExitUsage;
  std::error_code ec;
  const std::vector<std::string>& path = project->path();
  const std::vector<CatalogEntry> entries = list_runbooks(path);

  if (entries.empty()) {
    std::string dirs;
    for (const auto& d : path) {
      dirs += (dirs.empty() ? "" : ", ") + display_path(d);
      if (!std::filesystem::is_directory(d, ec)) dirs += " (missing)";
    }
    write(stderr, "rbk: no runbooks found in " + (dirs.empty() ? std::string("(none)") : dirs) +
                      "\nSet RBK_PATH or 'paths' in rbk.yaml to look elsewhere.\n");
    if (opts.format == "json") write(stdout, "[]\n");
    return kExitOk;
  }

  if (opts.format == "json") {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json j = {{"name", e.name},
                          {"path", e.path},
                          {"title", e.title},
                          {"severity", e.severity},
                          {"signals", e.signals}};
      if (!e.problem.empty()) j["problem"] = e.problem;
      all.push_back(std::move(j));
    }
    write(stdout, json_text(all, 2) + "\n");
    return kExitOk;
  }

  size_t name_w = 4, sev_w = 8;  // "NAME", "SEVERITY"
  for (const auto& e : entries) {
    name_w = std::max(name_w, e.name.size());
    sev_w = std::max(sev_w, e.severity.empty() ? size_t{1} : e.severity.size());
  }
  const std::string indent(name_w + 2 + sev_w + 2, ' ');
  std::string out = pad("NAME", name_w) + "  " + pad("SEVERITY", sev_w) + "  TITLE\n";
  for (const auto& e : entries) {
    std::string title = e.problem.empty() ? (e.title.empty() ? "(no title)" : e.title)
                                          : "(error: " + e.problem + ")";
    out += pad(e.name, name_w) + "  " + pad(e.severity.empty() ? "-" : e.severity, sev_w) + "  " +
           title + "\n";
    for (size_t i = 0; i < e.signals.size(); ++i)
      out += indent + (i == 0 ? "fires on: " : "      or: ") + e.signals[i] + "\n";
  }
  write(stdout, out);
  return kExitOk;
}

}  // namespace rbk::cli
