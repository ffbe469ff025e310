// "Did you mean …?" suggestions for misspelt keywords, names and fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rbk {

/// Edit distance (insert, delete, substitute, transpose) between two words.
size_t edit_distance(std::string_view a, std::string_view b);

/// The closest candidate to `word`, or "" when none is close enough to be a
/// likely typo (distance at most a third of the word's length, at least 1).
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

/// "did you mean 'x'?" or "" when there is no close candidate.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rbk
