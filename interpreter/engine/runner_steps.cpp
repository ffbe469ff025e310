// The Runner's steps: gates (the decision, the dialogue, approvals), and a
// step from its `when` to its step_end.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "interpreter/base/fd.hpp"
#include "interpreter/base/format_str.hpp"
#include "interpreter/base/names.hpp"
#include "interpreter/engine/runner.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/gate.hpp"
#include "interpreter/runtime/params.hpp"
#include "interpreter/runtime/rbk_env.hpp"
#include "interpreter/sema/expand.hpp"

namespace rbk::engine {

namespace {

// True when `value` holds what cannot be typed on one line of a terminal.
bool untypeable(std::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;  // C0 (a tab can be typed), DEL
    // C1 controls, U+0080..U+009F: shown escaped, so they cannot be typed.
    if (c == 0xC2 && i + 1 < value.size() &&
        (static_cast<unsigned char>(value[i + 1]) & 0xE0) == 0x80)
      return true;
  }
  return false;
}

}  // namespace

using nlohmann::json;

Gate Runner::gate_of(const std::vector<StepStatement>& stmts) const {
  // The values known now: parameters, earlier captures, answers, and a
  // template's arguments for its statements, built only when a command reads
  // a variable. A capture the step itself makes is known only when its
  // command runs (run_command checks again).
  std::optional<ShellValues> base;
  std::map<const ast::Use*, ShellValues> per_use;
  auto values = [&](const StepStatement& s) -> const ShellValues* {
    if (!base) base = shell_values(command_env(ev::Section::Alert, ""));
    if (!s.use) return &*base;
    auto [it, fresh] = per_use.try_emplace(s.use, *base);
    if (fresh) {
      // Its arguments, then its defaults, through the same filter as the
      // run's values (no secret, nothing holding one).
      std::vector<std::pair<std::string, std::string>> args;
      for (const auto& a : s.use->args) {
        Eval<Value> v = Value{};
        {
          std::lock_guard lock(state_mu_);
          v = evaluate(*a.value, *this);
        }
        if (v) args.emplace_back(a.name.name, to_display(*v));
      }
      for (const auto& p : s.tmpl->params) {
        it->second.erase(p.name.name);  // the template's own names hide the run's
        const bool given = std::any_of(args.begin(), args.end(),
                                       [&](const auto& kv) { return kv.first == p.name.name; });
        if (!given && p.default_value) args.emplace_back(p.name.name, to_display(default_value(p)));
      }
      for (auto& [name, v] : shell_values(args)) it->second[name] = std::move(v);
    }
    return &it->second;
  };
  return gate_for(stmts, gate_severity_, ctx_.config->policy, *ctx_.patterns, values);
}

ShellValues Runner::shell_values(
    const std::vector<std::pair<std::string, std::string>>& env) const {
  ShellValues out;
  for (const auto& [name, v] : env) {
    // A secret never chooses a verb, and must not reach a gate's reason.
    // rbk's own variables are rbk's (the patterns know $RBK_RECORD_DIR as
    // the record's folder, which its value would hide).
    const bool secret = std::any_of(secrets_.begin(), secrets_.end(),
                                    [&](const auto& sec) { return sec.first == name; });
    if (secret || name.starts_with("RBK_")) continue;
    // Nor a value holding one (a capture of a token): a gate's reason is cut
    // to a few dozen characters, and a secret cut in two escapes masking.
    if (bus_.mask(v) != v) continue;
    out[name] = v;
  }
  return out;
}

std::string Runner::ungated_by_values(const std::string& script,
                                      const std::vector<std::pair<std::string, std::string>>& env,
                                      bool gate_passed) const {
  // (No `$`: no value to read, and no environment to filter.)
  if (gate_passed || script.find('$') == std::string::npos) return {};
  std::string why = destructive_by_values(*ctx_.patterns, script, shell_values(env));
  if (why.empty()) return {};
  return "it " + why +
         ", and its step passed no gate for that (a step a value can make destructive is marked "
         "`destructive`, so that it asks first)";
}

