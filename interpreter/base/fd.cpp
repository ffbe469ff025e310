#include "interpreter/base/fd.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace rbk {

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

FlockGuard::FlockGuard(int fd) : fd_(fd) {
  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  held_ = rc == 0;
}

FlockGuard::~FlockGuard() {
  if (held_) ::flock(fd_, LOCK_UN);
}

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // cannot happen for a regular file or pipe; never spin
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

Expected<void, std::string> write_atomically(const std::string& path, const std::string& text,
                                             std::optional<unsigned> mode) {
  auto why = [](std::string what) { return rbk::fail(what + std::strerror(errno)); };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return why("");
    // A new file: the mode the umask gives an ordinary file. umask() can
    // only be read by setting it, so it is read once: two threads setting and
    // restoring it at once could leave it 0 (fmt writes from several threads).
    static const mode_t mask = [] {
      mode_t m = ::umask(0);
      ::umask(m);
      return m;
    }();
    st.st_mode = 0666 & ~mask;
  }
  const std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmp = (dir / ("." + p.filename().string() + ".rbkfmt-XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return why("cannot create a temporary file: ");
  // Closes and removes the temporary file, keeping errno for the message.
  auto abandon = [&](const char* what, bool close) {
    const int err = errno;
    if (close) ::close(fd);
    ::unlink(tmp.c_str());
    errno = err;
    return why(what);
  };
  if (int err = write_all(fd, text); err != 0) {
    errno = err;
    return abandon("cannot write: ", true);
  }
  // mkstemp made it 0600: it is never readable by more than `mode` allows.
  const mode_t final_mode = mode ? static_cast<mode_t>(*mode) : st.st_mode & 07777;
  if (::fchmod(fd, final_mode) != 0) return abandon("cannot set the file mode: ", true);
  if (::fsync(fd) != 0) return abandon("cannot flush: ", true);
  if (::close(fd) != 0) return abandon("cannot close: ", false);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return abandon("cannot replace the file: ", false);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace rbk
