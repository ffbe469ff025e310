// Where `rbk serve` keeps its private files: beside the records directory
// (`.rbk/serve` in a project), a 0700 directory holding the Unix socket
// that `rbk approve`, `rbk deny` and `rbk runs` use, each run's spec and
// its output log.
#pragma once

#include <optional>
#include <string>

#include "interpreter/base/expected.hpp"
#include "interpreter/project/config.hpp"

namespace rbk::cli {

/// The server's directory for the project of `config`.
std::string serve_dir(const Config& config);
/// The server's Unix socket in it.
std::string serve_socket(const Config& config);
/// Makes `dir` (and its parents) and ensures it is 0700 and the user's own;
/// with `group` (a gid), 0710 and that group's: its members may reach the
/// socket in it, not list it or read what else it holds (each file 0600).
Expected<void, std::string> private_dir(const std::string& dir,
                                        std::optional<unsigned> group = std::nullopt);

/// The first directory above `dir` that members of `group` cannot pass
/// through (neither theirs by group with g+x, nor o+x): they could not reach
/// the socket. "" when none (ACLs aside).
std::string unreachable_for(const std::string& dir, unsigned group);

}  // namespace rbk::cli