BlockResult Runner::gated_exec(const std::vector<StepStatement>& stmts, const Gate& g,
                               const std::string& id, const std::string& title, Mode mode,
                               ev::Section section, bool evidence, bool* gate_passed) {
  BlockResult r = pass_gate(g, id, title, stmts);
  if (gate_passed) *gate_passed = r.end == BlockEnd::Ok;
  if (r.end != BlockEnd::Ok) return r;
  if (g.destructive) bus_.sync();  // the record says what is about to happen, on disk
  const bool outer = std::exchange(write_ahead_, write_ahead_ || g.destructive);
  r = exec(stmts, mode, id, section, evidence);
  write_ahead_ = outer;
  if (g.destructive) bus_.sync();
  return r;
}

BlockResult Runner::pass_gate(const Gate& g, const std::string& step, const std::string& title,
                              const std::vector<StepStatement>& stmts,
                              const std::vector<std::string>* targets) {
  if (g.kind == GateKind::None) return {};
  // A run that is stopping (Ctrl-C, or a record that cannot be written) asks nothing more.
  if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
  // `batch` and `batch_size` in the prompt and the typed value: this gate's hosts.
  struct BatchScope {
    Runner& r;
    BatchScope(Runner& run, const std::vector<std::string>* hosts) : r(run) {
      std::lock_guard lock(r.state_mu_);
      if (hosts) r.batch_ = *hosts;
    }
    ~BatchScope() {
      std::lock_guard lock(r.state_mu_);
      r.batch_.clear();
    }
  } batch_scope(*this, targets);
  const std::string id = qualified(step);
  const ev::GateKind kind = g.kind == GateKind::Typed ? ev::GateKind::Typed : ev::GateKind::Confirm;
  std::string question;
  std::string expected;
  if (g.confirm_at) bind_template(*g.confirm_at);
  if (g.confirm && g.confirm->prompt) question = text(*g.confirm->prompt, step);
  if (g.kind == GateKind::Typed) {
    if (g.confirm && g.confirm->typed) {
      Eval<Value> v = Value{};
      {
        std::lock_guard lock(state_mu_);
        v = evaluate(*g.confirm->typed, *this);
      }
      if (v && v->kind == ValueKind::List) {
        // A targets parameter, typed as it is given: `web`, `web-1,web-3`.
        std::vector<std::string> names;
        for (const auto& item : v->items) names.push_back(to_display(item));
        expected = join(names, ",");
      } else if (v) {
        expected = to_display(*v);
        // A command's output ends with a line break nobody types (`.stdout`
        // of a one-line answer): the value is the line.
        if (expected.ends_with("\r\n"))
          expected.resize(expected.size() - 2);
        else if (expected.ends_with('\n'))
          expected.pop_back();
      } else {
        warn(step, v.error());
      }
    }
    // The policy's typed gate (no value named): the operator types the step
    // id, as --approve names it (a called runbook's: CALLED/STEP).
    if (expected.empty() && !(g.confirm && g.confirm->typed)) expected = id;
  }
  const bool empty_value = g.kind == GateKind::Typed && expected.empty();
  // The gate's binding was made before the step's statements ran: drop it,
  // so the statements bind the template with the values they will see.
  binding_ = nullptr;
  bindings_.clear();
  std::string on;  // a batch's gate names every host it covers
  if (targets)
    on = format_str(" on {} ({} host{})", join(*targets), targets->size(),
                    targets->size() == 1 ? "" : "s");
  if (question.empty())
    question = "Run step '" + id + "'" + (title.empty() ? "" : " (" + title + ")") + on + "?";
  else if (targets)
    question += " [" + on.substr(4) + "]";
  // The operator's terminal is not the record: mask what the prompt shows.
  question = bus_.mask(question);
  std::vector<ev::Text> commands;  // what passing the gate lets run, exactly
  for (const auto& s : stmts) {
    if (const auto* r = std::get_if<ast::Run>(s.stmt)) commands.emplace_back(r->shell.text);
    if (const auto* u = std::get_if<ast::Until>(s.stmt)) commands.emplace_back(u->shell.text);
  }
  // A run started by an alert waits here for a person (rbk serve): what
  // the gate would let run and the plan after it, bound to a hash an
  // approval names. A value that cannot be typed is not asked for.
  std::optional<ev::Parked> parked;
  if (ctx_.park_at_gates) {
    const bool typable = !empty_value && bus_.mask(expected) == expected && !untypeable(expected);
    parked = ev::Parked{.step = id,
                        .kind = kind,
                        .prompt = question,
                        .destructive = g.destructive,
                        .expected = typable ? expected : "",
                        .commands = commands,
                        .targets = targets ? std::optional(*targets) : std::nullopt,
                        .remaining = remaining_after(step)};
    parked->plan_hash = plan_hash(*parked);
  }
  bus_.emit(ev::Gate{.step = id,
                     .kind = kind,
                     .prompt = question,
                     .reason = g.reason,
                     .destructive = g.destructive,
                     .expected = expected,
                     .commands = std::move(commands),
                     .targets = targets ? std::optional(*targets) : std::nullopt});
  ev::Answer answer{.step = id, .kind = kind, .by = ctx_.op->user()};
  if (targets) answer.targets = *targets;
  auto refuse = [&](const std::string& why) {
    answer.passed = false;
    answer.reason = why;
    bus_.emit(answer);
    return BlockResult{BlockEnd::Refused, why};
  };
  auto pass = [&](ev::Via via) {
    answer.passed = true;
    answer.via = via;
    bus_.emit(answer);
    return BlockResult{};
  };
  auto interrupt = [&] {
    answer.passed = false;
    answer.reason = "interrupted";
    bus_.emit(answer);
    return BlockResult{BlockEnd::Interrupted, "interrupted"};
  };
  if (interrupted()) return interrupt();  // e.g. the gate event could not be recorded
  if (ctx_.resume) {
    // Answered before the run died: the same answer, not asked again.
    if (auto recorded = ctx_.resume->recorded_answer(id)) {
      bus_.emit(*recorded);
      if (recorded->passed) return {};
      return {BlockEnd::Refused, recorded->reason ? recorded->reason->value : "refused"};
    }
  }
  // --approve STEP approves every target; --approve STEP@HOST one, and a
  // batch passes when each of its hosts is approved.
  const bool approved = ctx_.approve.count(id) ||
                        (targets && !targets->empty() &&
                         std::all_of(targets->begin(), targets->end(), [&](const std::string& t) {
                           return ctx_.approve.count(id + "@" + t) > 0;
                         }));
  if (approved) {
    answer.answer = {ev::Text("approved on the command line")};
    if (!ctx_.config->policy.allow_non_interactive_approval && !ctx_.op->interactive())
      return refuse("rbk.yaml's policy does not allow --approve without a terminal");
    return pass(ev::Via::Approve);
  }
  if (parked) {
    if (auto decided = decided_gate(*parked, answer, pass, refuse)) return *decided;
    if (!ctx_.op->interactive()) return park(std::move(*parked), answer);
  }
  // A typed value names the target; an empty one names none (it could not
  // be evaluated, or comes from a command that has not run yet), so there is
  // nothing the operator could check by typing it. Only an approval of the
  // step by name passes such a gate.
  if (empty_value)
    return refuse(
        "the value to type is empty, so it names no target; approve the step by name "
        "with --approve " +
        id + " if it should run");
  if (bus_.mask(expected) != expected)
    return refuse("the value to type contains a secret; approve the step with --approve " + id);
  // A line break or a control character cannot be typed on one line: the
  // gate would refuse every answer, so it says why at once.
  if (untypeable(expected))
    return refuse(
        "the value to type holds a line break or a control character, so it cannot be typed; "
        "approve the step by name with --approve " +
        id + " if it should run");
  // --yes answers y/N questions on a terminal. Without one it passes only
  // the `confirm` of a step that is not destructive, and only when the policy
  // allows approval without a terminal: a destructive step is approved by
  // name (--approve STEP) or not at all.
  const bool allowed = ctx_.config->policy.allow_non_interactive_approval;
  if (ctx_.yes && g.kind == GateKind::Confirm &&
      (ctx_.op->interactive() || (!g.destructive && allowed))) {
    answer.answer = {ev::Text("yes")};
    return pass(ev::Via::Yes);
  }
  if (!ctx_.op->interactive()) {
    std::string why = "no terminal to ask; approve it with --approve " + id;
    if (!allowed)
      why = "no terminal to ask, and rbk.yaml's policy allows no approval without one";
    else if (ctx_.yes && g.kind == GateKind::Typed)
      why += " (--yes never passes a typed confirmation)";
    else if (ctx_.yes)
      why += " (without a terminal --yes never passes a destructive step)";
    return refuse(why);
  }
  if (g.kind == GateKind::Confirm) {
    std::optional<bool> yes = ctx_.op->confirm(question);
    if (interrupted()) return interrupt();
    answer.answer = ev::OrNull<ev::Text>{};
    if (yes) answer.answer->value = ev::Text(*yes ? "yes" : "no");
    if (!yes || !*yes) return refuse(yes ? "answered no" : "no answer");
    return pass(ev::Via::Tty);
  }
  std::optional<std::string> typed = ctx_.op->typed(question, expected);
  if (interrupted()) return interrupt();
  answer.answer = ev::OrNull<ev::Text>{};
  if (typed) answer.answer->value = ev::Text(*typed);
  if (!typed) return refuse("no answer");
  if (*typed != expected) return refuse("typed '" + *typed + "', not '" + expected + "'");
  return pass(ev::Via::Tty);
}

