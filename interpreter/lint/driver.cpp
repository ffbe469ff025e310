#include "interpreter/lint/driver.hpp"

#include <atomic>
#include <map>

#include "interpreter/base/workers.hpp"
#include "interpreter/lint/lint.hpp"
#include "interpreter/runtime/process_runner.hpp"

namespace rbk {

Expected<LintPolicies, LoadProblem> lint_policies(Workspace& ws,
                                                  const std::vector<std::string>& files,
                                                  const DestructivePatterns& patterns,
                                                  bool shellcheck, Diagnostics& warnings) {
  // Each file is linted under the rbk.yaml nearest to it (its folder, then
  // the folders above), as editors and CI see it: a folder of examples or of
  // another team's runbooks can carry its own policy inside one repository.
  LintPolicies out;
  auto& policies = out.policies;
  auto& policy_of = out.policy_of;
  policy_of.assign(files.size(), 0);
  std::map<const ProjectScope*, size_t> policy_index;
  for (size_t i = 0; i < files.size(); ++i) {
    auto scope = ws.scope_for(files[i], warnings);
    if (!scope) return fail(std::move(scope.error()));
    auto [it, fresh] = policy_index.try_emplace(*scope, policies.size());
    if (fresh) {
      LintOptions lo;
      lo.config = &(*scope)->config;
      lo.patterns = &patterns;
      lo.runbook_path = (*scope)->path;
      lo.shellcheck = shellcheck;
      policies.push_back(std::move(lo));
    }
    policy_of[i] = it->second;
  }
  return out;
}

void lint_files(const std::vector<std::string>& files, const LintPolicies& plan,
                const LintDone& done) {
  const auto& policies = plan.policies;
  const auto& policy_of = plan.policy_of;

  std::atomic<size_t> next{0};
  // Each worker lints its files up to ShellCheck, then runs one ShellCheck
  // process for the shell literals of a batch of them; memory stays bounded
  // by the batch (each file's parse tree lives until its batch is done).
  constexpr size_t kShellCheckBatch = 32;
  auto worker = [&] {
    FileModuleLoader loader;  // not thread-safe: one per worker
    ProcessRunner runner;     // its supervisors serve the worker's batches in turn
    struct Pending {
      size_t index;
      LintFileResult result;
      ParseResult parsed;
      PendingLint lint;
    };
    std::vector<Pending> batch;
    auto internal = [&](LintFileResult& r, size_t i, const std::exception& e) {
      Diagnostic d;
      d.path = files[i];
      d.message = std::string("internal error while linting: ") + e.what();
      r.diags.push_back(std::move(d));
    };
    auto flush = [&] {
      std::vector<PendingLint*> lints;
      for (Pending& p : batch) lints.push_back(&p.lint);
      std::vector<std::string> notes;
      try {
        lint_shellcheck(lints, runner, notes);
      } catch (const std::exception& e) {
        notes.push_back(std::string("shellcheck skipped: ") + e.what());
      }
      for (Pending& p : batch) {
        LintFileResult& r = p.result;
        r.notes.insert(r.notes.end(), notes.begin(), notes.end());
        try {
          Diagnostics more =
              lint_finish(*p.parsed.document, policies[policy_of[p.index]], std::move(p.lint));
          r.diags.insert(r.diags.end(), more.begin(), more.end());
        } catch (const std::exception& e) {
          internal(r, p.index, e);
        }
        p.parsed = ParseResult{};  // the tree goes before the findings wait for their turn
        done(p.index, std::move(r));
      }
      batch.clear();
    };
    for (size_t i = next++; i < files.size(); i = next++) {
      LintFileResult r;
      try {
        if (auto file = load_source(files[i], r.diags)) {
          ParseResult pr = parse(file);
          r.diags = std::move(pr.diagnostics);
          if (pr.document) {
            PendingLint lint = lint_start(*pr.document, policies[policy_of[i]], loader);
            batch.push_back(Pending{i, std::move(r), std::move(pr), std::move(lint)});
            r = LintFileResult{};
            if (batch.size() >= kShellCheckBatch || !policies[policy_of[i]].shellcheck) flush();
            continue;
          }
        }
      } catch (const std::exception& e) {
        internal(r, i, e);
      }
      done(i, std::move(r));
    }
    flush();
  };
  run_workers(files.size(), worker);
}

}  // namespace rbk
