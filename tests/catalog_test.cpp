// The runbook path, finding a runbook by name or file, and `rbk list`'s catalogue.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "interpreter/project/catalog.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;

using rbk::test::TempDir;

/// Sets (or unsets) RBK_PATH for the scope, restoring the previous value.
struct RbkPathGuard {
  std::optional<std::string> saved;
  explicit RbkPathGuard(const char* value) {
    if (const char* old = std::getenv("RBK_PATH")) saved = old;
    if (value)
      setenv("RBK_PATH", value, 1);
    else
      unsetenv("RBK_PATH");
  }
  ~RbkPathGuard() {
    if (saved)
      setenv("RBK_PATH", saved->c_str(), 1);
    else
      unsetenv("RBK_PATH");
  }
  RbkPathGuard(const RbkPathGuard&) = delete;
  RbkPathGuard& operator=(const RbkPathGuard&) = delete;
};

std::string runbook(const std::string& name, const std::string& title,
                    const std::string& extra = {}) {
  return "runbook " + name + " {\n  title \"" + title + "\"\n" + extra + "}\n";
}

void put(const fs::path& file, const std::string& text) {
  rbk::test::write_file(file.string(), text);
}

}  // namespace

TEST_CASE("the runbook path: RBK_PATH first, then rbk.yaml's paths", "[catalog]") {
  rbk::Config config;
  config.runbook_paths = {"/project/runbooks"};

  SECTION("without RBK_PATH, the config's paths") {
    RbkPathGuard env(nullptr);
    CHECK(rbk::runbook_path(config, "/work") == std::vector<std::string>{"/project/runbooks"});
  }
  SECTION("an empty RBK_PATH counts as unset") {
    RbkPathGuard env("");
    CHECK(rbk::runbook_path(config, "/work") == std::vector<std::string>{"/project/runbooks"});
  }
  SECTION("RBK_PATH entries come first; relative ones are taken from cwd; empty ones skipped") {
    RbkPathGuard env("team:/abs/ops/::shared/./more");
    CHECK(rbk::runbook_path(config, "/work") == std::vector<std::string>{"/work/team", "/abs/ops",
                                                                         "/work/shared/more",
                                                                         "/project/runbooks"});
  }
  SECTION("a directory named twice is searched once, where it first appears") {
    RbkPathGuard env("/project/runbooks:/other");
    CHECK(rbk::runbook_path(config, "/work") ==
          std::vector<std::string>{"/project/runbooks", "/other"});
  }
}

