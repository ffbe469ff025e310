// The destructive-command patterns, as data: tests/destructive/commands.txt
// lists commands with the pattern id each must match ("-" for none). Also:
// the shipped list loads without errors, and bad lists give file:line:col.
#include <catch2/catch.hpp>

#include <sstream>

#include "interpreter/destructive.hpp"
#include "test_support.hpp"

using namespace rbk;

TEST_CASE("the shipped destructive-command list loads cleanly", "[destructive]") {
  Diagnostics errors;
  auto list = DestructivePatterns::load(DestructivePatterns::default_path(), errors);
  for (const auto& e : errors) INFO(render(e));
  CHECK(errors.empty());
  CHECK(list.patterns().size() >= 30);
}

TEST_CASE("commands match exactly the expected pattern", "[destructive]") {
  Diagnostics errors;
  auto list = DestructivePatterns::load(DestructivePatterns::default_path(), errors);
  REQUIRE(errors.empty());
  std::istringstream cases(test::read_file(test::source_dir() + "/tests/destructive/commands.txt"));
  std::string line;
  size_t n = 0;
  while (std::getline(cases, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    std::string expected = line.substr(0, tab);
    std::string command = line.substr(tab + 1);
    // "\\n" in the data file stands for a line break. (Built by hand: GCC 12
    // at -O2 reports a false -Wrestrict on std::string::replace here.)
    std::string unescaped;
    for (size_t i = 0; i < command.size(); ++i) {
      if (command[i] == '\\' && i + 1 < command.size() && command[i + 1] == 'n') {
        unescaped += '\n';
        ++i;
      } else {
        unescaped += command[i];
      }
    }
    command = unescaped;
    auto m = list.match(command);
    INFO(command);
    CHECK((m ? m->pattern->id : std::string("-")) == expected);
    ++n;
  }
  CHECK(n >= 60);
}

TEST_CASE("the match says where in the command it is", "[destructive]") {
  Diagnostics errors;
  auto list = DestructivePatterns::load(DestructivePatterns::default_path(), errors);
  std::string cmd = "cd /srv && rm -rf cache";
  auto m = list.match(cmd);
  REQUIRE(m);
  CHECK(cmd.substr(m->offset, m->length).rfind("rm -rf", 0) == 0);
}

TEST_CASE("bad lists are diagnostics at file:line:col", "[destructive]") {
  auto errors_of = [](const std::string& yaml) {
    Diagnostics errors;
    DestructivePatterns::parse(std::make_shared<SourceFile>("p.yaml", yaml), errors);
    std::string out;
    for (const auto& e : errors) out += render(e);
    return out;
  };
  CHECK(errors_of("patterns:\n  - id: x\n    pattern: 'a(b'\n    why: w\n") ==
        "p.yaml:3:14: error: invalid pattern: missing ): a(b\n"
        "    pattern: 'a(b'\n"
        "             ^~~\n"
        "help: patterns use RE2 syntax (no backreferences or lookaround)\n");
  CHECK(errors_of("patterns:\n  - id: x\n    patern: 'a'\n    why: w\n")
            .find("p.yaml:3:5: error: unknown key 'patern'") == 0);
  CHECK(errors_of("patterns: [\n").find("p.yaml:") == 0);
  CHECK(errors_of("patterns:\n  - id: x\n    pattern: a\n    why: w\n  - id: x\n    pattern: b\n   "
                  " why: w\n")
            .find("duplicate id 'x'") != std::string::npos);
  CHECK(errors_of("rules: []\n").find("expected a 'patterns:' list") != std::string::npos);
}
