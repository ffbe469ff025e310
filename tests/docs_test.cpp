// The documentation's code stays true: every ```rbk block in docs/*.md
// parses, as a whole file or, for a fragment, inside the smallest runbook
// that can hold it (a section, a step, a statement, an escalation rule);
// "…" in an excerpt stands for what it leaves out.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "grammar/parse.hpp"
#include "test_support.hpp"

namespace {

/// True when `text` parses with no syntax error.
bool parses(const std::string& text) {
  auto r = rbk::parse(std::make_shared<rbk::SourceFile>("doc.rbk", text));
  return r.document && r.diagnostics.empty();
}

/// The wrappings tried, smallest context first.
const std::vector<std::pair<std::string, std::string>>& contexts() {
  static const std::vector<std::pair<std::string, std::string>> c = {
      {"", ""},
      {"", "\nrunbook doc {\n}\n"},
      {"runbook doc {\n", "\n}\n"},
      {"runbook doc {\nremediate {\n", "\n}\n}\n"},
      {"runbook doc {\nremediate {\nstep s \"s\" {\n", "\n}\n}\n}\n"},
      {"runbook doc {\nalert {\n", "\n}\n}\n"},
      {"runbook doc {\nverify {\n", "\n}\n}\n"},
      {"runbook doc {\ncauses {\n", "\n}\n}\n"},
      {"runbook doc {\nescalate {\n", "\n}\n}\n"},
      {"module doc {\n", "\n}\n"},
  };
  return c;
}

}  // namespace

TEST_CASE("every rbk block in the docs parses", "[docs]") {
  using namespace rbk::test;
  auto docs = files_in(source_dir() + "/docs", ".md");
  docs.push_back(source_dir() + "/README.md");
  // A block ends at a fence at the start of a line (fenced shell inside is indented).
  const std::regex block("(`{3,})rbk\\n([\\s\\S]*?)\\n\\1(?=\\n|$)");
  size_t blocks = 0;
  for (const auto& path : docs) {
    const std::string text = read_file(path);
    for (std::sregex_iterator it(text.begin(), text.end(), block), end; it != end; ++it) {
      ++blocks;
      // "…" marks what an excerpt leaves out: `{ … }` reads as an empty block.
      const std::string code = std::regex_replace((*it)[2].str(), std::regex("…"), "");
      // Imports stay at the top of the file whatever the rest is wrapped in.
      std::string imports, rest;
      std::istringstream lines(code);
      for (std::string line; std::getline(lines, line);)
        (line.rfind("import ", 0) == 0 ? imports : rest) += line + "\n";
      bool ok = false;
      for (const auto& [before, after] : contexts())
        ok = ok || parses(code) || parses(imports + before + rest + after);
      INFO(path << ":\n" << code);
      CHECK(ok);
    }
  }
  CHECK(blocks >= 30);  // the test is looking at the docs at all
}
