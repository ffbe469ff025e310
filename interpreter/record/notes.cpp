#include "interpreter/record/notes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "interpreter/base/fd.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/clock.hpp"

namespace rbk {

namespace {

// The longest first line read for run_start's time (it holds the
// parameters, never command output).
constexpr size_t kMaxFirstLine = size_t{1} << 20;

// At most this much of a growing record is read per poll: a run that wrote
// a flood of events meanwhile is caught up with over several polls.
constexpr size_t kMaxPollBytes = size_t{4} << 20;

// pread until `n` bytes or the end; the bytes read, or -1 with errno.
ssize_t read_at(int fd, char* buf, size_t n, off_t at) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, at + static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

// run_start's wall-clock time, from the record's first line; empty when the
// line is not a run_start.
std::string start_time(int fd) {
  std::string first;
  char buf[4096];
  off_t at = 0;
  while (first.size() < kMaxFirstLine) {
    ssize_t n = read_at(fd, buf, sizeof buf, at);
    if (n <= 0) return {};
    first.append(buf, static_cast<size_t>(n));
    at += n;
    if (size_t nl = first.find('\n'); nl != std::string::npos) {
      first.resize(nl);
      auto j = nlohmann::json::parse(first, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || j.value("type", "") != "run_start") return {};
      return j.value("time", "");
    }
  }
  return {};
}

// The `t` of the record's last line (which ends at `size`), or 0 when it
// cannot be read.
int64_t last_t(int fd, off_t size) {
  std::string tail(static_cast<size_t>(std::min<off_t>(size, 65536)), '\0');
  if (read_at(fd, tail.data(), tail.size(), size - static_cast<off_t>(tail.size())) !=
      static_cast<ssize_t>(tail.size()))
    return 0;
  tail.pop_back();  // the last line's newline
  const size_t from = tail.rfind('\n');
  auto j = nlohmann::json::parse(from == std::string::npos ? tail : tail.substr(from + 1), nullptr,
                                 /*allow_exceptions=*/false);
  return j.is_object() && j.contains("t") && j["t"].is_number_integer() ? j["t"].get<int64_t>() : 0;
}

}  // namespace

Expected<Event, std::string> append_note(const std::string& run_dir, const std::string& by,
                                         const std::string& text) {
  return append_event(run_dir, ev::TimelineNote{.by = by, .text = text});
}

Expected<Event, std::string> append_event(const std::string& run_dir, ev::Body body) {
  const std::string path = run_dir + "/events.jsonl";
  // O_NOFOLLOW and the regular-file check: a note is written into a record,
  // never through a link planted in its place.
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail("cannot open " + path + ": " + errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail("cannot read " + path + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) return fail(path + " is not a regular file");
    FlockGuard lock(fd);
    if (!lock.held()) return fail("cannot lock " + path + ": " + errno_text(errno));
    if (::fstat(fd, &st) != 0) return fail("cannot read " + path + ": " + errno_text(errno));
    if (st.st_size == 0) return fail(path + " holds no run (no run_start)");
    if (whole_lines_end(fd, st.st_size) != st.st_size)
      return fail(path +
                  " ends in an incomplete line: the run died while writing it (rbk resume "
                  "cuts it off)");
    const std::string started = start_time(fd);
    if (started.empty()) return fail(path + " does not begin with a run_start");
    Event e{.body = std::move(body)};
    e.time = SystemClock().wall_time();
    // From the wall clock (this is not the run's process), but never before
    // the line above it: `t` does not go back.
    e.elapsed_ms =
        std::max(wall_since(started).value_or(Millis(0)).count(), last_t(fd, st.st_size));
    if (int err = write_all(fd, event_line(e)))
      return fail("cannot write " + path + ": " + errno_text(err));
    // A person's note (or what rbk serve saw) is part of the incident's
    // record: on disk before we say so.
    while (::fsync(fd) != 0) {
      if (errno != EINTR) return fail("cannot sync " + path + ": " + errno_text(errno));
    }
    return e;
  } catch (const std::exception& ex) {
    return fail("cannot write to " + path + ": " + ex.what());
  }
}

NoteFollower::NoteFollower(std::string events_path) : path_(std::move(events_path)) {
  // From the end of the last whole line: a resumed run first cuts the
  // half-line a dead run left, and writes on from there.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const int64_t end = whole_lines_end(fd, st.st_size);
    offset_ = static_cast<uint64_t>(end >= 0 ? end : st.st_size);
  }
  ::close(fd);
}

std::vector<Event> NoteFollower::poll() {
  std::vector<Event> notes;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return notes;
  struct stat st {};
  std::string bytes;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > offset_) {
    bytes.resize(std::min<uint64_t>(static_cast<uint64_t>(st.st_size) - offset_, kMaxPollBytes));
    ssize_t n = read_at(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset_));
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    offset_ += bytes.size();
  }
  ::close(fd);
  partial_ += bytes;
  size_t from = 0;
  for (size_t nl; (nl = partial_.find('\n', from)) != std::string::npos; from = nl + 1) {
    std::string_view line(partial_.data() + from, nl - from);
    // Only a note's line is parsed: the rest is the run's own events.
    if (line.find("\"type\":\"timeline_note\"") == std::string_view::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    auto e = event_from_json(j);
    if (e && *e && (*e)->as<ev::TimelineNote>()) notes.push_back(std::move(**e));
  }
  partial_.erase(0, from);
  return notes;
}

}  // namespace rbk
