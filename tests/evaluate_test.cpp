// Run-time evaluation: comparisons as docs/language.md §10 defines them,
// captures and their fields, JSON access, empty captures, errors.
#include <catch2/catch.hpp>

#include <map>

#include "grammar/parse.hpp"
#include "interpreter/runtime/evaluate.hpp"

namespace {

using rbk::CaptureData;
using rbk::Value;

/// A scope with a few parameters and captures.
class TestScope final : public rbk::Scope {
 public:
  std::map<std::string, Value> vars;
  std::map<std::string, CaptureData> caps;
  std::optional<Value> variable(const std::string& n) const override {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<Value>(it->second);
  }
  const CaptureData* capture(const std::string& n) const override {
    auto it = caps.find(n);
    return it == caps.end() ? nullptr : &it->second;
  }
  bool cause(const std::string& id) const override { return id == "disk"; }
  bool step_field(const std::string& id, const std::string& f) const override {
    return id == "restart" && f == "ok";
  }
  std::vector<std::string> levels;  // rbk.yaml's severities, the most severe first
  const std::vector<std::string>* severity_order() const override { return &levels; }
};

TestScope scope() {
  TestScope s;
  s.vars["max"] = Value::of_number(90);
  s.vars["env"] = Value::of_text("prod");
  s.vars["hosts"] = Value::of_list({Value::of_text("a"), Value::of_text("b")});
  CaptureData conns;
  conns.ran = true;
  conns.stdout_text = " 95\n";
  conns.exit_code = 0;
  conns.ok = true;
  conns.duration_ms = 2500;
  s.caps["conns"] = conns;
  CaptureData health;
  health.ran = true;
  health.stdout_text = R"({"checks": {"db": {"status": "down"}}, "failing": ["db", "cache"]})";
  health.stderr_text = "curl: (7) refused\n";
  health.exit_code = 7;
  s.caps["health"] = health;
  s.caps["skipped"] = CaptureData{};  // a step that did not run
  CaptureData text;
  text.ran = true;
  text.stdout_text = "hello world";
  s.caps["text"] = text;
  return s;
}

/// Evaluates the condition of `cause c "t" when EXPR` in a tiny runbook.
rbk::Eval<bool> evaluated(const std::string& expr, const TestScope& s) {
  auto r = rbk::parse(std::make_shared<rbk::SourceFile>(
      "t.rbk", "runbook t { causes { cause c \"t\" when " + expr + " } }"));
  REQUIRE(r.document);
  const auto& sec = std::get<rbk::ast::Section>(r.document->runbook()->items.at(0));
  const auto& cause = std::get<rbk::ast::Cause>(sec.items.at(0));
  return rbk::evaluate_condition(*cause.when, s);
}

/// The condition's value; the test fails when it cannot be evaluated.
bool holds(const std::string& expr, const TestScope& s) {
  auto v = evaluated(expr, s);
  INFO(expr);
  REQUIRE(v.has_value());
  return *v;
}

/// Why the condition cannot be evaluated; "" when it can.
std::string error_of(const std::string& expr, const TestScope& s) {
  auto v = evaluated(expr, s);
  return v ? "" : v.error().what();
}

}  // namespace

TEST_CASE("comparisons follow the language reference", "[evaluate]") {
  TestScope s = scope();
  CHECK(holds("conns > max", s));  // trimmed output read as a number
  CHECK(holds("conns == 95", s));
  CHECK(holds("conns == \"95\"", s));  // both read as numbers
  CHECK_FALSE(holds("conns < 9", s));  // numeric, not text, order
  CHECK(holds("env == \"prod\" and env != \"dev\"", s));
  CHECK(holds("\"a\" in hosts and \"c\" not in hosts", s));
  CHECK(holds("hosts contains \"b\"", s));
  CHECK(holds("conns.duration > 2s and conns.duration < 3s", s));
  CHECK(holds("health.exit == 7 and not health.ok", s));
  CHECK(holds("health.stderr contains \"refused\"", s));
  CHECK(holds("health.stderr matches /^curl: \\(7\\)/", s));
  CHECK(holds("env matches /PROD/i", s));
  CHECK(holds("cause.disk and not cause.pool", s));
  CHECK(holds("step.restart.ok and not step.restart.failed", s));
}

