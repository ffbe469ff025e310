// ShellCheck inside runbooks: positions mapped back into the .rbk file, real
// runs of /usr/bin/shellcheck, and a runner that cannot start it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "grammar/parse.hpp"
#include "interpreter/lint/shellcheck.hpp"
#include "interpreter/runtime/process_runner.hpp"

using namespace rbk;

namespace {

/// shellcheck_snippets' findings, and why there are none ("" when ShellCheck ran).
std::pair<Diagnostics, std::string> check_snippets(const std::vector<ShellSnippet>& snippets,
                                                   CommandRunner& runner) {
  auto found = shellcheck_snippets(snippets, runner);
  if (!found) return {{}, found.error()};
  return {std::move(*found), ""};
}

// Tabs and a non-ASCII character on purpose: columns are code points and a
// tab counts as one, in ShellCheck's json1 output and in a Span alike.
const std::string kRunbook =
    "runbook t {\n"
    "  param host : string = \"x\"\n"
    "\n"
    "  diagnose {\n"
    "    step one \"One\" {\n"
    "      run `echo é $host $other`\n"
    "    }\n"
    "    step two \"Two\" {\n"
    "      run ```\n"
    "        if true; then\n"
    "        \techo $host\n"
    "\n"
    "          grep é $pat file\n"
    "        fi\n"
    "      ``` as out\n"
    "    }\n"
    "  }\n"
    "}\n";

struct Parsed {
  ParseResult result;
  std::vector<const ast::Shell*> shells;  // every `run` literal, in order
};

Parsed parse_runbook(const std::string& text) {
  Parsed p;
  p.result = parse(std::make_shared<SourceFile>("t.rbk", text));
  std::string errors;
  for (const auto& d : p.result.diagnostics) errors += render(d) + "\n";
  INFO(errors);
  REQUIRE(p.result.diagnostics.empty());
  REQUIRE(p.result.document);
  const ast::Runbook* rb = p.result.document->runbook();
  REQUIRE(rb != nullptr);
  for (const auto& item : rb->items) {
    const auto* section = std::get_if<ast::Section>(&item);
    if (section == nullptr) continue;
    for (const auto& si : section->items) {
      const auto* step = std::get_if<ast::Step>(&si);
      if (step == nullptr) continue;
      for (const auto& st : step->body.items)
        if (const auto* run = std::get_if<ast::Run>(&st)) p.shells.push_back(&run->shell);
    }
  }
  return p;
}

std::string text_of(const Span& s) {
  return std::string(s.text());
}

// Runs nothing: the command could not be started.
class CannotStart final : public CommandRunner {
 public:
  int calls = 0;
  CommandResult run(const CommandSpec&, OutputSink*) override {
    ++calls;
    CommandResult r;
    r.spawn_failed = true;
    r.error = "cannot start /bin/sh";
    return r;
  }
};

// Answers with a fixed result and keeps the spec it was given, and the
// files in the directory named by its RBK_SNIPPETS (they are gone after).
class Scripted final : public CommandRunner {
 public:
  CommandResult result;
  std::vector<CommandSpec> specs;
  std::map<std::string, std::string> files;
  CommandResult run(const CommandSpec& spec, OutputSink*) override {
    specs.push_back(spec);
    for (const auto& [name, value] : spec.env) {
      if (name != "RBK_SNIPPETS") continue;
      for (const auto& e : std::filesystem::directory_iterator(value)) {
        std::ifstream f(e.path(), std::ios::binary);
        files[e.path().filename().string()] =
            std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      }
    }
    return result;
  }
};

}  // namespace

