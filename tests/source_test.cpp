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

TEST_CASE("line_of gives the same line in any order of asking", "[source]") {
  // line_of remembers the line it found last (a hint for the next offset,
  // most often on the same line): forwards, backwards, jumping and past the
  // end, every answer must be the line counted from the start.
  std::string text;
  for (int i = 0; i < 200; ++i) text += std::string(static_cast<size_t>(i % 7), 'x') + "\n";
  text += "tail";
  SourceFile f("x.rbk", text);
  auto counted = [&](uint32_t offset) {
    uint32_t line = 1;
    for (uint32_t i = 0; i < offset && i < text.size(); ++i)
      if (text[i] == '\n' && i + 1 < text.size()) ++line;
    return line;
  };
  const auto size = static_cast<uint32_t>(text.size());
  for (uint32_t o = 0; o <= size; ++o) CHECK(f.line_of(o) == counted(o));
  for (uint32_t o = size + 1; o-- > 0;) CHECK(f.line_of(o) == counted(o));
  for (uint32_t i = 0, o = 0; i < 2000; ++i, o = (o * 7919 + 13) % (size + 1))
    CHECK(f.line_of(o) == counted(o));
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

TEST_CASE("columns and bad bytes are found wherever they fall in a word of eight", "[source]") {
  // SourceFile and first_bad_text_byte read eight ASCII bytes at a time: a
  // multi-byte character, a NUL or a stray byte at any position of a word,
  // or in the tail after the last whole word, must still be seen.
  for (size_t at = 0; at < 20; ++at) {
    std::string text(20, 'a');
    std::string with_e = text.substr(0, at) + "é" + text.substr(at);
    SourceFile f("x.rbk", with_e);
    const auto end = static_cast<uint32_t>(with_e.size());
    CHECK(f.column_of(end) == 22);  // 21 characters before the end
    CHECK(f.column_of(static_cast<uint32_t>(at)) == at + 1);
    CHECK(rbk::first_bad_text_byte(with_e) == std::string_view::npos);

    std::string with_nul = text;
    with_nul[at] = '\0';
    CHECK(rbk::first_bad_text_byte(with_nul) == at);
    std::string with_stray = text;
    with_stray[at] = '\xff';
    CHECK(rbk::first_bad_text_byte(with_stray) == at);
  }
}
