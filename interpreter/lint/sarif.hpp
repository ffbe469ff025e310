// Machine formats for lint findings: SARIF 2.1.0 (code scanning) and GitHub
// workflow-command annotations.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/base/diagnostic.hpp"
#include "interpreter/lint/lint.hpp"

namespace rbk {

/// One linted file and its findings.
struct FileFindings {
  std::string path;  // as it should appear in reports (relative to the repository root)
  Diagnostics findings;
};

/// A SARIF 2.1.0 log with one run: tool.driver (name "rbk", version,
/// informationUri, rules with shortDescription, fullDescription, help,
/// defaultConfiguration.level), results with ruleId, ruleIndex, level,
/// message, locations[].physicalLocation (artifactLocation.uri, region
/// startLine/startColumn/endLine/endColumn) and partialFingerprints (stable
/// across unrelated edits: rule id + file + the source line's text, hashed).
/// Findings without a rule id (check errors) get ruleId "RBK000".
/// Columns are code points (run.columnKind "unicodeCodePoints"), endColumn
/// just past the end, as in a Span. primaryLocationLineHash is
/// "<32 hex of sha256(ruleId, uri, trimmed line text, column from the line's
/// first non-blank)>:<occurrence of that trimmed line in the file, 1-based>":
/// no line number, so inserting lines elsewhere or re-indenting keeps it.
/// Rules the findings use but `rules` lacks are added after the given ones.
nlohmann::json to_sarif(const std::vector<FileFindings>& files, const std::vector<RuleInfo>& rules);

/// One GitHub Actions workflow command per finding:
/// `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=RBK101::message`
/// (warning/notice for the other severities), properties and message escaped
/// as GitHub requires (%25, %0D, %0A; and %3A, %2C in properties).
/// GitHub's endColumn is inclusive (the last character) and columns are
/// accepted only on one line: a multi-line span gives just line and endLine.
/// The message gets "\nhelp: …" when the finding has help.
std::string to_github(const Diagnostic& d, const std::string& path);

}  // namespace rbk
