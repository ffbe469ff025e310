// Mutants of the shipped runbooks: for every runbook, example, stdlib
// template and stdlib demo, each `destructive` and `confirm` statement is
// removed (one at a time, then all of a file's at once), and lint must report
// the step, signal, check, undo block or template it was in (RBK101: a
// destructive command without its gate; RBK105: a command rbk cannot analyse
// without one). A marker on commands that are really harmless was only
// caution: tests/destructive/harmless-gates.txt lists those, each with why.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "grammar/parse.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/sema/file_modules.hpp"
#include "test_support.hpp"

using namespace rbk;
namespace fs = std::filesystem;

namespace {

/// A block that holds gate markers, and the markers in it.
struct Holder {
  std::string name;  // "step restart", "template flush_db", "step restart.undo", …
  Span span;
  std::vector<Span> markers;  // `destructive` and `confirm` statements
};

void holders_of_body(const ast::Body& body, const std::string& name, const Span& span,
                     std::vector<Holder>& out) {
  Holder h{name, span, {}};
  for (const auto& st : body.items) {
    if (const auto* d = std::get_if<ast::Destructive>(&st)) h.markers.push_back(d->span);
    if (const auto* c = std::get_if<ast::Confirm>(&st)) h.markers.push_back(c->span);
    if (const auto* u = std::get_if<ast::Undo>(&st); u && u->body)
      holders_of_body(*u->body, name + ".undo", u->span, out);
  }
  if (!h.markers.empty()) out.push_back(std::move(h));
}

std::vector<Holder> holders_of(const ast::Document& doc) {
  std::vector<Holder> out;
  if (const ast::Runbook* r = doc.runbook()) {
    for (const auto& item : r->items) {
      const auto* s = std::get_if<ast::Section>(&item);
      if (!s) continue;
      for (const auto& si : s->items) {
        if (const auto* st = std::get_if<ast::Step>(&si))
          holders_of_body(st->body, "step " + st->id.name, st->span, out);
        if (const auto* sg = std::get_if<ast::Signal>(&si))
          holders_of_body(sg->body, "signal " + std::string(sg->title.span.text()), sg->span, out);
        if (const auto* ck = std::get_if<ast::Check>(&si))
          holders_of_body(ck->body, "check " + std::string(ck->title.span.text()), ck->span, out);
      }
    }
  }
  if (const ast::Module* m = doc.module())
    for (const auto& item : m->items)
      if (const auto* t = std::get_if<ast::Template>(&item))
        holders_of_body(t->body, "template " + t->id.name, t->span, out);
  return out;
}

/// `text` with the bytes of `spans` blanked (line breaks kept, so every
/// other position stays where it was).
std::string without(std::string text, const std::vector<Span>& spans) {
  for (const Span& s : spans)
    for (uint32_t i = s.begin; i < s.end; ++i)
      if (text[i] != '\n') text[i] = ' ';
  return text;
}

/// The lint findings (RBK101, RBK105) of `text`, linted as `path` is.
Diagnostics safety_findings(const std::string& path, const std::string& text) {
  auto file = std::make_shared<SourceFile>(path, text);
  ParseResult parsed = parse(file);
  for (const auto& d : parsed.diagnostics) INFO(render(d));
  REQUIRE(parsed.document);
  Diagnostics config_errors;
  Config config = load_config(fs::path(path).parent_path().string(), config_errors);
  LintOptions opts;
  opts.config = &config;
  opts.patterns = &DestructivePatterns::shipped();
  opts.runbook_path = config.runbook_paths;
  opts.shellcheck = false;
  FileModuleLoader loader;
  std::vector<std::string> notes;
  Diagnostics out;
  for (auto& d : lint_document(*parsed.document, opts, loader, notes))
    if (d.code == "RBK101" || d.code == "RBK105") out.push_back(std::move(d));
  return out;
}

bool reported(const Diagnostics& found, const Holder& h) {
  for (const auto& d : found)
    if (d.span.begin >= h.span.begin && d.span.end <= h.span.end) return true;
  return false;
}

/// tests/destructive/harmless-gates.txt: FILE, a tab, HOLDER, a tab, why.
std::map<std::string, std::string> harmless() {
  std::map<std::string, std::string> out;
  std::istringstream in(
      test::read_file(test::source_dir() + "/tests/destructive/harmless-gates.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    REQUIRE(b != std::string::npos);
    REQUIRE(b + 1 < line.size());  // every entry says why
    out[line.substr(0, a) + "\t" + line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("without its destructive or confirm, every shipped gate is a lint finding",
          "[destructive][lint][mutants]") {
  const std::map<std::string, std::string> listed = harmless();
  std::set<std::string> used;
  size_t mutants = 0, caught = 0;
  std::vector<std::string> survivors;
  std::vector<std::string> files;
  for (const char* dir : {"runbooks", "examples", "examples/modules", "stdlib", "tests/stdlib"})
    for (const auto& f : test::files_in(dir, ".rbk")) files.push_back(f);
  REQUIRE(files.size() > 40);
  for (const std::string& path : files) {
    const std::string text = test::read_file(path);
    auto parsed = parse(std::make_shared<SourceFile>(path, text));
    REQUIRE(parsed.document);
    const std::vector<Holder> holders = holders_of(*parsed.document);
    std::vector<Span> all;
    for (const Holder& h : holders) all.insert(all.end(), h.markers.begin(), h.markers.end());
    if (all.empty()) continue;
    // The file as shipped has no finding: every destructive command is gated.
    REQUIRE(safety_findings(path, text).empty());
    const Diagnostics all_removed = safety_findings(path, without(text, all));
    for (const Holder& h : holders) {
      const std::string key = path + "\t" + h.name;
      const bool ok_to_survive = listed.count(key) > 0;
      if (ok_to_survive) used.insert(key);
      for (const Span& m : h.markers) {
        ++mutants;
        const bool hit = reported(safety_findings(path, without(text, {m})), h);
        caught += hit ? 1 : 0;
        if (!hit && !ok_to_survive)
          survivors.push_back(key + ": without '" + std::string(m.text()).substr(0, 40) + "'");
      }
      ++mutants;
      const bool hit = reported(all_removed, h);
      caught += hit ? 1 : 0;
      if (!hit && !ok_to_survive) survivors.push_back(key + ": without all of its markers");
    }
  }
  for (const auto& s : survivors) UNSCOPED_INFO(s);
  WARN(caught << " of " << mutants << " mutants reported by lint; " << survivors.size()
              << " survived unlisted");
  CHECK(survivors.empty());
  // The list holds no stale entry.
  for (const auto& [key, why] : listed) {
    INFO(key);
    CHECK(used.count(key) == 1);
  }
}
