// Nothing is lost: a run whose record cannot be written stops at once. The
// record directory is put on a small tmpfs (the tests run as root) and
// filled; where mounting is not allowed, a file-size limit (ulimit -f)
// makes the same writes fail.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

/// A scratch project whose records go to `runs/`, a 64 KiB tmpfs when it
/// can be mounted; otherwise writes past `limit_kib` fail (RLIMIT_FSIZE).
struct FullDiskProject {
  fs::path dir;
  bool mounted = false;
  FullDiskProject() {
    char tmpl[] = "/tmp/rbk-full-disk-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::create_directories(dir / "runs");
    write_file((dir / "rbk.yaml").string(), "records: runs\n");
    mounted = ::mount("tmpfs", (dir / "runs").c_str(), "tmpfs", 0, "size=64k") == 0;
    if (!mounted) WARN("cannot mount a tmpfs (" << std::strerror(errno) << "): using ulimit -f");
  }
  ~FullDiskProject() {
    if (mounted) ::umount2((dir / "runs").c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  /// Fills the tmpfs to the last byte (with the file-size limit: nothing to do,
  /// the limit is set to almost nothing by run()).
  void fill() const {
    if (!mounted) return;
    std::ofstream f(dir / "runs" / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  /// Runs rbk in the project; `limit_kib` only matters without a tmpfs.
  Exit run(const std::vector<std::string>& args, rlim_t limit_kib) const {
    if (mounted) return run_detached(dir.string(), args);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = limit_kib * 1024;
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &small);  // inherited by rbk, restored below
    Exit e = run_detached(dir.string(), args);
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
    return e;
  }
  bool exists(const std::string& rel) const { return fs::exists(dir / rel); }
};

}  // namespace

TEST_CASE("a full disk stops the run before an approved destructive step, with exit 5",
          "[run][record]") {
  FullDiskProject p;
  write_file((p.dir / "wipe.rbk").string(), R"(
runbook wipe {
  severity low
  remediate {
    step wipe "Wipe" {
      destructive
      run `touch wiped`
    }
  }
}
)");
  p.fill();
  Exit e = p.run({"run", "wipe.rbk", "--approve", "wipe"}, 0);
  INFO(e.out << e.err);
  CHECK(e.code == 5);
  CHECK_FALSE(p.exists("wiped"));
  CHECK(e.err.find("the run record could not be written") != std::string::npos);
  CHECK(e.err.find("rbk stopped and ran nothing more") != std::string::npos);
}

TEST_CASE("a disk that fills during a command ends that command and runs nothing after it",
          "[run][record]") {
  FullDiskProject p;
  // The command would run for ten minutes after its output fills the disk:
  // the run returning at all shows its process group was ended.
  write_file((p.dir / "noisy.rbk").string(), R"(
runbook noisy {
  severity low
  diagnose {
    step noisy "Noisy" { run `seq 1 200000; sleep 600` timeout 10m }
  }
  remediate {
    step wipe "Wipe" {
      destructive
      run `touch wiped`
    }
  }
  escalate {
    on failure notify primary "failed"
  }
}
)");
  write_file((p.dir / "rbk.yaml").string(),
             "records: runs\nnotify:\n  notify: 'touch notified'\n"
             "roles:\n  primary: {name: On-call, contact: oncall}\n");
  Exit e = p.run({"run", "noisy.rbk", "--approve", "wipe"}, 32);
  INFO(e.out << e.err);
  CHECK(e.code == 5);
  CHECK_FALSE(p.exists("wiped"));
  CHECK_FALSE(p.exists("notified"));
  CHECK(e.err.find("the run record could not be written") != std::string::npos);
}
