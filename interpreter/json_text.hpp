// JSON as text, for every writer rbk has (the record, --json, --format json,
// SARIF, the AST, plans). Values come from files and command output that may
// hold invalid UTF-8; nlohmann/json throws on those by default, which would
// end a CI job with "internal error" over one stray byte.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rbk {

/// `j` as JSON text (compact when `indent` is -1), with every invalid UTF-8
/// byte replaced by U+FFFD instead of an exception.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rbk
