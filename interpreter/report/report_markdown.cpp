// The Markdown form of the report, rendered from its data (report.cpp):
// each {{placeholder}} of the template is one block.
#include <algorithm>
#include <functional>
#include <map>

#include "interpreter/base/format_str.hpp"
#include "interpreter/base/markdown.hpp"
#include "interpreter/report/report.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk {

namespace {

using nlohmann::json;

constexpr std::string_view kDefaultTemplate = R"(# {{title}}

{{header}}

## Summary

{{summary}}

## Impact

_To fill: who and what was affected, how badly, and for how long._

## Causes

{{causes}}

## Root cause

{{root_cause}}

## Timeline (UTC)

{{timeline}}

## Evidence

{{evidence}}

## Actions taken

{{actions}}

{{rolled_back}}

## What went well

- _To fill._

## What needs improvement

- _To fill._

## Action items

{{action_items}}
)";

std::string field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// `s` without its last newline (md_block ends every line itself).
std::string trimmed_end(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// "2026-12-05T15:24:13.566Z" → "15:24:13", or with its date when it is not
// the run's first day.
std::string clock_time(const std::string& iso, const std::string& start) {
  if (iso.size() < 19) return iso;
  if (start.compare(0, 10, iso, 0, 10) == 0) return iso.substr(11, 8);
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

// Whole seconds, or milliseconds under one second: "1m12s", "850ms".
std::string took(const json& ms) {
  if (!ms.is_number_integer()) return "-";
  const int64_t v = ms.get<int64_t>();
  return format_duration(v >= 1000 ? v / 1000 * 1000 : v);
}

std::string block_header(const json& d) {
  const std::string start = field(d, "started");
  std::string out = "| | |\n| --- | --- |\n";
  auto row = [&](const std::string& k, const std::string& v) {
    out += "| " + k + " | " + md_cell(v) + " |\n";
  };
  row("Runbook", field(d, "runbook") + " (" + field(d, "file") + ")");
  row("Severity", field(d, "severity").empty() ? "-" : field(d, "severity"));
  row("Run", field(d, "run_id"));
  row("Run by", field(d, "user"));
  row("Started (UTC)",
      start.size() >= 19 ? start.substr(0, 10) + " " + start.substr(11, 8) : start);
  row("Ended (UTC)", d["ended"].is_string() ? clock_time(field(d, "ended"), start) : "not ended");
  row("Duration", took(d["duration_ms"]));
  std::string outcome = field(d, "outcome");
  if (d["exit_code"].is_number_integer())
    outcome += format_str(" (exit {})", d["exit_code"].get<int>());
  if (d["failed_step"].is_string()) outcome += ", at step " + field(d, "failed_step");
  row("Outcome", outcome);
  if (d["stretches"].size() > 1) {
    std::string s;
    const json& gaps = d["gaps"];
    for (size_t i = 0; i < d["stretches"].size(); ++i) {
      const json& st = d["stretches"][i];
      if (i > 0 && i - 1 < gaps.size()) s += " · down " + took(gaps[i - 1]["down_ms"]) + " · ";
      s += clock_time(field(st, "from"), start) + "–" + clock_time(field(st, "to"), start) +
           " by " + field(st, "by");
    }
    row("Stretches", s);
  }
  if (!d["params"].empty()) {
    std::string p;
    for (const auto& [k, v] : d["params"].items())
      p += (p.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    row("Parameters", p);
  }
  out.pop_back();
  return out;
}

std::string block_summary(const json& d) {
  const std::string start = field(d, "started");
  std::string out = "Runbook **" + field(d, "runbook") + "**";
  if (!field(d, "title").empty()) out += " (" + field(d, "title") + ")";
  out += " was run by " + field(d, "user") + " on " +
         start.substr(0, std::min<size_t>(10, start.size())) + " at " + clock_time(start, start) +
         " UTC for " + took(d["duration_ms"]) + ". Outcome: **" + field(d, "outcome") + "**";
  if (d["failed_step"].is_string()) out += ", at step " + field(d, "failed_step");
  out += ".";
  std::vector<std::string> matched;
  for (const auto& c : d["causes"])
    if (c["matched"].get<bool>()) matched.push_back(field(c, "id"));
  if (!matched.empty()) {
    out += " Causes matched:";
    for (size_t i = 0; i < matched.size(); ++i) out += (i ? ", " : " ") + matched[i];
    out += ".";
  }
  out += format_str(" {} action{} changed something", d["actions"].size(),
                    d["actions"].size() == 1 ? "" : "s");
  if (!d["rolled_back"].empty())
    out += format_str("; {} undo or rollback step{} ran", d["rolled_back"].size(),
                      d["rolled_back"].size() == 1 ? "" : "s");
  out += ".";
  if (d["gaps"].size() > 0)
    out += format_str(" The run stopped and was resumed {} time{}.", d["gaps"].size(),
                      d["gaps"].size() == 1 ? "" : "s");
  return out;
}

std::string block_causes(const json& d) {
  if (d["causes"].empty()) return "_The runbook evaluated no cause._";
  std::string out = "| cause | | matched | what the diagnosis found |\n| --- | --- | --- | --- |\n";
  for (const auto& c : d["causes"])
    out += "| " + md_cell(field(c, "id")) + " | " + md_cell(field(c, "title")) + " | " +
           (c["matched"].get<bool>() ? "**yes**" : "no") + " | " +
           md_cell(cause_values_text(c.value("values", json::object()))) + " |\n";
  out.pop_back();
  return out;
}

std::string block_root_cause(const json& d) {
  std::string out;
  for (const auto& c : d["causes"])
    if (c["matched"].get<bool>()) {
      const std::string found = cause_values_text(c.value("values", json::object()));
      out += "- " + field(c, "id") + (field(c, "title").empty() ? "" : ": " + field(c, "title")) +
             (found.empty() ? "" : " (" + found + ")") + "\n";
    }
  if (out.empty()) return "_To fill: no cause of the runbook matched._";
  return "_To confirm or correct: the runbook's diagnosis matched_\n\n" +
         out.substr(0, out.size() - 1);
}

std::string block_timeline(const json& d) {
  const std::string start = field(d, "started");
  std::string out = "| time | what happened | by |\n| --- | --- | --- |\n";
  for (const auto& e : d["timeline"])
    out += "| " + clock_time(field(e, "time"), start) + " | " + md_cell(field(e, "text")) + " | " +
           md_cell(field(e, "by")) + " |\n";
  out.pop_back();
  return out;
}

std::string block_evidence(const json& d) {
  if (d["evidence"].empty()) return "_No evidence step ran._";
  std::string out;
  for (const auto& e : d["evidence"]) {
    if (!out.empty()) out += "\n\n";
    out += "### " + field(e, "step") + "\n\n" + md_code(field(e, "command")) + "\n\n" +
           md_block(trimmed_end(field(e, "excerpt")));  // ends in a newline
    out +=
        "\n" + std::string(e["trimmed"].get<bool>() ? "Trimmed; the full output" : "Full output") +
        " (" + std::to_string(e["bytes"].get<uint64_t>()) + " bytes): `" + field(e, "file") + "`";
    if (e["sha256"].is_string()) out += ", sha256 `" + field(e, "sha256") + "`";
    out += ".";
  }
  return out;
}

std::string block_actions_table(const json& d);

/// Shadow mode's steps: what automation would have run, and did not.
std::string would_run_table(const json& d) {
  std::string out =
      "Shadow mode: nothing below ran; it is what automation would have run.\n\n"
      "| step | command |\n| --- | --- |\n";
  for (const auto& w : d["would_run"]) {
    const std::string step = md_cell(field(w, "step")) + " (" + field(w, "section") + ")" +
                             (w["destructive"].get<bool>() ? ", destructive" : "");
    if (w["commands"].empty()) out += "| " + step + " | _no command_ |\n";
    for (const auto& c : w["commands"])
      out += "| " + step + " | " + md_cell(md_code(c.get<std::string>())) + " |\n";
  }
  out.pop_back();
  return out;
}

std::string block_actions(const json& d) {
  if (!d["would_run"].empty())
    return (d["actions"].empty() ? "" : block_actions_table(d) + "\n\n") + would_run_table(d);
  return block_actions_table(d);
}

std::string block_actions_table(const json& d) {
  if (d["actions"].empty()) return "_No command that changes something ran._";
  const std::string start = field(d, "started");
  std::string out = "| time | step | command | exit | took |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& a : d["actions"]) {
    std::string exit = a["exit"].is_number() ? std::to_string(a["exit"].get<int>()) : "—";
    if (a["timed_out"].get<bool>()) exit += " (timed out)";
    if (a["cancelled"].get<bool>()) exit += " (stopped)";
    if (a.contains("note")) exit += " — " + md_cell(field(a, "note"));
    out += "| " + clock_time(field(a, "started"), start) + " | " + md_cell(field(a, "step")) +
           " (" + field(a, "section") + ") | " + md_cell(md_code(field(a, "command"))) + " | " +
           exit + " | " + (a["duration_ms"].is_number() ? took(a["duration_ms"]) : "—") + " |\n";
  }
  out.pop_back();
  return out;
}

std::string block_rolled_back(const json& d) {
  if (d["rollback"].is_null()) return "Nothing was rolled back.";
  std::string out =
      "Remediation failed at **" + field(d["rollback"], "failed_step") + "**; rolled back:\n\n";
  for (const auto& r : d["rolled_back"])
    out += "- " + field(r, "step") + " (" + field(r, "section") + "): " + field(r, "status") + "\n";
  if (d["rolled_back"].empty()) out += "- nothing had to be undone\n";
  out.pop_back();
  return out;
}

std::string block_action_items(const json& d) {
  std::string out = "| action | owner | deadline | status |\n| --- | --- | --- | --- |\n";
  if (d["failed_step"].is_string())
    out += "| " + md_cell("Find out why " + field(d, "failed_step") + " did not succeed") +
           " | | | open |\n";
  for (const auto& e : d["timeline"])
    if (field(e, "kind") == "escalation" &&
        field(e, "text").find("not delivered") != std::string::npos)
      out += "| " + md_cell("Fix the notification: " + field(e, "text")) + " | | | open |\n";
  out += "| | | | |";
  return out;
}

using Block = std::function<std::string(const json&)>;

const std::map<std::string, Block>& blocks() {
  static const std::map<std::string, Block> all = {
      {"title",
       [](const json& d) {
         return "Post-incident report: " + field(d, "runbook") +
                (field(d, "title").empty() ? "" : " — " + field(d, "title"));
       }},
      {"run_id", [](const json& d) { return field(d, "run_id"); }},
      {"runbook", [](const json& d) { return field(d, "runbook"); }},
      {"severity", [](const json& d) { return field(d, "severity"); }},
      {"outcome", [](const json& d) { return field(d, "outcome"); }},
      {"user", [](const json& d) { return field(d, "user"); }},
      {"started", [](const json& d) { return field(d, "started"); }},
      {"duration", [](const json& d) { return took(d["duration_ms"]); }},
      {"header", block_header},
      {"summary", block_summary},
      {"causes", block_causes},
      {"root_cause", block_root_cause},
      {"timeline", block_timeline},
      {"evidence", block_evidence},
      {"actions", block_actions},
      {"rolled_back", block_rolled_back},
      {"action_items", block_action_items},
  };
  return all;
}

}  // namespace

std::string_view default_report_template() {
  return kDefaultTemplate;
}

const std::vector<std::string>& report_placeholders() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, block] : blocks()) v.push_back(name);
    return v;
  }();
  return names;
}

Expected<std::string, Diagnostic> render_report(const json& data, const SourceFile& tmpl) {
  const std::string_view text = tmpl.text();
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find("{{", at);
    if (open == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, open - at));
    const size_t close = text.find("}}", open + 2);
    auto where = [&](size_t b, size_t e) {
      return Span::of(tmpl, static_cast<uint32_t>(b), static_cast<uint32_t>(e));
    };
    if (close == std::string_view::npos ||
        text.substr(open, close - open).find('\n') != std::string_view::npos)
      return fail(error_at(where(open, open + 2), "a placeholder is not closed with }}"));
    std::string name(text.substr(open + 2, close - open - 2));
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    auto it = blocks().find(name);
    if (it == blocks().end()) {
      std::string known;
      for (const auto& n : report_placeholders()) known += (known.empty() ? "" : ", ") + n;
      return fail(error_at(where(open, close + 2), "unknown placeholder {{" + name + "}}",
                           "placeholders: " + known + " (docs/report.md)"));
    }
    out += it->second(data);
    at = close + 2;
  }
  return out;
}

}  // namespace rbk