TEST_CASE("JSON output is reached by fields and indexes", "[evaluate]") {
  TestScope s = scope();
  CHECK(holds("health.json.checks.db.status == \"down\"", s));
  CHECK(holds("health.json.failing[0] == \"db\"", s));
  CHECK(holds("health.json.failing[-1] == \"cache\"", s));
  CHECK(holds("health.json[\"checks\"].db.status == \"down\"", s));
  CHECK(holds("health.json.failing contains \"cache\"", s));
  CHECK(holds("health.json.missing == \"\"", s));  // a missing key is empty
  CHECK(holds("conns.lines[0] == \" 95\"", s));
  CHECK(holds("conns.lines[5] == \"\"", s));  // out of range is empty
}

TEST_CASE("a capture of a step that did not run reads as empty", "[evaluate]") {
  TestScope s = scope();
  CHECK(holds("skipped == \"\"", s));
  CHECK_FALSE(holds("skipped.ok", s));
  CHECK_FALSE(holds("skipped contains \"x\"", s));
  CHECK(holds("not skipped.timed_out", s));
}

TEST_CASE("what cannot be evaluated is an error at its place", "[evaluate]") {
  TestScope s = scope();
  CHECK(error_of("text.json.a == 1", s) == "the output of 'text' is not valid JSON");
  CHECK_THAT(error_of("health.stderr > 3", s), Catch::Contains("cannot order text and number"));
  CHECK_THAT(error_of("skipped > 3", s), Catch::Contains("cannot order an empty value"));
  auto deep = evaluated("health.json.checks.db.status.x == 1", s);
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().span.where() == "1:39");
  // `or` and `and` decide on their left side when they can: the right side
  // is not evaluated, so its error does not matter.
  CHECK(holds("1 == 1 or text.json.a == 1", s));
  CHECK_FALSE(holds("1 == 2 and text.json.a == 1", s));
  CHECK(error_of("1 == 2 or text.json.a == 1", s) == "the output of 'text' is not valid JSON");
}

TEST_CASE("severity orders by rbk.yaml's list, not by spelling", "[evaluate]") {
  TestScope s = scope();
  s.levels = {"sev1", "sev2", "sev3", "sev4"};  // sev1 is the most severe
  s.vars["severity"] = Value::of_text("sev1");
  CHECK(holds("severity >= \"sev2\"", s));  // at least sev2
  CHECK(holds("severity > \"sev2\"", s));
  CHECK_FALSE(holds("severity < \"sev2\"", s));  // by spelling, "sev1" < "sev2"
  s.vars["severity"] = Value::of_text("sev3");
  CHECK_FALSE(holds("severity >= \"sev2\"", s));
  CHECK(holds("\"sev2\" > severity", s));
  CHECK(holds("severity <= \"sev3\" and severity >= \"sev3\"", s));
  // Words that are not ranked by spelling either.
  s.levels = {"critical", "high", "medium", "low"};
  s.vars["severity"] = Value::of_text("high");
  CHECK(holds("severity >= \"medium\"", s));
  CHECK_FALSE(holds("severity >= \"critical\"", s));
  // A level rbk.yaml does not list, or no list at all: an error, never a guess.
  CHECK_THAT(error_of("severity >= \"sev2\"", s),
             Catch::Contains("'sev2' is not a severity of rbk.yaml (most severe first: critical, "
                             "high, medium, low)"));
  s.levels.clear();
  CHECK_THAT(error_of("severity >= \"high\"", s),
             Catch::Contains("severities are ordered as rbk.yaml lists them, and it lists none"));
}
