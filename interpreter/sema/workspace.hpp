// The one front end: a project (its rbk.yaml and runbook path) and the
// sequence every command starts with — find a file, read it, parse it, check
// it under the rbk.yaml nearest to it. check, lint, run, plan, show and test
// all load through here, so each refuses the same input with the same words.
#pragma once

#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grammar/parse.hpp"
#include "interpreter/base/diagnostic.hpp"
#include "interpreter/base/expected.hpp"
#include "interpreter/project/config.hpp"
#include "interpreter/project/destructive.hpp"
#include "interpreter/sema/file_modules.hpp"

namespace rbk {

/// Why something cannot be used: diagnostics to show as they are (may be
/// empty), then one line saying what they mean for the command (may be empty).
struct LoadProblem {
  Diagnostics diagnostics;
  std::string message;
};

/// One file read, parsed and checked.
struct LoadedFile {
  std::shared_ptr<SourceFile> source;  // null when it could not be read
  ParseResult parsed;                  // parsed.document null on syntax errors
  Diagnostics diagnostics;             // read or syntax errors, then the check pass's
  /// Parsed, and no diagnostic is an error.
  bool ok() const { return parsed.document && !has_errors(diagnostics); }
};

/// Reads, parses and checks `file` (modules through `modules`).
LoadedFile load_file(const std::string& file, ModuleLoader& modules);

/// The rbk.yaml a file is used under, and the runbook path it gives. (Not
/// `Scope`: that is the evaluation scope of runtime/evaluate.hpp, and two
/// classes of one name break the one-definition rule: the linker kept one
/// destructor for both, and a Workspace's config was never freed.)
struct ProjectScope {
  Config config;
  std::vector<std::string> path;  // RBK_PATH, then the config's paths
};

/// A runbook found, loaded and checked, ready to run or plan.
struct LoadedRunbook {
  ProjectScope scope;                         // the rbk.yaml nearest to the runbook
  std::string file;                           // as found on the path
  ParseResult parsed;                         // parsed.document->runbook() is set
  std::unique_ptr<FileModuleLoader> modules;  // its imports, loaded and checked
  Diagnostics warnings;                       // its rbk.yaml's, to show before it runs
  /// Where its `call`s are found: the runbook path, then its own folder
  /// (as rbk lint checks them).
  std::vector<std::string> call_path() const {
    std::vector<std::string> out = scope.path;
    const std::string dir = std::filesystem::path(file).parent_path().string();
    out.push_back(dir.empty() ? "." : dir);
    return out;
  }
};

/// A project: the working directory, its rbk.yaml and the runbook path.
class Workspace {
 public:
  /// The project at `cwd`; an error in its rbk.yaml is the problem (with
  /// every diagnostic), its warnings are kept in warnings().
  static Expected<std::unique_ptr<Workspace>, LoadProblem> open(const std::string& cwd);
  /// The project at the process's working directory.
  static Expected<std::unique_ptr<Workspace>, LoadProblem> open_here();

  const std::string& cwd() const { return cwd_; }
  /// The working directory's rbk.yaml (defaults when there is none).
  const Config& config() const { return root_.config; }
  /// The working directory's runbook path.
  const std::vector<std::string>& path() const { return root_.path; }
  /// The warnings rbk.yaml gave when the project was opened.
  const Diagnostics& warnings() const { return warnings_; }
  /// The folders of the runbook path that exist, as the user would type
  /// them: what lint and test take when given no paths.
  std::vector<std::string> runbook_dirs() const;

  /// The rbk.yaml nearest to `file` (its folder, then the folders above);
  /// with none, the working directory's. Read once per folder and per file;
  /// its diagnostics (warnings included) are in the problem or in
  /// `warnings` the first time it is read. Not thread-safe.
  Expected<const ProjectScope*, LoadProblem> scope_for(const std::string& file,
                                                       Diagnostics& warnings);

  /// Finds `target` (a name on the path or a file), then loads and checks it
  /// under its nearest rbk.yaml; it must be a runbook without errors.
  Expected<std::unique_ptr<LoadedRunbook>, LoadProblem> load_runbook(const std::string& target);

 private:
  std::string cwd_;
  ProjectScope root_;
  Diagnostics warnings_;
  std::map<std::string, const ProjectScope*> by_dir_;     // folder → its scope
  std::map<std::string, const ProjectScope*> by_config_;  // rbk.yaml path → its scope
  std::list<ProjectScope> scopes_;                        // stable addresses
};

/// The destructive-command patterns every command uses (stdlib/), read once
/// per call; the problem says why they cannot be used.
Expected<DestructivePatterns, LoadProblem> load_patterns();

/// Parses and checks the runbook in `file` for a `call`; one line when it
/// cannot be used.
Expected<std::unique_ptr<ParseResult>, std::string> load_called(const std::string& file,
                                                                ModuleLoader& modules);

/// `call`ed runbooks, found on a search path, loaded and checked once for
/// every thread of a command; the documents live as long as this.
class CalledRunbooks {
 public:
  /// The runbook `name` on `path`, or why it cannot be had.
  Expected<const ast::Document*, std::string> find(const std::vector<std::string>& path,
                                                   const std::string& name);

 private:
  std::mutex mu_;
  FileModuleLoader modules_;
  std::map<std::string, std::pair<std::unique_ptr<ParseResult>, std::string>> docs_;
};

}  // namespace rbk
