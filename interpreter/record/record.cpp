#include "interpreter/record/record.hpp"

#include "interpreter/base/fd.hpp"
#include "interpreter/base/fields_json.hpp"
#include "interpreter/base/json_text.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interpreter/base/format_str.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;

// mkdir(path, 0700) where an existing directory is fine. 0 or errno.
int make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return 0;
  int err = errno;
  if (err != EEXIST) return err;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

// mkdir -p: what it creates gets 0700, what exists is left alone. 0 or
// errno, with the path that could not be made in `failed`.
int make_dirs(const fs::path& path, std::string& failed) {
  if (make_dir(path.string()) == 0) return 0;  // the usual case: it exists
  fs::path prefix;
  for (const auto& part : path) {
    prefix /= part;
    if (!prefix.has_relative_path()) continue;  // the root
    if (int err = make_dir(prefix.string())) {
      failed = prefix.string();
      return err;
    }
  }
  return 0;
}

int open_file(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Takes the record's lock: DIR/lock, flock'ed exclusively by the rbk that
// writes the record, for as long as it does. The kernel drops it when that
// rbk dies, however it dies, so a held lock means the run is alive.
// The descriptor, or -1 with errno (EWOULDBLOCK: another rbk holds it).
int take_lock(const std::string& dir) {
  int fd = open_file(dir + "/lock", O_RDWR | O_CREAT);
  if (fd < 0) return -1;
  // record_in_use() looks with a shared lock held for a moment: a refusal
  // is tried again for a while, so a look never turns an rbk away. A run
  // holds the lock for as long as it lasts, far longer than this.
  constexpr int kTries = 200;
  constexpr timespec kPause{0, 1'000'000};  // 1 ms: 200 ms in all
  for (int attempt = 1;; ++attempt) {
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return fd;
    if (errno != EWOULDBLOCK || attempt == kTries) break;
    ::nanosleep(&kPause, nullptr);
  }
  int err = errno;
  ::close(fd);
  errno = err;
  return -1;
}

// fsync of an open descriptor, retried when interrupted. 0 or errno.
int sync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// fsync of a file or directory by path (what makes a new entry in a
// directory durable). 0 or errno.
int sync_path(const std::string& path, bool directory) {
  int fd = open_file(path, O_RDONLY | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return errno;
  int err = sync_fd(fd);
  ::close(fd);
  // Some file systems cannot fsync a directory; that is no error of ours.
  return directory && err == EINVAL ? 0 : err;
}

}  // namespace

std::string event_line(const Event& e) {
  std::string line;
  line.reserve(256);
  line += "{\"t\":";
  append_json_text(line, e.elapsed_ms);
  line += ",\"time\":";
  append_json_string(line, e.time);
  line += ",\"type\":";
  append_json_string(line, e.type());
  // No event has a field named t, time or type (events.hpp): the rest follow.
  std::visit([&](const auto& body) { append_json_members(line, body); }, e.body);
  line += "}\n";
  return line;
}

int64_t whole_lines_end(int fd, int64_t size) {
  int64_t keep = size;
  char buf[4096];
  while (keep > 0) {
    const int64_t from = std::max<int64_t>(0, keep - static_cast<int64_t>(sizeof buf));
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(keep - from), from);
    if (n <= 0) return -1;
    const char* nl = static_cast<const char*>(::memrchr(buf, '\n', static_cast<size_t>(n)));
    if (nl) return from + (nl - buf) + 1;
    keep = from;
  }
  return 0;
}

Expected<std::unique_ptr<RunRecord>, std::string> RunRecord::create(const std::string& records_dir,
                                                                    const std::string& run_id) {
  try {
    if (records_dir.empty()) {
      return rbk::fail("cannot create a run record: no records directory configured");
    }
    if (!is_run_id(run_id)) {
      return rbk::fail("cannot create a run record: invalid run id '" + run_id + "'");
    }
    std::error_code ec;
    fs::path records = fs::absolute(records_dir, ec);
    if (ec) {
      return rbk::fail("cannot create records directory " + records_dir + ": " + ec.message());
    }
    records = records.lexically_normal();
    std::string failed;
    if (int err = make_dirs(records, failed)) {
      return rbk::fail("cannot create records directory " + failed + ": " + errno_text(err));
    }
    std::string dir = (records / run_id).string();
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return rbk::fail("cannot create run record " + dir + ": " + errno_text(errno));
    }
    std::string events = dir + "/events.jsonl";
    int fd = open_file(events, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (fd < 0) {
      std::string why = "cannot create " + events + ": " + errno_text(errno);
      ::rmdir(dir.c_str());
      return rbk::fail(std::move(why));
    }
    int lock = take_lock(dir);  // a new directory: only a failure to create the file stops it
    if (lock < 0) {
      std::string why = "cannot create " + dir + "/lock: " + errno_text(errno);
      ::close(fd);
      return rbk::fail(std::move(why));
    }
    return std::unique_ptr<RunRecord>(new RunRecord(std::move(dir), fd, lock));
  } catch (const std::exception& ex) {
    return rbk::fail("cannot create a run record in " + records_dir + ": " + ex.what());
  }
}

