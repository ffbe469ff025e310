// The Runner's side of resume: a command the record already saw end is
// counted, not run again; the one that was in flight when the run died is
// settled by the operator after the step's probe (`verify` or `until`) ran.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/engine/runner.hpp"
#include "interpreter/record/mask.hpp"

namespace rbk::engine {

namespace {

// A resume's probe shows the operator how it went, not a log: its last
// lines, from at most this much output.
constexpr size_t kProbeOutputLimit = size_t{64} << 10;
constexpr size_t kProbeOutputLines = 5;

// The last `n` non-empty lines of `text`.
std::string probe_tail(std::string_view text, size_t n) {
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = std::min(text.find('\n', at), text.size());
    if (nl > at) lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : "\n") + std::string(lines[i]);
  return out;
}

}  // namespace

std::optional<CommandResult> Runner::resumed_result(ev::CommandStart& start, ev::Section section,
                                                    const std::string& step) {
  ResumeState& resume = *ctx_.resume;
  auto renumber = [&] {
    start.seq = ++*seq_;
    settle_in_flight(start, section, step);
    bus_.emit(start);
    if (write_ahead_) bus_.sync();
  };
  // An earlier resume ran this one again, under the next number: so does the
  // replay (as often as it was run again).
  while (bus_.replaying() && resume.ran_again(start.seq)) renumber();
  const auto& flying = resume.in_flight();
  if (flying && flying->seq == start.seq && resume.live()) {
    // The one that was running when the run died: counted as the operator
    // decided, or run again under a new number.
    auto counted = resume.in_flight_result(ctx_.op->user());
    if (!counted) renumber();
    return counted;
  }
  if (!bus_.replaying()) return std::nullopt;
  // The record saw it end: it is not run again.
  auto recorded = resume.recorded_result(start.seq, start.step);
  if (recorded) return recorded;
  bus_.diverge("command " + std::to_string(start.seq) + " of step " + start.step +
               " has no result in the record");
  CommandResult none;
  none.cancelled = true;
  none.error = "not run: the resume diverged";
  return none;
}

const StepStatement* Runner::probe_of_step() const {
  if (!stmts_) return nullptr;
  for (const auto& s : *stmts_)
    if (std::holds_alternative<ast::Verify>(*s.stmt)) return &s;
  for (const auto& s : *stmts_)
    if (std::holds_alternative<ast::Until>(*s.stmt)) return &s;
  return nullptr;
}

void Runner::run_probe(const StepStatement& probe, ev::Section section, const std::string& step,
                       InFlightQuestion& q) {
  const auto* verify = std::get_if<ast::Verify>(probe.stmt);
  const ast::Shell& shell = verify ? verify->shell : std::get<ast::Until>(*probe.stmt).shell;
  q.probe = bus_.mask(shell.text);
  CommandVerdict verdict = ctx_.patterns->judge(shell.text);
  // Run before any question and without a gate: it must only read. One rbk
  // cannot analyse may do anything, and is not run either (as a secret's
  // command, which also runs ungated).
  if (verdict.destructive) {
    q.probe_result = "not run: it looks destructive (" + verdict.destructive->pattern->why + ")";
    return;
  }
  if (verdict.unanalysable) {
    q.probe_result =
        bus_.mask("not run: rbk cannot analyse it (" + verdict.unanalysable->why + ")");
    return;
  }
  // With the probe's own template arguments, as it would run in the step;
  // bound for the probe only (a `use` binds its arguments when its first
  // statement runs, maybe after a command this probe comes before).
  const TemplateBinding* outer = binding_;
  const bool bound_before = !probe.use || bindings_.count(probe.use) > 0;
  bind_template(probe);
  std::vector<std::string> too_big;
  CommandSpec spec =
      command_spec(shell.text, ctx_.config->policy.default_timeout, section, step, too_big);
  binding_ = outer;
  if (!bound_before) bindings_.erase(probe.use);
  if (std::string why = capture_too_big_for(shell.text, too_big); !why.empty()) {
    q.probe_result = bus_.mask("not run: " + why);
    return;
  }
  if (std::string why = destructive_by_values(*ctx_.patterns, shell.text, shell_values(spec.env));
      !why.empty()) {
    q.probe_result = bus_.mask("not run: it looks destructive (it " + why + ")");
    return;
  }
  spec.capture_limit = kProbeOutputLimit;
  CommandResult r = ctx_.runner->run(spec, nullptr);
  q.probe_ran = true;
  q.probe_passed = r.ok();
  // Masked whole before the tail is taken: a secret cut in two would escape.
  std::string tail = probe_tail(bus_.mask(r.out.text + r.err.text), kProbeOutputLines);
  q.probe_result =
      (r.ok() ? "exit 0" : describe_failure(r, spec.timeout)) + (tail.empty() ? "" : "\n" + tail);
}

void Runner::settle_in_flight(const ev::CommandStart& start, ev::Section section,
                              const std::string& step) {
  ResumeState& resume = *ctx_.resume;
  if (!resume.asks_at(start)) return;
  const InFlightCommand& flying = *resume.in_flight();
  InFlightQuestion q{
      .step = flying.step, .command = bus_.mask(flying.command), .started = flying.started};
  ev::Resume& marker = resume.resume_event();
  if (const StepStatement* probe = probe_of_step()) {
    run_probe(*probe, section, step, q);
    marker.probe = ev::Text(q.probe);
    marker.probe_result = ev::Text(q.probe_result);
    if (q.probe_ran) marker.probe_passed = q.probe_passed;
  }
  std::optional<InFlightAnswer> answer;
  if (!interrupted()) answer = ctx_.op->in_flight(q);
  if (!answer || interrupted()) {
    resume.stop(interrupted());
    notifier_.discard();                     // nobody is told of a resume that did not happen
    if (ctx_.cancel) ctx_.cancel->cancel();  // the run unwinds; the replay drops every event
    return;
  }
  resume.decide(*answer == InFlightAnswer::RunAgain ? ev::InFlight::RunAgain
                : *answer == InFlightAnswer::Done   ? ev::InFlight::Done
                                                    : ev::InFlight::Failed,
                ev::Via::Tty);
  notifier_.release();  // the pages held while the operator decided
}

}  // namespace rbk::engine
