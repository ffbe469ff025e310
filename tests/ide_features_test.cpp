// The editor features of interpreter/ide/ on a small project (an rbk.yaml
// with a role, a module of its own, a stdlib import, a called runbook):
// hover texts, definition targets, completion by context, the outline,
// formatting and diagnostics placed in UTF-16 columns. Each table names a
// place by a '¦' written into the runbook just before the name it means.
#include <catch2/catch.hpp>

#include <algorithm>

#include "interpreter/ide/analysis.hpp"
#include "interpreter/ide/complete.hpp"
#include "interpreter/ide/formatting.hpp"
#include "interpreter/ide/navigate.hpp"
#include "interpreter/ide/outline.hpp"
#include "interpreter/syntax/format.hpp"
#include "test_support.hpp"

namespace {

using namespace rbk;
using rbk::test::TempDir;
using rbk::test::write_file;

const std::string kMarker = "¦";

/// The runbook, with a '¦' before each name the tables refer to by number.
const char* kRunbook = R"(import "stdlib/postgres" as pg
import ¦"modules/web"

runbook db-down {
  title    "Database down"
  severity critical
  owner    ¦db-owner
  param ¦host : string = "127.0.0.1"  "The database host"
  param wait : duration = 30s
  secret token from env "DB_TOKEN"
  message status "Investigating ${¦host}"

  diagnose {
    step conns "Connection count" {
      run `psql -h "¦$host" -XtAc "SELECT 1"` as ¦conns timeout ¦wait
      use pg.¦ready with ¦host = host
    }
  }
  causes {
    cause ¦pool "Pool épuisé 😀" when ¦conns > 90 and ¦pg_ready.ok
  }
  remediate {
    step restart "Restart" when cause.¦pool {
      use ¦web.¦restart_unit with unit = "postgresql"
      page ¦db-owner "restarting: ${¦status}, run ${¦run_id}"
      call ¦other
    }
  }
  escalate {
    after 15m from step ¦restart page db-owner
  }
}
)";

/// A project in a temporary folder, and the runbook's analysis.
struct Project {
  TempDir tmp;
  std::string path;
  std::string text;             // without markers
  std::vector<size_t> markers;  // byte offsets in `text`
  std::unique_ptr<const ide::Analysis> analysis;

  Project() {
    const auto root = tmp.path.string();
    write_file(root + "/rbk.yaml",
               "severities:\n  critical: {description: \"down\"}\n"
               "roles:\n  oncall: {name: \"On call\", contact: \"oncall@example.com\"}\n"
               "  db-owner: {name: \"Database owner\", contact: \"dba@example.com\"}\n");
    std::filesystem::create_directories(root + "/modules");
    write_file(root + "/modules/web.rbk",
               "module web {\n"
               "  template restart_unit \"Restart a systemd unit\" {\n"
               "    param unit : string \"The systemd unit\"\n"
               "    run `systemctl restart \"$unit\"` as restarted timeout 2m\n"
               "  }\n"
               "}\n");
    write_file(root + "/other.rbk",
               "# called by db-down\nrunbook other {\n  diagnose {\n    step s \"S\" {\n"
               "      run `true`\n    }\n  }\n}\n");
    text = kRunbook;
    for (size_t at; (at = text.find(kMarker)) != std::string::npos;) {
      markers.push_back(at);
      text.erase(at, kMarker.size());
    }
    path = root + "/db-down.rbk";
    write_file(path, text);
    analysis = ide::analyze(path, text, {});
  }

  ide::Position at(size_t marker) const { return analysis->lines.position(markers.at(marker)); }
};

/// The analysis of `text` (with one '¦' for the cursor) as the same file.
struct Edited {
  std::unique_ptr<const ide::Analysis> analysis;
  ide::Position cursor;
};
Edited edited(const Project& p, std::string text) {
  const size_t at = text.find(kMarker);
  REQUIRE(at != std::string::npos);
  text.erase(at, kMarker.size());
  Edited e;
  e.analysis = ide::analyze(p.path, std::move(text), {});
  e.cursor = e.analysis->lines.position(at);
  return e;
}

