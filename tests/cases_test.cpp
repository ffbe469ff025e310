// The data-driven language tests.
//   tests/cases/ok/NAME.rbk    must parse and check clean; its AST JSON must
//                               equal NAME.ast.json (the golden).
//   tests/cases/fail/NAME.rbk  must be rejected; the full diagnostic text
//                               (parse + check, no colour) must equal NAME.expected.
// RBK_UPDATE_GOLDEN=1 rewrites the goldens instead of comparing (review the diff).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "grammar/parse.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "interpreter/syntax/ast_json.hpp"
#include "test_support.hpp"

namespace {

using namespace rbk;

// Paths in diagnostics and ASTs are relative to the source root, as a user
// running `rbk check tests/cases/…` from there would see them.
std::string relative(const std::string& p) {
  std::string root = test::source_dir() + "/";
  return p.rfind(root, 0) == 0 ? p.substr(root.size()) : p;
}

struct Outcome {
  std::string diagnostics;
  std::unique_ptr<ast::Document> doc;
};

Outcome run_case(const std::string& path) {
  auto file = std::make_shared<SourceFile>(relative(path), test::read_file(path));
  ParseResult r = parse(file);
  Diagnostics diags = std::move(r.diagnostics);
  if (r.document) {
    FileModuleLoader loader;
    Diagnostics more = check(*r.document, &loader);
    diags.insert(diags.end(), more.begin(), more.end());
  }
  Outcome o;
  for (const auto& d : diags) o.diagnostics += render(d, false);
  o.doc = std::move(r.document);
  return o;
}

std::string without_ext(const std::string& p) {
  return p.substr(0, p.size() - 4);
}

}  // namespace

TEST_CASE("passing inputs match their golden AST", "[cases]") {
  auto files = test::files_in(test::source_dir() + "/tests/cases/ok", ".rbk");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    DYNAMIC_SECTION(relative(f)) {
      Outcome o = run_case(f);
      INFO(o.diagnostics);
      REQUIRE(o.diagnostics.empty());
      REQUIRE(o.doc);
      std::string actual = to_json(*o.doc).dump(2) + "\n";
      std::string golden = without_ext(f) + ".ast.json";
      if (test::update_goldens()) test::write_file(golden, actual);
      CHECK(test::read_file(golden) == actual);
    }
  }
}

TEST_CASE("failing inputs give exactly their expected diagnostics", "[cases]") {
  auto files = test::files_in(test::source_dir() + "/tests/cases/fail", ".rbk");
  REQUIRE(files.size() >= 80);
  for (const auto& f : files) {
    DYNAMIC_SECTION(relative(f)) {
      Outcome o = run_case(f);
      REQUIRE(!o.diagnostics.empty());
      std::string expected_path = without_ext(f) + ".expected";
      if (test::update_goldens()) test::write_file(expected_path, o.diagnostics);
      CHECK(test::read_file(expected_path) == o.diagnostics);
    }
  }
}
