// Man pages and shell completions, generated from rbk's command-line
// definition. The man pages are checked against `rbk help COMMAND` (CLI11's
// own listing, read independently): every command has a page and every
// option of it appears there, and groff renders each without a warning.
// The bash completion is driven as bash drives it (COMP_WORDS, COMP_CWORD,
// then the completion function) in a project with runbooks and a run; fish
// answers `complete -C`; zsh's script must parse.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using rbk::test::read_file;
using rbk::test::TempDir;
using rbk::test::write_file;

namespace {

struct Shell {
  int code = -1;
  std::string out, err;
};

/// Runs `script` with `interpreter` in `dir`, rbk's build first on PATH.
Shell run_script(const fs::path& dir, const std::string& interpreter, const std::string& script) {
  const fs::path file = dir / ".script";
  write_file(file.string(), script);
  const std::string bin = fs::path(rbk::test::rbk_binary()).parent_path().string();
  const std::string cmd = "cd '" + dir.string() + "' && PATH='" + bin + "':$PATH timeout -k 10 " +
                          std::to_string(std::chrono::seconds(rbk::test::kHangGuard).count()) +
                          " " + interpreter + " .script >.out 2>.err </dev/null";
  Shell s;
  int status = std::system(cmd.c_str());
  s.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  s.out = read_file((dir / ".out").string());
  s.err = read_file((dir / ".err").string());
  if (s.code == 124) throw rbk::test::Hung("hung: " + interpreter + " running " + script);
  return s;
}

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line.substr(0, line.find('\t')));
  return out;
}

/// A project: rbk.yaml with hosts, a runbook with parameters and steps, and
/// one recorded run.
struct Project {
  TempDir tmp;
  std::string run_id;
  Project() {
    write_file((tmp.path / "rbk.yaml").string(),
               "records: .rbk/runs\ntargets:\n  hosts:\n    web-1: {address: 127.0.0.1}\n"
               "    web-2: {address: 127.0.0.1}\n  groups:\n    web: [web-1, web-2]\n");
    tmp.dir("runbooks");
    write_file((tmp.path / "runbooks" / "db-down.rbk").string(),
               "runbook db-down {\n  title \"DB down\"\n  param host : string = \"db\"\n"
               "  param port : int = 5432\n  diagnose {\n    step look \"Look\" { run `true` }\n"
               "  }\n  remediate {\n    step restart \"Restart\" { run `true` }\n  }\n}\n");
    write_file((tmp.path / "runbooks" / "disk-full.rbk").string(),
               "runbook disk-full {\n  title \"Disk\"\n  diagnose {\n"
               "    step df \"df\" { run `true` }\n  }\n}\n");
    Shell r = run_script(tmp.path, "bash", "rbk run db-down --non-interactive >/dev/null\n");
    REQUIRE(r.code == 0);
    for (const auto& d : fs::directory_iterator(tmp.path / ".rbk" / "runs"))
      run_id = d.path().filename().string();
    REQUIRE_FALSE(run_id.empty());
    Shell c = run_script(tmp.path, "bash", "rbk completion bash > rbk.bash\n");
    REQUIRE(c.code == 0);
  }
  /// What the bash completion offers for `words` (the last one is being
  /// typed), split as bash splits the line ('=' is a word of its own).
  std::set<std::string> bash(const std::vector<std::string>& words) {
    std::string script = "source ./rbk.bash\nCOMP_WORDS=(";
    for (const auto& w : words) script += "'" + w + "' ";
    script += ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
              "\n_rbk\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Shell s = run_script(tmp.path, "bash", script);
    INFO(s.err);
    CHECK(s.code == 0);
    return lines_of(s.out);
  }
};

using Words = std::set<std::string>;

}  // namespace

