// The editor layer's text handling (interpreter/ide/), table by table: byte
// offsets and LSP positions in UTF-16 code units (non-ASCII lines, CRLF,
// positions past a line's end or inside a surrogate pair), file URIs, the
// cursor's context as completion reads it, and formatting edits.
#include <catch2/catch.hpp>

#include "interpreter/ide/cursor.hpp"
#include "interpreter/ide/formatting.hpp"
#include "interpreter/ide/position.hpp"
#include "interpreter/ide/uri.hpp"

namespace {

using rbk::ide::LineMap;
using rbk::ide::Position;

/// "a", then "é😀b" ending in CRLF, then "xyz": é is 2 bytes and 1 UTF-16
/// unit, 😀 4 bytes and 2 units (a surrogate pair).
const std::string kText =
    "a\n\xC3\xA9\xF0\x9F\x98\x80"
    "b\r\nxyz";

std::string apply(const std::string& text, const std::vector<rbk::ide::TextEdit>& edits) {
  std::string out = text;
  // Back to front, so earlier ranges stay where they were.
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    LineMap lines(text);
    const size_t b = lines.offset(it->range.start), e = lines.offset(it->range.end);
    out.replace(b, e - b, it->text);
  }
  return out;
}

}  // namespace

TEST_CASE("byte offsets become LSP positions in UTF-16 code units", "[ide]") {
  struct Case {
    size_t offset;
    uint32_t line, character;
  };
  const LineMap lines(kText);
  for (const Case& c : std::vector<Case>{
           {0, 0, 0},
           {1, 0, 1},   // the '\n' ends line 0
           {2, 1, 0},   // é
           {4, 1, 1},   // after é: one unit
           {8, 1, 3},   // after 😀: two more
           {9, 1, 4},   // the '\r' of CRLF is the end of the line
           {10, 1, 4},  // so is its '\n'
           {11, 2, 0},
           {14, 2, 3},
           {99, 2, 3},  // past the end: the end
       }) {
    INFO("offset " << c.offset);
    CHECK(lines.position(c.offset) == Position{c.line, c.character});
  }
  CHECK(lines.line_count() == 3);
}

TEST_CASE("LSP positions become byte offsets, clamped to the text", "[ide]") {
  struct Case {
    uint32_t line, character;
    size_t offset;
  };
  const LineMap lines(kText);
  for (const Case& c : std::vector<Case>{
           {1, 0, 2},
           {1, 1, 4},
           {1, 2, 4},  // between the halves of 😀: its start
           {1, 3, 8},
           {1, 4, 9},   // the line's end, before "\r\n"
           {1, 99, 9},  // past the line's end: its end
           {0, 5, 1},
           {5, 0, 14},  // past the last line: the text's end
       }) {
    INFO("line " << c.line << " character " << c.character);
    CHECK(lines.offset({c.line, c.character}) == c.offset);
  }
  // Every character boundary survives the round trip.
  for (size_t o : {0, 1, 2, 4, 8, 9, 11, 12, 13, 14}) CHECK(lines.offset(lines.position(o)) == o);
  CHECK(rbk::ide::utf16_length("\xC3\xA9\xF0\x9F\x98\x80"
                               "b") == 4);
}

TEST_CASE("file URIs and paths, percent-encoded", "[ide]") {
  using rbk::ide::path_of_uri;
  struct Case {
    const char* uri;
    std::optional<std::string> path;
  };
  for (const Case& c : std::vector<Case>{
           {"file:///srv/run%20books/db.rbk", "/srv/run books/db.rbk"},
           {"file://localhost/a/b.rbk", "/a/b.rbk"},
           {"FILE:///x.rbk", "/x.rbk"},
           {"file:///caf%C3%A9.rbk", "/caf\xC3\xA9.rbk"},
           {"file:///a.rbk#frag", "/a.rbk"},
           {"file://otherhost/x.rbk", std::nullopt},
           {"untitled:Untitled-1", std::nullopt},
           {"file:///a%2", std::nullopt},
           {"file:///a%zz", std::nullopt},
           {"file:///a%00b", std::nullopt},
           {"file:", std::nullopt},
       }) {
    INFO(c.uri);
    CHECK(path_of_uri(c.uri) == c.path);
  }
  const std::string path = "/srv/run books/caf\xC3\xA9 #1.rbk";
  CHECK(rbk::ide::uri_of_path(path) == "file:///srv/run%20books/caf%C3%A9%20%231.rbk");
  CHECK(path_of_uri(rbk::ide::uri_of_path(path)) == path);
}

