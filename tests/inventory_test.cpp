// Ansible inventories as data: tests/inventory/NAME.ini and NAME.yml are read
// as if they were inventory.ini / inventory.yml (so goldens do not depend on
// where the checkout is); NAME.expected holds the diagnostics (full text) and
// a dump of the Targets read. RBK_UPDATE_GOLDEN=1 rewrites the goldens.
#include <catch2/catch.hpp>

#include <set>

#include "interpreter/project/inventory.hpp"
#include "test_support.hpp"

namespace {

std::string dump(const rbk::Targets& t) {
  std::string out;
  for (const auto& h : t.hosts) {
    out += "host " + h.id + " address=" + h.address;
    if (h.port) out += " port=" + std::to_string(*h.port);
    if (!h.user.empty()) out += " user=" + h.user;
    out += "\n";
  }
  for (const auto& [name, members] : t.groups) {
    out += "group " + name + ":";
    for (const auto& m : members) out += " " + m;
    out += "\n";
  }
  for (const auto& i : t.ignored) out += "ignored " + i + "\n";
  return out;
}

/// The cases: every .ini and .yml file, each NAME once (NAME.expected is one file).
std::vector<std::string> cases() {
  const std::string dir = rbk::test::source_dir() + "/tests/inventory";
  auto files = rbk::test::files_in(dir, ".ini");
  for (const auto& f : rbk::test::files_in(dir, ".yml")) files.push_back(f);
  return files;
}

std::string stem(const std::string& path) {
  const std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find_last_of('.'));
}

rbk::Targets read(const std::string& name, const std::string& text, rbk::Diagnostics& errors) {
  rbk::Targets t;
  rbk::read_inventory(std::make_shared<rbk::SourceFile>(name, text), t, errors);
  return t;
}

}  // namespace

TEST_CASE("Ansible inventory cases", "[inventory]") {
  using namespace rbk;
  const auto files = cases();
  REQUIRE(files.size() >= 8);
  std::set<std::string> stems;
  for (const auto& f : files) REQUIRE(stems.insert(stem(f)).second);
  for (const auto& f : files) {
    const bool yaml = f.size() > 4 && f.compare(f.size() - 4, 4, ".yml") == 0;
    DYNAMIC_SECTION(stem(f) << (yaml ? ".yml" : ".ini")) {
      Diagnostics errors;
      Targets t = read(yaml ? "inventory.yml" : "inventory.ini", test::read_file(f), errors);
      std::string actual;
      for (const auto& e : errors) actual += render(e);
      actual += "--- targets\n" + dump(t);
      const std::string expected_path = f.substr(0, f.find_last_of('.')) + ".expected";
      if (test::update_goldens()) test::write_file(expected_path, actual);
      CHECK(test::read_file(expected_path) == actual);
    }
  }
}

TEST_CASE("an inventory reads the same from INI and YAML", "[inventory]") {
  using namespace rbk;
  const std::string dir = test::source_dir() + "/tests/inventory/";
  // Each pair declares the same fleet; group-vars: variables merged by depth,
  // priority and name, whichever way the groups are written.
  for (const std::string name : {"fleet", "group-vars"}) {
    DYNAMIC_SECTION(name) {
      Diagnostics ini_errors, yaml_errors;
      Targets ini = read("inventory.ini", test::read_file(dir + name + ".ini"), ini_errors);
      Targets yaml = read("inventory.yml", test::read_file(dir + name + "-yaml.yml"), yaml_errors);
      CHECK(ini_errors.empty());
      CHECK(yaml_errors.empty());
      auto hosts = [](const Targets& t) {
        std::string out;
        for (const auto& h : t.hosts)
          out += h.id + "@" + h.address + ":" + std::to_string(h.port.value_or(0)) + ":" + h.user +
                 "\n";
        return out;
      };
      CHECK(hosts(ini) == hosts(yaml));
      CHECK(ini.groups == yaml.groups);
    }
  }
}

TEST_CASE("an inventory named neither .ini nor .yml is read by its first line", "[inventory]") {
  using namespace rbk;
  Diagnostics errors;
  Targets yaml = read("hosts", "# fleet\n\nall:\n  hosts:\n    web1:\n", errors);
  Targets ini = read("hosts", "; fleet\n[web]\nweb1 ansible_port=2222\n", errors);
  Targets bare = read("hosts", "web1:2222\n", errors);
  CHECK(errors.empty());
  CHECK(yaml.resolve("all") == std::vector<std::string>{"web1"});
  CHECK(ini.resolve("web") == std::vector<std::string>{"web1"});
  REQUIRE(bare.host("web1"));
  CHECK(bare.host("web1")->port == 2222);
}

TEST_CASE("an inventory adds to the targets already there", "[inventory]") {
  using namespace rbk;
  Targets t;
  t.add_host({"bastion", "bastion.example.com", std::nullopt, "", {}});
  t.groups["edge"] = {"bastion"};
  Diagnostics errors;
  read_inventory(std::make_shared<SourceFile>("inventory.ini", "[edge]\nbastion\n[web]\nweb1\n"), t,
                 errors);
  CHECK(errors.empty());
  REQUIRE(t.host("bastion"));
  CHECK(t.host("bastion")->address == "bastion");  // the later source wins
  CHECK(t.resolve("web") == std::vector<std::string>{"web1"});
  read_inventory(std::make_shared<SourceFile>("inventory.ini", "[web1]\nx\n"), t, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "group 'web1' has the name of a host");
}

TEST_CASE("truncated and line-deleted inventories never throw", "[inventory][robustness]") {
  using namespace rbk;
  for (const auto& f : cases()) {
    const std::string name = f.substr(f.size() - 4) == ".yml" ? "inventory.yml" : "inventory.ini";
    for (const auto& variant : test::damaged_variants(test::read_file(f), 13, 60)) {
      Diagnostics errors;
      Targets t;
      CHECK_NOTHROW(read_inventory(std::make_shared<SourceFile>(name, variant), t, errors));
      for (const auto& e : errors) CHECK(e.span.valid());
      for (const auto& [group, members] : t.groups)
        for (const auto& m : members) CHECK(t.host(m));
    }
  }
}
