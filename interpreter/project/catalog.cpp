#include "interpreter/project/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <system_error>

#include "grammar/parse.hpp"
#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/suggest.hpp"

namespace rbk {

namespace {

namespace fs = std::filesystem;

/// An absolute, normalised directory path without a trailing separator.
std::string normal_dir(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.has_parent_path() && n.filename().empty()) n = n.parent_path();
  return n.string();
}

/// The `*.rbk` files directly in `dir`, sorted by file name.
std::vector<fs::path> rbk_files(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->path().extension() == ".rbk" && it->is_regular_file(ec2)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// A string literal as written between its quotes, `${…}` kept, not evaluated.
std::string as_written(const ast::StringLit& s) {
  std::string out;
  for (const auto& part : s.parts) {
    if (part.expr)
      out += "${" + std::string(part.expr->span.text()) + "}";
    else
      out += part.text;
  }
  return out;
}

/// What one .rbk file holds, read for the catalogue.
struct Scanned {
  bool module = false;
  CatalogEntry entry;
};

Scanned scan(const fs::path& file) {
  Scanned s;
  s.entry.path = display_path(file.string());
  Diagnostics errors;
  auto source = load_source(s.entry.path, errors);
  if (!source) {
    s.entry.name = file.stem().string();
    s.entry.problem = "cannot read " + s.entry.path;
    return s;
  }
  ParseResult r = parse(source);
  if (!r.document) {
    s.entry.name = file.stem().string();
    s.entry.problem = "does not parse";
    if (!r.diagnostics.empty()) {
      const Diagnostic& d = r.diagnostics.front();
      s.entry.problem = s.entry.path + ":" + d.span.where() + ": " + d.message;
    }
    return s;
  }
  if (r.document->module()) {
    s.module = true;
    return s;
  }
  const ast::Runbook* rb = r.document->runbook();
  if (!rb) {
    s.entry.name = file.stem().string();
    s.entry.problem = s.entry.path + " holds no runbook";
    return s;
  }
  s.entry.name = rb->name.name;
  for (const auto& item : rb->items) {
    if (const auto* m = std::get_if<ast::Meta>(&item)) {
      if (m->kind == ast::MetaKind::Title && m->text) s.entry.title = as_written(*m->text);
      if (m->kind == ast::MetaKind::Severity && m->word) s.entry.severity = m->word->name;
    } else if (const auto* sec = std::get_if<ast::Section>(&item)) {
      if (sec->kind != ast::SectionKind::Alert) continue;
      for (const auto& si : sec->items)
        if (const auto* sig = std::get_if<ast::Signal>(&si))
          s.entry.signals.push_back(as_written(sig->title));
    }
  }
  return s;
}

/// Every runbook entry on the path, directories in order, files sorted
/// within each; `stem_match` tells, for each entry, whether its file is
/// NAME.rbk for its own name (the file `find_runbook` looks at first).
struct Found {
  CatalogEntry entry;
  bool stem_match = false;
};

std::vector<Found> scan_path(const std::vector<std::string>& path) {
  std::vector<Found> out;
  for (const auto& dir : path) {
    for (const auto& file : rbk_files(dir)) {
      Scanned s = scan(file);
      if (s.module) continue;
      bool stem = file.stem().string() == s.entry.name;
      out.push_back({std::move(s.entry), stem});
    }
  }
  return out;
}

bool looks_like_file(const std::string& s) {
  return s.find('/') != std::string::npos ||
         (s.size() > 4 && s.compare(s.size() - 4, 4, ".rbk") == 0);
}

std::string searched(const std::vector<std::string>& path) {
  if (path.empty()) return "no directories (the runbook path is empty)";
  std::string out;
  for (const auto& d : path) {
    std::error_code ec;
    out += (out.empty() ? "" : ", ") + display_path(d);
    if (!fs::is_directory(d, ec)) out += " (missing)";
  }
  return out;
}

}  // namespace

std::string display_path(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return p;
  const fs::path abs = fs::absolute(fs::path(p), ec).lexically_normal();
  if (ec) return p;
  const fs::path rel = abs.lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return abs.string();
  return rel.string();
}

std::vector<std::string> runbook_path(const Config& config, const std::string& cwd) {
  std::vector<std::string> out;
  auto add = [&](const std::string& dir) {
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  };
  const char* env = std::getenv("RBK_PATH");
  if (env && *env) {
    std::string all(env);
    size_t start = 0;
    while (start <= all.size()) {
      size_t colon = all.find(':', start);
      if (colon == std::string::npos) colon = all.size();
      std::string entry = all.substr(start, colon - start);
      if (!entry.empty()) {
        fs::path p(entry);
        add(normal_dir(p.is_absolute() ? p : fs::path(cwd) / p));
      }
      start = colon + 1;
    }
  }
  for (const auto& d : config.runbook_paths) {
    fs::path p(d);
    add(normal_dir(p.is_absolute() ? p : fs::path(cwd) / p));
  }
  return out;
}

FoundRunbook find_runbook(const std::string& name_or_file, const std::vector<std::string>& path) {
  FoundRunbook out;
  std::error_code ec;
  if (looks_like_file(name_or_file)) {
    if (fs::is_regular_file(name_or_file, ec)) {
      out.path = name_or_file;
      return out;
    }
    if (fs::is_directory(name_or_file, ec)) {
      out.error = name_or_file + " is a directory, not a .rbk file";
      return out;
    }
    if (fs::exists(name_or_file, ec)) {  // a FIFO, a device (also behind a link), a socket
      out.error = name_or_file + ": not a regular file; rbk reads only files";
      return out;
    }
    out.error = "no such file: " + name_or_file;
    // A near miss in the same directory ("db-dwon.rbk").
    fs::path p(name_or_file);
    fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    std::vector<std::string> names;
    for (const auto& f : rbk_files(dir.string())) names.push_back(f.filename().string());
    std::string hint = did_you_mean(p.filename().string(), names);
    if (!hint.empty()) out.error += "; " + hint;
    return out;
  }

  // NAME.rbk, directory by directory.
  for (const auto& dir : path) {
    fs::path candidate = fs::path(dir) / (name_or_file + ".rbk");
    if (fs::is_regular_file(candidate, ec)) {
      out.path = display_path(candidate.string());
      return out;
    }
  }
  // Then a file whose `runbook NAME` says so, whatever it is called. Only
  // a file whose head names it (or whose head cannot be read that simply)
  // is parsed, to be sure it is a runbook that parses: a full parse of every
  // file made `call` lookups half the time of `rbk lint` over a large
  // repository.
  std::vector<std::string> names;
  for (const auto& dir : path) {
    for (const auto& file : rbk_files(dir)) {
      std::string name;
      if (auto text = read_regular_file(file.string(), kMaxRunbookBytes))
        name = declared_runbook_name(*text);
      if (!name.empty() && name != name_or_file) {
        names.push_back(name);
        continue;
      }
      Scanned sc = scan(file);
      if (sc.module) continue;
      if (sc.entry.problem.empty() && sc.entry.name == name_or_file) {
        out.path = sc.entry.path;
        return out;
      }
      names.push_back(sc.entry.name);
    }
  }
  out.error = "no runbook named '" + name_or_file + "' on the runbook path (searched " +
              searched(path) + ")";
  std::string hint = did_you_mean(name_or_file, names);
  out.error +=
      hint.empty() ? "; set RBK_PATH or 'paths' in rbk.yaml to look elsewhere" : "; " + hint;
  return out;
}

std::vector<CatalogEntry> list_runbooks(const std::vector<std::string>& path) {
  std::vector<Found> all = scan_path(path);
  // For each name, the entry `find_runbook(NAME)` would pick: the first
  // NAME.rbk in path order, else the first file declaring the name.
  std::map<std::string, size_t> chosen;
  for (size_t i = 0; i < all.size(); ++i) {
    auto [it, fresh] = chosen.try_emplace(all[i].entry.name, i);
    if (!fresh && all[i].stem_match && !all[it->second].stem_match) it->second = i;
  }
  std::vector<CatalogEntry> out;
  out.reserve(chosen.size());
  for (const auto& [name, i] : chosen) out.push_back(std::move(all[i].entry));
  return out;  // std::map keeps them sorted by name
}

}  // namespace rbk
