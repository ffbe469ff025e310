// End to end against a real PostgreSQL from Debian's packages: a throwaway
// cluster on 127.0.0.1 (a free port, a temporary directory) whose connection
// slots are filled by idle clients. runbooks/db-down.rbk must see new
// connections refused, find the pool exhausted, terminate the idle
// connections after the operator types the host on a real terminal, and
// verify the count dropped. A server that cannot be started fails the test
// with the reason; it never passes by doing nothing.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "processes.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace rbk::test;

/// A TCP port nothing listens on now (the kernel's choice).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(s);
  return ntohs(a.sin_port);
}

/// Runs a shell command; its exit status.
int sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// Output of a shell command (stdout), trimmed.
std::string out_of(const std::string& cmd) {
  std::string text;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    ::pclose(p);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

/// A throwaway PostgreSQL cluster, stopped (and its clients killed) at scope exit.
class Postgres {
 public:
  explicit Postgres(int max_connections) {
    bin_ = out_of("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1");
    if (bin_.empty() || !fs::exists(bin_ + "/initdb"))
      FAIL("PostgreSQL is not installed: run scripts/install-deps.sh postgresql");
    port_ = free_port();
    dir_ = tmp_.path;
    fs::permissions(dir_, fs::perms::all);  // the server's user must reach it
    // initdb refuses to run as root: run the server as the package's user.
    as_ = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (!as_.empty()) sh("chown postgres " + dir_.string());
    const std::string data = dir_.string() + "/data";
    if (sh(as_ + bin_ + "/initdb -D " + data + " -U postgres --auth=trust -E UTF8 >" +
           dir_.string() + "/initdb.log 2>&1") != 0)
      FAIL("initdb failed: " + read_file(dir_.string() + "/initdb.log"));
    const std::string opts =
        "-p " + std::to_string(port_) + " -k " + dir_.string() +
        " -c listen_addresses=127.0.0.1 -c max_connections=" + std::to_string(max_connections) +
        " -c superuser_reserved_connections=3";
    if (sh(as_ + bin_ + "/pg_ctl -D " + data + " -l " + dir_.string() + "/server.log -o '" + opts +
           "' -w -t " + std::to_string(std::chrono::seconds(rbk::test::kHangGuard).count()) +
           " start >/dev/null 2>&1") != 0)
      FAIL("PostgreSQL did not start: " + read_file(dir_.string() + "/server.log"));
    started_ = true;
  }
  ~Postgres() {
    if (clients_ > 0) ::kill(-clients_, SIGKILL);
    if (clients_ > 0) ::waitpid(clients_, nullptr, 0);
    if (started_)
      sh(as_ + bin_ + "/pg_ctl -D " + dir_.string() + "/data -m immediate stop >/dev/null 2>&1");
  }
  int port() const { return port_; }
  std::string psql(const std::string& user, const std::string& sql) const {
    return out_of("psql -h 127.0.0.1 -p " + std::to_string(port_) + " -U " + user +
                  " -d postgres -XtAc \"" + sql + "\" 2>&1");
  }
  /// Opens `n` connections as `user` that stay idle, in their own process group.
  /// A client whose connection is refused (a slot briefly held by the test's
  /// own query, a slow backend start) tries again, so all `n` connect in the
  /// end; once in, psql holds its connection idle while `\! sleep` runs.
  void idle_clients(const std::string& user, int n) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::setpgid(0, 0);
      std::string cmd = "for i in $(seq " + std::to_string(n) + "); do (until psql -h " +
                        "127.0.0.1 -p " + std::to_string(port_) + " -U " + user +
                        " -d postgres -Xq -c 'SELECT 1' -c '\\! sleep 3600' >/dev/null 2>&1;" +
                        " do sleep 0.2; done) & done; wait";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    clients_ = pid;
  }

 private:
  TempDir tmp_;
  fs::path dir_;
  std::string bin_, as_;
  int port_ = 0;
  bool started_ = false;
  pid_t clients_ = -1;
};

}  // namespace

TEST_CASE("db-down against a real PostgreSQL: an exhausted pool is cleared after a typed yes",
          "[e2e]") {
  // 40 slots for ordinary roles, 3 more for the superuser rbk's commands use.
  Postgres pg(43);
  REQUIRE(pg.psql("postgres", "CREATE ROLE app LOGIN") == "CREATE ROLE");
  pg.idle_clients("app", 40);
  // Wait until every slot is taken: a condition, polled with a hang guard.
  std::string idle;
  for (auto until = std::chrono::steady_clock::now() + rbk::test::kHangGuard;
       std::chrono::steady_clock::now() < until;) {
    idle = pg.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'");
    if (idle == "40") break;
    ::usleep(100'000);
  }
  REQUIRE(idle == "40");
  CHECK(pg.psql("app", "SELECT 1").find("connection slots are reserved") != std::string::npos);

  // A throwaway project (a runbook runs under the rbk.yaml nearest to it):
  // its record stays here, not in the repository.
  TempDir work;
  std::filesystem::create_directories(work.path / "runbooks");
  std::filesystem::copy_file(source_dir() + "/runbooks/db-down.rbk",
                             work.path / "runbooks" / "db-down.rbk");
  const std::string port = std::to_string(pg.port());
  PtySession s(
      work.path.string(),
      {"run", "db-down", "-p", "port=" + port, "-p", "max_idle=20", "-p", "idle_minutes=0"},
      {"PGUSER=postgres", "PGPASSWORD=unused-with-trust-auth"});
  REQUIRE(s.expect("Type 127.0.0.1 to go ahead"));
  s.send("127.0.0.1\n");
  Exit e = s.wait();
  INFO(s.output());
  CHECK(e.code == 0);
  CHECK(s.output().find("cause pool") != std::string::npos);
  CHECK(s.output().find("resolved") != std::string::npos);
  // The pool is free again: the idle clients were terminated.
  CHECK(std::stoi(pg.psql("postgres",
                          "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND "
                          "state = 'idle'")) <= 20);
  CHECK(pg.psql("app", "SELECT 1") == "1");
}