Expected<std::unique_ptr<RunRecord>, std::string> RunRecord::reopen(const std::string& run_dir) {
  std::error_code ec;
  std::string dir = fs::absolute(run_dir, ec).lexically_normal().string();
  if (ec) return rbk::fail("cannot open the run record " + run_dir + ": " + ec.message());
  int lock = take_lock(dir);
  if (lock < 0) {
    if (errno == EWOULDBLOCK)
      return rbk::fail("the run is still going: another rbk holds " + dir + "/lock");
    return rbk::fail("cannot lock " + dir + "/lock: " + errno_text(errno));
  }
  std::string events = dir + "/events.jsonl";
  int fd = open_file(events, O_RDWR | O_APPEND);
  if (fd < 0) {
    std::string why = "cannot open " + events + ": " + errno_text(errno);
    ::close(lock);
    return rbk::fail(std::move(why));
  }
  std::unique_ptr<RunRecord> record(new RunRecord(std::move(dir), fd, lock));
  // Cut an incomplete last line: each line is one write(2), so only the
  // last can be cut, and the event it began was never whole.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return rbk::fail("cannot read " + events + ": " + errno_text(errno));
  const off_t end = st.st_size;
  const off_t keep = whole_lines_end(fd, end);
  if (keep < 0) return rbk::fail("cannot read " + events + ": " + errno_text(errno));
  if (keep != end) {
    record->cut_at_ = keep;
    record->dropped_bytes_ = end - keep;
  }
  record->output_dir_made_ = ::access((record->dir_ + "/output").c_str(), F_OK) == 0;
  return record;
}

RunRecord::RunRecord(std::string dir, int events_fd, int lock_fd)
    : dir_(std::move(dir)), events_fd_(events_fd), lock_fd_(lock_fd) {}

