// The JSON shapes of the Language Server Protocol that `rbk lsp` sends and
// reads, for the library's editor types (interpreter/ide/): positions,
// ranges, diagnostics, hovers, locations, completions, document symbols,
// text edits; and JSON-RPC's responses and errors.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/complete.hpp"
#include "interpreter/ide/formatting.hpp"
#include "interpreter/ide/navigate.hpp"
#include "interpreter/ide/outline.hpp"

namespace rbk::cli::lsp {

using nlohmann::json;

/// JSON-RPC and LSP error codes.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
};

/// A response carrying `result`.
json response(const json& id, json result);
/// An error response (`id` null when the request's id is unknown).
json error(const json& id, int code, const std::string& message);
/// A notification from the server.
json notification(const std::string& method, json params);

/// `{line, character}` read from a request (throws nlohmann's exceptions
/// when it is not one: the caller answers InvalidParams).
ide::Position position_of(const json& j);
/// A Position: `{line, character}`.
json to_json(const ide::Position& p);
/// A Range: `{start, end}`.
json to_json(const ide::Range& r);

/// One diagnostic; its help as related information when the client shows
/// that (`related`), else as a second line of the message.
json diagnostic(const ide::Finding& f, const std::string& uri, bool related);
/// A Hover: Markdown contents and the range of the name.
json hover(const ide::HoverText& h);
/// A location; `uri` is the file's URI.
json location(const std::string& uri, const ide::Range& r);
/// Completion items replacing `replace` (the partial word) with each label.
json completion(const ide::Completions& c, const ide::Range& replace);
/// The outline as DocumentSymbol[] (`hierarchical`), else as the flat
/// SymbolInformation[] of older clients, each naming its container.
json symbols(const std::vector<ide::OutlineItem>& items, const std::string& uri, bool hierarchical);
/// TextEdit[].
json edits(const std::vector<ide::TextEdit>& e);

}  // namespace rbk::cli::lsp
