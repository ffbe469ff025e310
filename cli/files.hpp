// Expanding command-line paths into the .rbk files they name.
#pragma once

#include <string>
#include <vector>

namespace rbk::cli {

/// Files as given, and directories searched recursively for `*.rbk`
/// (sorted, so output order is stable). A path that does not exist is
/// returned in `missing`.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      std::vector<std::string>& missing);

/// The same, with `wanted` choosing the files a directory search keeps
/// (e.g. test fixtures instead of runbooks).
std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      std::vector<std::string>& missing,
                                      bool (*wanted)(const std::string& path));
}  // namespace rbk::cli
