#include "engine_fakes.hpp"

#include <catch2/catch.hpp>

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
  auto name = [](auto e) { return std::string(name_of(e)); };
  for (const auto& seen : events) {
    const Event& e = seen.typed;
    if (const auto* step = e.as<ev::StepEnd>())
      out.push_back("step " + step->step + " " + name(step->status));
    else if (const auto* cmd = e.as<ev::CommandStart>())
      out.push_back("run " + cmd->command.value);
    else if (const auto* sig = e.as<ev::Signal>())
      out.push_back("signal " + sig->id + (sig->firing ? " firing" : " quiet"));
    else if (const auto* cause = e.as<ev::Cause>())
      out.push_back("cause " + cause->id + (cause->matched ? " matched" : " no"));
    else if (const auto* gate = e.as<ev::Gate>())
      out.push_back("gate " + gate->step + " " + name(gate->kind));
    else if (const auto* ans = e.as<ev::Answer>())
      out.push_back("answer " + ans->step + (ans->passed ? " passed" : " refused"));
    else if (const auto* esc = e.as<ev::Escalation>())
      out.push_back("escalation " + name(esc->trigger) + " " + name(esc->kind) + " " + esc->role +
                    " at " + format_duration(e.elapsed_ms));
    else if (e.as<ev::Rollback>())
      out.push_back("rollback");
    else if (const auto* end = e.as<ev::RunEnd>())
      out.push_back("end " + name(end->outcome));
    else if (const auto* note = e.as<ev::Note>())
      out.push_back("note " + note->text.value);
    else if (const auto* manual = e.as<ev::Manual>())
      out.push_back("manual " + manual->step + " " +
                    (manual->answer.value ? name(*manual->answer.value) : "-"));
    else if (e.as<ev::NotFiring>())
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
  patterns = DestructivePatterns::load_shipped(perr);
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

void require_valid(const Harness& h) {
  std::string all;
  for (const auto& d : h.diagnostics) all += render(d) + "\n";
  INFO(all);
  REQUIRE(h.diagnostics.empty());
}

}  // namespace rbk::test
