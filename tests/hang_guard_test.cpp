// The test helpers' hang guard: a process that never ends fails the test
// with a message naming its command line, and nothing it started survives.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "processes.hpp"
#include "test_support.hpp"

using namespace rbk::test;
using namespace std::chrono_literals;

TEST_CASE("a hung rbk fails the test with its command line", "[helpers]") {
  TempDir tmp;
  write_file((tmp.dir("runbooks") / "forever.rbk").string(), R"(runbook forever {
  remediate { step w "Wait" { run `echo started; sleep 3600` timeout 1h } }
}
)");
  // rbk never exits here, however fast the machine: any guard ends it.
  std::string message;
  try {
    run_detached(tmp.path.string(), {"run", "forever"}, {}, 1s);
  } catch (const Hung& e) {
    message = e.what();
  }
  CHECK_THAT(message, Catch::StartsWith("hung: `rbk run forever` in " + tmp.path.string() +
                                        " did not exit within 1 s (killed)"));
}
