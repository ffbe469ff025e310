// Bad input: special files where rbk expects a file (a FIFO, /dev/zero
// behind a link, a directory) and files beyond the size bounds get a clear
// error from every command — never a hang, never a silent fallback.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "interpreter/base/source.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::Exit;
using rbk::test::run_detached;
using rbk::test::write_file;

namespace {

/// A throwaway directory with a name-to-path helper.
struct Scratch : rbk::test::TempDir {
  std::string at(const std::string& rel) const { return (path / rel).string(); }
};

/// The file kinds rbk must refuse, made under `s` as NAME.
void make_special(const Scratch& s, const std::string& kind, const std::string& name) {
  if (kind == "fifo") REQUIRE(::mkfifo(s.at(name).c_str(), 0600) == 0);
  if (kind == "dev-zero") fs::create_symlink("/dev/zero", s.at(name));
  if (kind == "directory") fs::create_directory(s.at(name));
}

}  // namespace

TEST_CASE("a FIFO, /dev/zero or a directory given as a runbook is refused by every command",
          "[special-files]") {
  for (const char* kind : {"fifo", "dev-zero", "directory"}) {
    for (const char* cmd : {"check", "lint", "fmt", "parse", "test", "run", "plan", "show"}) {
      Scratch s;
      make_special(s, kind, "x.rbk");
      std::vector<std::string> args = {cmd, "x.rbk"};
      if (std::string(cmd) == "lint") args.push_back("--no-shellcheck");
      Exit e = run_detached(s.path.string(), args);
      const std::string all = e.out + e.err;  // lint reports on stdout
      INFO(kind << " " << cmd << ": " << e.code << "\n" << all);
      CHECK(e.signal == 0);  // not killed by the hang guard
      CHECK((e.code == 1 || e.code == 2));
      CHECK(all.find("internal error") == std::string::npos);
      // A directory is searched for *.rbk by the commands that take folders.
      if (std::string(kind) != "directory") CHECK(all.find("x.rbk") != std::string::npos);
      // `rbk test x.rbk` looks for x.rbk's fixtures and says there are none.
      if (std::string(cmd) != "test" &&
          (std::string(kind) != "directory" || std::string(cmd) == "parse"))
        CHECK(all.find("not a regular file") != std::string::npos);
    }
  }
}

TEST_CASE("a fixture or rbk.yaml that is a special file is an error, not a hang or defaults",
          "[special-files]") {
  for (const char* kind : {"fifo", "dev-zero", "directory"}) {
    Scratch s;
    write_file(s.at("ok.rbk"), "runbook ok {\n  diagnose { step a \"A\" { run `true` } }\n}\n");
    make_special(s, kind, "rbk.yaml");
    // (`rbk check` reads no rbk.yaml: it checks runbooks alone.)
    for (const char* cmd : {"run", "plan", "show", "list", "lint", "test"}) {
      std::vector<std::string> args = {cmd};
      if (cmd != std::string("list")) args.push_back("ok.rbk");
      Exit e = run_detached(s.path.string(), args);
      INFO(kind << " rbk.yaml, " << cmd << ": " << e.code << "\n" << e.out << e.err);
      CHECK(e.signal == 0);
      CHECK(e.code == 2);
      CHECK(e.err.find("rbk.yaml: error: not a regular file") != std::string::npos);
    }
  }
  for (const char* kind : {"fifo", "dev-zero"}) {
    Scratch s;
    make_special(s, kind, "x.test.yaml");
    Exit e = run_detached(s.path.string(), {"test", "x.test.yaml"});
    INFO(kind << " fixture: " << e.out << e.err);
    CHECK(e.signal == 0);
    CHECK(e.code == 2);
    CHECK(e.err.find("x.test.yaml: error: not a regular file") != std::string::npos);
  }
}

TEST_CASE("rbk history does not hang on a record whose events file is a FIFO or /dev/zero",
          "[special-files][history]") {
  for (const char* kind : {"fifo", "dev-zero"}) {
    Scratch s;
    fs::create_directories(s.path / ".rbk" / "runs" / "20260101T000000Z-abcdef");
    write_file((s.path / "rbk.yaml").string(), "records: .rbk/runs\n");  // a project
    make_special(s, kind, ".rbk/runs/20260101T000000Z-abcdef/events.jsonl");
    Exit e = run_detached(s.path.string(), {"history"});
    INFO(kind << ": " << e.out << e.err);
    CHECK(e.signal == 0);
    CHECK(e.code == 0);
    CHECK(e.out.find("not a regular file") != std::string::npos);
  }
}

TEST_CASE("files beyond the size bounds are refused with the bound named", "[special-files]") {
  Scratch s;
  std::string big = "runbook big {\n  diagnose {\n";
  while (big.size() <= rbk::kMaxRunbookBytes) big += "    step s \"S\" { run `true` }  # pad\n";
  write_file(s.at("big.rbk"), big + "  }\n}\n");
  Exit e = run_detached(s.path.string(), {"check", "big.rbk"});
  CHECK(e.code == 1);
  CHECK(e.err.find("big.rbk: error: file is larger than 1 MiB") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in a file or its name never crashes a JSON writer",
          "[special-files][utf8]") {
  Scratch s;
  fs::create_directories(s.path / "runbooks");
  const std::string ok = "runbook ok {\n  diagnose { step a \"A\" { run `true` } }\n}\n";
  write_file(s.at("runbooks/good.rbk"), ok);
  write_file(s.at("runbooks/bad\xff\xfe.rbk"),
             "runbook bad {\n  diagnose { step a \"A\" { run `true` } }\n}\n");
  write_file(s.at("runbooks/latin1.rbk"), "runbook latin1 {\n  # caf\xe9\n}\n");
  const std::string bad_name = "runbooks/bad\xff\xfe.rbk";
  const std::vector<std::vector<std::string>> commands = {
      {"check", "--format", "json", "runbooks"},
      {"lint", "--no-shellcheck", "--format", "json", "runbooks"},
      {"lint", "--no-shellcheck", "--format", "sarif", "runbooks"},
      {"lint", "--no-shellcheck", "--format", "github", "runbooks"},
      {"parse", "--ast", bad_name},
      {"parse", "--ast", "runbooks/latin1.rbk"},
      {"plan", "--format", "json", bad_name},
      {"show", "--format", "json", bad_name},
      {"list", "--format", "json"},
      {"list"},
  };
  for (const auto& args : commands) {
    Exit e = run_detached(s.path.string(), args);
    INFO(args[0] << " " << args.back() << ": " << e.code << "\n" << e.out << e.err);
    CHECK(e.signal == 0);
    CHECK(e.err.find("internal error") == std::string::npos);
    CHECK(e.out.find("internal error") == std::string::npos);
  }
  // check: the bad byte at its line and column; the other runbooks are still listed.
  Exit check = run_detached(s.path.string(), {"check", "runbooks/latin1.rbk"});
  CHECK(check.code == 1);
  CHECK(check.err.find("runbooks/latin1.rbk:2:8: error: invalid UTF-8 (byte 0xE9)") !=
        std::string::npos);
  Exit list = run_detached(s.path.string(), {"list"});
  CHECK(list.out.find("\nok ") != std::string::npos);
}
