// Fuzz target: a test fixture (`NAME.test.yaml`) read by the fixture loader
// and checked against one fixed runbook (tests/fixtures/target.rbk, the
// runbook the seed fixtures in tests/fixtures/ are written for). Bad input
// may only give diagnostics.
#include <memory>
#include <string>

#include "fuzz_support.hpp"
#include "grammar/parse.hpp"
#include "interpreter/testing/fixture.hpp"
#include "interpreter/testing/fixture_replay.hpp"

namespace {

const rbk::ast::Document& target_runbook() {
  static const rbk::ParseResult r = rbk::parse(std::make_shared<rbk::SourceFile>(
      "target.rbk", rbk::fuzz::read_source("tests/fixtures/target.rbk")));
  if (!r.document || rbk::has_errors(r.diagnostics))
    rbk::fuzz::fail("tests/fixtures/target.rbk does not parse");
  return *r.document;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rbk;
  const ast::Document& runbook = target_runbook();
  auto file = std::make_shared<SourceFile>("fuzz.test.yaml",
                                           std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics errors;
  Fixture f = parse_fixture(file, errors);
  fuzz::expect_clear(errors, "parse_fixture");
  if (has_errors(errors)) return 0;
  fuzz::expect_clear(check_fixture(f, runbook), "check_fixture");
  for (const auto& c : f.cases)
    for (const auto& e : c.commands) (void)e.describe();
  return 0;
}