TEST_CASE("ShellCheck positions map into the .rbk source", "[shellcheck]") {
  Parsed p = parse_runbook(kRunbook);
  REQUIRE(p.shells.size() == 2);
  const ast::Shell& one = *p.shells[0];
  const ast::Shell& fenced = *p.shells[1];
  REQUIRE(!one.fenced);
  REQUIRE(one.text == "echo é $host $other");
  REQUIRE(fenced.fenced);
  CHECK(fenced.indent == 8);
  CHECK(fenced.first_line == 10);
  REQUIRE(fenced.text == "if true; then\n\techo $host\n\n  grep é $pat file\nfi");

  SECTION("one-line literal: the text starts after the backtick") {
    // `$host` is at text column 8 (é is one column), 8..13 exclusive.
    Span s = map_shell_position(one, 1, 8, 1, 13);
    CHECK(text_of(s) == "$host");
    CHECK(s.line == 6);
    CHECK(s.col == 19);  // "      run `" is 11 columns, then "echo é " is 7
    CHECK(s.end_line == 6);
    CHECK(s.end_col == 24);
    Span o = map_shell_position(one, 1, 14, 1, 20);
    CHECK(text_of(o) == "$other");
    // A column past the text's end stays before the closing backtick.
    Span end = map_shell_position(one, 1, 14, 1, 99);
    CHECK(text_of(end) == "$other");
  }

  SECTION("fenced literal: lines from first_line, columns plus the indent") {
    // Text line 2 is "\techo $host": the tab is column 1, `$host` 7..12.
    Span s = map_shell_position(fenced, 2, 7, 2, 12);
    CHECK(text_of(s) == "$host");
    CHECK(s.line == 11);
    CHECK(s.col == 15);  // 8 blanks of indent, the tab, "echo "
    CHECK(s.end_col == 20);
    // Text line 4 keeps two blanks of its own; é is one column.
    Span g = map_shell_position(fenced, 4, 10, 4, 14);
    CHECK(text_of(g) == "$pat");
    CHECK(g.line == 13);
    CHECK(g.col == 18);
    // The blank text line 3 is the empty source line 12.
    Span blank = map_shell_position(fenced, 3, 1, 3, 1);
    CHECK(blank.line == 12);
    CHECK(blank.col == 1);
    // Across lines: from `if` to the end of `fi`.
    Span all = map_shell_position(fenced, 1, 1, 5, 3);
    CHECK(all.line == 10);
    CHECK(all.col == 9);
    CHECK(all.end_line == 14);
    CHECK(all.end_col == 11);
  }
}

TEST_CASE("ShellCheck findings at their exact place in the runbook", "[shellcheck]") {
  Parsed p = parse_runbook(kRunbook);
  REQUIRE(p.shells.size() == 2);
  std::vector<ShellSnippet> snippets(2);
  snippets[0].shell = p.shells[0];
  snippets[0].known = {"host", "RBK_RUN_ID", "not a name"};
  snippets[1].shell = p.shells[1];
  snippets[1].known = {"host", "out"};

  ProcessRunner runner;
  auto [ds, note] = check_snippets(snippets, runner);
  INFO(note);
  REQUIRE(note.empty());

  std::vector<std::string> got;
  for (const Diagnostic& d : ds) {
    REQUIRE(d.span.file == p.result.source.get());
    CHECK(d.code == "RBK401");
    CHECK(d.help ==
          "see https://www.shellcheck.net/wiki/" + d.message.substr(0, d.message.find(':')));
    got.push_back(std::string(severity_name(d.severity)) + " " + std::to_string(d.span.line) + ":" +
                  std::to_string(d.span.col) + "-" + std::to_string(d.span.end_line) + ":" +
                  std::to_string(d.span.end_col) + " " + text_of(d.span) + " " +
                  d.message.substr(0, d.message.find(':')));
  }
  // `host` is known: never "referenced but not assigned" (SC2154); `other`
  // and `pat` are not. Unquoted expansions are SC2086 (info → note).
  std::vector<std::string> want = {
      "note 6:19-6:24 $host SC2086",     "warning 6:25-6:31 $other SC2154",
      "note 6:25-6:31 $other SC2086",    "note 11:15-11:20 $host SC2086",
      "warning 13:18-13:22 $pat SC2154", "note 13:18-13:22 $pat SC2086",
  };
  CHECK(got == want);
  for (const Diagnostic& d : ds)
    if (d.message.rfind("SC2086", 0) == 0)
      CHECK(d.message == "SC2086: Double quote to prevent globbing and word splitting.");
}

TEST_CASE("ShellCheck: directives, parse errors and clean snippets", "[shellcheck]") {
  const std::string text =
      "runbook t {\n"
      "  diagnose {\n"
      "    step a \"A\" {\n"
      "      run ```\n"
      "        # shellcheck disable=SC2086\n"
      "        echo $known\n"
      "        exit 1\n"
      "      ```\n"
      "      run `echo \"$known\"`\n"
      "      run `echo \"unclosed`\n"
      "    }\n"
      "  }\n"
      "}\n";
  Parsed p = parse_runbook(text);
  REQUIRE(p.shells.size() == 3);
  std::vector<ShellSnippet> snippets;
  for (const ast::Shell* s : p.shells) snippets.push_back({s, {"known"}});
  ProcessRunner runner;
  auto [ds, note] = check_snippets(snippets, runner);
  INFO(note);
  CHECK(note.empty());
  // A directive on the first line covers the whole snippet, the epilogue
  // after `exit` is not "unreachable", and the clean one-liner says nothing.
  // The unclosed quote is a parse error, placed inside its own literal.
  // ShellCheck finds the end of the string only at the end of its input (in
  // the epilogue): that error is put at the literal's end, before the backtick.
  std::vector<std::string> got;
  for (const Diagnostic& d : ds)
    got.push_back(std::string(severity_name(d.severity)) + " " + std::to_string(d.span.line) + ":" +
                  std::to_string(d.span.col) + "-" + std::to_string(d.span.end_col) + " " +
                  d.message.substr(0, d.message.find(':')));
  std::vector<std::string> want = {"note 10:12-12 SC1009", "error 10:17-17 SC1073",
                                   "error 10:26-26 SC1072"};
  CHECK(got == want);
  CHECK(p.result.source->text().substr(ds[2].span.begin, 1) == "`");
}

