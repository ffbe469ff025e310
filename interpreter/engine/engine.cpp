#include "interpreter/engine/engine.hpp"

#include "interpreter/engine/runner.hpp"

namespace rbk {

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
  // Resuming with a destructive command in flight that the operator has not
  // decided about yet: nobody is paged (`on interrupted`, timers that fell
  // due) before the decision, since stopping there must leave no trace, and
  // a page sent but never recorded would be sent again by the next resume.
  if (ctx.resume && ctx.resume->undecided()) notifier.hold();
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
    ev::RunEnd end;
    end.outcome = Outcome::Error;
    end.exit_code = r.exit_code;
    end.message = r.message;
    bus.emit(std::move(end));
    bus.sync();
  } catch (const std::exception&) {  // nothing more can be done; the CLI says why
  }
  return r;
}

}  // namespace rbk
