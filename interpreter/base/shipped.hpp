// The files rbk carries inside its binary: the stdlib modules and the
// destructive-command patterns. A copied or installed rbk then behaves as
// the one in its build tree, and can never start without its safety list.
// The bytes are written into a generated source file at build time
// (cmake/embed_files.cmake); this is how the rest of rbk reads them.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace rbk {

/// One file compiled into rbk: its name relative to the source tree
/// ("stdlib/postgres.rbk") and its bytes.
struct ShippedFile {
  std::string_view name;
  std::string_view text;
};

/// Every shipped file, in name order.
std::span<const ShippedFile> shipped_files();

/// The bytes of the shipped file `name` ("stdlib/redis.rbk"), or nullopt.
std::optional<std::string_view> shipped_file(std::string_view name);

/// How a shipped file is named in messages and records ("rbk:stdlib/redis.rbk"):
/// not a path, so nobody looks for it on disk, and never mistaken for a
/// project's own file of the same name.
inline constexpr std::string_view kShippedPrefix = "rbk:";

}  // namespace rbk
