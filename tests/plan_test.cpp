// `rbk plan` / `rbk run --dry-run`: the plan shows exactly what would run,
// gates, branches and escalations, masks secrets, and runs nothing at all.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

#include "grammar/parse.hpp"
#include "interpreter/plan/plan.hpp"
#include "interpreter/plan/plan_json.hpp"
#include "interpreter/plan/show.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/expand.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "interpreter/sema/module_loader.hpp"
#include "processes.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using rbk::test::TempDir;

/// Everything a plan needs, kept alive together.
struct Planned {
  rbk::ParseResult parsed;
  rbk::FileModuleLoader loader;
  rbk::Imports imports;
  rbk::BoundParams params;
  rbk::Config config;
  rbk::DestructivePatterns patterns;
  rbk::Plan typed;
  json plan;  // plan_json(typed): what `rbk plan --format json` prints
  std::string text;
};

std::unique_ptr<Planned> plan_file(const std::string& path,
                                   const std::vector<rbk::ParamArg>& args = {}) {
  auto p = std::make_unique<Planned>();
  rbk::Diagnostics errors;
  auto file = rbk::load_source(path, errors);
  REQUIRE(file);
  p->parsed = rbk::parse(file);
  REQUIRE(p->parsed.document);
  REQUIRE(!rbk::has_errors(rbk::check(*p->parsed.document, &p->loader)));
  const rbk::ast::Runbook* rb = p->parsed.document->runbook();
  REQUIRE(rb);
  p->params = rbk::bind_params(*rb, args);
  std::vector<std::string> import_errors;
  p->imports = rbk::resolve_imports(*p->parsed.document, p->loader, import_errors);
  REQUIRE(import_errors.empty());
  p->patterns = rbk::DestructivePatterns::load_shipped(errors);
  REQUIRE(errors.empty());
  rbk::PlanInput in;
  in.runbook = rb;
  in.imports = &p->imports;
  in.params = &p->params;
  in.config = &p->config;
  in.patterns = &p->patterns;
  in.file = path;
  p->typed = rbk::make_plan(in);
  p->plan = rbk::plan_json(p->typed);
  p->text = rbk::render_plan(p->typed);
  return p;
}

std::unique_ptr<Planned> plan_text(const TempDir& dir, const std::string& source,
                                   const std::vector<rbk::ParamArg>& args = {}) {
  std::string path = (dir.path / "t.rbk").string();
  rbk::test::write_file(path, source);
  return plan_file(path, args);
}

/// Every command text (run, until) of a body, `use` and undo blocks included.
void commands_of(const rbk::ast::Body& body, const rbk::Imports& imports,
                 std::vector<std::string>& out) {
  for (const auto& s : rbk::expand_body(body, imports)) {
    if (const auto* r = std::get_if<rbk::ast::Run>(s.stmt)) out.push_back(r->shell.text);
    if (const auto* u = std::get_if<rbk::ast::Until>(s.stmt)) out.push_back(u->shell.text);
    if (const auto* u = std::get_if<rbk::ast::Undo>(s.stmt)) commands_of(*u->body, imports, out);
  }
}

std::vector<std::string> commands_of(const rbk::ast::Runbook& rb, const rbk::Imports& imports) {
  std::vector<std::string> out;
  for (const auto& item : rb.items) {
    const auto* sec = std::get_if<rbk::ast::Section>(&item);
    if (!sec) continue;
    for (const auto& si : sec->items) {
      if (const auto* st = std::get_if<rbk::ast::Step>(&si)) commands_of(st->body, imports, out);
      if (const auto* sg = std::get_if<rbk::ast::Signal>(&si)) commands_of(sg->body, imports, out);
      if (const auto* ck = std::get_if<rbk::ast::Check>(&si)) commands_of(ck->body, imports, out);
    }
  }
  return out;
}

