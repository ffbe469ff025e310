// What `rbk plan` and `rbk show` say of a step `on` targets: its hosts (a
// parameter's value resolved through rbk.yaml, narrowed by --target), or why
// they are known only at run time, and its batches and thresholds as the
// engine computes them (runtime/fanout). One row per case: the `on` line,
// the -p value and --target names, and the two lines the plan shows.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grammar/parse.hpp"
#include "interpreter/plan/plan.hpp"
#include "interpreter/plan/plan_json.hpp"
#include "interpreter/plan/show.hpp"
#include "interpreter/runtime/fanout.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/sema/check.hpp"

namespace {

using nlohmann::json;

/// web-1 … web-5 in group `web`, db-1, and `all` (web and db-1).
rbk::Config fleet_config() {
  rbk::Config c;
  for (const char* id : {"web-1", "web-2", "web-3", "web-4", "web-5", "db-1"}) {
    rbk::Host h;
    h.id = id;
    h.address = std::string(id) + ".internal";
    c.targets.add_host(std::move(h));
  }
  c.targets.groups["web"] = {"web-1", "web-2", "web-3", "web-4", "web-5"};
  c.targets.groups["all"] = {"web-1", "web-2", "web-3", "web-4", "web-5", "db-1"};
  return c;
}

/// A runbook whose step `s` runs `on_line` (`first` makes a per-target
/// capture for the lines that run on its sets).
std::string runbook_with(const std::string& on_line) {
  return "runbook t {\n"
         "  param hosts : targets = \"web\"\n"
         "  param need : targets\n"
         "  remediate {\n"
         "    step first \"First\" {\n"
         "      on hosts\n"
         "      run `a` as first\n"
         "    }\n"
         "    step s \"S\" {\n"
         "      " +
         on_line +
         "\n"
         "      destructive\n"
         "      run `b`\n"
         "      undo {\n"
         "        run `c`\n"
         "      }\n"
         "    }\n"
         "  }\n"
         "}\n";
}

struct Planned {
  rbk::ParseResult parsed;
  rbk::BoundParams params;
  rbk::Config config = fleet_config();
  rbk::Plan plan;
};

std::unique_ptr<Planned> plan_of(const std::string& on_line, const std::string& hosts,
                                 const std::vector<std::string>& only) {
  auto p = std::make_unique<Planned>();
  p->parsed = rbk::parse(std::make_shared<rbk::SourceFile>("t.rbk", runbook_with(on_line)));
  REQUIRE(p->parsed.document);
  REQUIRE(!rbk::has_errors(rbk::check(*p->parsed.document, nullptr)));
  std::vector<rbk::ParamArg> args;
  if (!hosts.empty()) args.push_back({"hosts", hosts});
  p->params = rbk::bind_params(*p->parsed.document->runbook(), args);
  REQUIRE(p->params.errors.empty());
  rbk::PlanInput in;
  in.runbook = p->parsed.document->runbook();
  in.params = &p->params;
  in.config = &p->config;
  in.only_targets = only;
  p->plan = rbk::make_plan(in);
  return p;
}

/// The lines of step `s` in the plan's text between its title and its gate.
std::string on_lines(const std::string& text) {
  const std::string head = "  step s \"S\"\n";
  const size_t from = text.find(head);
  REQUIRE(from != std::string::npos);
  const size_t begin = from + head.size();
  return text.substr(begin, text.find("    GATE", begin) - begin);
}

/// Step `s` of the plan's JSON.
json step_s(const json& plan) {
  for (const auto& item : plan["sections"][3]["items"])
    if (item["id"] == "s") return item;
  FAIL("no step s");
  return {};
}

}  // namespace

