// The Runner's questions and messages: `ask` (the operator's typed answer,
// from the record, --answer or the terminal), `now`, and `message` text
// rendered where it is used.
#include "interpreter/engine/runner.hpp"
#include "interpreter/record/mask.hpp"
#include "interpreter/runtime/evaluate.hpp"
#include "interpreter/runtime/params.hpp"

namespace rbk::engine {

std::string Runner::now_text() const {
  // "2026-12-05T11:34:44.123Z" → "2026-12-05T11:34:44Z": a person reads it.
  std::string t = ctx_.clock->wall_time();
  if (auto dot = t.find('.'); dot != std::string::npos && t.back() == 'Z')
    t = t.substr(0, dot) + "Z";
  return t;
}

std::optional<Value> Runner::message_value(const std::string& name, bool* complete) const {
  auto it = messages_.find(name);
  if (it == messages_.end()) return std::nullopt;
  std::vector<EvalError> failed;
  auto text = interpolate(it->second->text, RunbookScope(*this), &failed);
  if (complete) *complete = failed.empty();
  return Value::of_text(text ? *text : std::string());
}

std::string Runner::unanswered(const ast::Duration* d) const {
  // In a template's statement the names are the template's own.
  if (!d || !d->param || binding_ || req_.params.count(*d->param)) return {};
  auto a = answers_.find(*d->param);
  if (a == answers_.end() || a->second.kind != ValueKind::Empty) return {};
  return "'" + d->text + "' has no value: the answer '" + *d->param +
         "' was not given (its step did not ask)";
}

BlockResult Runner::exec_ask(const ast::Ask& a, const std::string& step) {
  const std::string& name = a.decl->name.name;
  const std::string question = bus_.mask(text(a.question, step));
  ev::Ask event{.step = qualified(step),
                .name = name,
                .question = question,
                .type = ast::answer_type_text(a),
                .by = ctx_.op->user()};
  std::optional<Value> value;
  std::string refused;
  std::optional<ev::Ask> recorded;
  if (ctx_.resume) recorded = ctx_.resume->recorded_ask(qualified(step));
  auto take = [&](const std::string& given) {
    auto v = convert_answer(a, given);
    if (v)
      value = std::move(*v);
    else
      refused = v.error();
    return v.has_value();
  };
  // Answered before the run died; unless the record masked the answer (a
  // redaction pattern matched it): then it is asked for again, never
  // handed to commands as "***".
  if (recorded && recorded->answer.value &&
      recorded->answer.value->value.find(kMask) != std::string::npos)
    recorded.reset();
  if (recorded && recorded->answer.value) {
    event.via = recorded->via;
    event.answer = recorded->answer;
    event.attempts = recorded->attempts;
    take(recorded->answer.value->value);
  } else if (auto given = ctx_.answers.find(qualified(name)); given != ctx_.answers.end()) {
    event.via = ev::AskVia::Flag;
    event.answer.value = ev::Text(given->second);
    if (!take(given->second)) refused = "--answer " + qualified(name) + ": " + refused;
  } else if (ctx_.op->interactive()) {
    // Asked again until the answer is a TYPE; a person mistypes at 3 a.m.
    event.via = ev::AskVia::Tty;
    std::string retry;
    int attempts = 0;
    while (!value && attempts < kAskAttempts) {
      std::optional<std::string> typed = ctx_.op->ask(question + " [" + event.type + "]", retry);
      if (!typed || interrupted()) break;
      ++attempts;
      event.answer.value = ev::Text(*typed);
      if (!take(*typed)) retry = refused;
    }
    event.attempts = attempts;
    if (!value && attempts == kAskAttempts)
      refused = std::to_string(attempts) + " answers refused; the last: " + refused;
    else if (!value && refused.empty())
      refused = "no answer to the question";
  } else {
    refused =
        "a question without a terminal; answer it with --answer " + qualified(name) + "=VALUE";
  }
  if (interrupted()) return {BlockEnd::Interrupted, "interrupted"};
  if (!value) event.reason = ev::Text(refused);
  bus_.emit(std::move(event));
  if (!value) return {BlockEnd::Refused, refused};
  std::lock_guard lock(state_mu_);
  answers_[name] = std::move(*value);
  return {};
}

}  // namespace rbk::engine
