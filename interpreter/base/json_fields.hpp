// Reading fields of a JSON document without throwing: a field that is
// missing or of another type reads as empty. The plan and the run record are
// typed and read no JSON this way; what is left is code that reads loosely
// shaped JSON (the engine's test fakes).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace rbk::json_fields {

/// The string at `key`, "" when `j` has none there.
inline std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);  // end() for a non-object too
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The whole number at `key`, 0 when `j` has none there.
inline int64_t num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

/// The boolean at `key`, false when `j` has none there.
inline bool flag(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace rbk::json_fields