/// Every "command" in the plan's JSON, in document order.
void commands_in(const json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    auto c = j.find("command");
    auto k = j.find("kind");
    if (c != j.end() && c->is_string() && k != j.end() && (*k == "run" || *k == "until"))
      out.push_back(c->get<std::string>());
    for (const auto& [key, v] : j.items()) commands_in(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) commands_in(v, out);
  }
}

/// The plan item (signal, step, check, cause) with this id.
const json& item(const json& plan, const std::string& id) {
  for (const auto& s : plan["sections"])
    if (s.contains("items"))
      for (const auto& i : s["items"])
        if (i["id"] == id) return i;
  FAIL("no item " << id);
  static json none;
  return none;
}

/// Each line of `cmd` appears in `text` (multi-line commands are indented there).
void check_shown(const std::string& text, const std::string& cmd) {
  size_t start = 0;
  while (start <= cmd.size()) {
    size_t nl = cmd.find('\n', start);
    if (nl == std::string::npos) nl = cmd.size();
    std::string line = cmd.substr(start, nl - start);
    INFO("command line: " << line);
    CHECK(text.find(line) != std::string::npos);
    start = nl + 1;
  }
}

/// Sets an environment variable for the scope, restoring the previous value.
struct EnvGuard {
  std::string name;
  std::optional<std::string> saved;
  EnvGuard(std::string n, const char* value) : name(std::move(n)) {
    if (const char* old = std::getenv(name.c_str())) saved = old;
    if (value)
      setenv(name.c_str(), value, 1);
    else
      unsetenv(name.c_str());
  }
  ~EnvGuard() {
    if (saved)
      setenv(name.c_str(), saved->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
};

}  // namespace

TEST_CASE("plan of runbooks/db-down.rbk", "[plan]") {
  const std::string file = rbk::test::source_dir() + "/runbooks/db-down.rbk";
  EnvGuard secret("PGPASSWORD", "hunter2-not-to-be-shown");
  auto p = plan_file(file);
  const json& plan = p->plan;
  const std::string& text = p->text;

  SECTION("it says first that it is a plan and nothing ran") {
    CHECK_THAT(text, Catch::StartsWith("PLAN for runbook db-down ("));
    CHECK(text.substr(0, text.find('\n')).find("nothing was run") != std::string::npos);
  }
  SECTION("every command, exactly as written, in the JSON and in the text") {
    std::vector<std::string> expected = commands_of(*p->parsed.document->runbook(), p->imports);
    std::vector<std::string> got;
    commands_in(plan, got);
    CHECK(got == expected);
    REQUIRE(expected.size() >= 9);
    for (const auto& c : expected) check_shown(text, c);
    CHECK_THAT(text, Catch::Contains("run `systemctl restart postgresql`\n"
                                     "        timeout 2m, retry 1 every 10s"));
    CHECK_THAT(text, Catch::Contains("until `pg_isready -h \"$host\" -p \"$port\"`\n"
                                     "        repeated until it exits 0, for up to 60s, every 5s"));
  }
  SECTION("sections in execution order") {
    std::vector<std::string> order;
    for (const auto& s : plan["sections"]) order.push_back(s["section"]);
    CHECK(order == std::vector<std::string>{"alert", "diagnose", "causes", "remediate", "verify",
                                            "rollback", "finally", "escalate"});
    size_t last = 0;
    for (const char* h : {"1. ALERT", "2. DIAGNOSE", "3. CAUSES", "4. REMEDIATE", "5. VERIFY",
                          "6. ROLLBACK", "7. FINALLY", "8. ESCALATE"}) {
      size_t at = text.find(h);
      CHECK(at != std::string::npos);
      CHECK(at > last);
      last = at;
    }
  }
  SECTION("gates") {
    CHECK(item(plan, "restart")["gate"]["kind"] == "confirm");
    CHECK(item(plan, "restart")["gate"]["destructive"] == true);
    CHECK(item(plan, "kill_idle")["gate"]["kind"] == "typed");  // from the template
    CHECK(item(plan, "kill_idle")["gate"]["typed"] == "host");
    CHECK(item(plan, "free_disk")["gate"]["kind"] == "none");
    CHECK_THAT(text,
               Catch::Contains("GATE: y/N confirmation (marked destructive)\n"
                               "          prompt: \"Restart PostgreSQL on ${host}:${port}?\""));
    CHECK_THAT(text, Catch::Contains("GATE: typed confirmation (marked destructive)\n"
                                     "          type: the value of host"));
    CHECK_THAT(text, Catch::Contains("without a terminal: --approve kill_idle"));
  }
  SECTION("causes and the branches they select") {
    CHECK(item(plan, "stopped")["when"] == "not server_ready.ok");
    CHECK(item(plan, "stopped")["selects"][0]["step"] == "restart");
    CHECK(item(plan, "restart")["selected_by"] == json::array({"stopped"}));
    CHECK_THAT(text, Catch::Contains(
                         "  cause stopped \"The server is not running\"\n"
                         "    matches when not server_ready.ok\n"
                         "    branch: when cause.stopped -> restart \"Restart PostgreSQL\"\n"));
    CHECK_THAT(text, Catch::Contains("when cause.pool -> kill_idle"));
    CHECK_THAT(text, Catch::Contains("when cause.disk -> free_disk"));
    CHECK_THAT(text, Catch::Contains("matches when server_ready.ok and idle > max_idle"));
  }
  SECTION("escalation with its times") {
    const json& rules = plan["sections"][7]["rules"];
    REQUIRE(rules.size() == 5);
    CHECK(rules[0]["trigger"] == "start");
    CHECK(rules[1]["after"] == "10m");
    CHECK(rules[2]["after"] == "15m");
    CHECK(rules[2]["when"] == "severity == \"critical\"");
    CHECK(rules[3]["trigger"] == "every");
    CHECK(rules[3]["every"] == "30m");
    CHECK(rules[3]["message"] == "${status}; next update in 30 minutes");  // a message, by name
    CHECK(rules[4]["trigger"] == "failure");
    CHECK(rules[4]["message"] == "db-down failed at ${failed_step}");  // never interpolated
    CHECK_THAT(text,
               Catch::Contains("  at start    page oncall \"db-down started on ${host}:${port}\"\n"
                               "  after 10m   page secondary-oncall\n"
                               "  after 15m   notify eng-lead when severity == \"critical\"\n"
                               "  every 30m   notify customer-success \"${status}; next update in "
                               "30 minutes\"\n"
                               "  on failure  page db-owner \"db-down failed at ${failed_step}\""));
  }
  SECTION("variables: parameters, masked secrets, captures so far, template arguments, RBK_*") {
    CHECK(plan.dump().find("hunter2") == std::string::npos);
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(rbk::render_markdown(p->typed).find("hunter2") == std::string::npos);
    CHECK_THAT(text, Catch::Contains("PGPASSWORD = ***  from env PGPASSWORD"));
    CHECK_THAT(text, Catch::Contains("host         : string = 127.0.0.1  (default)"));

    const json& probe = item(plan, "pool_full")["statements"][0]["env"];
    CHECK(probe["PGPASSWORD"] == "***");
    CHECK(probe["host"] == "127.0.0.1");
    CHECK(probe["ready"] == "<output of signal db_unreachable>");
    CHECK(probe["RBK_SECTION"] == "alert");
    CHECK(probe["RBK_STEP"] == "pool_full");
    CHECK(probe["RBK_RUNBOOK"] == "db-down");
    CHECK(probe["RBK_SEVERITY"] == "critical");
    CHECK(!probe.contains("server_ready"));  // not made yet

    const json& kill = item(plan, "kill_idle");
    CHECK(kill["uses"][0]["use"] == "postgres.terminate_idle");
    CHECK(kill["uses"][0]["args"][2] == json({{"name", "minutes"},
                                              {"expr", "idle_minutes"},
                                              {"value", "<value of idle_minutes>"},
                                              {"source", "with"}}));
    const json& run = kill["statements"][1];  // after the template's `confirm typed host`
    REQUIRE(run["kind"] == "run");
    CHECK(run["env"]["minutes"] == "<value of idle_minutes>");
    CHECK(run["env"]["host"] == "<value of host>");
    CHECK(run["env"]["server_ready"] == "<output of step server>");
    CHECK(run["from_use"] == 0);
    CHECK_THAT(text,
               Catch::Contains("use postgres.terminate_idle \"Terminate idle connections\"\n"
                               "      with host = host, port = port, minutes = idle_minutes"));
    for (std::string_view v :
         {"RBK_RUN_ID", "RBK_RUNBOOK", "RBK_SEVERITY", "RBK_SECTION", "RBK_STEP", "RBK_RECORD_DIR"})
      CHECK(text.find(std::string(v) + " ") != std::string::npos);
  }
}

TEST_CASE("plan of examples/db-down.rbk: undo, call, manual, given parameters", "[plan]") {
  const std::string file = rbk::test::source_dir() + "/examples/db-down.rbk";
  auto p = plan_file(file, {{"env", "staging"}});
  const std::string& text = p->text;
  std::vector<std::string> expected = commands_of(*p->parsed.document->runbook(), p->imports);
  for (const auto& c : expected) check_shown(text, c);
  CHECK_THAT(text, Catch::Contains("env  : enum(prod, staging) = staging\n"));
  // An unnamed signal or check has the id a run gives it: RBK_STEP and
  // --approve in the plan are the ones the run will use.
  const json& signal = item(p->plan, "signal-1");
  CHECK(signal["statements"][0]["env"]["RBK_STEP"] == "signal-1");
  CHECK(item(p->plan, "check-1")["kind"] == "check");
  CHECK_THAT(text,
             Catch::Contains("api  : string              = http://127.0.0.1:8080  (default)"));
  CHECK_THAT(text,
             Catch::Contains("undo (runs if a later remediation step or a verify check fails):\n"
                             "      note \"Connections re-establish on their own; nothing to "
                             "undo.\""));
  CHECK_THAT(text,
             Catch::Contains("call rotate-logs with dir = \"/var/log/postgresql\", keep = 3"));
  CHECK_THAT(text,
             Catch::Contains("manual \"Post the 'Investigating' update on the status page.\""));
  CHECK_THAT(text, Catch::Contains("first: the undo blocks of the completed remediation steps, "
                                   "newest first: kill_idle"));
  CHECK_THAT(text, Catch::Contains("GATE: typed confirmation (marked destructive)\n"
                                   "          type: the value of env"));
  // A signal without an id: its capture is named by its title.
  CHECK_THAT(text, Catch::Contains("health=<output of signal \"API reports db_connected=false\">"));
}

TEST_CASE("plan details: missing parameters, sorted escalations, secrets from commands", "[plan]") {
  TempDir tmp;
  auto p = plan_text(tmp, R"(runbook t {
  title "T"
  severity low
  param who : string "Required"
  param n : int = 3
  secret TOKEN from `cat /nonexistent/token`
  secret KEY from env "API_KEY"
  remediate {
    step one "One" {
      run `echo "$who"` as first
      run `echo "$first"`
      undo { run `echo undo` as undone }
      on failure continue
    }
    step two when step.one.failed {
      run ```
        rm -rf /tmp/rbk-plan-test-never
        echo two
      ```
      notify oncall """
        Step two ran
        for ${who}
      """ when n > 2
    }
  }
  verify {
    check "Just once" { passes when n == 3 }
  }
  escalate {
    on success notify oncall "ok"
    after 1h page boss
    on failure page oncall
    after 5m page oncall
    after 30m notify lead "30"
    notify oncall "started"
  }
}
)",
                     {{"n", "7"}});
  const json& plan = p->plan;
  const std::string& text = p->text;

  CHECK_THAT(text, Catch::Contains("who : string = <required, not given>\n"));
  CHECK_THAT(text, Catch::Contains("n   : int    = 7\n"));
  CHECK(plan["missing_params"] == json::array({"who"}));
  CHECK(item(plan, "one")["statements"][0]["env"]["who"] == "<required, not given>");
  CHECK(item(plan, "one")["statements"][0]["env"]["n"] == "7");
  // A capture of an earlier statement of the same step reaches the next command.
  CHECK(item(plan, "one")["statements"][1]["env"]["first"] == "<output of step one>");
  CHECK(!item(plan, "one")["statements"][0]["env"].contains("first"));
  // An undo block's capture exists after the step (empty unless the undo ran).
  CHECK(item(plan, "two")["statements"][0]["env"]["undone"] == "<output of step one (undo)>");
  CHECK(item(plan, "one")["on_failure"] == "continue");
  CHECK_THAT(text, Catch::Contains("on failure: continue\n"));

  CHECK_THAT(text, Catch::Contains("TOKEN = ***  from command `cat /nonexistent/token` (not run "
                                   "by plan)"));
  CHECK_THAT(text, Catch::Contains("KEY   = ***  from env API_KEY"));
  CHECK(item(plan, "two")["statements"][0]["env"]["TOKEN"] == "***");

  // A destructive-looking command gates the step even without `destructive`.
  const json& gate = item(plan, "two")["gate"];
  CHECK(gate["kind"] == "confirm");
  CHECK(gate["destructive"] == true);
  CHECK_THAT(gate["reason"].get<std::string>(), Catch::Contains("rm -rf"));
  CHECK_THAT(text, Catch::Contains("    notify oncall \"\"\"\n"
                                   "      Step two ran\n"
                                   "      for ${who}\n"
                                   "      \"\"\" when n > 2"));

  CHECK_THAT(text, Catch::Contains("runs once\n    passes when n == 3"));

  std::vector<std::string> order;
  for (const auto& r : plan["sections"][7]["rules"])
    order.push_back(r["trigger"].get<std::string>() +
                    (r["after"].is_string() ? " " + r["after"].get<std::string>() : ""));
  CHECK(order == std::vector<std::string>{"start", "after 5m", "after 30m", "after 1h", "failure",
                                          "success"});
  CHECK_THAT(text, Catch::Contains("1. ALERT: none (the run starts at diagnosis)"));
}

