#include "interpreter/testing/junit.hpp"

#include "interpreter/base/format_str.hpp"

namespace rbk {

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += "\xEF\xBF\xBD";  // not allowed in XML 1.0, even escaped
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string to_junit(const std::vector<JUnitSuite>& suites) {
  size_t tests = 0, failures = 0;
  for (const auto& s : suites)
    for (const auto& c : s.cases) ++tests, failures += c.passed ? 0 : 1;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      format_str("<testsuites name=\"rbk test\" tests=\"{}\" failures=\"{}\">\n", tests, failures);
  for (const auto& s : suites) {
    size_t f = 0;
    double seconds = 0;
    for (const auto& c : s.cases) f += c.passed ? 0 : 1, seconds += c.seconds;
    out += format_str(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
        xml_escape(s.name), s.cases.size(), f, seconds);
    for (const auto& c : s.cases) {
      out += format_str(
          "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3f}\"",
          xml_escape(c.name), xml_escape(c.classname), xml_escape(c.file), c.line, c.seconds);
      if (c.passed) {
        out += "/>\n";
        continue;
      }
      std::string first = c.failure.substr(0, c.failure.find('\n'));
      out += format_str(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        xml_escape(first), xml_escape(c.failure));
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace rbk