TEST_CASE("plan shows the hosts, batches and thresholds of a step on targets", "[plan]") {
  struct Row {
    std::string on, hosts;          // the `on` line; -p hosts=… ("": its default, "web")
    std::vector<std::string> only;  // --target
    std::string lines;              // what the plan shows under the step's title
  };
  const std::vector<Row> rows = {
      {"on hosts",
       "",
       {},
       "    on hosts (web): web-1, web-2, web-3, web-4, web-5 (5 targets)\n"
       "      1 batch of 5, max_fail 0 (default), parallel 5 (default)\n"},
      {"on hosts serial 2 max_fail 1 parallel 2",
       "",
       {},
       "    on hosts (web): web-1, web-2, web-3, web-4, web-5 (5 targets)\n"
       "      3 batches of 2, max_fail 1, parallel 2\n"},
      // Percentages: a batch rounds up (40% of 5: 2), a threshold down (25% of 5: 1).
      {"on hosts serial 40% max_fail 25%",
       "",
       {},
       "    on hosts (web): web-1, web-2, web-3, web-4, web-5 (5 targets)\n"
       "      3 batches of 2 (serial 40%), max_fail 25% (1 target), parallel 2 (default)\n"},
      {"on hosts serial 10% max_fail 10%",
       "",
       {},
       "    on hosts (web): web-1, web-2, web-3, web-4, web-5 (5 targets)\n"
       "      5 batches of 1 (serial 10%), max_fail 10% (0 targets), parallel 1 (default)\n"},
      // A batch holds at most the step's hosts.
      {"on hosts serial 30 parallel 50",
       "",
       {},
       "    on hosts (web): web-1, web-2, web-3, web-4, web-5 (5 targets)\n"
       "      1 batch of 5, max_fail 0 (default), parallel 50\n"},
      // Groups flattened, each host once, in the order named.
      {"on hosts serial 3",
       "web-2,all",
       {},
       "    on hosts (web-2, all): web-2, web-1, web-3, web-4, web-5, db-1 (6 targets)\n"
       "      2 batches of 3, max_fail 0 (default), parallel 3 (default)\n"},
      {"on hosts",
       "db-1",
       {},
       // One line when it fits.
       "    on hosts: db-1 (1 target) — 1 batch of 1, max_fail 0 (default), parallel 1 "
       "(default)\n"},
      {"on hosts serial 2",
       "",
       {"web-2", "db-1", "web-4"},
       "    on hosts (web; narrowed by --target): web-2, web-4 (2 targets)\n"
       "      1 batch of 2, max_fail 0 (default), parallel 2 (default)\n"},
      {"on hosts serial 2",
       "",
       {"db-1"},
       "    on hosts (web; narrowed by --target): no targets left after --target: the step is "
       "skipped\n"},
      {"on hosts",
       "web-9",
       {},
       "    on hosts (web-9): unknown host or group 'web-9'; did you mean 'web-1'?\n"
       "      one batch of all its hosts, max_fail 0 (default), parallel up to 20 (default)\n"},
      {"on need serial 2",
       "",
       {},
       "    on need: the parameter need is required and not given\n"
       "      batches of 2, max_fail 0 (default), parallel 2 (default)\n"},
      // A capture's set is known only at run time.
      {"on first.failed_targets",
       "",
       {},
       "    on first.failed_targets: known at run time: the hosts where first failed\n"
       "      one batch of all its hosts, max_fail 0 (default), parallel up to 20 (default)\n"},
      {"on first.ok_targets serial 2 max_fail 1",
       "",
       {},
       "    on first.ok_targets: known at run time: the hosts where first succeeded\n"
       "      batches of 2, max_fail 1, parallel 2 (default)\n"},
      {"on first.targets serial 25% max_fail 50% parallel 3",
       "",
       {"web-1"},
       "    on first.targets (narrowed by --target): known at run time: the hosts first ran on\n"
       "      batches of 25% of its hosts, max_fail 50% of its hosts, parallel 3\n"},
  };
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.on << " -p hosts=" << row.hosts << " --target " << row.only.size()) {
      auto p = plan_of(row.on, row.hosts, row.only);
      CHECK(on_lines(rbk::render_plan(p->plan)) == row.lines);
    }
  }
}

