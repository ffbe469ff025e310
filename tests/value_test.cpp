// How values read in strings, the environment and the record.
#include <catch2/catch.hpp>

#include "interpreter/runtime/value.hpp"

TEST_CASE("values display as commands and messages expect", "[value]") {
  using rbk::Value;
  CHECK(to_display(Value::of_number(90)) == "90");
  CHECK(to_display(Value::of_number(0.25)) == "0.25");
  CHECK(to_display(Value::of_bool(true)) == "true");
  CHECK(to_display(Value::of_duration(90'000)) == "1m30s");
  CHECK(to_display(Value::of_duration(90'000, "90s")) == "90s");
  CHECK(to_display(Value{}) == "");
  CHECK(to_display(Value::of_json(nlohmann::json::parse(R"({"a":[1,2]})"))) == R"({"a":[1,2]})");
  CHECK(rbk::format_duration(3'600'000 + 250) == "1h250ms");
  CHECK(rbk::to_json(Value::of_list({Value::of_text("x"), Value::of_number(2)})) ==
        nlohmann::json::parse(R"(["x", 2])"));
}
