#include "interpreter/ide/describe.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/project/catalog.hpp"

namespace rbk::ide {

namespace {

using namespace ast;

/// A string literal as the author wrote it, without its quotes when plain.
std::string text_of(const StringLit& s) {
  return s.has_interpolation() ? std::string(s.span.text()) : s.plain();
}

/// `text` in an rbk code block.
std::string code(const std::string& text, const char* lang = "rbk") {
  std::string fence = "```";
  while (text.find(fence) != std::string::npos) fence += '`';
  return fence + lang + "\n" + text + (text.empty() || text.back() != '\n' ? "\n" : "") + fence +
         "\n";
}

/// `param NAME : TYPE [= DEFAULT]`, then its help.
std::string param_text(const Param& p, const char* keyword = "param") {
  std::string decl = std::string(keyword) + " " + p.name.name + " : " + type_text(p.type);
  if (p.default_value) decl += " = " + std::string(p.default_value->span.text());
  std::string out = code(decl);
  if (p.help) out += "\n" + text_of(*p.help) + "\n";
  if (!p.default_value) out += "\nRequired: no default.\n";
  return out;
}

std::string section_text(const Symbol& s) {
  return s.section ? " in `" + std::string(section_name(*s.section)) + "`" : "";
}

std::string titled(const std::optional<StringLit>& t) {
  return t ? " \"" + text_of(*t) + "\"" : "";
}

std::string capture_text(const Symbol& s, const Run& r) {
  std::string out = "**capture** `" + s.name + "` — made by " + s.owner + section_text(s) + "\n\n";
  out += code(r.shell.text, "sh");
  out += "\nFields:";
  for (const auto& f : capture_field_names()) out += " `." + f + "`";
  out += "; as `$" + s.name + "` in later commands (standard output, trimmed).\n";
  return out;
}

std::string module_text(const Symbol& s, const ImportTarget& t) {
  std::string out = "**module** `" + s.name + "` — `import \"" + t.import->path.plain() + "\"`\n\n";
  if (!t.module) return out + "Not loaded: " + t.error + "\n";
  const std::string& file = t.module->span.file ? t.module->span.file->path() : std::string();
  out += "From `" + file + "`. Templates:\n\n";
  for (const auto& item : t.module->items)
    if (const auto* tm = std::get_if<Template>(&item))
      out += "- `" + tm->id.name + "`" + (tm->title ? " — " + text_of(*tm->title) : "") + "\n";
  return out;
}

std::string template_text(const Symbol& s, const Template& t) {
  std::string out = "**template** `" + s.name + "`" + titled(t.title) + "\n\n";
  if (t.params.empty()) return out + "No parameters.\n";
  out += "Parameters:\n\n";
  for (const Param& p : t.params) {
    out += "- `" + p.name.name + " : " + type_text(p.type);
    if (p.default_value) out += " = " + std::string(p.default_value->span.text());
    out += "`";
    if (p.help) out += " — " + text_of(*p.help);
    if (!p.default_value) out += " (required)";
    out += "\n";
  }
  return out;
}

std::string role_text(const Symbol& s, const Analysis& a) {
  std::string out = "**role** `" + s.name + "`";
  std::error_code ec;
  const std::string config =
      a.config.path.empty()
          ? std::string("rbk.yaml (none found)")
          : std::filesystem::absolute(a.config.path, ec).lexically_normal().string();
  auto it = a.config.roles.find(s.name);
  if (it == a.config.roles.end()) return out + "\n\nNot defined in " + config + "\n";
  if (!it->second.name.empty()) out += ": " + it->second.name;
  out += "\n\n";
  if (!it->second.contact.empty()) out += "Contact: " + it->second.contact + "\n\n";
  return out + "From " + config + "\n";
}

std::string runbook_text(const Symbol& s, const Analysis& a) {
  std::string out = "**runbook** `" + s.name + "` (called)\n\n";
  FoundRunbook f = find_runbook(s.name, a.call_path);
  return out + (f.path.empty() ? "Not found: " + f.error : "`" + f.path + "`") + "\n";
}

}  // namespace

std::string builtin_summary(const std::string& name) {
  static const std::pair<const char*, const char*> kTable[] = {
      {"severity", "the run's severity, as the causes decided it once they have"},
      {"runbook", "the runbook's name"},
      {"run_id", "the run's id (its record's folder name)"},
      {"failed_step", "the step or check that failed; empty until one does"},
      {"now", "the wall-clock time when read, ISO 8601 UTC to the second"},
      {"record_dir", "the run's record folder (RBK_RECORD_DIR)"},
      {"causes", "the ids of the causes that matched so far, in order (a list)"},
      {"batch", "in a step `on` targets: the hosts of the current batch (a list)"},
      {"batch_size", "in a step `on` targets: how many hosts the current batch has"},
  };
  for (const auto& [n, text] : kTable)
    if (name == n) return text;
  return "";
}

std::string describe(const Symbol& s, const Analysis& a) {
  switch (s.kind) {
    case SymbolKind::Param:
      if (const auto* p = std::get_if<const Param*>(&s.node)) return param_text(**p);
      break;
    case SymbolKind::TemplateParam:
      if (const auto* p = std::get_if<const Param*>(&s.node))
        return param_text(**p) + "\nA parameter of " + s.owner + ".\n";
      break;
    case SymbolKind::Secret:
      if (const auto* x = std::get_if<const Secret*>(&s.node)) {
        const Secret& sec = **x;
        std::string from = sec.source == SecretSource::Env
                               ? "from env \"" + secret_env_var(sec) + "\""
                               : "from `" + (sec.command ? sec.command->text : std::string()) + "`";
        return code("secret " + s.name + " " + from) + "\nCommands get it as `$" + s.name +
               "`; it is masked in output and the record, and never allowed in expressions.\n";
      }
      break;
    case SymbolKind::Message:
      if (const auto* m = std::get_if<const Message*>(&s.node))
        return "**message** `" + s.name + "`, rendered where it is used\n\n" +
               code(std::string((*m)->text.span.text()));
      break;
    case SymbolKind::Capture:
      if (const auto* r = std::get_if<const Run*>(&s.node)) return capture_text(s, **r);
      break;
    case SymbolKind::Answer:
      if (const auto* x = std::get_if<const Ask*>(&s.node))
        return "**answer** `" + s.name + "` : " + answer_type_text(**x) + " — asked by " + s.owner +
               section_text(s) + "\n\n> " + text_of((*x)->question) + "\n";
      break;
    case SymbolKind::Step:
      if (const auto* x = std::get_if<const Step*>(&s.node)) {
        std::string out =
            "**step** `" + s.name + "`" + titled((*x)->title) + section_text(s) + "\n";
        if ((*x)->when) out += "\n" + code("when " + std::string((*x)->when->span.text()));
        return out;
      }
      break;
    case SymbolKind::Signal:
      if (const auto* x = std::get_if<const Signal*>(&s.node))
        return "**signal** `" + s.name + "` \"" + text_of((*x)->title) + "\"" + section_text(s) +
               "\n";
      break;
    case SymbolKind::Check:
      if (const auto* x = std::get_if<const Check*>(&s.node))
        return "**check** `" + s.name + "` \"" + text_of((*x)->title) + "\"" + section_text(s) +
               "\n";
      break;
    case SymbolKind::Cause:
      if (const auto* x = std::get_if<const Cause*>(&s.node)) {
        const Cause& c = **x;
        std::string out = "**cause** `" + s.name + "` \"" + text_of(c.title) + "\"\n";
        if (c.when) out += "\n" + code("when " + std::string(c.when->span.text()));
        if (c.severity)
          out += "\nOnce it matches, the run's severity is `" + c.severity->name + "`.\n";
        return out;
      }
      break;
    case SymbolKind::Module:
      if (const auto* t = std::get_if<const ImportTarget*>(&s.node)) return module_text(s, **t);
      break;
    case SymbolKind::Template:
      if (const auto* t = std::get_if<const Template*>(&s.node)) return template_text(s, **t);
      break;
    case SymbolKind::Role:
      return role_text(s, a);
    case SymbolKind::Runbook:
      return runbook_text(s, a);
    case SymbolKind::Builtin:
      return "**built-in** `" + s.name + "`: " + builtin_summary(s.name) + "\n";
  }
  return "`" + s.name + "`\n";
}

}  // namespace rbk::ide
