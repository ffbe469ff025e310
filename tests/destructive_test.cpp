// The destructive-command patterns and the shell analysis, as data:
// tests/destructive/commands.txt lists commands with the verdict each must
// get (a pattern id, "?" for a command rbk cannot analyse, "-" for one that
// only reads). Every entry goes through the matcher, through the run's gate
// decision (gate_for) and through lint on a generated runbook, and all three
// must agree with the verdict. Also: the shipped list loads without errors,
// bad lists give file:line:col, and a match says where it is.
#include <catch2/catch.hpp>

#include <filesystem>
#include <latch>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <re2/re2.h>

#include "grammar/parse.hpp"
#include "interpreter/base/shipped.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/sema/expand.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "test_support.hpp"

using namespace rbk;

namespace {

const DestructivePatterns& shipped() {
  static const DestructivePatterns p = [] {
    Diagnostics errors;
    auto list = DestructivePatterns::load_shipped(errors);
    for (const auto& e : errors) INFO(render(e));
    REQUIRE(errors.empty());
    return list;
  }();
  return p;
}

struct Entry {
  std::string verdict;  // a pattern id, "?" or "-"
  std::string command;
  size_t line = 0;
  ShellValues values;  // with-values.txt: what the command's variables hold
};

/// A corpus file of tests/destructive/; "\n" in a command stands for a line
/// break. `with_values`: a column of NAME=VALUE pairs comes before the command.
std::vector<Entry> corpus(const std::string& name = "commands.txt", bool with_values = false) {
  std::istringstream in(test::read_file(test::source_dir() + "/tests/destructive/" + name));
  std::vector<Entry> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    Entry e{line.substr(0, tab), "", n, {}};
    if (with_values) {
      size_t next = line.find('\t', tab + 1);
      REQUIRE(next != std::string::npos);
      std::istringstream pairs(line.substr(tab + 1, next - tab - 1));
      for (std::string pair; std::getline(pairs, pair, '|');) {
        while (!pair.empty() && pair.back() == ' ') pair.pop_back();
        while (!pair.empty() && pair.front() == ' ') pair.erase(0, 1);
        size_t eq = pair.find('=');
        REQUIRE(eq != std::string::npos);
        e.values[pair.substr(0, eq)] = pair.substr(eq + 1);
      }
      tab = next;
    }
    // (Built by hand: GCC 12 at -O2 reports a false -Wrestrict on std::string::replace here.)
    const std::string raw = line.substr(tab + 1);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == 'n') {
        e.command += '\n';
        ++i;
      } else {
        e.command += raw[i];
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

/// A runbook with one remediation step per entry (`s1`, `s2`, …), each
/// running the entry's command in a fenced block; `marker` is added to
/// every step (e.g. `safe "…"`).
std::string runbook_of(const std::vector<Entry>& entries, const std::string& marker) {
  std::string rb = "runbook corpus {\n  remediate {\n";
  for (size_t k = 0; k < entries.size(); ++k) {
    rb += "    step s" + std::to_string(k + 1) + " {\n";
    if (!marker.empty()) rb += "      " + marker + "\n";
    rb += "      run ```\n";
    std::istringstream lines(entries[k].command);
    std::string l;
    while (std::getline(lines, l)) rb += "        " + l + "\n";
    rb += "      ```\n      on failure continue\n    }\n";
  }
  return rb + "  }\n}\n";
}

/// The gate of each step and the safety findings of lint inside it.
struct Judged {
  std::vector<Gate> gates;
  std::vector<std::vector<std::string>> findings;  // "RBK101: message", per step
};

Judged judge_runbook(const std::string& text) {
  auto file = std::make_shared<SourceFile>("corpus.rbk", text);
  ParseResult parsed = parse(file);
  for (const auto& d : parsed.diagnostics) INFO(render(d));
  REQUIRE(parsed.document);
  const ast::Runbook* rb = parsed.document->runbook();
  REQUIRE(rb);
  Config config;
  LintOptions opts;
  opts.config = &config;
  opts.patterns = &shipped();
  opts.shellcheck = false;
  FileModuleLoader loader;
  std::vector<std::string> notes;
  Diagnostics found = lint_document(*parsed.document, opts, loader, notes);
  Judged out;
  for (const auto& item : rb->items) {
    const auto* sec = std::get_if<ast::Section>(&item);
    if (!sec) continue;
    for (const auto& si : sec->items) {
      const auto* st = std::get_if<ast::Step>(&si);
      if (!st) continue;
      out.gates.push_back(gate_for(expand_body(st->body, {}), "", config.policy, shipped()));
      std::vector<std::string> mine;
      for (const auto& d : found)
        if (d.span.begin >= st->span.begin && d.span.end <= st->span.end &&
            (d.code == "RBK101" || d.code == "RBK105" || d.code == "RBK106"))
          mine.push_back(d.code + ": " + d.message);
      out.findings.push_back(std::move(mine));
    }
  }
  return out;
}

bool has(const std::vector<std::string>& findings, const std::string& code) {
  for (const auto& f : findings)
    if (f.rfind(code + ":", 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("the shipped destructive-command list loads cleanly", "[destructive]") {
  CHECK(shipped().patterns().size() >= 60);
  // Loaded once per process, the same list.
  CHECK(DestructivePatterns::shipped().patterns().size() == shipped().patterns().size());
}

TEST_CASE("rbk carries every stdlib file as the source tree has it", "[destructive][install]") {
  // The bytes compiled in (interpreter/base/shipped.hpp) are the files of
  // stdlib/, every one of them: a copied or installed rbk judges commands
  // and resolves imports exactly as the build tree does.
  std::set<std::string> tree;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RBK_SOURCE_DIR) + "/stdlib"))
    if (e.path().extension() == ".rbk" || e.path().filename() == "destructive-patterns.yaml")
      tree.insert("stdlib/" + e.path().filename().string());
  std::set<std::string> carried;
  for (const auto& f : shipped_files()) {
    carried.insert(std::string(f.name));
    INFO(f.name);
    CHECK(f.text == rbk::test::read_file(std::string(RBK_SOURCE_DIR) + "/" + std::string(f.name)));
    CHECK(shipped_file(f.name) == f.text);
  }
  CHECK(carried == tree);
  CHECK_FALSE(shipped_file("stdlib/no-such.rbk"));
  CHECK_FALSE(shipped_file("stdlib/README.md"));
}

TEST_CASE("every corpus command gets its verdict from the matcher", "[destructive]") {
  size_t destructive = 0, unknown = 0, harmless = 0;
  for (const Entry& e : corpus()) {
    INFO("commands.txt:" << e.line << ": " << e.command);
    CommandVerdict v = shipped().judge(e.command);
    if (e.verdict == "?") {
      CHECK(!v.destructive);
      CHECK(v.unanalysable);
      ++unknown;
    } else if (e.verdict == "-") {
      if (v.destructive)
        INFO("matched " << v.destructive->pattern->id << " on " << v.destructive->unit);
      if (v.unanalysable) INFO("cannot analyse: " << v.unanalysable->why);
      CHECK(v.read_only());
      ++harmless;
    } else {
      CHECK((v.destructive ? v.destructive->pattern->id : std::string("-")) == e.verdict);
      ++destructive;
    }
  }
  // The attack's 93 destructive commands and 35 obfuscations, and more.
  CHECK(destructive >= 93 + 24);
  CHECK(unknown >= 11);
  CHECK(harmless >= 40);
}

TEST_CASE("a value that chooses a command's verb or option gates it", "[destructive]") {
  // The text alone matches nothing; the values a run gives it do.
  const std::vector<Entry> entries = corpus("with-values.txt", true);
  auto file = std::make_shared<SourceFile>("values.rbk", runbook_of(entries, ""));
  ParseResult parsed = parse(file);
  REQUIRE(parsed.document);
  std::vector<const ast::Step*> steps;
  for (const auto& item : parsed.document->runbook()->items)
    if (const auto* sec = std::get_if<ast::Section>(&item))
      for (const auto& si : sec->items)
        if (const auto* st = std::get_if<ast::Step>(&si)) steps.push_back(st);
  REQUIRE(steps.size() == entries.size());
  size_t gated = 0;
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    INFO("with-values.txt:" << e.line << ": " << e.command);
    CHECK(!shipped().judge(e.command).destructive);
    CommandVerdict v = shipped().judge(e.command, &e.values);
    if (v.destructive)
      INFO("matched " << v.destructive->pattern->id << " on " << v.destructive->unit);
    CHECK((v.destructive ? v.destructive->pattern->id : std::string("-")) == e.verdict);
    Gate g = gate_for(expand_body(steps[k]->body, {}), "", Policy{}, shipped(),
                      [&](const StepStatement&) { return &e.values; });
    const std::string by_values = destructive_by_values(shipped(), e.command, e.values);
    if (e.verdict == "-") {
      CHECK(by_values.empty());
      CHECK(g.reason.find("with the values it gets") == std::string::npos);
    } else {
      ++gated;
      CHECK(g.destructive);
      CHECK(g.kind == GateKind::Confirm);
      CHECK(g.reason == by_values);
      CHECK(g.reason.find("with the values it gets") != std::string::npos);
      // Without the values the same step asks nothing (unless rbk cannot analyse it).
      Gate plain = gate_for(expand_body(steps[k]->body, {}), "", Policy{}, shipped());
      CHECK((plain.kind == GateKind::None || plain.unanalysable));
    }
  }
  CHECK(gated >= 14);
}

TEST_CASE("the run's gate and lint agree with every corpus verdict", "[destructive][lint]") {
  const std::vector<Entry> entries = corpus();
  Judged plain = judge_runbook(runbook_of(entries, ""));
  Judged vouched = judge_runbook(runbook_of(entries, "safe \"the corpus says so\""));
  REQUIRE(plain.gates.size() == entries.size());
  REQUIRE(vouched.gates.size() == entries.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    INFO("commands.txt:" << e.line << ": " << e.command);
    const Gate& g = plain.gates[k];
    const auto& f = plain.findings[k];
    for (const auto& x : f) INFO(x);
    if (e.verdict == "-") {
      CHECK(g.kind == GateKind::None);
      CHECK(f.empty());
      // `safe` where there is nothing to vouch for is a finding of its own.
      CHECK(has(vouched.findings[k], "RBK106"));
    } else if (e.verdict == "?") {
      CHECK(g.kind == GateKind::Confirm);
      CHECK(g.destructive);
      CHECK(g.unanalysable);
      CHECK(g.reason.rfind("cannot analyse '", 0) == 0);
      CHECK(has(f, "RBK105"));
      CHECK(!has(f, "RBK101"));
      // Marked safe: no gate, no finding.
      CHECK(vouched.gates[k].kind == GateKind::None);
      CHECK(vouched.findings[k].empty());
    } else {
      CHECK(g.kind == GateKind::Confirm);
      CHECK(g.destructive);
      CHECK(g.reason.rfind("runs '", 0) == 0);
      CHECK(has(f, "RBK101"));
      // `safe` never removes a gate a pattern adds.
      CHECK(vouched.gates[k].destructive);
      CHECK(has(vouched.findings[k], "RBK101"));
    }
  }
}

TEST_CASE("the match says where in the command it is", "[destructive]") {
  auto at = [](const std::string& cmd) {
    auto m = shipped().match(cmd);
    REQUIRE(m);
    return cmd.substr(m->offset, m->length);
  };
  CHECK(at("cd /srv && rm -rf cache") == "rm -rf");
  // Inside a literal `sh -c` argument, the offsets are the outer command's.
  CHECK(at("sudo sh -c 'cd /srv && rm -rf cache'") == "rm -rf");
  CHECK(at("ls; echo x > /etc/motd") == "> /etc/motd");
  CHECK(at("psql -c \"SELECT 1; DELETE FROM jobs\"") == "DELETE FROM jobs");
  CHECK(at("kubectl \\\n  delete pod x") == "kubectl \\\n  delete");
  auto v = shipped().judge("x=1; $cmd -rf /");
  REQUIRE(v.unanalysable);
  CHECK(std::string("x=1; $cmd -rf /").substr(v.unanalysable->offset, v.unanalysable->length) ==
        "$cmd");
}

TEST_CASE("bad lists are diagnostics at file:line:col", "[destructive]") {
  auto errors_of = [](const std::string& yaml) {
    Diagnostics errors;
    DestructivePatterns::parse(std::make_shared<SourceFile>("p.yaml", yaml), errors);
    std::string out;
    for (const auto& e : errors) out += render(e);
    return out;
  };
  CHECK(errors_of("patterns:\n  - id: x\n    pattern: 'a(b'\n    why: w\n") ==
        "p.yaml:3:14: error: invalid pattern: missing ): a(b\n"
        "    pattern: 'a(b'\n"
        "             ^~~\n"
        "help: patterns use RE2 syntax (no backreferences or lookaround)\n");
  CHECK(errors_of("patterns:\n  - id: x\n    patern: 'a'\n    why: w\n")
            .find("p.yaml:3:5: error: unknown key 'patern'") == 0);
  CHECK(errors_of("patterns: [\n").find("p.yaml:") == 0);
  CHECK(errors_of("patterns:\n  - id: x\n    pattern: a\n    why: w\n  - id: x\n    pattern: b\n   "
                  " why: w\n")
            .find("duplicate id 'x'") != std::string::npos);
  CHECK(errors_of("rules: []\n").find("expected a 'patterns:' list") != std::string::npos);
  CHECK(errors_of("patterns:\n  - id: x\n    scope: shell\n    pattern: a\n    why: w\n")
            .find("p.yaml:3:12: error: unknown scope 'shell'") == 0);
  CHECK(errors_of("patterns:\n  - id: x\n    pattern: '^a{{nope}}'\n    why: w\n")
            .find("p.yaml:3:14: error: pattern uses {{nope}}, which is not defined") == 0);
}

TEST_CASE("every shipped pattern compiles (they are compiled on first use)", "[destructive]") {
  // Reading the list only parses each pattern; this is where one that
  // parses but cannot be compiled (over RE2's memory bound) is found.
  REQUIRE_FALSE(shipped().patterns().empty());
  for (const DestructivePattern& p : shipped().patterns()) {
    CAPTURE(p.id);
    CHECK(p.pattern->get().ok());
    if (p.unless) CHECK(p.unless->get().ok());
  }
}

TEST_CASE("a pattern that cannot be compiled gates, and such an unless excuses nothing",
          "[destructive]") {
  // Parses (each repetition is within RE2's bound), but the program is over
  // its memory bound: only compiling finds out, and that is at first use.
  const std::string huge = R"(\pL{1000}\pL{1000}\pL{1000}\pL{1000}\pL{1000})";
  auto list_of = [](const std::string& yaml) {
    Diagnostics errors;
    auto list = DestructivePatterns::parse(std::make_shared<SourceFile>("p.yaml", yaml), errors);
    CHECK(errors.empty());
    return list;
  };
  // The scope's RE2::Set, which holds it, cannot be compiled either, so
  // every pattern of the scope is tried on every unit, and this one, never
  // compiled, is taken as matching the whole unit: gated, never harmless.
  auto huge_pattern = list_of("patterns:\n  - id: huge\n    pattern: '" + huge + "'\n    why: w\n");
  auto m = huge_pattern.match("ls -l /tmp");
  REQUIRE(m);
  CHECK(m->pattern->id == "huge");
  CHECK(m->unit == "ls -l /tmp");
  auto huge_unless = list_of("patterns:\n  - id: rm\n    pattern: '^rm '\n    unless: '" + huge +
                             "'\n    why: w\n");
  REQUIRE(huge_unless.match("rm x"));
  CHECK(huge_unless.match("rm x")->pattern->id == "rm");
  CHECK_FALSE(huge_unless.match("ls x"));
}

TEST_CASE("a list judged from many threads at once gives each the same verdicts", "[destructive]") {
  // Lint judges from its workers: the first use of a pattern may come from
  // several at once (under ThreadSanitizer, CI lints the project's files
  // with rbk's workers, which does this for real).
  Diagnostics errors;
  auto list = DestructivePatterns::parse(
      std::make_shared<SourceFile>("p.yaml",
                                   "patterns:\n"
                                   "  - id: wipe\n    pattern: '^wipe(?: |$)'\n"
                                   "    unless: '^wipe --dry-run'\n    why: w\n"
                                   "  - id: out\n    scope: redirect\n    pattern: '^> '\n"
                                   "    why: w\n"),
      errors);
  REQUIRE(errors.empty());
  std::vector<std::string> seen(8);
  std::latch start(static_cast<std::ptrdiff_t>(seen.size()));  // first uses at once
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < seen.size(); ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        for (const char* cmd : {"wipe all", "wipe --dry-run all", "echo x > /tmp/y", "ls"}) {
          auto m = list.match(cmd);
          seen[i] += m ? m->pattern->id + " " : std::string("- ");
        }
      });
    for (auto& t : threads) t.join();
  }
  for (const std::string& s : seen) CHECK(s == "wipe - out - ");
}

TEST_CASE("definitions and scopes: each pattern sees only its own units", "[destructive]") {
  Diagnostics errors;
  auto list = DestructivePatterns::parse(
      std::make_shared<SourceFile>(
          "p.yaml",
          "definitions:\n  dev: '/dev/null'\n"
          "patterns:\n"
          "  - id: cmd\n    pattern: '^wipe(?: |$)'\n    why: w\n"
          "  - id: sql\n    scope: sql\n    pattern: '(?i)^wipe'\n    why: w\n"
          "  - id: out\n    scope: redirect\n    pattern: '^> '\n"
          "    unless: '^> {{dev}}$'\n    why: w\n"),
      errors);
  REQUIRE(errors.empty());
  auto id = [&](const std::string& cmd) {
    auto m = list.match(cmd);
    return m ? m->pattern->id : std::string("-");
  };
  CHECK(id("wipe all") == "cmd");
  CHECK(id("echo 'x; WIPE y'") == "sql");
  CHECK(id("echo wipe") == "-");  // one word: no SQL statement, not the command name
  CHECK(id("echo x > /tmp/y") == "out");
  CHECK(id("echo x > /dev/null") == "-");
  CHECK(id("echo x >> /tmp/y") == "-");
}
