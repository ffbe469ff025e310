// `rbk fmt`'s report, text or JSON.
#include "cli/fmt_report.hpp"

#include "cli/project.hpp"
#include "cli/terminal.hpp"

namespace rbk::cli {

namespace {

/// The status as the JSON names it.
const char* status_name(FmtStatus s) {
  switch (s) {
    case FmtStatus::AlreadyFormatted:
      return "already_formatted";
    case FmtStatus::Rewritten:
      return "rewritten";
    case FmtStatus::WouldChange:
      return "would_change";
    case FmtStatus::Error:
      break;
  }
  return "error";
}

}  // namespace

std::string fmt_mode(bool check, bool diff) {
  return check ? "check" : diff ? "diff" : "write";
}

nlohmann::json fmt_json(const std::vector<std::string>& files,
                        const std::vector<FmtOutcome>& outcomes, const std::string& mode) {
  nlohmann::json results = nlohmann::json::array();
  size_t counts[4] = {};  // by FmtStatus
  for (size_t i = 0; i < files.size(); ++i) {
    const FmtOutcome& o = outcomes[i];
    nlohmann::json r = {{"file", files[i]}, {"status", status_name(o.status)}};
    if (o.status == FmtStatus::WouldChange && mode == "diff") r["diff"] = o.diff;
    if (o.status == FmtStatus::Error) r["diagnostics"] = problem_json(o.error, files[i]);
    ++counts[static_cast<size_t>(o.status)];
    results.push_back(std::move(r));
  }
  return {{"mode", mode},
          {"files", files.size()},
          {"already_formatted", counts[static_cast<size_t>(FmtStatus::AlreadyFormatted)]},
          {"rewritten", counts[static_cast<size_t>(FmtStatus::Rewritten)]},
          {"would_change", counts[static_cast<size_t>(FmtStatus::WouldChange)]},
          {"errors", counts[static_cast<size_t>(FmtStatus::Error)]},
          {"results", std::move(results)}};
}

void print_fmt_text(const std::vector<std::string>& files, const std::vector<FmtOutcome>& outcomes,
                    bool check) {
  const bool color = use_color(stderr);
  for (size_t i = 0; i < files.size(); ++i) {
    const FmtOutcome& o = outcomes[i];
    std::string err;
    for (const auto& d : o.error.diagnostics) err += render(d, color);
    if (!o.error.message.empty()) err += "rbk: error: " + files[i] + ": " + o.error.message + "\n";
    if (o.status == FmtStatus::Rewritten) err += "formatted " + files[i] + "\n";
    if (!err.empty()) write(stderr, err);
    if (o.status == FmtStatus::WouldChange) write(stdout, check ? files[i] + "\n" : o.diff);
  }
}

}  // namespace rbk::cli
