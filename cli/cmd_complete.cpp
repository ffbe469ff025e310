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

#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"
#include "grammar/parse.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/record.hpp"
#include "interpreter/runtime/params.hpp"
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
  if (steps)
    for (const ast::Step* st : ast::steps_of(*rb)) out.push_back(st->id.name);
  else
    for (const ast::Param* p : declared_params(*rb)) out.push_back(p->name.name);
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
    // The folders' names only, newest first (run ids sort by start time):
    // reading every record, as `rbk history` does, would slow each Tab.
    std::error_code ec;
    for (std::filesystem::directory_iterator it((*ws)->config().records_dir, ec), end;
         !ec && it != end; it.increment(ec))
      if (it->is_directory(ec) && is_run_id(it->path().filename().string()))
        words.push_back(it->path().filename().string());
    std::sort(words.rbegin(), words.rend());
  }
  std::string out;
  for (const auto& w : words) out += w + "\n";
  write(stdout, out);
  return kExitOk;
}

}  // namespace rbk::cli
