// SARIF 2.1.0 and GitHub workflow commands for lint findings.
//
// Positions: a Span's columns are 1-based code points and its end_col points
// just past the last character (interpreter/base/source.hpp). SARIF's endColumn is
// "the column of the character following the end of the region", so spans map
// one to one once the run declares columnKind "unicodeCodePoints" (the default
// would be UTF-16 code units). GitHub annotations take an inclusive end column
// and only on one line, so to_github converts.
//
// Fingerprints (partialFingerprints.primaryLocationLineHash) must survive
// unrelated edits, so they never contain a line number:
//   sha256(ruleId, uri, the finding's line with surrounding blanks trimmed,
//          the start column counted from the first non-blank character)
// cut to 32 hex digits, then ":" and the 1-based occurrence of that trimmed
// line among the file's lines (two identical lines in one file differ only
// by it, as in GitHub's own scheme).
#include "interpreter/lint/sarif.hpp"
#include "interpreter/base/utf8.hpp"

#include <cstdio>
#include <map>
#include <string_view>
#include <unordered_map>

#include "interpreter/base/names.hpp"
#include "interpreter/base/sha256.hpp"

#ifndef RBK_VERSION
#define RBK_VERSION "0.0.0"
#endif

namespace rbk {
namespace {

constexpr const char* kSchema = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr const char* kInformationUri = "https://github.com/rbk-runbooks/rbk";

// SARIF's levels are rbk's severity names ("error", "warning", "note").
const char* sarif_level(Severity s) {
  return severity_name(s);
}

// Code points in s, as SARIF's columns count them.
uint32_t code_points(std::string_view s) {
  return static_cast<uint32_t>(utf8::code_points(s));
}

/// A relative path as a URI reference: forward slashes, no leading "./",
/// every byte outside RFC 3986's unreserved set (and '/') percent-encoded.
std::string path_to_uri(const std::string& path) {
  std::string p = path;
  for (char& c : p)
    if (c == '\\') c = '/';
  while (p.size() >= 2 && p[0] == '.' && p[1] == '/') p.erase(0, 2);
  bool absolute = !p.empty() && p[0] == '/';
  std::string out = absolute ? "file://" : "";
  static const char* hex = "0123456789ABCDEF";
  for (char ch : p) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

/// For one file: the 1-based occurrence of each line's trimmed text among
/// the lines before it (computed once per file).
class LineOccurrences {
 public:
  explicit LineOccurrences(const SourceFile& file) {
    std::unordered_map<std::string_view, uint32_t> seen;
    const uint32_t n = file.line_count();
    occurrence_.resize(n + 1, 1);
    for (uint32_t line = 1; line <= n; ++line)
      occurrence_[line] = ++seen[trim_view(file.line_text(line))];
  }
  uint32_t of(uint32_t line) const { return line < occurrence_.size() ? occurrence_[line] : 1; }

 private:
  std::vector<uint32_t> occurrence_;
};

std::string fingerprint(const std::string& rule_id, const std::string& uri, const Diagnostic& d,
                        std::map<const SourceFile*, LineOccurrences>& occurrences) {
  std::string_view line_text;
  uint32_t occurrence = 1;
  uint32_t rel_col = 0;
  const SourceFile* file = d.span.file;
  if (file != nullptr && d.span.line >= 1 && d.span.line <= file->line_count()) {
    std::string_view full = file->line_text(d.span.line);
    line_text = trim_view(full);
    size_t lead = full.find_first_not_of(" \t\r\n");
    uint32_t lead_cols = lead == std::string_view::npos ? 0 : code_points(full.substr(0, lead));
    rel_col = d.span.col > lead_cols ? d.span.col - lead_cols : 0;
    auto it = occurrences.find(file);
    if (it == occurrences.end()) it = occurrences.emplace(file, LineOccurrences(*file)).first;
    occurrence = it->second.of(d.span.line);
  }
  std::string key;
  key += rule_id;
  key += '\0';
  key += uri;
  key += '\0';
  key += line_text;
  key += '\0';
  key += std::to_string(rel_col);
  return sha256_hex(key).substr(0, 32) + ":" + std::to_string(occurrence);
}

nlohmann::json rule_json(const RuleInfo& r) {
  const std::string& full = r.help.empty() ? r.summary : r.help;
  nlohmann::json help = {{"text", full}};
  help["markdown"] = "**" + r.id + " " + r.name + "**: " + r.summary +
                     (r.help.empty() ? std::string() : "\n\n" + r.help);
  nlohmann::json rule = {
      {"id", r.id},
      {"name", r.name},
      {"shortDescription", {{"text", r.summary}}},
      {"fullDescription", {{"text", full}}},
      {"help", help},
      {"defaultConfiguration", {{"level", sarif_level(r.default_severity)}}},
      {"properties", {{"tags", nlohmann::json::array({r.category})}}},
  };
  return rule;
}

// GitHub toolkit escaping (actions/toolkit packages/core/src/command.ts):
// data escapes %, CR and LF; a property also ':' and ','.
std::string escape_github(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_data(std::string_view s) {
  return escape_github(s, false);
}
std::string escape_property(std::string_view s) {
  return escape_github(s, true);
}

}  // namespace

nlohmann::json to_sarif(const std::vector<FileFindings>& files,
                        const std::vector<RuleInfo>& rules) {
  nlohmann::json rules_json = nlohmann::json::array();
  std::map<std::string, size_t> index;  // rule id → position in rules_json
  for (const RuleInfo& r : rules) {
    if (index.count(r.id)) continue;
    index[r.id] = rules_json.size();
    rules_json.push_back(rule_json(r));
  }
  // Rules the findings use but the list lacks: check errors (no code) become
  // RBK000, anything else gets a minimal rule of its own.
  auto ensure_rule = [&](const Diagnostic& d) -> std::pair<std::string, size_t> {
    std::string id = d.code.empty() ? "RBK000" : d.code;
    auto it = index.find(id);
    if (it != index.end()) return {id, it->second};
    RuleInfo r;
    r.id = id;
    if (d.code.empty()) {
      r.name = "check";
      r.category = "correctness";
      r.default_severity = Severity::Error;
      r.summary = "The runbook does not parse or does not pass rbk check";
      r.help = "Errors found by rbk check (syntax, names, types); fix them before anything else.";
    } else {
      r.name = id;
      r.category = "correctness";
      r.default_severity = d.severity;
      r.summary = id;
    }
    size_t pos = rules_json.size();
    index[id] = pos;
    rules_json.push_back(rule_json(r));
    return {id, pos};
  };

  std::map<const SourceFile*, LineOccurrences> occurrences;
  nlohmann::json results = nlohmann::json::array();
  for (const FileFindings& f : files) {
    const std::string uri = path_to_uri(f.path);
    const bool absolute = uri.rfind("file://", 0) == 0;
    for (const Diagnostic& d : f.findings) {
      auto [id, pos] = ensure_rule(d);
      std::string text = d.message;
      if (!d.help.empty()) text += "\nhelp: " + d.help;
      nlohmann::json artifact = {{"uri", uri}};
      if (!absolute) artifact["uriBaseId"] = "%SRCROOT%";
      nlohmann::json physical = {{"artifactLocation", artifact}};
      if (d.span.line >= 1) {
        nlohmann::json region = {{"startLine", d.span.line}};
        if (d.span.col >= 1) region["startColumn"] = d.span.col;
        uint32_t end_line = d.span.end_line >= d.span.line ? d.span.end_line : d.span.line;
        region["endLine"] = end_line;
        if (d.span.end_col >= 1 && (end_line > d.span.line || d.span.end_col >= d.span.col))
          region["endColumn"] = d.span.end_col;
        physical["region"] = region;
      }
      nlohmann::json result = {
          {"ruleId", id},
          {"ruleIndex", pos},
          {"level", sarif_level(d.severity)},
          {"message", {{"text", text}}},
          {"locations", nlohmann::json::array({{{"physicalLocation", physical}}})},
          {"partialFingerprints",
           {{"primaryLocationLineHash", fingerprint(id, uri, d, occurrences)}}},
      };
      results.push_back(std::move(result));
    }
  }

  nlohmann::json driver = {
      {"name", "rbk"},
      {"version", RBK_VERSION},
      {"semanticVersion", RBK_VERSION},
      {"informationUri", kInformationUri},
      {"rules", rules_json},
  };
  nlohmann::json run = {
      {"tool", {{"driver", driver}}},
      {"columnKind", "unicodeCodePoints"},
      {"results", results},
  };
  return {
      {"$schema", kSchema},
      {"version", "2.1.0"},
      {"runs", nlohmann::json::array({run})},
  };
}

std::string to_github(const Diagnostic& d, const std::string& path) {
  std::string cmd = "::";
  switch (d.severity) {
    case Severity::Error:
      cmd += "error";
      break;
    case Severity::Warning:
      cmd += "warning";
      break;
    case Severity::Note:
      cmd += "notice";
      break;
  }
  std::vector<std::pair<std::string, std::string>> props;
  std::string file = path.empty() ? (d.span.file ? d.span.file->path() : d.path) : path;
  if (!file.empty()) props.emplace_back("file", file);
  if (d.span.line >= 1) {
    props.emplace_back("line", std::to_string(d.span.line));
    uint32_t end_line = d.span.end_line >= d.span.line ? d.span.end_line : d.span.line;
    // GitHub takes columns only when the annotation stays on one line, and
    // its endColumn is the last character's (inclusive).
    if (end_line == d.span.line && d.span.col >= 1) {
      props.emplace_back("col", std::to_string(d.span.col));
      props.emplace_back("endLine", std::to_string(end_line));
      uint32_t end_col = d.span.end_col > d.span.col ? d.span.end_col - 1 : d.span.col;
      props.emplace_back("endColumn", std::to_string(end_col));
    } else {
      props.emplace_back("endLine", std::to_string(end_line));
    }
  }
  if (!d.code.empty()) props.emplace_back("title", d.code);
  for (size_t i = 0; i < props.size(); ++i) {
    cmd += i == 0 ? " " : ",";
    cmd += props[i].first;
    cmd += '=';
    cmd += escape_property(props[i].second);
  }
  std::string message = d.message;
  if (!d.help.empty()) message += "\nhelp: " + d.help;
  cmd += "::";
  cmd += escape_data(message);
  return cmd;
}

}  // namespace rbk