TEST_CASE("finding a runbook by name or by file", "[catalog]") {
  TempDir tmp;
  fs::path first = tmp.dir("first");
  fs::path second = tmp.dir("second");
  put(first / "alpha.rbk", runbook("alpha", "Alpha from first"));
  put(second / "alpha.rbk", runbook("alpha", "Alpha from second"));
  put(second / "beta.rbk", runbook("beta", "Beta"));
  put(second / "misc.rbk", runbook("gamma", "Gamma, in a file named otherwise"));
  put(second / "tools.rbk", "module tools {\n  template t { run `true` }\n}\n");
  const std::vector<std::string> path = {first.string(), second.string()};

  SECTION("NAME.rbk in the first directory that has it") {
    rbk::FoundRunbook f = rbk::find_runbook("alpha", path);
    CHECK(f.error.empty());
    CHECK(fs::path(f.path) == first / "alpha.rbk");
    CHECK(fs::path(rbk::find_runbook("beta", path).path) == second / "beta.rbk");
  }
  SECTION("else a file whose `runbook NAME` matches") {
    rbk::FoundRunbook f = rbk::find_runbook("gamma", path);
    CHECK(f.error.empty());
    CHECK(fs::path(f.path) == second / "misc.rbk");
  }
  SECTION(
      "the name read from the head: after comments and imports; a file that names it "
      "but does not parse is passed over") {
    put(second / "with-imports.rbk",
        "# a comment\n\nimport \"modules/web\" as web  # another\nimport \"x\"\n"
        "runbook  delta-2 {\n  title \"Delta\"\n  diagnose { step a \"A\" { run `true` } }\n}\n");
    put(second / "broken.rbk", "runbook epsilon {\n  diagnose {\n");
    put(second / "z-epsilon.rbk", runbook("epsilon", "Epsilon that parses"));
    rbk::FoundRunbook d = rbk::find_runbook("delta-2", path);
    CHECK(d.error.empty());
    CHECK(fs::path(d.path) == second / "with-imports.rbk");
    rbk::FoundRunbook e = rbk::find_runbook("epsilon", path);
    CHECK(fs::path(e.path) == second / "z-epsilon.rbk");
    // A prefix of a name is not the name.
    CHECK(rbk::find_runbook("delta", path).path.empty());
  }
  SECTION("not found: one line naming what was searched, and a suggestion") {
    rbk::FoundRunbook f = rbk::find_runbook("alpah", path);
    CHECK(f.path.empty());
    CHECK(f.error.find('\n') == std::string::npos);
    CHECK_THAT(f.error, Catch::Contains("no runbook named 'alpah'"));
    CHECK_THAT(f.error, Catch::Contains(first.string()));
    CHECK_THAT(f.error, Catch::Contains(second.string()));
    CHECK_THAT(f.error, Catch::EndsWith("did you mean 'alpha'?"));
  }
  SECTION("a module is not a runbook") {
    rbk::FoundRunbook f = rbk::find_runbook("tools2", path);
    CHECK(f.path.empty());
    CHECK_THAT(f.error, !Catch::Contains("did you mean 'tools'"));
  }
  SECTION("a missing directory on the path is said to be missing") {
    rbk::FoundRunbook f = rbk::find_runbook("zzz", {(tmp.path / "nope").string()});
    CHECK_THAT(f.error, Catch::Contains("nope (missing)"));
    CHECK_THAT(f.error, Catch::Contains("RBK_PATH"));
  }
  SECTION("a name with '/' or ending in .rbk is a file, not looked up") {
    std::string file = (second / "beta.rbk").string();
    CHECK(rbk::find_runbook(file, {}).path == file);
    rbk::FoundRunbook missing = rbk::find_runbook((second / "betta.rbk").string(), path);
    CHECK(missing.path.empty());
    CHECK_THAT(missing.error, Catch::StartsWith("no such file: "));
    CHECK_THAT(missing.error, Catch::EndsWith("did you mean 'beta.rbk'?"));
    // "alpha.rbk" is a file relative to the working directory, not a name.
    CHECK(rbk::find_runbook("alpha.rbk", path).path.empty());
  }
  SECTION("RBK_PATH wins over rbk.yaml's paths") {
    rbk::Config config;
    config.runbook_paths = {second.string()};
    {
      RbkPathGuard env(nullptr);
      auto p = rbk::runbook_path(config, tmp.path.string());
      CHECK(fs::path(rbk::find_runbook("alpha", p).path) == second / "alpha.rbk");
    }
    {
      RbkPathGuard env("first");  // relative to cwd
      auto p = rbk::runbook_path(config, tmp.path.string());
      REQUIRE(p.size() == 2);
      CHECK(fs::path(rbk::find_runbook("alpha", p).path) == first / "alpha.rbk");
    }
  }
}

TEST_CASE("the catalogue: every runbook once, sorted, unparseable ones included", "[catalog]") {
  TempDir tmp;
  fs::path first = tmp.dir("first");
  fs::path second = tmp.dir("second");
  put(first / "zulu.rbk",
      runbook("zulu", "Zulu",
              "  severity high\n  alert {\n    signal \"Z is down\" { run `false` }\n"
              "    signal z2 \"Z is slow\" { run `true` }\n  }\n"));
  put(first / "alpha.rbk", runbook("alpha", "Alpha from first"));
  put(second / "alpha.rbk", runbook("alpha", "Alpha from second"));
  put(second / "mod.rbk", "module mod {\n  template t { run `true` }\n}\n");
  put(second / "broken.rbk", "runbook broken {\n  title \"never closed\n}\n");
  put(second / "notes.txt", "not a runbook");
  tmp.dir("second/sub");
  put(second / "sub" / "deep.rbk", runbook("deep", "Not searched: only the directory itself"));

  std::vector<rbk::CatalogEntry> all =
      rbk::list_runbooks({first.string(), second.string(), (tmp.path / "missing").string()});
  std::vector<std::string> names;
  for (const auto& e : all) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"alpha", "broken", "zulu"});
  REQUIRE(all.size() == 3);

  CHECK(all[0].title == "Alpha from first");  // shadowed by the earlier directory
  CHECK(fs::path(all[0].path) == first / "alpha.rbk");
  CHECK(all[0].problem.empty());

  CHECK(fs::path(all[1].path) == second / "broken.rbk");
  CHECK_THAT(all[1].problem, Catch::Contains("broken.rbk:2:"));

  CHECK(all[2].severity == "high");
  CHECK(all[2].signals == std::vector<std::string>{"Z is down", "Z is slow"});

  CHECK(rbk::list_runbooks({(tmp.path / "missing").string()}).empty());
  CHECK(rbk::list_runbooks({}).empty());
}

