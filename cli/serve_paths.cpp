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

Expected<void, std::string> private_dir(const std::string& dir, std::optional<unsigned> group) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir + ": " + ec.message());
  // The socket in it approves destructive steps: nobody else may reach it
  // (but the approvers' group, when there is one). Private first, then the
  // group's, then open to it.
  if (::chmod(dir.c_str(), 0700) != 0)
    return fail("cannot make " + dir + " private: " + std::strerror(errno));
  if (group && ::chown(dir.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(*group)) != 0)
    return fail("cannot give " + dir + " to the group: " + std::strerror(errno) +
                " (rbk serve's user must be in it)");
  if (group) {
    // Files an earlier server left (specs, logs, state) were private only
    // through the directory: private themselves before it opens.
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      struct stat f {};
      if (::lstat(entry.path().c_str(), &f) == 0 && S_ISREG(f.st_mode) && (f.st_mode & 077) &&
          ::chmod(entry.path().c_str(), f.st_mode & 0700) != 0)
        return fail("cannot make " + entry.path().string() + " private: " + std::strerror(errno));
    }
    if (ec) return fail("cannot read " + dir + ": " + ec.message());
    if (::chmod(dir.c_str(), 0710) != 0)
      return fail("cannot open " + dir + " to the group: " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    return fail(dir + " is not a directory of this user's");
  return {};
}

std::string unreachable_for(const std::string& dir, unsigned group) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  for (p = p.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH) &&
        !(st.st_gid == group && (st.st_mode & S_IXGRP)))
      return p.string();
    if (p == p.root_path()) break;
  }
  return "";
}

}  // namespace rbk::cli