std::vector<std::string> labels(const ide::Completions& c) {
  std::vector<std::string> out;
  for (const auto& i : c.items) out.push_back(i.label);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("the test runbook parses and checks clean", "[ide]") {
  Project p;
  REQUIRE(p.analysis->document());
  for (const auto& f : p.analysis->findings) {
    INFO(f.message);
    CHECK(f.severity != Severity::Error);
  }
  CHECK(p.markers.size() == 20);
}

TEST_CASE("hover says what a name is", "[ide]") {
  Project p;
  struct Case {
    size_t marker;
    std::vector<std::string> says;
  };
  const std::vector<Case> cases = {
      {0, {"**module** `web`", "restart_unit", "modules/web.rbk"}},
      {1, {"**role** `db-owner`", "Database owner", "dba@example.com", "rbk.yaml"}},
      {2, {"param host : string = \"127.0.0.1\"", "The database host"}},
      {3, {"param host : string"}},  // ${host} in a message
      {4, {"param host : string"}},  // $host in a command
      {5, {"**capture** `conns`", "step `conns` \"Connection count\"", "psql -h", ".stdout"}},
      {6, {"param wait : duration = 30s"}},  // a duration that names a parameter
      {7, {"**template** `pg.ready`", "host : string = \"127.0.0.1\"", "port : int = 5432"}},
      {8, {"param host : string = \"127.0.0.1\"", "template `ready`"}},  // a `with` argument
      {9, {"**cause** `pool`", "when conns > 90 and pg_ready.ok"}},
      {10, {"**capture** `conns`"}},
      {11, {"**capture** `pg_ready`", "`use pg.ready`", "pg_isready"}},  // from a template
      {12, {"**cause** `pool`", "Pool épuisé 😀"}},
      {14, {"**template** `web.restart_unit`", "unit : string", "(required)"}},
      {16, {"**message** `status`", "Investigating"}},
      {17, {"**built-in** `run_id`"}},
      {18, {"**runbook** `other`", "other.rbk"}},
      {19, {"**step** `restart` \"Restart\" in `remediate`", "when cause.pool"}},
  };
  for (const Case& c : cases) {
    INFO("marker " << c.marker);
    auto h = ide::hover(*p.analysis, p.at(c.marker));
    REQUIRE(h);
    for (const auto& s : c.says) {
      INFO(h->markdown);
      CHECK(h->markdown.find(s) != std::string::npos);
    }
    CHECK(h->range.start == p.at(c.marker));
  }
  // Nothing to say about a keyword or a blank.
  CHECK_FALSE(ide::hover(*p.analysis, {4, 2}));
  CHECK_FALSE(ide::hover(*p.analysis, {2, 0}));
}

TEST_CASE("definition goes to the declaration, the module, the called runbook, rbk.yaml", "[ide]") {
  Project p;
  const std::string root = p.tmp.path.string();
  struct Case {
    size_t marker;
    std::string file;  // relative to the project; "" for no definition
    std::string text;  // the text the target range covers
  };
  const std::vector<Case> cases = {
      {0, "modules/web.rbk", "web"},  // import → the module
      {1, "rbk.yaml", "db-owner"},    // a role → its line in rbk.yaml
      {3, "db-down.rbk", "host"},     // a parameter
      {4, "db-down.rbk", "host"},
      {6, "db-down.rbk", "wait"},
      {7, "", ""},                     // a stdlib template: compiled into rbk
      {10, "db-down.rbk", "conns"},    // a capture → its `as conns`
      {11, "", ""},                    // a stdlib template's capture
      {12, "db-down.rbk", "pool"},     // cause.pool → the cause
      {13, "modules/web.rbk", "web"},  // use web.… → the module
      {14, "modules/web.rbk", "restart_unit"},
      {16, "db-down.rbk", "status"},   // a message
      {17, "", ""},                    // a built-in
      {18, "other.rbk", "other"},      // call → the called runbook's name
      {19, "db-down.rbk", "restart"},  // after … from step restart
  };
  for (const Case& c : cases) {
    INFO("marker " << c.marker);
    auto d = ide::definition(*p.analysis, p.at(c.marker));
    if (c.file.empty()) {
      CHECK_FALSE(d);
      continue;
    }
    REQUIRE(d);
    CHECK(d->path == root + "/" + c.file);
    const std::string target = rbk::test::read_file(d->path);
    ide::LineMap lines(target);
    const size_t b = lines.offset(d->range.start), e = lines.offset(d->range.end);
    CHECK(target.substr(b, e - b) == c.text);
  }
  // The declaration of a capture is where it is made.
  auto capture = ide::definition(*p.analysis, p.at(10));
  REQUIRE(capture);
  CHECK(capture->range.start == p.at(5));
}

TEST_CASE("completion offers what fits the place", "[ide]") {
  Project p;
  const std::string head =
      std::string(kRunbook).substr(0, std::string(kRunbook).find("  causes {"));
  struct Case {
    std::string name;
    std::string text;  // the whole document, '¦' at the cursor (markers of kRunbook removed)
    std::vector<std::string> offers, never;
  };
  auto doc = [&](const std::string& tail) {
    std::string t = head;
    for (size_t at; (at = t.find(kMarker)) != std::string::npos;) t.erase(at, kMarker.size());
    return t + tail;
  };
  const std::vector<Case> cases = {
      {"capture fields after NAME.",
       doc("  causes {\n    cause c \"C\" when conns.¦\n  }\n}\n"),
       {"stdout", "exit", "ok", "json", "lines"},
       {"host", "run"}},
      {"statements in a step",
       doc("  remediate {\n    step s \"S\" {\n      ¦\n    }\n  }\n}\n"),
       {"run", "confirm", "destructive", "use", "page"},
       {"step", "param", "conns"}},
      {"items of a runbook", doc("  ¦\n}\n"), {"param", "alert", "escalate", "secret"}, {"run"}},
      {"items of a section", doc("  causes {\n    ¦\n  }\n}\n"), {"cause"}, {"step", "run"}},
      {"names in a condition",
       doc("  causes {\n    cause c \"C\" when co¦\n  }\n}\n"),
       {"conns", "pg_ready", "host", "status", "severity", "cause", "not"},
       {"token", "run"}},
      {"cause ids after cause.",
       doc("  causes {\n    cause a \"A\" when conns > 1\n  }\n  remediate {\n"
           "    step s \"S\" when cause.¦ {\n    }\n  }\n}\n"),
       // The edit does not parse: the names are the last good analysis's.
       {"pool"},
       {"conns", "stdout"}},
      {"step states after step.ID.",
       doc("  remediate {\n    step s \"S\" when step.conns.¦ {\n    }\n  }\n}\n"),
       {"ok", "failed", "ran", "skipped"},
       {"stdout"}},
      {"step ids after step.",
       doc("  remediate {\n    step s \"S\" when step.¦ {\n    }\n  }\n}\n"),
       {"conns"},
       {"ok"}},
      {"templates after use MODULE.",
       doc("  remediate {\n    step s \"S\" {\n      use pg.¦\n    }\n  }\n}\n"),
       {"ready", "terminate_idle"},
       {"restart_unit"}},
      {"modules after use",
       doc("  remediate {\n    step s \"S\" {\n      use ¦\n    }\n  }\n}\n"),
       {"pg", "web"},
       {"ready"}},
      {"roles after page",
       doc("  remediate {\n    step s \"S\" {\n      page ¦\n    }\n  }\n}\n"),
       {"db-owner", "oncall"},
       {"run"}},
      {"roles in escalate", doc("  escalate {\n    after 5m page o¦\n  }\n}\n"), {"oncall"}, {}},
      {"variables in a command",
       doc("  remediate {\n    step s \"S\" {\n      run `echo $t¦`\n    }\n  }\n}\n"),
       {"token", "host", "conns"},
       {"severity", "run"}},
      {"nothing in a plain command",
       doc("  remediate {\n    step s \"S\" {\n      run `echo t¦`\n    }\n  }\n}\n"),
       {},
       {"token"}},
      {"nothing in a comment", doc("  # a comment ¦\n}\n"), {}, {"param"}},
      {"names in ${…}",
       doc("  remediate {\n    step s \"S\" {\n      note \"x ${¦}\"\n    }\n  }\n}\n"),
       {"host", "conns", "run_id"},
       {"token"}},
      {"stdlib modules in import \"",
       "import \"std¦\n" + doc("}\n"),
       {"stdlib/postgres", "stdlib/redis"},
       {"param"}},
      {"called runbooks after call",
       doc("  remediate {\n    step s \"S\" {\n      call ¦\n    }\n  }\n}\n"),
       {"other"},
       {"run"}},
      {"severities from rbk.yaml after severity", doc("  severity ¦\n}\n"), {"critical"}, {"host"}},
      {"failure policies after on failure",
       doc("  remediate {\n    step s \"S\" {\n      on failure ¦\n    }\n  }\n}\n"),
       {"continue", "rollback", "abort"},
       {"host"}},
      {"a later capture is not offered earlier",
       doc("  alert {\n    signal \"S\" {\n      firing when ¦\n    }\n  }\n}\n"),
       {"host"},
       {"conns"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Edited e = edited(p, c.text);
    const auto got = labels(ide::complete(*e.analysis, e.cursor, p.analysis.get()));
    std::string all;
    for (const auto& g : got) all += g + " ";
    INFO("offered: " << all);
    for (const auto& o : c.offers) CHECK(has(got, o));
    for (const auto& n : c.never) CHECK_FALSE(has(got, n));
  }
  // The partial word is what a completion replaces.
  Edited e = edited(p, doc("  causes {\n    cause c \"C\" when conns.ex¦\n  }\n}\n"));
  auto c = ide::complete(*e.analysis, e.cursor, p.analysis.get());
  CHECK(e.analysis->lines.position(c.replace_from).character == e.cursor.character - 2);
}

TEST_CASE("the outline: runbook, parameters, sections and their items", "[ide]") {
  Project p;
  const auto items = ide::outline(*p.analysis);
  std::string shape;
  std::function<void(const std::vector<ide::OutlineItem>&, int)> walk =
      [&](const std::vector<ide::OutlineItem>& v, int depth) {
        for (const auto& i : v) {
          shape += std::string(static_cast<size_t>(depth) * 2, ' ') + i.name + "\n";
          walk(i.children, depth + 1);
        }
      };
  walk(items, 0);
  CHECK(shape ==
        "stdlib/postgres\nmodules/web\ndb-down\n  host\n  wait\n  token\n  status\n"
        "  diagnose\n    conns\n  causes\n    pool\n  remediate\n    restart\n"
        "  escalate\n    after 15m from step restart page db-owner\n");
  REQUIRE(items.size() == 3);
  const auto& runbook = items[2];
  CHECK(runbook.selection.start == ide::Position{3, 8});
  for (const auto& child : runbook.children) {
    CHECK(child.range.start.line >= runbook.range.start.line);
    CHECK(child.range.end.line <= runbook.range.end.line);
  }
}

TEST_CASE("formatting gives rbk fmt's text, and nothing for a file with syntax errors", "[ide]") {
  Project p;
  const std::string messy =
      "runbook   messy {\n title \"M\"\n      diagnose {\n step a \"A\" {\n"
      "run `true`   as   a_out\n}\n}\n}\n";
  auto a = ide::analyze(p.path, messy, {});
  auto edits = ide::formatting_edits(*a);
  REQUIRE(edits);
  REQUIRE(!edits->empty());
  std::string applied = messy;
  const ide::LineMap lines(messy);
  for (auto it = edits->rbegin(); it != edits->rend(); ++it) {
    const size_t b = lines.offset(it->range.start), e = lines.offset(it->range.end);
    applied.replace(b, e - b, it->text);
  }
  CHECK(applied == format_document(*a->document()));
  // Formatted already: no edit.
  auto again = ide::analyze(p.path, applied, {});
  REQUIRE(ide::formatting_edits(*again));
  CHECK(ide::formatting_edits(*again)->empty());
  // A syntax error: none at all.
  auto broken = ide::analyze(p.path, "runbook x {\n  diagnose {\n", {});
  CHECK_FALSE(ide::formatting_edits(*broken));
}

TEST_CASE("diagnostics are placed in UTF-16 columns, rbk.yaml problems at the start", "[ide]") {
  Project p;
  std::string text = p.text;
  const std::string use = "when conns > 90";
  text.replace(text.find(use), use.size(), "when connz > 90");
  auto a = ide::analyze(p.path, text, {});
  const ide::Finding* error = nullptr;
  for (const auto& f : a->findings)
    if (f.severity == Severity::Error) error = &f;
  REQUIRE(error);
  CHECK(error->message == "unknown name 'connz'");
  CHECK(error->help == "did you mean 'conns'?");
  // "    cause pool \"Pool épuisé 😀\" when " is 37 UTF-16 units (36 characters:
  // the emoji is two units), and 41 bytes.
  CHECK(error->range.start == ide::Position{19, 37});
  CHECK(error->range.end == ide::Position{19, 42});

  // With lint: rule ids as codes.
  DestructivePatterns patterns;
  ide::AnalyzeOptions lint;
  lint.lint = true;
  lint.patterns = &patterns;
  auto linted = ide::analyze(p.path, text, lint);
  bool coded = false;
  for (const auto& f : linted->findings) coded = coded || f.code.rfind("RBK", 0) == 0;
  CHECK(coded);

  // A broken rbk.yaml: its error at the document's start, naming the file.
  write_file((p.tmp.path / "rbk.yaml").string(), "roles: [\n");
  auto bad = ide::analyze(p.path, p.text, {});
  REQUIRE(!bad->findings.empty());
  CHECK(bad->findings.front().range == ide::Range{});
  CHECK(bad->findings.front().message.find("rbk.yaml:") != std::string::npos);
}
