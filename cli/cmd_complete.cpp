// `rbk __complete KIND [RUNBOOK]`: the words a shell completion offers for
// what depends on the project, one per line, from the working directory:
//   runbooks         names on the runbook path
//   params RUNBOOK   the runbook's parameter names
//   steps RUNBOOK    its step ids (what --approve takes)
//   targets          hosts and groups of rbk.yaml
//   runs             run ids in the records directory, newest first
// Internal (the completion scripts call it, cli/completions.cpp): it prints
// nothing on stderr and exits 0 whatever it finds, since a completion must
// never spill an error into the line being typed.
#include <set>
#include <type_traits>
#include <variant>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/history.hpp"
#include "interpreter/sema/workspace.hpp"

namespace rbk::cli {

namespace {

/// The parameter names or the step ids of the runbook `target` names.
std::vector<std::string> runbook_words(const Workspace& ws, const std::string& target, bool steps) {
  std::vector<std::string> out;
  FoundRunbook found = find_runbook(target, ws.path());
  if (found.path.empty()) return out;
  auto file = SourceFile::load(found.path);
  if (!file) return out;
  ParseResult parsed = parse(*file);
  const ast::Runbook* rb = parsed.document ? parsed.document->runbook() : nullptr;
  if (!rb) return out;
  for (const auto& item : rb->items) {
    if (const auto* p = std::get_if<ast::Param>(&item); p && !steps) out.push_back(p->name.name);
    const auto* section = std::get_if<ast::Section>(&item);
    if (!section || !steps) continue;
    for (const auto& si : section->items)
      if (const auto* st = std::get_if<ast::Step>(&si)) out.push_back(st->id.name);
  }
  return out;
}

}  // namespace

int run_complete(const std::string& kind, const std::string& runbook) {
  auto ws = Workspace::open_here();
  if (!ws) return kExitOk;
  std::vector<std::string> words;
  if (kind == "runbooks") {
    for (const auto& e : list_runbooks((*ws)->path()))
      if (e.problem.empty()) words.push_back(e.name);
  } else if (kind == "params" || kind == "steps") {
    if (!runbook.empty()) words = runbook_words(**ws, runbook, kind == "steps");
  } else if (kind == "targets") {
    words = (*ws)->config().targets.names();
  } else if (kind == "runs") {
    for (const auto& r : list_runs((*ws)->config().records_dir)) words.push_back(r.run_id);
  }
  std::string out;
  for (const auto& w : words) out += w + "\n";
  write(stdout, out);
  return kExitOk;
}

}  // namespace rbk::cli
