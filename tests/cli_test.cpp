// Data-driven tests of the rbk binary: tests/cli/NAME.args holds one line of
// arguments (run from the source root); NAME.expected holds
//   exit: N
//   --- stdout
//   …
//   --- stderr
//   …
// RBK_UPDATE_GOLDEN=1 rewrites the .expected files.
#include <catch2/catch.hpp>

#include "test_support.hpp"

TEST_CASE("cli cases", "[cli][threads]") {
  using namespace rbk::test;
  auto files = files_in(source_dir() + "/tests/cli", ".args");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.substr(source_dir().size() + 1)) {
      std::string args = read_file(f);
      while (!args.empty() && (args.back() == '\n' || args.back() == ' ')) args.pop_back();
      Run r = run_rbk(args);
      REQUIRE(r.signal == 0);
      std::string actual = "exit: " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out +
                           "--- stderr\n" + r.err;
      std::string expected_path = f.substr(0, f.size() - 5) + ".expected";
      if (update_goldens()) write_file(expected_path, actual);
      CHECK(read_file(expected_path) == actual);
    }
  }
}
