#include "interpreter/ide/complete.hpp"

#include <algorithm>
#include <set>

#include "grammar/keywords.hpp"
#include "interpreter/base/shipped.hpp"
#include "interpreter/ide/cursor.hpp"
#include "interpreter/ide/describe.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/sema/check.hpp"

namespace rbk::ide {

namespace {

namespace kw = grammar::keywords;
using Kind = CompletionKind;

/// The section a block keyword names, or nullopt.
std::optional<ast::SectionKind> section_named(const std::string& word) {
  for (int k = 0; k <= static_cast<int>(ast::SectionKind::Escalate); ++k)
    if (word == ast::section_name(static_cast<ast::SectionKind>(k)))
      return static_cast<ast::SectionKind>(k);
  return std::nullopt;
}

/// Fills one Completions, each label once.
class Offer {
 public:
  Offer(const Analysis& current, const Analysis* names, const CursorContext& ctx, size_t offset)
      : a_(current), names_(names), ctx_(ctx), offset_(offset) {
    for (const Block& b : ctx.blocks) {
      if (auto s = section_named(b.keyword)) section_ = s;
      if (b.keyword == "template") template_ = b.name;
    }
  }

  void add(std::string label, Kind kind, std::string detail = {}) {
    if (seen_.insert(label).second)
      out_.items.push_back({std::move(label), kind, std::move(detail)});
  }
  void words(const kw::List& list, Kind kind = Kind::Keyword) {
    for (const auto& w : list) add(w, kind);
  }

  /// Symbols of `kind` (of the runbook, or of the template the cursor is in).
  std::vector<const Symbol*> symbols(SymbolKind kind) const {
    std::vector<const Symbol*> out;
    if (!names_) return out;
    for (const Symbol& s : names_->index.symbols) {
      if (s.kind != kind) continue;
      const bool in_template = s.scope != nullptr;
      if (in_template != !template_.empty()) continue;
      if (in_template && s.scope->id.name != template_) continue;
      out.push_back(&s);
    }
    return out;
  }

  /// A capture or answer made before the cursor, in execution order.
  bool visible(const Symbol& s) const {
    if (!section_ || !s.section) return true;
    if (*s.section != *section_) return *s.section < *section_;
    return s.decl.file != names_->source.get() || s.decl.begin < offset_;
  }

  /// The names an expression can use here.
  void expression_names() {
    for (const Symbol* s : symbols(SymbolKind::Param))
      add(s->name, Kind::Variable, param_detail(*s));
    for (const Symbol* s : symbols(SymbolKind::TemplateParam))
      add(s->name, Kind::Variable, param_detail(*s));
    for (const Symbol* s : symbols(SymbolKind::Message)) add(s->name, Kind::Variable, "message");
    for (SymbolKind k : {SymbolKind::Capture, SymbolKind::Answer})
      for (const Symbol* s : symbols(k))
        if (visible(*s))
          add(s->name, k == SymbolKind::Capture ? Kind::Capture : Kind::Variable, s->owner);
    for (const auto& b : builtin_names()) add(b, Kind::Builtin, builtin_summary(b));
    if (template_.empty()) {
      add("cause", Kind::Keyword, "cause.ID: the cause matched");
      add("step", Kind::Keyword, "step.ID.ok, .failed, …: an earlier step's state");
    }
    for (const char* w : {"not", "true", "false"}) add(w, Kind::Keyword);
  }

  /// The names a command gets as environment variables (`$NAME`).
  void environment_names() {
    for (SymbolKind k : {SymbolKind::Param, SymbolKind::TemplateParam, SymbolKind::Secret,
                         SymbolKind::Message, SymbolKind::Capture, SymbolKind::Answer})
      for (const Symbol* s : symbols(k))
        if (visible(*s))
          add(s->name, k == SymbolKind::Capture ? Kind::Capture : Kind::Variable,
              k == SymbolKind::Secret ? "secret" : s->owner);
  }

  /// What follows `CHAIN.`: a capture's fields, cause and step ids, a
  /// step's state, a module's templates.
  void members(const std::string& chain) {
    const std::vector<std::string>& toks = ctx_.tokens;
    if (!toks.empty() && toks.front() == "use" && toks.size() == 1) {
      if (!names_) return;
      for (const ImportTarget& t : names_->imports) {
        const std::string name =
            t.import->alias ? t.import->alias->name : (t.module ? t.module->name.name : "");
        if (name != chain || !t.module) continue;
        for (const auto& item : t.module->items)
          if (const auto* tm = std::get_if<ast::Template>(&item))
            add(tm->id.name, Kind::Template,
                tm->title ? tm->title->plain() : std::string("template"));
      }
      return;
    }
    if (chain == "cause") {
      for (const Symbol* s : symbols(SymbolKind::Cause)) add(s->name, Kind::Cause, title_of(*s));
      return;
    }
    if (chain == "step") {
      for (SymbolKind k : {SymbolKind::Step, SymbolKind::Signal, SymbolKind::Check})
        for (const Symbol* s : symbols(k)) add(s->name, Kind::Step, title_of(*s));
      return;
    }
    if (chain.rfind("step.", 0) == 0 && chain.find('.', 5) == std::string::npos) {
      for (const auto& f : step_state_fields()) add(f, Kind::Field);
      return;
    }
    if (chain.find('.') != std::string::npos || !names_) return;
    for (const Symbol* s : symbols(SymbolKind::Capture))
      if (s->name == chain)
        for (const auto& f : ast::capture_field_names()) add(f, Kind::Field);
  }

