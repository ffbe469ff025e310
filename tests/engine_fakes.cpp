#include "engine_fakes.hpp"

#include "interpreter/base/json_fields.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/value.hpp"
#include "test_support.hpp"

namespace rbk::test {

MemorySink::~MemorySink() {
  if (!collecting_records()) return;
  std::string lines;
  for (const auto& e : events) lines += event_line(e.typed);
  collect_record(lines, "an engine test's events");
}

std::vector<std::string> MemorySink::trace() const {
  std::vector<std::string> out;
  for (const auto& e : events) {
    const auto& d = e.data;
    auto s = [&](const char* k) { return json_fields::str(d, k); };
    if (e.type == "step_end")
      out.push_back("step " + s("step") + " " + s("status"));
    else if (e.type == "command_start")
      out.push_back("run " + s("command"));
    else if (e.type == "signal")
      out.push_back(std::string("signal ") + s("id") +
                    (d.value("firing", false) ? " firing" : " quiet"));
    else if (e.type == "cause")
      out.push_back(std::string("cause ") + s("id") +
                    (d.value("matched", false) ? " matched" : " no"));
    else if (e.type == "gate")
      out.push_back("gate " + s("step") + " " + s("kind"));
    else if (e.type == "answer")
      out.push_back("answer " + s("step") + (d.value("passed", false) ? " passed" : " refused"));
    else if (e.type == "escalation")
      out.push_back("escalation " + s("trigger") + " " + s("kind") + " " + s("role") + " at " +
                    format_duration(e.elapsed_ms));
    else if (e.type == "rollback")
      out.push_back("rollback");
    else if (e.type == "run_end")
      out.push_back("end " + s("outcome"));
    else if (e.type == "note")
      out.push_back("note " + s("text"));
    else if (e.type == "manual")
      out.push_back(
          "manual " + s("step") + " " +
          (d.contains("answer") && d["answer"].is_string() ? d["answer"].get<std::string>() : "-"));
    else if (e.type == "not_firing")
      out.push_back("not firing");
  }
  return out;
}

Harness::Harness(const std::string& text, Config cfg) : config(std::move(cfg)) {
  parsed = parse(std::make_shared<SourceFile>("test.rbk", text));
  diagnostics = parsed.diagnostics;
  if (parsed.document) {
    Diagnostics more = check(*parsed.document, &modules);
    diagnostics.insert(diagnostics.end(), more.begin(), more.end());
  }
  Diagnostics perr;
  patterns = DestructivePatterns::load(DestructivePatterns::default_path(), perr);
  diagnostics.insert(diagnostics.end(), perr.begin(), perr.end());
  ctx.runner = &runner;
  ctx.op = &op;
  ctx.clock = &clock;
  ctx.sinks = {&sink};
  ctx.cancel = &cancel;
  ctx.config = &config;
  ctx.patterns = &patterns;
  ctx.modules = &modules;
  ctx.run_id = "test-run";
  ctx.record_dir = "/nonexistent/record";
  ctx.find_runbook =
      [this](const std::string& name) -> Expected<const ast::Document*, std::string> {
    auto it = others.find(name);
    if (it == others.end()) return fail("no runbook '" + name + "'");
    return it->second->document.get();
  };
}

void Harness::add_runbook(const std::string& name, const std::string& text) {
  others[name] =
      std::make_unique<ParseResult>(parse(std::make_shared<SourceFile>(name + ".rbk", text)));
}

RunResult Harness::run(std::map<std::string, Value> params) {
  RunRequest req;
  req.doc = parsed.document.get();
  req.file = "test.rbk";
  // Defaults for what the test did not set, as the CLI does.
  if (req.doc && req.doc->runbook())
    for (const auto* p : declared_params(*req.doc->runbook()))
      if (!params.count(p->name.name) && p->default_value) params[p->name.name] = default_value(*p);
  req.params = std::move(params);
  return run_runbook(ctx, req);
}

}  // namespace rbk::test
