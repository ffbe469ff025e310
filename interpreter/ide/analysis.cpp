#include "interpreter/ide/analysis.hpp"

#include <filesystem>
#include <system_error>

#include "interpreter/lint/lint.hpp"
#include "interpreter/sema/check.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::ide {

namespace fs = std::filesystem;

namespace {

/// The folder whose rbk.yaml applies to `path`.
std::string folder_of(const std::string& path) {
  std::error_code ec;
  if (path.empty()) return fs::current_path(ec).string();
  return fs::absolute(fs::path(path), ec).parent_path().string();
}

/// Places `d` in the document: where its span says when it points into the
/// document, else at the start with its own file and place in the message.
Finding place(const Analysis& a, const Diagnostic& d) {
  Finding f{{}, d.severity, d.message, d.help, d.code};
  if (d.span.file == a.source.get()) {
    f.range = a.lines.range(d.span);
  } else if (d.span.file) {
    f.message = d.span.file->path() + ":" + d.span.where() + ": " + d.message;
  } else if (!d.path.empty()) {
    f.message = d.path + ": " + d.message;
  }
  return f;
}

}  // namespace

std::unique_ptr<const Analysis> analyze(const std::string& path, std::string text,
                                        const AnalyzeOptions& options) {
  auto a = std::make_unique<Analysis>();
  a->path = path;
  a->source = std::make_shared<SourceFile>(path, std::move(text));
  a->lines = LineMap(a->source->text());

  // The rbk.yaml nearest to the document, as `rbk check FILE` reads it.
  Diagnostics diags;
  const std::string folder = folder_of(path);
  if (auto ws = Workspace::open(folder)) {
    a->config = (*ws)->config();
    a->config_ok = true;
    a->call_path = (*ws)->path();
    diags = (*ws)->warnings();
  } else {
    diags = std::move(ws.error().diagnostics);
    if (!ws.error().message.empty()) {
      Diagnostic d;
      d.message = ws.error().message;
      diags.push_back(std::move(d));
    }
  }
  a->call_path.push_back(folder);

  a->modules = std::make_unique<FileModuleLoader>();
  if (a->source->text().size() > kMaxRunbookBytes) {
    // What `rbk check` refuses to read is not parsed on every keystroke either.
    Diagnostic d =
        error_at(Span::of(*a->source, 0, 0), "the document is larger than " +
                                                 std::to_string(kMaxRunbookBytes >> 20) +
                                                 " MiB, the most rbk reads; it was not checked");
    diags.push_back(std::move(d));
    for (const Diagnostic& x : diags) a->findings.push_back(place(*a, x));
    return a;
  }
  a->parsed = parse(a->source);
  diags.insert(diags.end(), a->parsed.diagnostics.begin(), a->parsed.diagnostics.end());
  if (const ast::Document* doc = a->document()) {
    Diagnostics more;
    if (options.lint && options.patterns) {
      LintOptions lo;
      lo.config = a->config_ok ? &a->config : nullptr;
      lo.patterns = options.patterns;
      lo.runbook_path = a->call_path;
      lo.runbook_path.pop_back();  // lint looks on the path itself (as `rbk lint` does)
      lo.shellcheck = options.shellcheck;
      more = lint_document(*doc, lo, *a->modules, a->notes);
    } else {
      more = check(*doc, a->modules.get());
    }
    diags.insert(diags.end(), more.begin(), more.end());
    for (const auto& item : doc->items) {
      const auto* imp = std::get_if<ast::Import>(&item);
      if (!imp) continue;
      ImportTarget t{imp, nullptr, {}};
      if (auto m = a->modules->load(imp->path.plain(), path))
        t.module = *m;
      else
        t.error = m.error();
      a->imports.push_back(std::move(t));
    }
    a->index = build_index(*doc, a->imports);
  }
  for (const Diagnostic& d : diags) a->findings.push_back(place(*a, d));
  return a;
}

}  // namespace rbk::ide
