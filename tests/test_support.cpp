#include "test_support.hpp"

#include <stdexcept>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rbk::test {

namespace fs = std::filesystem;

std::string source_dir() {
  return RBK_SOURCE_DIR;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> files_in(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string p = e.path().string();
    if (p.size() > ext.size() && p.compare(p.size() - ext.size(), ext.size(), ext) == 0) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> files_holding(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& f : fs::recursive_directory_iterator(dir))
    if (f.is_regular_file() && read_file(f.path().string()).find(needle) != std::string::npos)
      out.push_back(f.path().lexically_relative(dir).string());
  return out;
}

bool update_goldens() {
  const char* u = std::getenv("RBK_UPDATE_GOLDEN");
  return u && *u && std::string(u) != "0";
}

std::string rbk_binary() {
  const char* other = std::getenv("RBK_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : RBK_BINARY;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "rbk-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path = fs::canonical(tmpl);
}

namespace {

/// Where collect_record keeps records, or "" when nothing is collected.
std::string records_dir() {
  const char* dir = std::getenv("RBK_TEST_RECORDS");
  return dir != nullptr ? dir : "";
}

}  // namespace

bool collecting_records() {
  return !records_dir().empty();
}

void collect_record(const std::string& lines, const std::string& origin) {
  const std::string dir = records_dir();
  if (dir.empty() || lines.empty()) return;
  static std::atomic<unsigned> count{0};
  const std::string name = std::to_string(::getpid()) + "-" + std::to_string(count++) + ".jsonl";
  std::error_code ec;
  fs::create_directories(dir, ec);  // the first test to collect makes it
  // The origin first, as a comment line the validator skips and names in a failure.
  write_file((fs::path(dir) / name).string(), "# " + origin + "\n" + lines);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (path.empty()) return;
  if (!synthetic_records && collecting_records()) {
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec),
        end;
    for (; !ec && it != end; it.increment(ec))
      if (it->path().filename() == "events.jsonl" && it->is_regular_file(ec) && !it->is_symlink(ec))
        collect_record(read_file(it->path().string()), it->path().string());
  }
  fs::remove_all(path, ec);
}

namespace {

/// Runs outside any project are recorded under $XDG_STATE_HOME/rbk/runs.
/// Every rbk a test process starts inherits a state directory of this
/// process's own: no test writes into the home directory, a test that lists
/// runs sees only its own, and those records are collected and removed like
/// any other TempDir's. Only the process that made it removes it (a forked
/// child that exits normally must not).
struct StateHome {
  pid_t owner = ::getpid();
  TempDir dir;
  StateHome() { ::setenv("XDG_STATE_HOME", dir.path.c_str(), 1); }
  ~StateHome() {
    if (::getpid() != owner) dir.path.clear();
  }
};
const StateHome state_home;

}  // namespace

fs::path TempDir::dir(const std::string& name) const {
  fs::create_directories(path / name);
  return path / name;
}

ScopedEnv::ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
  if (const char* v = std::getenv(name_.c_str())) {
    had_ = true;
    was_ = v;
  }
  if (value)
    ::setenv(name_.c_str(), value, 1);
  else
    ::unsetenv(name_.c_str());
}

ScopedEnv::~ScopedEnv() {
  if (had_)
    ::setenv(name_.c_str(), was_.c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

char proc_state(int pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

bool dead(int pid) {
  char state = proc_state(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

Run run_rbk(const std::string& args) {
  return run_rbk_in(source_dir(), args);
}

Run run_rbk_in(const std::string& dir, const std::string& args, const std::string& env) {
  char out_tmpl[] = "/tmp/rbk-test-out-XXXXXX";
  char err_tmpl[] = "/tmp/rbk-test-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  close(out_fd);
  close(err_fd);
  // timeout(1) exits 124 when the time ran out (TERM, then KILL 10 s later);
  // rbk never exits 124 itself.
  const auto guard = std::chrono::seconds(kHangGuard).count();
  std::string cmd = "cd '" + dir + "' && " + env + " NO_COLOR=1 timeout -k 10 " +
                    std::to_string(guard) + " '" + rbk_binary() + "' " + args + " >" + out_tmpl +
                    " 2>" + err_tmpl + " </dev/null";
  int status = std::system(cmd.c_str());
  Run r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    // The shell reports a child killed by a signal as 128+N.
    if (r.exit_code > 128) {
      r.signal = r.exit_code - 128;
      r.exit_code = -1;
    }
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.out = read_file(out_tmpl);
  r.err = read_file(err_tmpl);
  fs::remove(out_tmpl);
  fs::remove(err_tmpl);
  if (r.exit_code == 124 || r.signal == SIGKILL)
    throw Hung("hung: `rbk " + args + "` in " + dir + " did not exit within " +
               std::to_string(kHangGuard.count()) +
               " minutes and was killed; its stderr: " + r.err);
  return r;
}

std::vector<std::string> damaged_variants(const std::string& text, size_t step, size_t max_lines) {
  std::vector<std::string> out;
  for (size_t cut = 0; cut < text.size(); cut += step) out.push_back(text.substr(0, cut));
  for (size_t at = 0, n = 0; at < text.size() && n < max_lines; ++n) {
    size_t eol = text.find('\n', at);
    if (eol == std::string::npos) break;
    out.push_back(text.substr(0, at) + text.substr(eol + 1));
    at = eol + 1;
  }
  const size_t sample = variant_sample();
  if (sample == 1) return out;
  // Which one of every `sample` is kept depends on the text, so across files
  // every position is tried.
  std::vector<std::string> kept;
  for (size_t i = text.size() % sample; i < out.size(); i += sample) kept.push_back(out[i]);
  return kept;
}

bool sanitized_build() {
#if defined(RBK_EXPECT_SANITIZERS)
  return true;
#else
  return false;
#endif
}

size_t variant_sample() {
#if defined(RBK_EXPECT_SANITIZERS)
  // One in 32: the fuzz targets run the same entry points on damaged input
  // under the same sanitizers, and one rbk check per file of variants was
  // half of the sanitizer pass's time at one in 4 (72 of 181 s at one in 16).
  return 32;
#else
  return 1;
#endif
}

}  // namespace rbk::test
