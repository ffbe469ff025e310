// The check pass. It walks the runbook in execution order (alert, diagnose,
// causes, remediate, verify, rollback, escalate — whatever order the file
// lists them in), so "used before it is defined" means what it will mean at
// run time. It executes nothing. The Checker is declared in checker.hpp and
// defined here (entry, imports, names, modules) and in check_*.cpp.
#include "interpreter/sema/check.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <re2/re2.h>

#include "grammar/keywords.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/base/suggest.hpp"
#include "interpreter/project/destructive.hpp"

#include "interpreter/sema/checker.hpp"

namespace rbk::check_detail {

Diagnostics Checker::run() {
  check_imports();
  if (const Runbook* r = doc_.runbook()) check_runbook(*r);
  if (const Module* m = doc_.module()) check_module(*m);
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.span.begin < b.span.begin;
  });
  return std::move(diags_);
}

bool comparing_ = false;  // checking an operand of ==, != or in (for a "quote it" hint)

void Checker::error(const Span& s, std::string msg, std::string help) {
  if (!message_uses_.empty()) {
    const auto& [m, use] = message_uses_.front();
    if (!message_errors_.insert(s.where() + msg).second) return;
    help = (help.empty() ? "" : help + "; ") + "message '" + m->name.name + "' is used at " +
           use.where();
  }
  diags_.push_back(error_at(s, std::move(msg), std::move(help)));
}

bool Checker::check_word(const Ident& id, const std::string& what, const char* example) {
  if (is_lower_word(id.name)) return true;
  error(id.span, "invalid " + what + " name '" + id.name + "'",
        what + " names are lower-case words joined by '-', e.g. " + example);
  return false;
}

void Checker::check_imports() {
  std::map<std::string, const Import*> seen;
  for (const auto& item : doc_.items) {
    const auto* imp = std::get_if<Import>(&item);
    if (!imp) continue;
    if (imp->path.has_interpolation()) {
      error(imp->path.span, "an import path cannot use ${…}", "write the path as plain text");
      continue;
    }
    // The name `use` refers to: the alias, else the module's own declared
    // name, else (when it cannot be loaded) the file's base name.
    std::string name = imp->module_name();
    const Module* m = nullptr;
    std::string why;
    if (loader_) {
      auto loaded = loader_->load(imp->path.plain(), doc_.source->path());
      if (loaded)
        m = *loaded;
      else
        why = loaded.error();
      if (m && !imp->alias) name = m->name.name;
    }
    if (auto it = seen.find(name); it != seen.end()) {
      error(imp->span,
            "module name '" + name + "' is already imported at " + it->second->span.where(),
            "give one of them another name with 'as'");
      continue;
    }
    seen[name] = imp;
    if (name.find('-') != std::string::npos && (m || !loader_)) {
      error(imp->span, "module '" + name + "' cannot be named in 'use' (it contains '-')",
            "import it under another name: import \"" + imp->path.plain() + "\" as " +
                std::string(1, name[0]) + name.substr(1, name.find('-') - 1));
    }
    if (!loader_) continue;
    if (!m) {
      error(imp->path.span, "cannot import \"" + imp->path.plain() + "\": " + why);
      modules_[name] = nullptr;
    } else {
      modules_[name] = m;
    }
  }
}

void Checker::check_env_name(const Ident& id, const char* what) {
  const std::string& n = id.name;
  if (grammar::keywords::contains(grammar::keywords::reserved_in_expressions(), n)) {
    error(id.span, "'" + n + "' is a reserved word and cannot be a " + what + " name",
          "it could never be used in a condition; choose another name");
  } else if (n.rfind("RBK_", 0) == 0) {
    error(id.span, std::string(what) + " name '" + n + "' is reserved",
          "names starting with RBK_ are set by rbk for every command");
  } else if (protected_env().count(n)) {
    error(id.span,
          std::string(what) + " '" + n + "' would replace the environment variable " + n +
              " for every command",
          "choose another name");
  } else if (std::find(builtins().begin(), builtins().end(), n) != builtins().end() ||
             n == "cause" || n == "step") {
    error(id.span, std::string("'") + n + "' is a built-in name and cannot be a " + what,
          "choose another name");
  }
}

bool Checker::clashes(const Ident& id, const char* what) {
  auto where = [&]() -> std::optional<std::pair<std::string, Span>> {
    if (auto p = params_.find(id.name); p != params_.end())
      return std::make_pair(std::string("parameter"), p->second->name.span);
    if (auto s = secrets_.find(id.name); s != secrets_.end())
      return std::make_pair(std::string("secret"), s->second->name.span);
    if (auto m = messages_.find(id.name); m != messages_.end())
      return std::make_pair(std::string("message"), m->second->name.span);
    return std::nullopt;
  }();
  if (!where) return false;
  if (where->first == what) {
    error(id.span, "duplicate " + std::string(what) + " '" + id.name + "' (first defined at " +
                       where->second.where() + ")");
  } else {
    error(id.span,
          std::string(what) + " '" + id.name + "' has the same name as the " + where->first +
              " defined at " + where->second.where(),
          "both would be the environment variable $" + id.name + "; rename one");
  }
  return true;
}

void Checker::check_module(const Module& m) {
  check_word(m.name, "module", "postgres");
  std::map<std::string, Span> seen;
  for (const auto& item : m.items) {
    const auto* t = std::get_if<Template>(&item);
    if (!t) continue;
    if (auto it = seen.find(t->id.name); it != seen.end()) {
      error(t->id.span, "duplicate template '" + t->id.name + "' (first defined at " +
                            it->second.where() + ")");
    }
    seen.emplace(t->id.name, t->id.span);
    // Each template is its own scope: its parameters and its captures.
    params_.clear();
    secrets_.clear();
    captures_.clear();
    steps_.clear();
    section_.reset();
    for (const auto& p : t->params) declare_param(p);
    if (t->title) check_string(*t->title);
    declare_captures(t->body, t->id.name);
    check_body(t->body, Holder::Template, std::nullopt);
  }
}

}  // namespace rbk::check_detail

namespace rbk {

Diagnostics check(const ast::Document& doc, ModuleLoader* loader) {
  return check_detail::Checker(doc, loader).run();
}

const std::vector<std::string>& builtin_names() {
  return check_detail::builtins();
}

const std::vector<std::string>& step_state_fields() {
  return check_detail::step_fields();
}

}  // namespace rbk
