// Small lexical rules shared by the check pass and rbk.yaml: what a
// runbook, role, severity or module name may look like, and durations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rbk {

/// `[a-z][a-z0-9-]*`, not ending in '-': runbook, role, severity and module names.
bool is_lower_word(std::string_view w);

/// Why a duration could not be read.
enum class DurationError { Malformed, UnitOrder, TooLarge };

/// A duration as written in runbooks and rbk.yaml: 500ms, 30s, 10m, 1h30m, 2d;
/// units from largest to smallest, each once. Milliseconds, or the error.
struct DurationResult {
  int64_t ms = 0;
  std::optional<DurationError> error;
};
DurationResult parse_duration(std::string_view text);

/// The items of `v` with `sep` between them: "web-1, web-2".
std::string join(const std::vector<std::string>& v, std::string_view sep = ", ");

/// `s` without leading and trailing characters from `chars`.
std::string trim(std::string_view s, std::string_view chars = " \t\r\n");
/// The same, as a view into `s`.
std::string_view trim_view(std::string_view s, std::string_view chars = " \t\r\n");

}  // namespace rbk
