// Every syntax error message in grammar/messages.hpp must be exercised by at
// least one case in tests/cases/fail: a new message without a case fails
// here. (Check-pass messages are listed in tests/cases/COVERAGE.md.)
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "test_support.hpp"

namespace {

// Undoes the C escapes used in messages.hpp string literals.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every grammar error message has a failing case", "[cases][coverage]") {
  using namespace rbk::test;
  std::string header = read_file(source_dir() + "/grammar/messages.hpp");
  std::string expected;
  for (const auto& f : files_in(source_dir() + "/tests/cases/fail", ".expected"))
    expected += read_file(f);
  REQUIRE(!expected.empty());

  // Messages rewritten by ParseContext::report (the word is quoted into a new
  // message) or that a more specific message always wins over.
  const std::set<std::string> rewritten{"bad_statement", "bad_section_item", "bad_item",
                                        "bad_module_item", "expr"};
  std::regex entry(R"re(RBK_ERROR\(\s*(\w+),\s*"((?:[^"\\]|\\.)*)")re");
  size_t count = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), entry), end; it != end; ++it) {
    std::string rule = (*it)[1];
    if (rewritten.count(rule)) continue;
    std::string message = unescape((*it)[2]);
    // Compare the text before the first placeholder.
    std::string prefix = message.substr(0, message.find('{'));
    ++count;
    INFO("rule " << rule << ": \"" << prefix << "\"");
    CHECK(expected.find(": error: " + prefix) != std::string::npos);
  }
  CHECK(count > 60);
}