// THE safety test: a plan never runs anything. Every place that would run a
// command (alert, diagnose, remediate, until, undo, verify, rollback, a
// template, a secret's command, rbk.yaml's page and notify commands) would
// create a file; both `rbk plan` and `rbk run --dry-run` must leave none.
TEST_CASE("plan and run --dry-run run nothing", "[plan]") {
  TempDir tmp;
  const std::string d = tmp.path.string();
  auto touch = [&](const std::string& what) { return "touch '" + d + "/made-" + what + "'"; };
  fs::create_directories(tmp.path / "mods");
  rbk::test::write_file(d + "/mods/m.rbk", "module m {\n  template t {\n    run `" +
                                               touch("template") + "`\n  }\n}\n");
  rbk::test::write_file(d + "/rbk.yaml",
                        "roles:\n  oncall: {name: \"On call\", contact: x}\n"
                        "notify:\n  page: \"" +
                            touch("page") + "\"\n  notify: \"" + touch("notify") + "\"\n");
  const std::string runbook =
      "import \"mods/m\"\n"
      "runbook trap {\n"
      "  secret S from `" +
      touch("secret") +
      "`\n"
      "  alert { signal a \"A\" { run `" +
      touch("alert") +
      "` } }\n"
      "  diagnose { step d { run `" +
      touch("diagnose") +
      "` as out } }\n"
      "  remediate {\n"
      "    step r {\n"
      "      page oncall \"paging\"\n"
      "      notify oncall \"notifying\"\n"
      "      run `" +
      touch("remediate") +
      "`\n"
      "      until `" +
      touch("until") +
      "` within 1s\n"
      "      use m.t\n"
      "      undo { run `" +
      touch("undo") +
      "` }\n"
      "    }\n"
      "  }\n"
      "  verify { check v \"V\" { run `" +
      touch("verify") +
      "` } }\n"
      "  rollback { step rb { run `" +
      touch("rollback") +
      "` } }\n"
      "  escalate {\n"
      "    page oncall \"start\"\n"
      "    after 1ms notify oncall \"soon\"\n"
      "    on failure page oncall\n"
      "    on success notify oncall\n"
      "  }\n"
      "}\n";
  const std::string file = d + "/trap.rbk";
  rbk::test::write_file(file, runbook);
  const std::vector<std::string> places = {"template", "secret", "alert",  "diagnose", "remediate",
                                           "until",    "undo",   "verify", "rollback"};

  auto made = [&] {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp.path))
      if (e.path().filename().string().rfind("made-", 0) == 0)
        out.push_back(e.path().filename().string());
    return out;
  };

  // The commands are real: run by a shell, each would leave its file.
  REQUIRE(std::system((touch("control") + " && rm '" + d + "/made-control'").c_str()) == 0);

  // rbk.yaml is looked up from the working directory: the source root, or the temp dir.
  for (const std::string& cmd : {std::string("plan"), std::string("run --dry-run")}) {
    for (const std::string& where : {std::string("source root"), std::string("runbook dir")}) {
      DYNAMIC_SECTION(cmd << " from the " << where) {
        rbk::test::Run r = where == "runbook dir" ? rbk::test::run_rbk_in(d, cmd + " trap.rbk")
                                                  : rbk::test::run_rbk(cmd + " '" + file + "'");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK_THAT(r.out, Catch::StartsWith("PLAN for runbook trap"));
        for (const auto& place : places) check_shown(r.out, touch(place));
        if (where == "runbook dir") CHECK_THAT(r.out, Catch::Contains("page oncall (On call)"));
        CHECK(made().empty());
      }
    }
  }
  rbk::test::Run json_run = rbk::test::run_rbk("plan '" + file + "' --format json");
  CHECK(json_run.exit_code == 0);
  CHECK(json::parse(json_run.out)["runbook"] == "trap");
  CHECK(made().empty());
}