TEST_CASE("plan JSON and show of a step on targets", "[plan]") {
  auto p = plan_of("on hosts serial 40% max_fail 25%", "", {"web"});
  const json s = step_s(rbk::plan_json(p->plan));
  CHECK(s["on"] == json({{"targets", "hosts"},
                         {"source", "param"},
                         {"names", {"web"}},
                         {"hosts", {"web-1", "web-2", "web-3", "web-4", "web-5"}},
                         {"unknown", nullptr},
                         {"narrowed", false},
                         {"skipped", nullptr},
                         {"serial", "40%"},
                         {"per_batch", 2},
                         {"batches", 3},
                         {"max_fail", "25%"},
                         {"max_fail_count", 1},
                         {"parallel", nullptr},
                         {"parallel_count", 2}}));
  CHECK(s["statements"][1]["kind"] == "undo");
  CHECK(s["statements"][1]["only_where_ran"] == true);
  const json plan = rbk::plan_json(p->plan);
  CHECK(plan["only_targets"] == json({"web"}));
  // A step on rbk's machine has no hosts, and its undo runs there.
  auto local = plan_of("evidence", "", {});
  const json l = step_s(rbk::plan_json(local->plan));
  CHECK(l["on"].is_null());
  CHECK(l["statements"][1]["only_where_ran"] == false);

  // The text: the gate is asked per batch, the undo only where the step ran.
  const std::string text = rbk::render_plan(p->plan);
  CHECK_THAT(text, Catch::Contains("      asked before each batch; --approve "
                                   "s@HOST approves one host\n"));
  CHECK_THAT(text, Catch::Contains("    undo (runs if a later remediation step or a verify "
                                   "check fails):\n"
                                   "      only on the hosts where the step ran, one at a time, "
                                   "newest first\n"));
  CHECK_THAT(text, Catch::Contains("  --target web: every step on targets runs only on these "
                                   "hosts and groups\n"));
  // The Markdown says the same.
  const std::string md = rbk::render_markdown(p->plan);
  CHECK_THAT(md, Catch::Contains(
                     "**Runs on** `hosts` (`web`): `web-1`, `web-2`, `web-3`, `web-4`, `web-5` "
                     "(5 targets) — 3 batches of 2 (serial 40%), max_fail 25% (1 target), "
                     "parallel 2 (default). Asks before each batch, naming its hosts; `rbk run … "
                     "--approve s@HOST` approves one host.\n"));
  CHECK_THAT(md, Catch::Contains("- **Undo** (runs if a later step fails, only on the hosts where "
                                 "this step ran, one at a time, newest first):\n"));
}

TEST_CASE("batches as the engine runs them, with and without the number of hosts", "[plan]") {
  struct Row {
    std::string on;
    std::optional<size_t> total;
    std::optional<size_t> per_batch, batches, max_fail, parallel;
  };
  using N = std::optional<size_t>;
  const N none;
  const std::vector<Row> rows = {
      {"on hosts", 5, 5, 1, 0, 5},
      {"on hosts", 45, 45, 1, 0, 20},  // at most 20 at once unless it says
      {"on hosts", none, none, 1, 0, none},
      {"on hosts serial 2", 5, 2, 3, 0, 2},
      {"on hosts serial 2", none, 2, none, 0, 2},
      {"on hosts serial 25%", 3, 1, 3, 0, 1},  // 25% of 3 rounds up to 1
      {"on hosts serial 1%", 250, 3, 84, 0, 3},
      {"on hosts serial 25%", none, none, none, 0, none},
      {"on hosts max_fail 10%", 5, 5, 1, 0, 5},  // 10% of 5 rounds down to 0
      {"on hosts max_fail 10%", 19, 19, 1, 1, 19},
      {"on hosts max_fail 10%", none, none, 1, none, none},
      {"on hosts max_fail 3 parallel 4", none, none, 1, 3, 4},
      {"on hosts serial 3 parallel 8", 10, 3, 4, 0, 3},  // no more at once than a batch holds
      {"on hosts serial 100%", 7, 7, 1, 0, 7},
  };
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.on << " over " << (row.total ? std::to_string(*row.total) : "?")) {
      auto p = std::make_unique<Planned>();
      p->parsed = rbk::parse(std::make_shared<rbk::SourceFile>("t.rbk", runbook_with(row.on)));
      REQUIRE(p->parsed.document);
      const rbk::ast::On* on = nullptr;
      for (const auto& item : p->parsed.document->runbook()->items)
        if (const auto* sec = std::get_if<rbk::ast::Section>(&item))
          for (const auto& si : sec->items)
            if (const auto* st = std::get_if<rbk::ast::Step>(&si); st && st->id.name == "s")
              for (const auto& s : st->body.items)
                if (const auto* o = std::get_if<rbk::ast::On>(&s)) on = o;
      REQUIRE(on);
      const rbk::Batching b = rbk::batching(*on, row.total);
      CHECK(b.per_batch == row.per_batch);
      CHECK(b.batches == row.batches);
      CHECK(b.max_fail == row.max_fail);
      CHECK(b.parallel == row.parallel);
    }
  }
}
