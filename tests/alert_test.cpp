// Alertmanager's webhook payload (interpreter/serve/alert.hpp) as data:
// tests/serve/NAME.json is a body as Alertmanager sends it (firing.json and
// resolved.json were captured from Alertmanager 0.25, Debian 12's), and
// NAME.expected what rbk reads from it, or the one-line reason it refuses
// it. RBK_UPDATE_GOLDEN=1 rewrites the goldens. Also: a payload nested
// deeper than a real one is refused before it is parsed.
#include <catch2/catch.hpp>

#include "interpreter/serve/alert.hpp"
#include "test_support.hpp"

namespace test = rbk::test;

namespace {

std::string dump_labels(const char* what, const rbk::LabelSet& l) {
  std::string out = what;
  for (const auto& [k, v] : l) out += " " + k + "=" + v;
  return out + "\n";
}

std::string dump(const rbk::Expected<rbk::AlertNotification, std::string>& n) {
  if (!n) return "refused: " + n.error() + "\n";
  std::string out = "version " + n->version + " status " + n->status + " receiver " + n->receiver +
                    " truncated " + std::to_string(n->truncated_alerts) + "\n";
  out += "group " + n->group_key + "\n";
  out += dump_labels("group labels", n->group_labels);
  out += dump_labels("common labels", n->common_labels);
  out += dump_labels("common annotations", n->common_annotations);
  for (const auto& a : n->alerts) {
    out += "alert " + a.key() + " " + a.status + (a.firing() ? " (firing)" : "") + " ends " +
           a.ends_at + "\n";
    out += dump_labels("  labels", a.labels);
    out += dump_labels("  annotations", a.annotations);
    out += "  generator " + a.generator_url + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("webhook payloads read as data", "[serve]") {
  const auto files = test::files_in(test::source_dir() + "/tests/serve", ".json");
  REQUIRE(files.size() >= 10);
  for (const auto& path : files) {
    INFO(path);
    const std::string actual = dump(rbk::parse_alert_notification(test::read_file(path)));
    const std::string expected_path = path.substr(0, path.size() - 5) + ".expected";
    if (test::update_goldens())
      test::write_file(expected_path, actual);
    else
      CHECK(test::read_file(expected_path) == actual);
  }
}

TEST_CASE("a payload nested deeper than any real one is refused before parsing", "[serve]") {
  // 100,000 levels: parsing or destroying it recursively would blow the stack.
  const std::string deep =
      "{\"version\":\"4\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto n = rbk::parse_alert_notification(deep);
  REQUIRE_FALSE(n);
  CHECK_THAT(n.error(), Catch::Contains("nested deeper than"));
  // Brackets inside strings are text, not nesting.
  const std::string in_strings = test::read_file(test::source_dir() + "/tests/serve/firing.json");
  std::string with_brackets = in_strings;
  with_brackets.replace(with_brackets.find("Redis on"), 8, std::string(100, '['));
  CHECK(rbk::parse_alert_notification(with_brackets));
}
