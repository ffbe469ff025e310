#include "cli/files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace rbk::cli {

std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      std::vector<std::string>& missing) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec),
          end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".rbk") {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      missing.push_back(p);
    }
  }
  return out;
}

}  // namespace rbk::cli
