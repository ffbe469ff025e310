#include "interpreter/sema/expand.hpp"

namespace rbk {

Imports resolve_imports(const ast::Document& doc, ModuleLoader& loader,
                        std::vector<std::string>& errors) {
  Imports out;
  const std::string from = doc.source ? doc.source->path() : std::string();
  for (const auto& item : doc.items) {
    const auto* imp = std::get_if<ast::Import>(&item);
    if (!imp) continue;
    auto m = loader.load(imp->path.plain(), from);
    if (!m) {
      errors.push_back(imp->span.where() + ": import \"" + imp->path.plain() + "\": " + m.error());
      continue;
    }
    out[imp->alias ? imp->alias->name : (*m)->name.name] = *m;
  }
  return out;
}

const ast::Template* find_template(const ast::Use& use, const Imports& imports) {
  auto m = imports.find(use.module.name);
  if (m == imports.end()) return nullptr;
  for (const auto& item : m->second->items)
    if (const auto* t = std::get_if<ast::Template>(&item); t && t->id.name == use.name.name)
      return t;
  return nullptr;
}

std::vector<StepStatement> expand_body(const ast::Body& body, const Imports& imports) {
  std::vector<StepStatement> out;
  for (const auto& s : body.items) {
    if (std::holds_alternative<ast::Comment>(s)) continue;
    if (const auto* use = std::get_if<ast::Use>(&s)) {
      const ast::Template* t = find_template(*use, imports);
      if (!t) continue;
      for (const auto& ts : t->body.items) {
        if (std::holds_alternative<ast::Comment>(ts)) continue;
        out.push_back({&ts, use, t});
      }
      continue;
    }
    out.push_back({&s, nullptr, nullptr});
  }
  return out;
}

}  // namespace rbk