TEST_CASE("ShellCheck that cannot be started gives a note and no findings", "[shellcheck]") {
  Parsed p = parse_runbook(kRunbook);
  std::vector<ShellSnippet> snippets(2);
  snippets[0].shell = p.shells[0];
  snippets[1].shell = p.shells[1];

  SECTION("spawn failure") {
    CannotStart runner;
    auto [ds, note] = check_snippets(snippets, runner);
    CHECK(ds.empty());
    CHECK(note == "shellcheck not found; install the 'shellcheck' package or pass --no-shellcheck");
    CHECK(runner.calls == 1);  // gives up at the first snippet
  }
  SECTION("not on the PATH (exit 127)") {
    Scripted runner;
    runner.result.exit_code = 127;
    runner.result.err.text = "sh: 1: shellcheck: not found\n";
    auto [ds, note] = check_snippets(snippets, runner);
    CHECK(ds.empty());
    CHECK(note == "shellcheck not found; install the 'shellcheck' package or pass --no-shellcheck");
  }
  SECTION("the snippets travel in files, never in the script, one process for all") {
    Scripted runner;
    runner.result.exit_code = 1;
    // ShellCheck names each finding's file; "1.sh" is the second literal.
    runner.result.out.text =
        R"({"comments":[{"file":"1.sh","line":2,"endLine":2,"column":7,"endColumn":12,)"
        R"("level":"info","code":2086,"message":"Double quote."},)"
        R"({"file":"0.sh","line":1,"endLine":1,"column":8,"endColumn":13,)"
        R"("level":"style","code":2250,"message":"Prefer putting braces around variable references.\nmore"},)"
        R"({"file":"0.sh","line":3,"endLine":3,"column":1,"endColumn":2,"level":"warning","code":2034,"message":"x"},)"
        R"({"file":"../elsewhere.sh","line":1,"endLine":1,"column":1,"endColumn":2,"level":"error","code":1000,"message":"y"}]})";
    snippets[0].known = {"host", "other"};
    auto [ds, note] = check_snippets(snippets, runner);
    CHECK(note.empty());
    REQUIRE(runner.specs.size() == 1);
    const CommandSpec& spec = runner.specs[0];
    CHECK(spec.script.find("echo") == std::string::npos);
    CHECK(spec.script.find("shellcheck --format=json1 --shell=sh -- *.sh") != std::string::npos);
    CHECK(spec.timeout == std::chrono::seconds(34));
    REQUIRE(spec.env.size() == 1);
    CHECK(spec.env[0].first == "RBK_SNIPPETS");
    CHECK_FALSE(std::filesystem::exists(spec.env[0].second));  // removed after
    REQUIRE(runner.files.size() == 2);
    CHECK(runner.files["0.sh"] ==
          "echo é $host $other\n\n# shellcheck disable=SC2317\nexport host='' other=''\n");
    CHECK(runner.files["1.sh"].rfind("if true; then\n", 0) == 0);
    // The finding on line 3 of 0.sh is in the epilogue: dropped; one naming
    // another file is not ours. Style → note, the message cut to its first
    // line; the first literal's findings first.
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].severity == Severity::Note);
    CHECK(ds[0].message == "SC2250: Prefer putting braces around variable references.");
    CHECK(ds[0].help == "see https://www.shellcheck.net/wiki/SC2250");
    CHECK(text_of(ds[0].span) == "$host");
    CHECK(ds[1].message == "SC2086: Double quote.");
    CHECK(text_of(ds[1].span) == "$host");
  }
  SECTION("unreadable output: a note naming the file") {
    Scripted runner;
    runner.result.exit_code = 3;
    runner.result.err.text = "shellcheck: bad option\nusage…\n";
    auto [ds, note] = check_snippets(snippets, runner);
    CHECK(ds.empty());
    CHECK(runner.specs.size() == 1);
    CHECK(note == "shellcheck failed on the shell literals in t.rbk: shellcheck: bad option");
  }
}