TEST_CASE("bash completion offers commands, options, runbooks, parameters, steps, hosts, runs",
          "[completion]") {
  Project p;
  CHECK(p.bash({"rbk", "ru"}) == Words{"run", "runs"});
  CHECK(p.bash({"rbk", "re"}) == Words{"report", "resume"});
  CHECK(p.bash({"rbk", "--v"}) == Words{"--version"});
  CHECK(p.bash({"rbk", "run", "d"}) == Words{"db-down", "disk-full"});
  CHECK(p.bash({"rbk", "run", "--non"}) == Words{"--non-interactive"});
  // Parameters of the runbook named before the cursor, ready for a value.
  CHECK(p.bash({"rbk", "run", "db-down", "-p", ""}) == Words{"host=", "port="});
  CHECK(p.bash({"rbk", "plan", "-p", "po"}) == Words{});  // no runbook named yet
  CHECK(p.bash({"rbk", "run", "-p", "host", "=", "x", "db-down", "--approve", "re"}) ==
        Words{"restart"});
  CHECK(p.bash({"rbk", "run", "db-down", "--target", "w"}) == Words{"web", "web-1", "web-2"});
  CHECK(p.bash({"rbk", "plan", "--format", ""}) == Words{"json", "text"});
  CHECK(p.bash({"rbk", "lint", "--format", "=", "s"}) == Words{"sarif"});
  CHECK(p.bash({"rbk", "resume", ""}) == Words{p.run_id});
  CHECK(p.bash({"rbk", "report", "--format", "md", ""}) == Words{p.run_id});
  CHECK(p.bash({"rbk", "help", "pl"}) == Words{"plan"});
  CHECK(p.bash({"rbk", "completion", ""}) == Words{"bash", "fish", "zsh"});
}

TEST_CASE("fish completion answers from the same definition, and the zsh script parses",
          "[completion]") {
  Project p;
  auto fish = [&](const std::string& line) {
    Shell s = run_script(p.tmp.path, "fish --no-config",
                         "rbk completion fish | source\ncomplete -C '" + line + "'\n");
    INFO(s.err);
    CHECK(s.code == 0);
    return lines_of(s.out);
  };
  CHECK(fish("rbk ru") == Words{"run", "runs"});
  CHECK(fish("rbk run db-down -p ") == Words{"host=", "port="});
  CHECK(fish("rbk run db-down --approve ") == Words{"look", "restart"});
  CHECK(fish("rbk plan --format ") == Words{"json", "text"});
  Shell z = run_script(p.tmp.path, "bash", "rbk completion zsh > _rbk && zsh -n _rbk\n");
  INFO(z.err);
  CHECK(z.code == 0);
}

TEST_CASE("every command has a man page naming each of its options, and groff renders it",
          "[completion][man]") {
  TempDir tmp;
  Shell made = run_script(tmp.path, "bash", "mkdir man && rbk __man man\n");
  REQUIRE(made.code == 0);
  // The commands and options from CLI11's help, not from the man pages' source.
  Shell top = run_script(tmp.path, "bash", "rbk --help\n");
  std::vector<std::string> commands;
  {
    std::istringstream in(top.out.substr(top.out.find("Subcommands:")));
    std::string line;
    std::getline(in, line);
    const std::regex cmd(R"(^  ([a-z]+)\s)");
    std::smatch m;
    while (std::getline(in, line) && std::regex_search(line, m, cmd)) commands.push_back(m[1]);
  }
  REQUIRE(commands.size() >= 15);
  const std::string main_page = read_file((tmp.path / "man" / "rbk.1").string());
  const std::regex option(R"((?:^|[ ,])(--?[a-z][a-z-]*))");
  for (const auto& c : commands) {
    INFO(c);
    CHECK(main_page.find("rbk\\-" + c + "\\fR(1)") != std::string::npos);
    const std::string page = read_file((tmp.path / "man" / ("rbk-" + c + ".1")).string());
    REQUIRE_FALSE(page.empty());
    Shell help = run_script(tmp.path, "bash", "rbk help " + c + "\n");
    std::istringstream in(help.out.substr(help.out.find("Options:")));
    size_t options = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("  -", 0) != 0) continue;  // an option's first line
      const std::string names = line.substr(0, line.find_first_of(" ", 2));
      for (std::sregex_iterator it(names.begin(), names.end(), option), end; it != end; ++it) {
        std::string escaped = std::regex_replace((*it)[1].str(), std::regex("-"), "\\-");
        INFO((*it)[1].str());
        CHECK(page.find(escaped) != std::string::npos);
        ++options;
      }
    }
    CHECK(options >= 2);  // --help and at least one more
    Shell render =
        run_script(tmp.path, "bash", "groff -man -ww -z -Tutf8 man/rbk-" + c + ".1 2>&1\n");
    CHECK(render.out.empty());
  }
  Shell render = run_script(tmp.path, "bash", "groff -man -ww -z -Tutf8 man/rbk.1 2>&1\n");
  CHECK(render.out.empty());
}
