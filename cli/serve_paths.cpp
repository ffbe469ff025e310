#include "cli/serve_paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace rbk::cli {

std::string serve_dir(const Config& config) {
  return (std::filesystem::path(config.records_dir).parent_path() / "serve").string();
}

std::string serve_socket(const Config& config) {
  return serve_dir(config) + "/rbk.sock";
}

Expected<void, std::string> private_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir + ": " + ec.message());
  // The socket in it approves destructive steps: nobody else may reach it.
  if (::chmod(dir.c_str(), 0700) != 0)
    return fail("cannot make " + dir + " private: " + std::strerror(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    return fail(dir + " is not a directory of this user's");
  return {};
}

}  // namespace rbk::cli
