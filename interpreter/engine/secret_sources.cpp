#include "interpreter/engine/secret_sources.hpp"

#include <functional>
#include <set>

#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

std::vector<std::string> secret_sources(const ast::Document& top, ModuleLoader& modules,
                                        const RunbookFinder& find_runbook) {
  std::vector<std::string> names;
  std::set<std::string> visited;
  std::function<void(const ast::Document&)> walk_doc = [&](const ast::Document& doc) {
    const ast::Runbook* rb = doc.runbook();
    if (!rb || !visited.insert(rb->name.name).second) return;
    for (const auto& item : rb->items)
      if (const auto* s = std::get_if<ast::Secret>(&item); s && s->source == ast::SecretSource::Env)
        names.push_back(ast::secret_env_var(*s));
    if (!find_runbook) return;
    std::vector<std::string> ignored;  // a missing module is reported when the runbook runs
    Imports imports = resolve_imports(doc, modules, ignored);
    std::function<void(const ast::Body&)> walk_body = [&](const ast::Body& body) {
      for (const auto& s : expand_body(body, imports)) {
        if (const auto* c = std::get_if<ast::Call>(s.stmt)) {
          // A runbook not found fails its `call` step later.
          if (auto callee = find_runbook(c->runbook.name)) walk_doc(**callee);
        }
        if (const auto* u = std::get_if<ast::Undo>(s.stmt); u && u->body) walk_body(*u->body);
      }
    };
    for (const auto& item : rb->items) {
      const auto* sec = std::get_if<ast::Section>(&item);
      if (!sec) continue;
      for (const auto& si : sec->items) {
        if (const auto* st = std::get_if<ast::Step>(&si)) walk_body(st->body);
        if (const auto* sg = std::get_if<ast::Signal>(&si)) walk_body(sg->body);
        if (const auto* ck = std::get_if<ast::Check>(&si)) walk_body(ck->body);
      }
    }
  };
  walk_doc(top);
  return names;
}

}  // namespace rbk::engine
