// JUnit XML for `rbk test --format junit`: the report CI systems (GitLab,
// Jenkins, GitHub test reporters) read. One testsuite per fixture file.
#pragma once

#include <string>
#include <vector>

namespace rbk {

/// One test case's result.
struct JUnitCase {
  std::string name;
  std::string classname;  // the runbook
  std::string file;       // the fixture
  int line = 0;
  bool passed = false;
  std::string failure;  // full text when it failed
  double seconds = 0;
};

/// One fixture file's cases.
struct JUnitSuite {
  std::string name;
  std::vector<JUnitCase> cases;
};

/// The whole report as a UTF-8 XML document.
std::string to_junit(const std::vector<JUnitSuite>& suites);

/// Text escaped for XML character data and attribute values; characters XML
/// 1.0 cannot hold (control characters) are replaced by U+FFFD.
std::string xml_escape(const std::string& text);

}  // namespace rbk
