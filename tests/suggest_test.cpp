#include <catch2/catch.hpp>

#include "interpreter/base/suggest.hpp"

using namespace rbk;

TEST_CASE("edit distance", "[suggest]") {
  CHECK(edit_distance("run", "run") == 0);
  CHECK(edit_distance("rnu", "run") == 1);  // transposition
  CHECK(edit_distance("timout", "timeout") == 1);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("suggestions only for likely typos", "[suggest]") {
  std::vector<std::string> words{"run", "confirm", "destructive", "diagnose"};
  CHECK(closest("rnu", words) == "run");
  CHECK(closest("destrutive", words) == "destructive");
  CHECK(closest("diag", words) == "diagnose");
  CHECK(closest("zzz", words).empty());
  CHECK(did_you_mean("confrim", words) == "did you mean 'confirm'?");
}
