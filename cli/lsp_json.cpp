#include "cli/lsp_json.hpp"

#include <algorithm>
#include <iterator>

namespace rbk::cli::lsp {

namespace {

/// LSP's DiagnosticSeverity: Error 1, Warning 2, Information 3.
int severity(Severity s) {
  return s == Severity::Error ? 1 : s == Severity::Warning ? 2 : 3;
}

/// LSP's CompletionItemKind, in ide::CompletionKind's order: Keyword,
/// Variable, Capture (a Variable), Field, Module, Template (a Function),
/// Cause (a Constant), Step (a Function), Role (a Reference), Runbook (a
/// File), Builtin (a Constant), Value.
int kind(ide::CompletionKind k) {
  static constexpr int kKinds[] = {14, 6, 6, 5, 9, 3, 21, 3, 18, 17, 21, 12};
  const auto i = static_cast<size_t>(k);
  return i < std::size(kKinds) ? kKinds[i] : 1;
}

/// LSP's SymbolKind, in ide::OutlineKind's order: Import (a Module),
/// Runbook (a File), Module, Param (a Variable), Secret (a Key), Message (a
/// String), Section (a Namespace), Step (a Function), Signal (an Event),
/// Check (a Boolean), Cause (a Constant), Escalation (an Event), Template (a
/// Function).
int kind(ide::OutlineKind k) {
  static constexpr int kKinds[] = {2, 1, 2, 13, 20, 15, 3, 12, 24, 17, 14, 24, 12};
  const auto i = static_cast<size_t>(k);
  return i < std::size(kKinds) ? kKinds[i] : 13;
}

void flat(const std::vector<ide::OutlineItem>& items, const std::string& uri,
          const std::string& container, json& out) {
  for (const auto& i : items) {
    json s = {{"name", i.name}, {"kind", kind(i.kind)}, {"location", location(uri, i.range)}};
    if (!container.empty()) s["containerName"] = container;
    out.push_back(std::move(s));
    flat(i.children, uri, i.name, out);
  }
}

json tree(const ide::OutlineItem& i) {
  json s = {{"name", i.name.empty() ? std::string("(unnamed)") : i.name},
            {"kind", kind(i.kind)},
            {"range", to_json(i.range)},
            {"selectionRange", to_json(i.selection)}};
  if (!i.detail.empty()) s["detail"] = i.detail;
  if (!i.children.empty()) {
    s["children"] = json::array();
    for (const auto& c : i.children) s["children"].push_back(tree(c));
  }
  return s;
}

}  // namespace

json response(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json error(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json notification(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

ide::Position position_of(const json& j) {
  // Clamped into uint32_t without a float-to-integer conversion that
  // overflows: a client may send -1, 1e300 or a number past 2^63.
  auto number = [](const json& v) -> uint32_t {
    if (v.is_number_unsigned())
      return static_cast<uint32_t>(std::min<uint64_t>(v.get<uint64_t>(), UINT32_MAX));
    if (v.is_number_integer())
      return static_cast<uint32_t>(std::clamp<int64_t>(v.get<int64_t>(), 0, UINT32_MAX));
    const double d = v.get<double>();  // throws type_error for a non-number
    return d > 0 ? (d < UINT32_MAX ? static_cast<uint32_t>(d) : UINT32_MAX) : 0;
  };
  return {number(j.at("line")), number(j.at("character"))};
}

json to_json(const ide::Position& p) {
  return {{"line", p.line}, {"character", p.character}};
}

json to_json(const ide::Range& r) {
  return {{"start", to_json(r.start)}, {"end", to_json(r.end)}};
}

json diagnostic(const ide::Finding& f, const std::string& uri, bool related) {
  json d = {{"range", to_json(f.range)},
            {"severity", severity(f.severity)},
            {"source", "rbk"},
            {"message", f.message}};
  if (!f.code.empty()) d["code"] = f.code;
  if (!f.help.empty()) {
    if (related)
      d["relatedInformation"] =
          json::array({{{"location", location(uri, f.range)}, {"message", "help: " + f.help}}});
    else
      d["message"] = f.message + "\nhelp: " + f.help;
  }
  return d;
}

json hover(const ide::HoverText& h) {
  return {{"contents", {{"kind", "markdown"}, {"value", h.markdown}}}, {"range", to_json(h.range)}};
}

json location(const std::string& uri, const ide::Range& r) {
  return {{"uri", uri}, {"range", to_json(r)}};
}

json completion(const ide::Completions& c, const ide::Range& replace) {
  json items = json::array();
  for (const auto& i : c.items) {
    json item = {{"label", i.label},
                 {"kind", kind(i.kind)},
                 {"textEdit", {{"range", to_json(replace)}, {"newText", i.label}}}};
    if (!i.detail.empty()) item["detail"] = i.detail;
    items.push_back(std::move(item));
  }
  return {{"isIncomplete", false}, {"items", std::move(items)}};
}

json symbols(const std::vector<ide::OutlineItem>& items, const std::string& uri,
             bool hierarchical) {
  json out = json::array();
  if (!hierarchical) {
    flat(items, uri, "", out);
    return out;
  }
  for (const auto& i : items) out.push_back(tree(i));
  return out;
}

json edits(const std::vector<ide::TextEdit>& e) {
  json out = json::array();
  for (const auto& x : e) out.push_back({{"range", to_json(x.range)}, {"newText", x.text}});
  return out;
}

}  // namespace rbk::cli::lsp
