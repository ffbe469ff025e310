#include "interpreter/ide/navigate.hpp"

#include <filesystem>
#include <sstream>
#include <system_error>

#include "interpreter/base/shipped.hpp"
#include "interpreter/ide/describe.hpp"
#include "interpreter/project/catalog.hpp"

namespace rbk::ide {

namespace fs = std::filesystem;

namespace {

/// `path` made absolute against the working directory.
std::string absolute(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::absolute(fs::path(path), ec);
  return ec ? path : p.lexically_normal().string();
}

/// The location of `span` in whatever file it points into; nullopt for a
/// file compiled into rbk, which an editor cannot open.
std::optional<Location> located(const Analysis& a, const Span& span) {
  if (!span.file) return std::nullopt;
  if (span.file == a.source.get()) return Location{absolute(a.path), a.lines.range(span)};
  const std::string& path = span.file->path();
  if (path.rfind(kShippedPrefix, 0) == 0) return std::nullopt;
  return Location{absolute(path), LineMap(span.file->text()).range(span)};
}

/// The runbook `name` on the call path: its `runbook NAME`, or the file's
/// start when it does not parse.
std::optional<Location> called(const Analysis& a, const std::string& name) {
  FoundRunbook f = find_runbook(name, a.call_path);
  if (f.path.empty()) return std::nullopt;
  Location at{absolute(f.path), {}};
  if (auto file = SourceFile::load(f.path)) {
    ParseResult r = parse(*file);
    if (r.document && r.document->runbook())
      at.range = LineMap((*file)->text()).range(r.document->runbook()->name.span);
  }
  return at;
}

/// The line of role `name` under `roles:` in rbk.yaml, or the file's start.
std::optional<Location> role(const Analysis& a, const std::string& name) {
  if (a.config.path.empty() || !a.config.roles.count(name)) return std::nullopt;
  auto text = read_regular_file(a.config.path, kMaxConfigBytes);
  if (!text) return std::nullopt;
  Location at{absolute(a.config.path), {}};
  std::istringstream lines(*text);
  bool in_roles = false;
  uint32_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    if (line.rfind("roles:", 0) == 0) {
      in_roles = true;
    } else if (in_roles && !line.empty() && line[0] != ' ' && line[0] != '#') {
      break;  // the next top-level key
    } else if (in_roles) {
      const size_t indent = line.find_first_not_of(' ');
      if (indent != std::string::npos && line.compare(indent, name.size(), name) == 0 &&
          line.size() > indent + name.size() && line[indent + name.size()] == ':') {
        const auto col = static_cast<uint32_t>(indent);
        at.range = {{n, col}, {n, col + static_cast<uint32_t>(name.size())}};
        break;
      }
    }
  }
  return at;
}

}  // namespace

std::optional<HoverText> hover(const Analysis& a, Position at) {
  const Occurrence* o = a.index.at(a.lines.offset(at));
  if (!o) return std::nullopt;
  return HoverText{describe(a.index.symbols[o->symbol], a), a.lines.range(o->begin, o->end)};
}

std::optional<Location> definition(const Analysis& a, Position at) {
  const Occurrence* o = a.index.at(a.lines.offset(at));
  if (!o) return std::nullopt;
  const Symbol& s = a.index.symbols[o->symbol];
  switch (s.kind) {
    case SymbolKind::Module:
      if (const auto* t = std::get_if<const ImportTarget*>(&s.node); t && (*t)->module)
        return located(a, (*t)->module->name.span);
      return std::nullopt;
    case SymbolKind::Runbook:
      return called(a, s.name);
    case SymbolKind::Role:
      return role(a, s.name);
    default:
      return located(a, s.decl);
  }
}

}  // namespace rbk::ide
