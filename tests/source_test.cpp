#include <catch2/catch.hpp>

#include "interpreter/base/source.hpp"

using rbk::SourceFile;
using rbk::Span;

TEST_CASE("lines and columns", "[source]") {
  SourceFile f("x.rbk", "ab\ncdé f\n\nlast");
  CHECK(f.line_count() == 4);
  CHECK(f.line_of(0) == 1);
  CHECK(f.line_of(3) == 2);
  CHECK(f.column_of(3) == 1);
  CHECK(f.column_of(8) == 5);  // "cdé " is 5 bytes, 4 characters
  CHECK(f.line_text(2) == "cdé f");
  CHECK(f.line_text(3).empty());
  CHECK(f.line_text(4) == "last");
}

TEST_CASE("end-of-file offsets stay on the last line", "[source]") {
  SourceFile f("x.rbk", "a\nbc\n");
  auto size = static_cast<uint32_t>(f.text().size());
  CHECK(f.line_of(size) == 2);
  CHECK(f.column_of(size) == 3);
}

TEST_CASE("spans", "[source]") {
  SourceFile f("x.rbk", "one\ntwo three\n");
  Span s = Span::of(f, 8, 13);
  CHECK(s.text() == "three");
  CHECK(s.where() == "2:5");
  CHECK(s.end_line == 2);
  CHECK(s.end_col == 10);
}

TEST_CASE("a span from offsets past the end stays inside the file", "[source]") {
  // yaml-cpp's error marks and a scalar's decoded length can point past the
  // end (found by fuzzing: fuzz/regressions/fixture, fuzz/regressions/config).
  SourceFile f("a.yaml", "-6\nu\n");
  Span s = Span::of(f, 8, 9);
  CHECK(s.begin == 5);
  CHECK(s.end == 5);
  CHECK(s.line == 2);
  CHECK(s.col == 2);
  CHECK(Span::of(f, 1, 55).end == 5);
}