RunRecord::~RunRecord() {
  if (events_fd_ >= 0) ::close(events_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
  for (const auto& [key, file] : outputs_)
    if (file.fd >= 0) ::close(file.fd);
}

void RunRecord::fail(const std::string& what, int err) {
  if (error_.empty()) error_ = what + ": " + errno_text(err);
}

void RunRecord::event(const Event& e) {
  try {
    // Under the append lock that `rbk note` takes too (record/notes.hpp):
    // a note never lands between the cut below and the line after it.
    const bool writing = events_fd_ >= 0 && !events_failed_;
    std::optional<FlockGuard> appending;
    if (writing) appending.emplace(events_fd_);
    if (writing && cut_at_ >= 0) {  // reopened: the dead run's cut line goes first
      if (::ftruncate(events_fd_, cut_at_) != 0) {
        // Not appended to a cut line: the record stops here, whole.
        fail("cannot cut the incomplete last line of " + dir_ + "/events.jsonl", errno);
        events_failed_ = true;
        return;
      }
      cut_at_ = -1;
    }
    if (writing) {
      // One write(2) per line: a crash leaves whole lines, or a cut last one.
      if (int err = write_all(events_fd_, event_line(e))) {
        fail("cannot write " + dir_ + "/events.jsonl", err);
        events_failed_ = true;
      }
    }
    if (const auto* end = e.as<ev::CommandEnd>()) close_outputs(end->seq);
  } catch (const std::exception& ex) {
    if (error_.empty()) error_ = "cannot write " + dir_ + "/events.jsonl: " + ex.what();
  }
}

void RunRecord::output(uint64_t seq, Stream stream, std::string_view chunk) {
  if (chunk.empty()) return;
  try {
    OutputFile& f = open_output(seq, stream);
    if (f.fd < 0) return;
    if (int err = write_all(f.fd, chunk)) {
      fail("cannot write " + dir_ + "/" + output_file(seq, stream), err);
      // Nothing more into this file: it ends where writing failed, not with
      // a gap a later chunk would hide.
      ::close(f.fd);
      f.fd = -1;
      return;
    }
    // Large output is sent on to the disk while the command runs (without
    // waiting for it), so a later fsync (a destructive step's, the run's
    // end) waits for the last few MiB rather than all of it: 200 MiB took
    // 130 ms to sync at the end of a run.
    f.bytes += chunk.size();
    if (f.bytes - f.started >= kWritebackStep) {
      (void)::sync_file_range(f.fd, static_cast<off_t>(f.started),
                              static_cast<off_t>(f.bytes - f.started), SYNC_FILE_RANGE_WRITE);
      f.started = f.bytes;
    }
  } catch (const std::exception& ex) {
    if (error_.empty()) error_ = "cannot write command output in " + dir_ + ": " + ex.what();
  }
}

RunRecord::OutputFile& RunRecord::open_output(uint64_t seq, Stream stream) {
  auto [it, fresh] = outputs_.try_emplace(std::make_pair(seq, stream == Stream::Out ? 1 : 2));
  OutputFile& f = it->second;
  if (!fresh) return f;  // open, or -1: not retried for every chunk of this command
  if (!output_dir_made_) {
    if (int err = make_dir(dir_ + "/output")) {
      fail("cannot create " + dir_ + "/output", err);
      return f;
    }
    output_dir_made_ = true;
  }
  std::string path = dir_ + "/" + output_file(seq, stream);
  f.fd = open_file(path, O_WRONLY | O_CREAT | O_APPEND);
  if (f.fd < 0) fail("cannot create " + path, errno);
  return f;
}

void RunRecord::close_outputs(uint64_t seq) {
  for (Stream s : {Stream::Out, Stream::Err}) {
    auto it = outputs_.find(std::make_pair(seq, s == Stream::Out ? 1 : 2));
    if (it == outputs_.end()) continue;
    if (it->second.fd >= 0) {
      ::close(it->second.fd);
      unsynced_.push_back(dir_ + "/" + output_file(seq, s));
      outputs_.erase(it);
    }
    // One that failed stays -1: output after the command's end must not
    // reopen it and append past where writing failed.
  }
}

void RunRecord::sync() {
  try {
    if (events_fd_ >= 0) {
      if (int err = sync_fd(events_fd_)) fail("cannot sync " + dir_ + "/events.jsonl", err);
    }
    for (const auto& [key, file] : outputs_) {
      if (file.fd < 0) continue;
      if (int err = sync_fd(file.fd))
        fail("cannot sync " + dir_ + "/" +
                 output_file(key.first, key.second == 1 ? Stream::Out : Stream::Err),
             err);
    }
    for (const auto& path : unsynced_) {
      if (int err = sync_path(path, false)) fail("cannot sync " + path, err);
    }
    unsynced_.clear();
    if (output_dir_made_) {
      if (int err = sync_path(dir_ + "/output", true)) fail("cannot sync " + dir_ + "/output", err);
    }
    if (int err = sync_path(dir_, true)) fail("cannot sync " + dir_, err);
    if (!parent_synced_) {
      std::string parent = fs::path(dir_).parent_path().string();
      if (int err = sync_path(parent, true))
        fail("cannot sync " + parent, err);
      else
        parent_synced_ = true;
    }
  } catch (const std::exception& ex) {
    if (error_.empty()) error_ = "cannot sync " + dir_ + ": " + ex.what();
  }
}

bool record_in_use(const std::string& run_dir) {
  // A shared lock, tried without waiting and dropped at once, fails only
  // while a writer holds the exclusive one. (/proc/locks was read here once:
  // it is a seq_file read a page at a time, and a lock list that changes
  // between pages drops lines, so a live run was now and then reported
  // gone; see take_lock() for why the look does not get in a writer's way.)
  const int fd = open_file(run_dir + "/lock", O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;  // no lock file: no rbk ever wrote here (or not any more)
  int rc;
  do {
    rc = ::flock(fd, LOCK_SH | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  const bool held = rc != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops our shared lock at once
  return held;
}

bool is_run_id(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

std::string new_run_id() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  uint64_t r;
  try {
    std::random_device rd;
    r = rd();
  } catch (const std::exception&) {
    // No entropy source: the clock and the pid still separate two runs
    // started in the same second.
    r = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        (static_cast<uint64_t>(::getpid()) << 20);
  }
  return format_str("{}-{:06x}", stamp, r & 0xffffff);
}

}  // namespace rbk