  /// Keywords that start an item of the innermost block.
  void statement_keywords() {
    const std::string inner = ctx_.blocks.empty() ? "" : ctx_.blocks.back().keyword;
    if (ctx_.blocks.empty()) {
      words({"import", "runbook", "module"});
    } else if (inner == "runbook") {
      words(kw::runbook_items());
    } else if (inner == "module") {
      words(kw::module_items());
    } else if (section_named(inner)) {
      words(kw::section_items(inner));
    } else if (inner == "step" || inner == "signal" || inner == "check" || inner == "undo") {
      words(kw::statements());
    } else if (inner == "template") {
      add("param", Kind::Keyword);
      words(kw::statements());
    }
  }

  void roles() {
    for (const auto& [id, role] : a_.config.roles) add(id, Kind::Role, role.name);
  }

  void stdlib_modules() {
    for (const ShippedFile& f : shipped_files()) {
      std::string_view name = f.name;
      if (name.rfind("stdlib/", 0) != 0 || name.size() < 4 ||
          name.substr(name.size() - 4) != ".rbk")
        continue;
      add(std::string(name.substr(0, name.size() - 4)), Kind::Module, "rbk's stdlib");
    }
  }

  void runbooks() {
    for (const CatalogEntry& e : list_runbooks(a_.call_path))
      if (e.problem.empty()) add(e.name, Kind::Runbook, e.title);
  }

  Completions take() { return std::move(out_); }
  Completions& out() { return out_; }

 private:
  const Analysis& a_;
  const Analysis* names_;
  const CursorContext& ctx_;
  size_t offset_;
  std::optional<ast::SectionKind> section_;
  std::string template_;
  std::set<std::string> seen_;
  Completions out_;

  static std::string param_detail(const Symbol& s) {
    if (const auto* p = std::get_if<const ast::Param*>(&s.node)) return ast::type_text((*p)->type);
    return "";
  }
  static std::string title_of(const Symbol& s) {
    if (const auto* c = std::get_if<const ast::Cause*>(&s.node)) return (*c)->title.plain();
    if (const auto* st = std::get_if<const ast::Step*>(&s.node); st && (*st)->title)
      return (*st)->title->plain();
    if (const auto* sg = std::get_if<const ast::Signal*>(&s.node)) return (*sg)->title.plain();
    if (const auto* ck = std::get_if<const ast::Check*>(&s.node)) return (*ck)->title.plain();
    return "";
  }
};

/// True when the tokens before the cursor make it an expression's place.
bool expression_place(const CursorContext& ctx) {
  if (ctx.interpolation) return true;
  const auto& t = ctx.tokens;
  if (t.empty()) return false;
  static const std::set<std::string> before_value{
      "when", "typed", "=",  "==",       "!=", "<", ">", "and",
      "or",   "not",   "in", "contains", "(",  "[", ",", "on",
  };
  const std::string& last = t.back();
  if (before_value.count(last)) return last != "," || std::find(t.begin(), t.end(), "[") != t.end();
  // After a condition has begun: `when conns > 9|`, `firing when x and y|`.
  return std::find(t.begin(), t.end(), "when") != t.end() && last != "`" && last != "\"";
}

}  // namespace

Completions complete(const Analysis& current, Position at, const Analysis* last_good) {
  const size_t offset = current.lines.offset(at);
  const CursorContext ctx = cursor_context(current.source->text(), offset);
  const Analysis* names = current.document() ? &current : last_good;
  Offer offer(current, names, ctx, offset);
  offer.out().replace_from = ctx.word_begin;
  using In = CursorContext::In;
  switch (ctx.in) {
    case In::Comment:
    case In::Regex:
      return offer.take();
    case In::Shell:
      if (ctx.after_dollar) offer.environment_names();
      return offer.take();
    case In::String:
      if (!ctx.statement.empty() && ctx.statement.front() == "import" &&
          ctx.statement.size() == 2) {
        offer.out().replace_from = ctx.string_begin;
        offer.stdlib_modules();
      }
      return offer.take();
    case In::Code:
      break;
  }
  const auto& t = ctx.tokens;
  const std::string first = t.empty() ? "" : t.front();
  const std::string last = t.empty() ? "" : t.back();
  if (ctx.after_dot) {
    if (!ctx.dotted.empty()) offer.members(ctx.dotted);
  } else if (!ctx.interpolation && (last == "page" || last == "notify" || last == "owner")) {
    offer.roles();
  } else if (last == "call" && t.size() == 1) {
    offer.runbooks();
  } else if (last == "use" && t.size() == 1 && names) {
    for (const Symbol& s : names->index.symbols)
      if (s.kind == SymbolKind::Module) offer.add(s.name, CompletionKind::Module, "module");
  } else if ((first == "severity" && t.size() == 1) || (first == "cause" && last == "severity")) {
    // `severity LEVEL` in the metadata, and a cause's `severity LEVEL`.
    for (const auto& level : current.config.severity_order) offer.add(level, CompletionKind::Value);
  } else if (first == "on" && last == "failure") {
    offer.words({"continue", "rollback", "abort"}, CompletionKind::Value);
  } else if (t.empty() && !ctx.interpolation) {
    offer.statement_keywords();
  } else if (expression_place(ctx)) {
    offer.expression_names();
  }
  return offer.take();
}

}  // namespace rbk::ide
