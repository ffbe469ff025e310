#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "interpreter/base/diagnostic.hpp"

using namespace rbk;

TEST_CASE("the diagnostic format: location, source line, caret and help", "[diagnostic]") {
  SourceFile f("db-down.rbk", "runbook x {\n\tstep  restart {\n}\n");
  Diagnostic d = error_at(Span::of(f, 19, 26), "something is wrong", "do this instead");
  CHECK(render(d) ==
        "db-down.rbk:2:8: error: something is wrong\n"
        "\tstep  restart {\n"
        "\t      ^~~~~~~\n"
        "help: do this instead\n");
}

TEST_CASE("a span over several lines underlines to the end of its first line", "[diagnostic]") {
  SourceFile f("a.rbk", "abc def\nghi\n");
  Diagnostic d = error_at(Span::of(f, 4, 10), "multi");
  CHECK(render(d) == "a.rbk:1:5: error: multi\nabc def\n    ^~~\n");
}

TEST_CASE("diagnostics as JSON", "[diagnostic]") {
  SourceFile f("a.rbk", "abc def\n");
  auto j = to_json(error_at(Span::of(f, 4, 7), "m", "h"));
  CHECK(j["file"] == "a.rbk");
  CHECK(j["line"] == 1);
  CHECK(j["column"] == 5);
  CHECK(j["end_column"] == 8);
  CHECK(j["severity"] == "error");
  CHECK(j["help"] == "h");
}

TEST_CASE("colour only when asked", "[diagnostic]") {
  SourceFile f("a.rbk", "x\n");
  Diagnostic d = error_at(Span::of(f, 0, 1), "m");
  CHECK(render(d, false).find('\033') == std::string::npos);
  CHECK(render(d, true).find('\033') != std::string::npos);
}