BlockResult Runner::run_step(const ast::Step& st, ev::Section section, Mode mode) {
  const std::string& id = st.id.name;
  const std::string title = st.title ? text(*st.title, id) : "";
  if (st.when && !condition(*st.when, id)) {
    set_step(id, {.result = StepResult::Skipped});
    bus_.emit(ev::StepEnd{.step = qualified(id),
                          .section = section,
                          .title = title,
                          .status = ev::StepStatus::Skipped,
                          .duration_ms = 0,
                          .reason = "when " + std::string(st.when->span.text()) + " is false"});
    return {BlockEnd::Skipped, ""};
  }
  std::vector<StepStatement> stmts = expand_body(st.body, imports_);
  bindings_.clear();  // each step binds its templates afresh
  Gate g = gate_of(stmts);
  bool evidence = std::any_of(stmts.begin(), stmts.end(), [](const StepStatement& s) {
    return std::holds_alternative<ast::Evidence>(*s.stmt);
  });
  const Millis started = now();
  bus_.emit(ev::StepStart{
      .step = qualified(id), .section = section, .title = title, .destructive = g.destructive});
  bool gate_passed = false;
  const ast::On* on = nullptr;
  for (const auto& s : stmts)
    if (const auto* o = std::get_if<ast::On>(s.stmt)) on = o;
  std::vector<std::string> ran_on;  // a step `on` targets: the hosts where it ran
  BlockResult r =
      on ? run_on_targets(*on, stmts, g, id, title, mode, section, evidence, &gate_passed, ran_on)
         : gated_exec(stmts, g, id, title, mode, section, evidence, &gate_passed);
  if (gate_passed) ++steps_run_;
  StepState s;
  ev::StepStatus status = ev::StepStatus::Ok;
  switch (r.end) {
    case BlockEnd::Ok:
      s = {.result = StepResult::Ok, .ran = true};
      break;
    case BlockEnd::Failed:
    case BlockEnd::Interrupted:
      s = {.result = StepResult::Failed, .ran = gate_passed};
      status = r.end == BlockEnd::Failed ? ev::StepStatus::Failed : ev::StepStatus::Interrupted;
      break;
    case BlockEnd::Skipped:
      s = {.result = StepResult::Skipped, .ran = true};
      status = ev::StepStatus::Skipped;
      break;
    case BlockEnd::Refused:
      s = {.result = StepResult::Refused};
      status = ev::StepStatus::Refused;
      break;
  }
  set_step(id, s);
  ev::StepEnd end{.step = qualified(id),
                  .section = section,
                  .title = title,
                  .status = status,
                  .duration_ms = count(now() - started)};
  if (!r.reason.empty()) end.reason = r.reason;
  const Millis at = bus_.emit(std::move(end));
  if (status == ev::StepStatus::Ok) step_succeeded(id, at);
  // A step that completed is undone when a later one fails; so is one whose
  // `until` never held after its commands ran (they changed the system).
  if ((r.end == BlockEnd::Ok || r.changed) && mode == Mode::Act) {
    for (const auto& st2 : stmts)
      if (const auto* u = std::get_if<ast::Undo>(st2.stmt))
        undo_stack_.push_back({id, u, st2.use, st2.tmpl, nullptr, ran_on});
  }
  return r;
}

}  // namespace rbk::engine