TEST_CASE("the planner and renderers cope with missing inputs", "[plan]") {
  rbk::PlanInput none;
  const rbk::Plan empty = rbk::make_plan(none);
  CHECK(empty.empty());
  CHECK(rbk::plan_json(empty) == json::object());
  // An empty Plan renders a header and no section.
  const std::string empty_text = rbk::render_plan(empty);
  CHECK_THAT(empty_text, Catch::StartsWith("PLAN for runbook  (): nothing was run.\n"));
  CHECK_THAT(empty_text, Catch::Contains("Parameters: none\n"));
  CHECK(empty_text.find("1. ") == std::string::npos);
  const std::string empty_md = rbk::render_markdown(empty);
  CHECK_THAT(empty_md, Catch::StartsWith("#  (``)"));
  CHECK(empty_md.find("## ") == std::string::npos);

  // A Plan with most parts left at their defaults renders what it has.
  rbk::plan::Step step;
  step.id = "s";
  step.statements.push_back({.body = rbk::plan::Run{.command = "echo hi", .timeout = "1m"}});
  rbk::Plan partial;
  partial.runbook = "t";
  partial.sections.push_back({.section = rbk::plan::SectionName::Remediate,
                              .present = true,
                              .items = std::vector<rbk::plan::Item>{{step}}});
  CHECK_THAT(rbk::render_plan(partial),
             Catch::EndsWith("\n1. REMEDIATE: steps whose condition holds, in order; a failing "
                             "step applies its failure policy\n"
                             "  step s\n"
                             "    captures so far: none\n"
                             "    RBK_SECTION=remediate RBK_STEP=s\n"
                             "    run `echo hi`\n"
                             "        timeout 1m\n"));
  CHECK_THAT(rbk::render_markdown(partial),
             Catch::EndsWith("## 1. Remediate\n\n### `s`\n\n"
                             "- Runs (timeout 1m):\n\n  ```sh\n  echo hi\n  ```\n"));
  const json partial_json = rbk::plan_json(partial);
  CHECK(partial_json["plan"] == true);
  CHECK(partial_json["title"].is_null());  // OrNull: written as null
  const json& run = partial_json["sections"][0]["items"][0]["statements"][0];
  CHECK(run == json({{"kind", "run"},
                     {"command", "echo hi"},
                     {"timeout", "1m"},
                     {"timeout_default", false},
                     {"retry", nullptr},
                     {"retry_every", nullptr},
                     {"capture", nullptr},
                     {"env", json::object()}}));  // no from_use: an empty optional is left out
  CHECK(!partial_json["sections"][0].contains("rules"));

  // Only the runbook given: no imports, rbk's default config, no patterns.
  auto file = std::make_shared<rbk::SourceFile>(
      "t.rbk", "runbook t { remediate { step s { run `rm -rf /x` } } }\n");
  rbk::ParseResult r = rbk::parse(file);
  REQUIRE(r.document);
  rbk::PlanInput in;
  in.runbook = r.document->runbook();
  json plan = rbk::plan_json(rbk::make_plan(in));
  CHECK(item(plan, "s")["statements"][0]["timeout"] == "5m");
  CHECK(item(plan, "s")["gate"]["kind"] == "none");  // no patterns given
  CHECK_THAT(rbk::render_plan(rbk::make_plan(in)), Catch::Contains("run `rm -rf /x`"));

  // A known secret value is masked in every string, rbk's own words are not.
  in.secret_values = {"rm"};
  const rbk::Plan masked = rbk::make_plan(in);
  json masked_json = rbk::plan_json(masked);
  CHECK(item(masked_json, "s")["statements"][0]["command"] == "*** -rf /x");
  CHECK(item(masked_json, "s")["statements"][0]["kind"] == "run");
  CHECK_THAT(rbk::render_plan(masked), Catch::Contains("run `*** -rf /x`"));
  CHECK(rbk::render_markdown(masked).find("rm -rf") == std::string::npos);
}

