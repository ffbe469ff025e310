// Looks up the files compiled into rbk (the table is generated at build
// time from stdlib/ by cmake/embed_files.cmake).
#include "interpreter/base/shipped.hpp"

#include <algorithm>

namespace rbk {

// Defined in the generated shipped_data.cpp, sorted by name.
extern const ShippedFile kShippedFiles[];
extern const size_t kShippedFileCount;

std::span<const ShippedFile> shipped_files() {
  return {kShippedFiles, kShippedFileCount};
}

std::optional<std::string_view> shipped_file(std::string_view name) {
  auto files = shipped_files();
  auto it = std::lower_bound(files.begin(), files.end(), name,
                             [](const ShippedFile& f, std::string_view n) { return f.name < n; });
  if (it == files.end() || it->name != name) return std::nullopt;
  return it->text;
}

}  // namespace rbk
