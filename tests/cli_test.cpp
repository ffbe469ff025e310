// Data-driven tests of the rbk binary: tests/cli/NAME.args holds one line of
// arguments (run from the source root); NAME.expected holds
//   exit: N
//   --- stdout
//   …
//   --- stderr
//   …
// RBK_UPDATE_GOLDEN=1 rewrites the .expected files. Cases that need a
// project of their own (an rbk.yaml, an inventory) build it in a TempDir.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "test_support.hpp"

TEST_CASE("cli cases", "[cli][threads]") {
  using namespace rbk::test;
  auto files = files_in(source_dir() + "/tests/cli", ".args");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.substr(source_dir().size() + 1)) {
      std::string args = read_file(f);
      while (!args.empty() && (args.back() == '\n' || args.back() == ' ')) args.pop_back();
      Run r = run_rbk(args);
      REQUIRE(r.signal == 0);
      std::string actual = "exit: " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out +
                           "--- stderr\n" + r.err;
      std::string expected_path = f.substr(0, f.size() - 5) + ".expected";
      if (update_goldens()) write_file(expected_path, actual);
      CHECK(read_file(expected_path) == actual);
    }
  }
}

TEST_CASE("rbk check --verbose lists the inventory variables rbk does not use", "[cli]") {
  using namespace rbk::test;
  TempDir tmp;
  // The team's runbooks and rbk.yaml live in a folder of their own, checked
  // from the directory above: the notes come from the rbk.yaml nearest to
  // the checked files, and name the inventory as the user would type it.
  const std::string team = tmp.path.string() + "/team";
  std::filesystem::create_directories(team);
  write_file(team + "/rbk.yaml", "targets:\n  inventory: hosts.ini\n");
  write_file(team + "/hosts.ini",
             "[web]\n"
             "web-1 ansible_user=deploy http_port=80\n"
             "[web:vars]\n"
             "ansible_port=2222\n"
             "ansible_host=10.0.0.1\n"
             "ntp_server=ntp.example.com\n");
  const std::string small = read_file(source_dir() + "/tests/cli/data/small.rbk");
  write_file(team + "/ok.rbk", small);
  write_file(team + "/also-ok.rbk", small);
  const std::string notes =
      "team/hosts.ini:2:27: note: ansible variable 'http_port' is not used "
      "by rbk\n"
      "team/hosts.ini:5:1: note: ansible variable 'ansible_host' is not "
      "used by rbk\n"
      "team/hosts.ini:6:1: note: ansible variable 'ntp_server' is not used "
      "by rbk\n";

  Run plain = run_rbk_in(tmp.path.string(), "check team");
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.empty());
  CHECK(plain.err.empty());

  // Two files under one rbk.yaml: each variable once.
  Run verbose = run_rbk_in(tmp.path.string(), "check --verbose team");
  CHECK(verbose.exit_code == 0);
  CHECK(verbose.out.empty());
  CHECK(verbose.err == notes);

  // After the usual output; the notes change no exit code.
  write_file(team + "/bad.rbk", read_file(source_dir() + "/tests/cli/data/mixed/bad.rbk"));
  Run errors = run_rbk_in(tmp.path.string(), "check --verbose team/bad.rbk");
  CHECK(errors.exit_code == 1);
  REQUIRE(errors.err.size() > notes.size());
  CHECK(errors.err.substr(errors.err.size() - notes.size()) == notes);
  CHECK(errors.err.find(" in 1 file\n" + notes) != std::string::npos);

  Run json = run_rbk_in(tmp.path.string(), "check --verbose --format json team/ok.rbk");
  CHECK(json.exit_code == 0);
  CHECK(json.err.empty());
  CHECK(
      json.out.find("\"ignored\": [\n    {\n      \"column\": 27,\n      \"file\": "
                    "\"team/hosts.ini\",\n      \"line\": 2,\n      \"variable\": \"http_port\"") !=
      std::string::npos);

  // An rbk.yaml that cannot be read is a usage error, said once.
  write_file(team + "/rbk.yaml", "targets:\n  inventory: missing.ini\n");
  Run broken = run_rbk_in(tmp.path.string(), "check --verbose team/ok.rbk");
  CHECK(broken.exit_code == 2);
  CHECK(broken.err.find("team/rbk.yaml:2:14: error: inventory 'missing.ini'") != std::string::npos);
  CHECK(run_rbk_in(tmp.path.string(), "check team/ok.rbk").exit_code == 0);
}

TEST_CASE("rbk version --format json: the version, the build and the libraries", "[cli]") {
  using namespace rbk::test;
  Run text = run_rbk("version");
  CHECK(text.exit_code == 0);
  CHECK(text.out == std::string("rbk ") + RBK_VERSION + "\n");
  CHECK(run_rbk("--version").out == text.out);

  Run r = run_rbk("version --format json");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const auto doc = nlohmann::json::parse(r.out);
  CHECK(doc.at("version") == RBK_VERSION);
  const std::string describe = doc.at("git_describe");
  CHECK_FALSE(describe.empty());
  // This source is a git checkout, so configure found its describe.
  if (std::filesystem::exists(source_dir() + "/.git")) CHECK(describe != "unknown");
  CHECK_FALSE(doc.at("build_type").get<std::string>().empty());
  const std::string compiler = doc.at("compiler");
  CHECK((compiler.rfind("gcc ", 0) == 0 || compiler.rfind("clang ", 0) == 0));

  std::set<std::string> names;
  for (const auto& [name, version] : doc.at("libraries").items()) {
    names.insert(name);
    INFO(name << " " << version);
    // A real version: numbers and dots (RE2's are dates, 20220601).
    CHECK(std::regex_match(version.get<std::string>(), std::regex("[0-9]+(\\.[0-9]+)*")));
  }
  CHECK(names == std::set<std::string>{"cli11", "fmt", "glibc", "nettle", "nlohmann_json", "pegtl",
                                       "re2", "yaml-cpp"});
  // The headers rbk was built with are the ones this test sees.
  CHECK(doc.at("libraries").at("nlohmann_json") ==
        std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
            std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
            std::to_string(NLOHMANN_JSON_VERSION_PATCH));
}
