#include "cli/files.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace rbk::cli {

namespace {
bool is_runbook_file(const std::string& path) {
  return std::filesystem::path(path).extension() == ".rbk";
}
}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      std::vector<std::string>& missing) {
  return expand_paths(paths, missing, is_runbook_file);
}

std::vector<std::string> expand_paths(const std::vector<std::string>& paths,
                                      std::vector<std::string>& missing,
                                      bool (*wanted)(const std::string& path)) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec),
          end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && wanted(it->path().string())) {
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