TEST_CASE("NAME.rbk shadows a differently named file declaring NAME", "[catalog]") {
  TempDir tmp;
  fs::path dir = tmp.dir("rb");
  put(dir / "aaa.rbk", runbook("same", "Declared in aaa.rbk"));
  put(dir / "same.rbk", runbook("same", "Declared in same.rbk"));
  std::vector<std::string> path = {dir.string()};
  auto all = rbk::list_runbooks(path);
  REQUIRE(all.size() == 1);
  // `rbk list` shows the file `rbk run same` would run.
  CHECK(all[0].title == "Declared in same.rbk");
  CHECK(fs::path(rbk::find_runbook("same", path).path) == dir / "same.rbk");
}

TEST_CASE("paths under the working directory are shown relative to it", "[catalog]") {
  // The tests run from the source root, which ships runbooks/db-down.rbk.
  fs::path root = fs::current_path();
  REQUIRE(fs::exists(root / "runbooks" / "db-down.rbk"));
  std::vector<std::string> path = {(root / "runbooks").string()};
  CHECK(rbk::find_runbook("db-down", path).path == "runbooks/db-down.rbk");
  bool listed = false;
  for (const auto& e : rbk::list_runbooks(path))
    if (e.name == "db-down") listed = e.path == "runbooks/db-down.rbk";
  CHECK(listed);
}

TEST_CASE("rbk list: columns, RBK_PATH, rbk.yaml paths, nothing found", "[catalog]") {
  TempDir tmp;
  const std::string d = tmp.path.string();
  // The working directory matters here (rbk.yaml and ./runbooks are found from it).
  auto list_in = [&](const std::string& dir, const std::string& env, const std::string& args) {
    return rbk::test::run_rbk_in(dir, "list " + args, env);
  };

  SECTION("no runbooks: a message naming the searched directories, exit 0") {
    rbk::test::Run r = list_in(d, "", "");
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "rbk: no runbooks found in runbooks (missing)\n"
          "Set RBK_PATH or 'paths' in rbk.yaml to look elsewhere.\n");
    rbk::test::Run j = list_in(d, "", "--format json");
    CHECK(j.exit_code == 0);
    CHECK(j.out == "[]\n");
  }
  SECTION("aligned columns; signals under the title; RBK_PATH first") {
    fs::path rb = tmp.dir("runbooks");
    fs::path extra = tmp.dir("extra");
    put(rb / "db.rbk",
        runbook("db", "Database down",
                "  severity critical\n  alert {\n    signal \"Port closed\" { run `false` }\n"
                "    signal \"Too many clients\" { run `false` }\n  }\n"));
    put(rb / "web.rbk", runbook("web-frontend-slow", "Front end slow"));
    put(extra / "db.rbk", runbook("db", "Database down (team copy)"));
    rbk::test::Run r = list_in(d, "", "");
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out ==
          "NAME               SEVERITY  TITLE\n"
          "db                 critical  Database down\n"
          "                             fires on: Port closed\n"
          "                                   or: Too many clients\n"
          "web-frontend-slow  -         Front end slow\n");
    rbk::test::Run shadowed = list_in(d, "RBK_PATH=extra", "");
    CHECK_THAT(shadowed.out,
               Catch::Contains("db                 -         Database down (team copy)\n"));
    rbk::test::Run j = list_in(d, "RBK_PATH=extra", "--format json");
    nlohmann::json all = nlohmann::json::parse(j.out);
    REQUIRE(all.size() == 2);
    CHECK(all[0]["path"] == "extra/db.rbk");
    CHECK(all[1]["name"] == "web-frontend-slow");
  }
  SECTION("rbk.yaml's paths; a bad rbk.yaml is a usage error") {
    fs::path ops = tmp.dir("ops");
    put(ops / "a.rbk", runbook("a", "A"));
    put(tmp.path / "rbk.yaml", "paths: [ops]\n");
    tmp.dir("sub");
    rbk::test::Run r = list_in(d + "/sub", "", "");  // rbk.yaml found in the directory above
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("a     -         A\n"));
    put(tmp.path / "rbk.yaml", "pathz: [ops]\n");
    rbk::test::Run bad = list_in(d, "", "");
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("rbk.yaml:1:1: error: unknown top-level setting 'pathz'"));
  }
}
