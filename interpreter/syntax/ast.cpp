#include "interpreter/syntax/ast.hpp"

#include <functional>

#include <algorithm>

namespace rbk::ast {

Span Shell::span_of(size_t offset, size_t len) const {
  const SourceFile* file = span.file;
  if (!file || offset + len > text.size()) return span;
  // A range over several lines is shown on its first (a caret has one line).
  if (size_t eol = text.find('\n', offset); eol != std::string::npos && eol < offset + len)
    len = eol - offset;
  uint32_t begin = 0;
  if (!fenced) {
    begin = span.begin + 1 + static_cast<uint32_t>(offset);
  } else {
    size_t line_idx = static_cast<size_t>(
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    size_t line_begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_begin = (line_begin == std::string::npos || offset == 0) ? 0 : line_begin + 1;
    uint32_t line = first_line + static_cast<uint32_t>(line_idx);
    if (line == 0 || line > file->line_count()) return span;
    begin = file->line_start(line) + indent + static_cast<uint32_t>(offset - line_begin);
  }
  uint32_t end = begin + static_cast<uint32_t>(len);
  if (end > file->text().size() || end > span.end ||
      file->text().compare(begin, len, text, offset, len) != 0)
    return span;
  return Span::of(*file, begin, end);
}

std::string StringLit::plain() const {
  std::string out;
  for (const auto& p : parts)
    if (!p.expr) out += p.text;
  return out;
}

bool StringLit::has_interpolation() const {
  for (const auto& p : parts)
    if (p.expr) return true;
  return false;
}

const char* op_text(BinOp op) {
  switch (op) {
    case BinOp::Or:
      return "or";
    case BinOp::And:
      return "and";
    case BinOp::Eq:
      return "==";
    case BinOp::Ne:
      return "!=";
    case BinOp::Lt:
      return "<";
    case BinOp::Le:
      return "<=";
    case BinOp::Gt:
      return ">";
    case BinOp::Ge:
      return ">=";
    case BinOp::Contains:
      return "contains";
    case BinOp::In:
      return "in";
    case BinOp::NotIn:
      return "not in";
    case BinOp::Matches:
      return "matches";
  }
  return "?";
}

const char* kind_name(ExprKind k) {
  switch (k) {
    case ExprKind::String:
      return "string";
    case ExprKind::Number:
      return "number";
    case ExprKind::Bool:
      return "bool";
    case ExprKind::Duration:
      return "duration";
    case ExprKind::List:
      return "list";
    case ExprKind::Name:
      return "name";
    case ExprKind::Member:
      return "member";
    case ExprKind::Index:
      return "index";
    case ExprKind::Not:
      return "not";
    case ExprKind::Binary:
      return "binary";
  }
  return "?";
}

const std::vector<std::string>& capture_field_names() {
  static const std::vector<std::string> names{"stdout",    "stderr",   "exit",  "ok",
                                              "timed_out", "duration", "lines", "json"};
  return names;
}

std::optional<CaptureField> capture_field(std::string_view name) {
  const auto& names = capture_field_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<CaptureField>(i);
  return std::nullopt;
}

const char* policy_name(FailurePolicy p) {
  switch (p) {
    case FailurePolicy::Continue:
      return "continue";
    case FailurePolicy::Rollback:
      return "rollback";
    case FailurePolicy::Abort:
      return "abort";
  }
  return "rollback";
}

const char* trigger_name(Trigger t) {
  switch (t) {
    case Trigger::Start:
      return "start";
    case Trigger::After:
      return "after";
    case Trigger::OnFailure:
      return "failure";
    case Trigger::OnSuccess:
      return "success";
    case Trigger::OnInterrupted:
      return "interrupted";
    case Trigger::Every:
      return "every";
  }
  return "start";
}

const char* section_name(SectionKind k) {
  switch (k) {
    case SectionKind::Alert:
      return "alert";
    case SectionKind::Diagnose:
      return "diagnose";
    case SectionKind::Causes:
      return "causes";
    case SectionKind::Remediate:
      return "remediate";
    case SectionKind::Verify:
      return "verify";
    case SectionKind::Rollback:
      return "rollback";
    case SectionKind::Finally:
      return "finally";
    case SectionKind::Escalate:
      return "escalate";
  }
  return "?";
}

const char* meta_name(MetaKind k) {
  switch (k) {
    case MetaKind::Title:
      return "title";
    case MetaKind::Severity:
      return "severity";
    case MetaKind::Owner:
      return "owner";
    case MetaKind::Tags:
      return "tags";
    case MetaKind::Summary:
      return "summary";
  }
  return "?";
}

const char* type_name(TypeKind k) {
  switch (k) {
    case TypeKind::String:
      return "string";
    case TypeKind::Int:
      return "int";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::Duration:
      return "duration";
    case TypeKind::Enum:
      return "enum";
    case TypeKind::List:
      return "list";
    case TypeKind::Targets:
      return "targets";
  }
  return "?";
}

std::string Import::module_name() const {
  if (alias) return alias->name;
  std::string p = path.plain();
  size_t slash = p.find_last_of('/');
  std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".rbk") == 0)
    base.resize(base.size() - 4);
  return base;
}

const Runbook* Document::runbook() const {
  for (const auto& i : items)
    if (auto* r = std::get_if<Runbook>(&i)) return r;
  return nullptr;
}

const Module* Document::module() const {
  for (const auto& i : items)
    if (auto* m = std::get_if<Module>(&i)) return m;
  return nullptr;
}

std::string item_id(const std::optional<Ident>& id, const char* kind, size_t n) {
  return id ? id->name : std::string(kind) + "-" + std::to_string(n);
}

std::string type_text(const Type& t) {
  std::string out = type_name(t.kind);
  if (t.kind == TypeKind::Enum) {
    out += "(";
    for (size_t i = 0; i < t.values.size(); ++i) out += (i ? ", " : "") + t.values[i].name;
    out += ")";
  }
  return out;
}

std::string answer_type_text(const Ask& a) {
  std::string out = type_text(a.decl->type);
  if (a.pattern) out += " matches " + std::string(a.pattern->span.text());
  return out;
}

std::string secret_env_var(const Secret& s) {
  return s.env_var ? s.env_var->plain() : s.name.name;
}

std::vector<const Step*> steps_of(const Runbook& rb) {
  std::vector<const Step*> out;
  for (const auto& item : rb.items)
    if (const auto* sec = std::get_if<Section>(&item))
      for (const auto& si : sec->items)
        if (const auto* st = std::get_if<Step>(&si)) out.push_back(st);
  return out;
}

std::vector<std::string> question_names(const Runbook& rb) {
  std::vector<std::string> names;
  std::function<void(const Body&)> walk = [&](const Body& body) {
    for (const auto& s : body.items) {
      if (const auto* a = std::get_if<Ask>(&s)) names.push_back(a->decl->name.name);
      if (const auto* u = std::get_if<Undo>(&s); u && u->body) walk(*u->body);
    }
  };
  for (const Step* st : steps_of(rb)) walk(st->body);
  return names;
}

}  // namespace rbk::ast
