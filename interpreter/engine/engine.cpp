#include "interpreter/engine/engine.hpp"

#include "interpreter/engine/runner.hpp"

namespace rbk {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Resolved:
      return "resolved";
    case Outcome::NotFiring:
      return "not_firing";
    case Outcome::Failed:
      return "failed";
    case Outcome::NotRestored:
      return "not_restored";
    case Outcome::Refused:
      return "refused";
    case Outcome::Interrupted:
      return "interrupted";
    case Outcome::Error:
      return "error";
    case Outcome::RecordFailed:
      return "record_failed";
  }
  return "error";
}

int exit_code_for(Outcome o) {
  switch (o) {
    case Outcome::Resolved:
    case Outcome::NotFiring:
      return 0;
    case Outcome::Failed:
      return 1;
    case Outcome::Error:
      return 2;
    case Outcome::NotRestored:
      return 3;
    case Outcome::Refused:
      return 4;
    case Outcome::RecordFailed:
      return 5;
    case Outcome::Interrupted:
      return 130;
  }
  return 2;
}

RunResult run_runbook(EngineContext& ctx, const RunRequest& req) {
  using engine::Bus;
  using engine::Runner;
  RunResult r;
  if (!req.doc || !req.doc->runbook()) {
    r.message = "not a runbook";
    return r;
  }
  Masker masker({}, ctx.config->redact);
  Bus bus(ctx, masker);
  // Inline in virtual time, where the record's order must not depend on threads.
  Notifier notifier(ctx.clock->is_virtual());
  try {
    Runner runner(ctx, bus, notifier, req, 0, "", {});
    return runner.run();
  } catch (const std::exception& e) {
    // A bug must not take the record with it: the record still ends, and the
    // caller reports the message.
    r.message = std::string("internal error: ") + e.what();
  }
  try {
    notifier.drain();
    bus.emit("run_end", {{"outcome", outcome_name(Outcome::Error)},
                         {"exit_code", r.exit_code},
                         {"message", r.message}});
    bus.sync();
  } catch (const std::exception&) {  // nothing more can be done; the CLI says why
  }
  return r;
}

}  // namespace rbk