TEST_CASE("the cursor's context: literals, blocks, the statement's tokens", "[ide]") {
  using In = rbk::ide::CursorContext::In;
  struct Case {
    const char* text;  // the cursor is at '¦'
    In in;
    const char* blocks;  // the blocks' keywords, outermost first
    const char* tokens;  // the statement's tokens before the partial word
    const char* word;
    const char* dotted;  // "-" when the word does not follow a '.'
  };
  const std::vector<Case> cases = {
      {"¦", In::Code, "", "", "", "-"},
      {"runbook r {\n  par¦", In::Code, "runbook", "", "par", "-"},
      {"runbook r {\n  diagnose {\n    step s \"t\" {\n      ¦", In::Code, "runbook diagnose step",
       "", "", "-"},
      {"runbook r {\n  causes {\n    cause c \"t\" when conns.o¦", In::Code, "runbook causes",
       "cause c \" when", "o", "conns"},
      {"runbook r {\n x when step.fix.¦", In::Code, "runbook", "x when", "", "step.fix"},
      {"import \"std¦", In::String, "", "", "std", "-"},
      {"runbook r { # a { comment ¦", In::Comment, "runbook", "", "", "-"},
      {"runbook r {\n step s {\n run `echo $ho¦", In::Shell, "runbook step", "", "ho", "-"},
      {"runbook r {\n step s {\n run ```\n  echo ${ho¦", In::Shell, "runbook step", "", "ho", "-"},
      {"runbook r {\n note \"at ${cause.¦", In::Code, "runbook", "", "", "cause"},
      {"runbook r {\n x when a matches /a.b¦", In::Regex, "runbook", "", "b", "-"},
      {"runbook r {\n step a {\n }\n step b {\n  run `x` as ¦", In::Code, "runbook step",
       "run ` as", "", "-"},
      {"runbook r {\n title \"a } b\"\n ¦", In::Code, "runbook", "", "", "-"},
      {"runbook r {\n summary \"\"\"\n text ${x} \"\n¦", In::String, "runbook", "", "", "-"},
  };
  auto join = [](const auto& items, auto get) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + get(i);
    return out;
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    const size_t at = text.find("¦");
    REQUIRE(at != std::string::npos);
    text.erase(at, std::string("¦").size());
    const auto ctx = rbk::ide::cursor_context(text, at);
    INFO(c.text);
    CHECK(ctx.in == c.in);
    CHECK(join(ctx.blocks, [](const rbk::ide::Block& b) { return b.keyword; }) == c.blocks);
    if (c.in == In::Code)
      CHECK(join(ctx.tokens, [](const std::string& s) { return s; }) == c.tokens);
    CHECK(ctx.word == c.word);
    CHECK((ctx.after_dot ? ctx.dotted : std::string("-")) == c.dotted);
  }
  const auto shell = rbk::ide::cursor_context("run `echo $ho", 13);
  CHECK(shell.after_dollar);
  const auto import = rbk::ide::cursor_context("import \"stdlib/po", 17);
  CHECK(import.string_begin == 8);
  CHECK(import.statement.front() == "import");
}

TEST_CASE("formatting replaces only the lines that change", "[ide]") {
  struct Case {
    std::string before, after;
  };
  for (const Case& c : std::vector<Case>{
           {"a\nb\nc\n", "a\nB\nc\n"},
           {"a\n", "a\nb\n"},
           {"x\ny\n", "y\n"},
           {"same\n", "same\n"},
           {"", "new\n"},
           {"old\n", ""},
           {"a\n  b\n\n\nc\n", "a\nb\n\nc\n"},
           {"no newline", "no newline\n"},
       }) {
    INFO(c.before << "→" << c.after);
    const auto edits = rbk::ide::replace_changed_lines(c.before, c.after);
    CHECK(apply(c.before, edits) == c.after);
    CHECK(edits.size() == (c.before == c.after ? 0u : 1u));
  }
  // One changed line in the middle: only it is replaced.
  const auto e = rbk::ide::replace_changed_lines("a\nb\nc\n", "a\nB\nc\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].range.start == Position{1, 0});
  CHECK(e[0].range.end == Position{2, 0});
  CHECK(e[0].text == "B\n");
}
