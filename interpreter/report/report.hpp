// The post-incident report (`rbk report`), drafted from a run's record: a
// data document (the JSON form) built from the events, and the Markdown
// form rendered from that data through a template a team can replace.
// Everything in it comes from the record, which is masked as it is written,
// so a report holds no secret the record does not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/expected.hpp"
#include "interpreter/base/source.hpp"
#include "interpreter/record/events.hpp"

namespace rbk {

/// The report document's format (`report_format` in the JSON form).
inline constexpr int kReportFormat = 2;
/// How much of an evidence step's output the report quotes (the rest is in
/// the output file it names).
inline constexpr size_t kEvidenceLines = 20;
inline constexpr size_t kEvidenceBytes = 4000;

/// The report's data, from a run's events in order (read_events) and its
/// directory (for the evidence files). docs/report.md documents each field.
nlohmann::json report_data(const std::vector<Event>& events, const std::string& run_dir);

/// A cause's `values` (from report_data) as one line: "conns = 97, limit = 90"
/// (a value over several lines quoted, its line breaks escaped).
std::string cause_values_text(const nlohmann::json& values);

/// The default Markdown template (docs/report.md shows it).
std::string_view default_report_template();

/// The Markdown report: `tmpl` with each {{placeholder}} replaced by its
/// block rendered from `data`. An unknown placeholder, or one left open,
/// is an error at its place in the template.
Expected<std::string, Diagnostic> render_report(const nlohmann::json& data, const SourceFile& tmpl);

/// The placeholders a template may use.
const std::vector<std::string>& report_placeholders();

/// What `rbk report --verify` found: every output file whose digest the
/// record kept, read again.
struct VerifyResult {
  size_t checked = 0;                 // files read and compared
  size_t unverifiable = 0;            // output without a recorded digest (older records)
  std::vector<std::string> problems;  // "output/0003.stdout changed since the run (…)"
};
/// Checks every output file with a recorded sha256 against it.
VerifyResult verify_outputs(const std::vector<Event>& events, const std::string& run_dir);

}  // namespace rbk