TEST_CASE("plan and show of a caller list the gates and undo blocks a call brings", "[plan]") {
  const std::string root = rbk::test::source_dir();
  auto plan = rbk::test::run_detached(root, {"plan", "tests/call/fix-api.rbk"});
  INFO(plan.out << plan.err);
  REQUIRE(plan.code == 0);
  CHECK_THAT(plan.out, Catch::Contains("(runs tests/call/freeze.rbk in this run"));
  // Held to the caller's sev1: the callee's destructive gate is typed.
  CHECK_THAT(plan.out, Catch::Contains("GATE in it: freeze/on typed confirmation (destructive); "
                                       "without a terminal: --approve freeze/on"));
  CHECK_THAT(plan.out, Catch::Contains("undo if a later step fails, newest first: freeze/on"));
  // No rollback section, but undo blocks run all the same.
  CHECK_THAT(plan.out, Catch::Contains("6. ROLLBACK: no rollback section; the undo blocks of the "
                                       "completed remediation steps run, newest first: freeze/on"));
  auto json = rbk::test::run_detached(root, {"plan", "tests/call/fix-api.rbk", "--format", "json"});
  REQUIRE(json.code == 0);
  const auto doc = nlohmann::json::parse(json.out);
  const auto& call = doc["sections"][3]["items"][0]["statements"][0];
  CHECK(call["kind"] == "call");
  CHECK(call["gates"][0]["step"] == "freeze/on");
  CHECK(call["gates"][0]["kind"] == "typed");
  CHECK(call["undo"] == nlohmann::json::array({"freeze/on"}));
  auto show = rbk::test::run_detached(root, {"show", "tests/call/fix-api.rbk"});
  REQUIRE(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("`freeze/on` Turn the freeze on: typed confirmation"));
  CHECK_THAT(show.out,
             Catch::Contains("**Undo** if a later step fails, newest first: `freeze/on`"));
}
