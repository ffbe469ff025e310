// Binding -p name=value to declared parameter types.
#include <catch2/catch.hpp>

#include "grammar/parse.hpp"
#include "interpreter/runtime/params.hpp"

namespace {

rbk::ParseResult runbook() {
  return rbk::parse(std::make_shared<rbk::SourceFile>("p.rbk", R"(
runbook p {
  param host  : string
  param port  : int = 5432
  param drain : bool = true
  param grace : duration = 30s
  param env   : enum(prod, staging) = prod
  param qs    : list = ["a"]
}
)"));
}

std::vector<rbk::ParamArg> args(std::initializer_list<std::pair<const char*, const char*>> l) {
  std::vector<rbk::ParamArg> out;
  for (auto [n, v] : l) out.push_back({n, v});
  return out;
}

}  // namespace

TEST_CASE("values are converted to their declared types", "[params]") {
  auto r = runbook();
  REQUIRE(r.document);
  auto b = rbk::bind_params(*r.document->runbook(), args({{"host", "$(id)\n; rm -rf ~"},
                                                          {"port", "6543"},
                                                          {"drain", "no"},
                                                          {"grace", "1m30s"},
                                                          {"env", "staging"},
                                                          {"qs", "x, y ,z"}}));
  CHECK(b.errors.empty());
  CHECK(b.missing.empty());
  CHECK(b.values.at("host").text == "$(id)\n; rm -rf ~");  // verbatim
  CHECK(b.values.at("port").number == 6543);
  CHECK(b.values.at("drain").boolean == false);
  CHECK(b.values.at("grace").ms == 90'000);
  CHECK(to_display(b.values.at("qs")) == "x\ny\nz");
  CHECK(b.defaulted.empty());
}

TEST_CASE("defaults fill in, a required parameter is reported missing", "[params]") {
  auto r = runbook();
  auto b = rbk::bind_params(*r.document->runbook(), {});
  REQUIRE(b.missing.size() == 1);
  CHECK(b.missing[0]->name.name == "host");
  CHECK(b.values.at("port").number == 5432);
  CHECK(b.values.at("env").text == "prod");
  CHECK(to_display(b.values.at("grace")) == "30s");
  CHECK(b.defaulted.size() == 5);
}

TEST_CASE("bad values, unknown names and repeats are errors", "[params]") {
  auto r = runbook();
  auto b = rbk::bind_params(*r.document->runbook(), args({{"host", "h"},
                                                          {"port", "5432x"},
                                                          {"drain", "maybe"},
                                                          {"grace", "10"},
                                                          {"env", "stagin"},
                                                          {"prot", "1"},
                                                          {"host", "again"}}));
  CHECK(b.errors ==
        std::vector<std::string>{
            "parameter 'port' (int): '5432x' is not a whole number",
            "parameter 'drain' (bool): 'maybe' is not true or false",
            "parameter 'grace' (duration): '10' is not a duration (e.g. 30s, 10m, 1h30m)",
            "parameter 'env' (enum): 'stagin' is not one of prod, staging; did you mean "
            "'staging'?",
            "runbook 'p' has no parameter 'prot'; did you mean 'port'?",
            "parameter 'host' is given twice",
        });
  rbk::ParamArg a;
  CHECK_FALSE(rbk::split_param_arg("=x", a));
  CHECK_FALSE(rbk::split_param_arg("novalue", a));
  CHECK(rbk::split_param_arg("k=a=b", a));
  CHECK(a.value == "a=b");
}
