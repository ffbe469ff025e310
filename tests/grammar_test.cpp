// Grammar-level tests that are not plain data: PEGTL's analysis, and a few
// properties (raw shell literals, spans, comments) asserted directly.
#include <catch2/catch.hpp>

#include "grammar/keywords.hpp"
#include "grammar/parse.hpp"

using namespace rbk;

namespace {
ParseResult parse_text(const std::string& text) {
  return parse(std::make_shared<SourceFile>("t.rbk", text));
}
const ast::Step& first_step(const ast::Document& d) {
  for (const auto& item : d.runbook()->items)
    if (auto* s = std::get_if<ast::Section>(&item))
      for (const auto& si : s->items)
        if (auto* st = std::get_if<ast::Step>(&si)) return *st;
  throw std::runtime_error("no step");
}
}  // namespace

TEST_CASE("no grammar rule can loop without consuming input", "[grammar]") {
  CHECK(analyze_grammar() == 0);
}

TEST_CASE("shell literals are kept byte for byte", "[grammar]") {
  const std::string cmd =
      R"RBK(psql -c "SELECT '\x' \\ $(echo \"q\")" | awk '{print $1}' # not a comment)RBK";
  auto r = parse_text("runbook x {\n  diagnose {\n    step a {\n      run `" + cmd +
                      "`\n    }\n  }\n}\n");
  REQUIRE(r.diagnostics.empty());
  const auto& run = std::get<ast::Run>(first_step(*r.document).body.items.at(0));
  CHECK(run.shell.text == cmd);
  CHECK(run.shell.raw == "`" + cmd + "`");
}

TEST_CASE("fenced shell blocks are dedented, raw kept", "[grammar]") {
  std::string src =
      "runbook x {\n  diagnose {\n    step a {\n      run ```\n        if true; then\n"
      "          echo \"``\"\n        fi\n      ``` as out\n    }\n  }\n}\n";
  auto r = parse_text(src);
  REQUIRE(r.diagnostics.empty());
  const auto& run = std::get<ast::Run>(first_step(*r.document).body.items.at(0));
  CHECK(run.shell.fenced);
  CHECK(run.shell.text == "if true; then\n  echo \"``\"\nfi");
  CHECK(run.shell.first_line == 5);
  CHECK(run.shell.indent == 8);
  CHECK(src.find(run.shell.raw) != std::string::npos);
  REQUIRE(run.capture);
  CHECK(run.capture->name == "out");
}

TEST_CASE("every node has a span pointing at its source", "[grammar]") {
  auto r =
      parse_text("runbook x {\n  diagnose {\n    step abc \"T\" when 1 < 2 {\n    }\n  }\n}\n");
  REQUIRE(r.diagnostics.empty());
  const auto& s = first_step(*r.document);
  CHECK(s.span.line == 3);
  CHECK(s.span.col == 5);
  CHECK(s.id.span.text() == "abc");
  CHECK(s.when->span.text() == "1 < 2");
  CHECK(s.body.span.line == 3);
  CHECK(s.body.span.end_line == 4);
}

TEST_CASE("comments are kept in the tree", "[grammar]") {
  auto r =
      parse_text("# head\nrunbook x { # after brace\n  title \"T\" # trailing\n  # own line\n}\n");
  REQUIRE(r.diagnostics.empty());
  const auto& doc = *r.document;
  REQUIRE(std::holds_alternative<ast::Comment>(doc.items.at(0)));
  const auto& items = doc.runbook()->items;
  REQUIRE(items.size() == 4);
  CHECK(std::get<ast::Comment>(items[0]).text == " after brace");
  CHECK(std::get<ast::Comment>(items[0]).trailing);
  CHECK(std::get<ast::Comment>(items[2]).text == " trailing");
  CHECK(std::get<ast::Comment>(items[2]).trailing);
  CHECK(std::get<ast::Comment>(items[3]).text == " own line");
  CHECK_FALSE(std::get<ast::Comment>(items[3]).trailing);
}

TEST_CASE("several independent errors are reported in one run", "[grammar]") {
  auto r = parse_text(
      "runbook x {\n  diagnose {\n    step a {\n      rnu `x`\n    }\n    step b {\n"
      "      run `y` timout 5s\n    }\n  }\n  verfy {\n  }\n}\n");
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[0].span.line == 4);
  CHECK(r.diagnostics[1].span.line == 7);
  CHECK(r.diagnostics[2].span.line == 10);
}

TEST_CASE("the reserved-word list matches the grammar", "[grammar]") {
  // A word of keywords::reserved_in_expressions() (what the check pass
  // refuses as a name) must never parse as a name in an expression; an
  // ordinary keyword such as `timeout` must.
  auto parses_as_name = [](const std::string& word) {
    auto r = parse_text("runbook x {\n  title \"${" + word + "}\"\n}\n");
    if (!r.document) return false;
    const auto& meta = std::get<ast::Meta>(r.document->runbook()->items.at(0));
    const auto& part = meta.text->parts.at(0);
    return part.expr && part.expr->kind == ast::ExprKind::Name;
  };
  for (const auto& w : grammar::keywords::reserved_in_expressions()) {
    INFO(w);
    CHECK_FALSE(parses_as_name(w));
  }
  for (const char* w : {"timeout", "check", "step", "cause", "severity", "env", "title"}) {
    INFO(w);
    CHECK(parses_as_name(w));
  }
}
