#include "interpreter/plan/plan_source.hpp"

#include <algorithm>

namespace rbk::plan {

std::string written(const ast::StringLit& s) {
  if (!s.text_block) {
    std::string_view t = s.span.text();
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    return std::string(t);
  }
  std::string out;
  for (const auto& part : s.parts) {
    if (part.expr) {
      out += "${" + std::string(part.expr->span.text()) + "}";
      continue;
    }
    // A literal "${" was written "$${"; keep it distinguishable.
    for (size_t i = 0; i < part.text.size(); ++i) {
      if (part.text[i] == '$' && i + 1 < part.text.size() && part.text[i + 1] == '{') out += '$';
      out += part.text[i];
    }
  }
  return out;
}

OrNull<std::string> text_or_null(const ast::ExprPtr& e) {
  if (!e) return {};
  return {std::string(e->span.text())};
}

OrNull<std::string> text_or_null(const std::optional<ast::StringLit>& s) {
  if (!s) return {};
  return {written(*s)};
}

OrNull<std::string> text_or_null(const std::optional<ast::Duration>& d) {
  if (!d) return {};
  return {d->text};
}

std::string arg_value(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::String:
      if (!e.string.has_interpolation()) return e.string.plain();
      break;
    case ast::ExprKind::Number:
    case ast::ExprKind::Duration:
      return e.text.empty() ? std::string(e.span.text()) : e.text;
    case ast::ExprKind::Bool:
      return e.boolean ? "true" : "false";
    default:
      break;
  }
  return "<value of " + std::string(e.span.text()) + ">";
}

void causes_in(const ast::Expr* e, std::vector<std::string>& out) {
  if (!e) return;
  if (e->kind == ast::ExprKind::Member && !e->items.empty() && e->items[0] &&
      e->items[0]->kind == ast::ExprKind::Name && e->items[0]->name == "cause") {
    if (std::find(out.begin(), out.end(), e->name) == out.end()) out.push_back(e->name);
    return;
  }
  for (const auto& i : e->items) causes_in(i.get(), out);
  if (e->kind == ast::ExprKind::String)
    for (const auto& p : e->string.parts) causes_in(p.expr.get(), out);
}

}  // namespace rbk::plan
