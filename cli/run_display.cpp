#include "cli/run_display.hpp"

#include "cli/terminal.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "interpreter/base/fields_walk.hpp"
#include "interpreter/base/format_str.hpp"
#include "interpreter/base/names.hpp"

#include "interpreter/base/json_text.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/record/event_json.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk::cli {

namespace {

/// Makes one leaf of an event printable() (numbers, booleans and enums are).
struct MakePrintable {
  void operator()(std::string& s) const { s = printable(s); }
  void operator()(ev::Text& t) const { t.value = printable(t.value); }
  void operator()(ev::JsonValue& j) const { j.value = printable_json(j.value); }
  template <class T>
  void operator()(T&) const {}
};

/// A copy of `e` whose strings cannot steer the terminal.
Event printable_event(const Event& e) {
  Event out = e;
  MakePrintable leaf;
  std::visit([&](auto& b) { for_each_leaf(b, leaf); }, out.body);
  return out;
}

/// The number of '\n' in `bytes`, eight bytes at a time: the one pass over
/// every byte of a flood the display still makes (std::count is not
/// vectorised at -O2).
uint64_t count_newlines(std::string_view bytes) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  uint64_t n = 0;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    const uint64_t x = w ^ (kOnes * '\n');  // a zero byte where a newline was
    // High bit set in each byte of x that is not zero (exact: no carries
    // between bytes), then the zero bytes' high bits summed by a multiply.
    const uint64_t nonzero = ((x & kLow7) + kLow7) | x;
    n += (((~nonzero & ~kLow7) >> 7) * kOnes) >> 56;
  }
  for (; i < bytes.size(); ++i) n += bytes[i] == '\n';
  return n;
}

std::string seconds(int64_t ms) {
  if (ms < 60'000) return format_str("{:.1f}s", static_cast<double>(ms) / 1000);
  return format_duration(ms / 1000 * 1000);
}

/// "512 bytes", "3.2 KiB", "12.3 MiB".
std::string size_text(uint64_t bytes) {
  if (bytes < 1024) return format_str("{} bytes", bytes);
  if (bytes < (1u << 20)) return format_str("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return format_str("{:.1f} MiB", static_cast<double>(bytes) / (1u << 20));
}

/// The first line of a command, shortened for a status line.
std::string first_line(const std::string& cmd) {
  std::string s = cmd.substr(0, cmd.find('\n'));
  if (s.size() > 100) s = s.substr(0, 97) + "...";
  return s + (cmd.find('\n') != std::string::npos ? " ..." : "");
}

}  // namespace

TextDisplay::TextDisplay(FILE* out, bool color, bool live) : out_(out), color_(color), live_(live) {
  if (live_) ticker_ = std::thread([this] { tick(); });
}

TextDisplay::~TextDisplay() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string TextDisplay::paint(const char* code, const std::string& text) const {
  return color_ ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
}

void TextDisplay::clear_ticker() {
  if (!ticker_shown_) return;
  std::fputs("\r\033[K", out_);
  ticker_shown_ = false;
}

void TextDisplay::line(const std::string& text) {
  lines(text + "\n");
}

void TextDisplay::lines(std::string_view text) {
  clear_ticker();
  if (live_ && prompt_) prompt_->hide();
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
  if (live_ && prompt_) prompt_->show();
}

std::string TextDisplay::fanout_status() const {
  size_t failed_now = 0;
  for (const auto& h : fan_.done) failed_now += fan_.failed.count(h);
  std::string running;
  size_t shown = 0;
  for (const auto& h : fan_.running) {
    if (++shown > 5) {
      running += ", …";
      break;
    }
    running += (running.empty() ? "" : ", ") + h;
  }
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                               fan_.since)
                  .count();
  return paint("2",
               format_str("    … batch {}/{} · {} of {} done, {} failed, {} running{} · {}s",
                          fan_.batch, fan_.batches, fan_.done.size(), fan_.size, failed_now,
                          fan_.running.size(), running.empty() ? "" : " (" + running + ")", secs));
}

void TextDisplay::show_fanout_status() {
  if (!live_ || !fan_.batch_running) return;
  std::fputs(("\r\033[K" + fanout_status()).c_str(), out_);
  std::fflush(out_);
  ticker_shown_ = true;
}

void TextDisplay::end_fanout() {
  if (fan_.hosts.empty()) return;
  std::string ok;
  size_t oks = 0;
  for (const auto& h : fan_.hosts)
    if (!fan_.failed.count(h)) ok += (oks++ ? ", " : "") + h;
  if (oks) line("      " + paint("32", format_str("ok ({})", oks)) + paint("2", " " + ok));
  for (const auto& h : fan_.hosts)
    if (auto it = fan_.failed.find(h); it != fan_.failed.end())
      line("      " + format_str("{:<16}", h) + " " + it->second);
  fan_ = Fanout{};
}

void TextDisplay::tick() {
  // Redraws "running 12s" once a second while a command is silent.
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (!stop_ && fan_.batch_running) {
      show_fanout_status();
      continue;
    }
    if (stop_ || !running_) continue;
    auto now = std::chrono::steady_clock::now();
    if (now - last_output_ < std::chrono::seconds(1)) continue;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - running_since_).count();
    std::fputs(("\r\033[K" + paint("2", format_str("    … {} running {}s (Ctrl-C stops it)",
                                                   running_step_, secs)))
                   .c_str(),
               out_);
    std::fflush(out_);
    ticker_shown_ = true;
  }
}

void TextDisplay::event(const Event& event) {
  std::lock_guard lock(mu_);
  const Event e = printable_event(event);  // nothing from a command may steer the terminal
  if (const auto* start = e.as<ev::RunStart>()) {
    line(paint("1", "rbk run " + start->runbook) +
         (start->title.empty() ? "" : " · " + start->title.value) +
         (start->severity.empty() ? "" : " · severity " + start->severity));
    line("run " + start->run_id + (record_dir_.empty() ? "" : " · record " + record_dir_));
    // Which rbk.yaml is in force (its redaction, policy and notifications)
    // is never left to guess: a run from another directory uses the
    // runbook's nearest one.
    line("config " + (start->config.value ? display_path(*start->config.value)
                                          : std::string("none (rbk's defaults)")));
  } else if (const auto* call = e.as<ev::CallRunStart>()) {
    line(paint("1", "  ↳ calling " + call->runbook));
    calls_.push_back(call->runbook);
  } else if (const auto* back = e.as<ev::CallRunEnd>()) {
    if (!calls_.empty()) calls_.pop_back();
    line(paint("1", "  ↲ " + back->runbook + " " + outcome_name(back->outcome) +
                        (calls_.empty() ? "" : ", back in " + calls_.back())));
  } else if (const auto* sec = e.as<ev::SectionStart>()) {
    // A called runbook's sections say whose they are: its steps are
    // approved as CALLED/STEP, and its remediate is not the caller's.
    std::string whose;
    for (const auto& c : calls_) whose += c + " › ";
    line("");
    line(paint("1;36", "── " + whose + std::string(name_of(sec->section)) + " "));
  } else if (const auto* step = e.as<ev::StepStart>()) {
    line("  " + paint("1", step->step) + (step->title.empty() ? "" : "  " + step->title.value) +
         (step->destructive ? paint("33", "  [destructive]") : ""));
  } else if (const auto* tstart = e.as<ev::CommandStart>(); tstart && tstart->target) {
    target_seqs_.insert(tstart->seq);
    const std::string& host = *tstart->target;
    if (std::find(fan_.hosts.begin(), fan_.hosts.end(), host) == fan_.hosts.end())
      fan_.hosts.push_back(host);
    fan_.running.insert(host);
    show_fanout_status();
  } else if (const auto* tend = e.as<ev::CommandEnd>(); tend && tend->target) {
    target_seqs_.erase(tend->seq);
    const std::string& host = *tend->target;
    fan_.running.erase(host);
    fan_.done.insert(host);
    if (!tend->ok && !fan_.failed.count(host))
      fan_.failed[host] =
          (tend->error       ? paint("31", tend->error->value)
           : tend->timed_out ? paint("31", "timed out")
           : tend->cancelled ? paint("31", "interrupted")
           : tend->signal    ? paint("31", format_str("killed by signal {}", tend->signal))
                             : paint("33", format_str("exit {}", tend->exit))) +
          paint("2", " · " + seconds(tend->duration_ms));
    show_fanout_status();
  } else if (const auto* batch = e.as<ev::BatchStart>()) {
    line(paint("1", format_str("    batch {}/{}", batch->batch, batch->batches)) +
         paint("2", " · " + join(batch->targets)));
    fan_.batch_running = true;
    fan_.batch = batch->batch;
    fan_.batches = batch->batches;
    fan_.size = batch->targets.size();
    fan_.running.clear();
    fan_.done.clear();
    fan_.since = std::chrono::steady_clock::now();
    show_fanout_status();
  } else if (const auto* bend = e.as<ev::BatchEnd>()) {
    fan_.batch_running = false;
    const std::string failed = join(bend->failed);
    line(paint(bend->failed.empty() ? "32" : "33",
               format_str("    batch {}: {} ok, {} failed", bend->batch, bend->ok.size(),
                          bend->failed.size())) +
         (failed.empty() ? "" : paint("2", " (" + failed + ")")) +
         (bend->stopped ? paint("1;31", " · too many failed targets: no further batch") : ""));
  } else if (const auto* cmd = e.as<ev::CommandStart>()) {
    running_ = true;
    running_step_ = cmd->step;
    running_since_ = last_output_ = std::chrono::steady_clock::now();
    line(paint("2", "    $ " + first_line(cmd->command.value)) +
         (cmd->attempt > 1 ? paint("2", format_str("  (attempt {})", cmd->attempt)) : ""));
  } else if (const auto* end = e.as<ev::CommandEnd>()) {
    running_ = false;
    // The end of each stream: an unterminated line, or the tail of a flood.
    std::string text;
    for (int s = 0; s < 2; ++s) end_flow(end->seq, s, text);
    if (!text.empty()) lines(text);
    std::string how;
    if (end->timed_out)
      how = paint("31", "timed out");
    else if (end->cancelled)
      how = paint("31", "interrupted");
    else if (end->spawn_failed.value_or(false))
      how = paint("31", "could not start: " + end->error.value_or(ev::Text()).value);
    else if (end->signal)
      how = paint("31", format_str("killed by signal {}", end->signal));
    else
      how = end->exit == 0 ? paint("32", "exit 0") : paint("33", format_str("exit {}", end->exit));
    line("    " + how + paint("2", " · " + seconds(end->duration_ms)));
  } else if (const auto* done = e.as<ev::StepEnd>()) {
    end_fanout();
    if (done->section == ev::Section::Alert && done->status == ev::StepStatus::Ok)
      return;  // the signal line says it
    const char* color = done->status == ev::StepStatus::Ok        ? "32"
                        : done->status == ev::StepStatus::Skipped ? "2"
                        : done->status == ev::StepStatus::Refused ? "1;33"
                                                                  : "1;31";
    const std::string reason = done->reason.value_or(ev::Text()).value;
    line("  " + paint(color, format_str("{:<8}", name_of(done->status))) + " " + done->step +
         paint("2", " · " + seconds(done->duration_ms)) +
         (reason.empty() ? "" : paint("2", " · " + reason)));
  } else if (const auto* sig = e.as<ev::Signal>()) {
    line(sig->firing ? paint("1;31", "  ● firing: " + sig->title.value)
                     : paint("2", "  ○ not firing: " + sig->title.value));
  } else if (e.as<ev::NotFiring>()) {
    line("");
    line(paint("1;32", "No alert signal is firing: nothing to do.") +
         " Use --force to run the runbook anyway.");
  } else if (const auto* cause = e.as<ev::Cause>()) {
    line(cause->matched ? paint("1", "  ● cause " + cause->id + ": " + cause->title.value)
                        : paint("2", "  ○ " + cause->id + ": " + cause->title.value));
  } else if (const auto* sv = e.as<ev::SeverityDecided>()) {
    std::string causes;
    for (const auto& c : sv->causes) causes += (causes.empty() ? "" : ", ") + c;
    line(paint("1", "  ▲ severity: " + (sv->from.empty() ? std::string("none") : sv->from) + " → " +
                        sv->to) +
         paint("2", " · decided by " + causes));
  } else if (const auto* gate = e.as<ev::Gate>()) {
    line(paint("1;33", "  ⚠ gate: " + gate->step) + " — " + gate->reason.value);
    if (gate->targets) {
      line(format_str("    on {} host{}: ", gate->targets->size(),
                      gate->targets->size() == 1 ? "" : "s") +
           paint("1", join(*gate->targets)));
    }
    // The exact commands the operator is asked about, every line of them.
    if (!gate->commands.empty()) {
      line("    it will run:");
      for (const auto& c : gate->commands) {
        const std::string& text = c.value;
        bool first = true;
        for (size_t b = 0; b <= text.size();) {
          size_t nl = text.find('\n', b);
          std::string l = text.substr(b, nl == std::string::npos ? std::string::npos : nl - b);
          line(paint("1", std::string(first ? "      $ " : "        ") + l));
          first = false;
          if (nl == std::string::npos) break;
          b = nl + 1;
        }
      }
    }
  } else if (const auto* answer = e.as<ev::Answer>()) {
    if (answer->passed)
      line(paint("32", "    approved") +
           paint("2", " by " + answer->by + " via " +
                          std::string(answer->via ? name_of(*answer->via) : "")));
    else
      line(paint("1;33", "    refused") +
           paint("2", " · " + answer->reason.value_or(ev::Text()).value));
  } else if (const auto* manual = e.as<ev::Manual>()) {
    // The instruction, also when there is no terminal to ask (the operator
    // reading the output must know what was left undone).
    const std::string text = manual->via == ev::Via::Tty ? "" : manual->text.value;
    for (size_t b = 0; b < text.size();) {
      size_t nl = text.find('\n', b);
      line("    " + paint("36", b == 0 ? "manual: " : "        ") +
           text.substr(b, nl == std::string::npos ? std::string::npos : nl - b));
      if (nl == std::string::npos) break;
      b = nl + 1;
    }
    line(paint("2", "    manual: " +
                        (manual->answer.value ? std::string(name_of(*manual->answer.value))
                                              : std::string("no answer")) +
                        " by " + manual->by));
  } else if (const auto* q = e.as<ev::Ask>()) {
    // The question too when nobody was asked (--answer, or no terminal).
    if (q->via != ev::AskVia::Tty) line("    " + paint("36", "ask: ") + q->question.value);
    const std::string how = !q->via                      ? " (no terminal)"
                            : q->via == ev::AskVia::Flag ? " (--answer)"
                                                         : " by " + q->by;
    line(paint("2", "    " + q->name + " = " +
                        (q->answer.value ? q->answer.value->value : std::string("no answer")) +
                        how + (q->reason ? ": refused" : "")));
  } else if (const auto* note = e.as<ev::Note>()) {
    line("    " + paint("36", "note: ") + note->text.value);
  } else if (const auto* rollback = e.as<ev::Rollback>()) {
    line("");
    line(paint("1;31", "Remediation failed at " + rollback->failed_step +
                           ": undoing completed steps, then rolling back"));
  } else if (const auto* esc = e.as<ev::Escalation>()) {
    std::string who = esc->role;
    if (esc->name && !esc->name->empty()) who += " (" + esc->name->value + ")";
    std::string head = (esc->kind == ev::NoticeKind::Page ? "PAGE " : "NOTIFY ") + who;
    if (esc->delivered) {
      line(paint("1;35", "  ✉ " + head) + paint("2", " · " + esc->message.value));
    } else {
      const std::string contact = esc->contact.value_or(ev::Text()).value;
      line(paint("1;35", "  ✉ " + head) + " — " + esc->how.value +
           (contact.empty() ? "; contact them yourself" : "; contact: " + contact));
      line(paint("2", "      message: " + esc->message.value));
    }
  } else if (const auto* warning = e.as<ev::Warning>()) {
    line(paint("33", "  warning: ") + warning->message.value);
  } else if (const auto* remark = e.as<ev::TimelineNote>()) {
    line(paint("1;34", "  ✎ note") + paint("2", " from " + remark->by + ": ") + remark->text.value);
  } else if (const auto* resume = e.as<ev::Resume>()) {
    line(paint("1;36", "── resumed") + paint("2", format_str(" by {} after {} down", resume->by,
                                                             format_duration(resume->down_ms))));
    if (resume->step && resume->decision) {
      const ev::InFlight d = *resume->decision;
      line("  " + *resume->step + " was running when the run died: " +
           (d == ev::InFlight::RunAgain ? "it runs again"
            : d == ev::InFlight::Done   ? "counted as done"
                                        : "counted as failed"));
    }
  } else if (const auto* run_end = e.as<ev::RunEnd>()) {
    const Outcome outcome = run_end->outcome;
    const char* color =
        outcome == Outcome::Resolved || outcome == Outcome::NotFiring ? "1;32" : "1;31";
    line("");
    line(paint("1", "── summary"));
    line("  outcome  " + paint(color, outcome_name(outcome)) +
         format_str(" (exit {})", run_end->exit_code));
    const std::string failed_step = run_end->failed_step.value_or("");
    if (!failed_step.empty())
      line((outcome == Outcome::Refused       ? "  refused  "
            : outcome == Outcome::Interrupted ? "  stopped  "
                                              : "  failed   ") +
           failed_step);
    std::string causes;
    for (const auto& c : run_end->causes.value_or(std::vector<std::string>{}))
      causes += (causes.empty() ? "" : ", ") + c;
    line("  causes   " + (causes.empty() ? "none matched" : causes));
    line(format_str("  steps    {} run · escalations {} · {}", run_end->steps_run.value_or(0),
                    run_end->escalations.value_or(0), seconds(run_end->duration_ms.value_or(0))));
    const std::string message = run_end->message.value_or(ev::Text()).value;
    if (!message.empty()) line("  error    " + message);
    if (!record_dir_.empty()) line("  record   " + record_dir_);
  }
}

void TextDisplay::output(uint64_t seq, Stream stream, std::string_view chunk) {
  std::lock_guard lock(mu_);
  last_output_ = std::chrono::steady_clock::now();
  if (target_seqs_.count(seq)) return;  // in the record only
  Flow& f = flows_[{seq, static_cast<int>(stream)}];
  if (f.hiding) return hide(f, chunk);
  std::string& buf = f.partial;
  buf.append(chunk);
  // Every complete line of the chunk in one write: a write and a flush per
  // line made a step printing short lines hundreds of times slower than
  // the command itself.
  std::string text;
  size_t start = 0, nl;
  while ((nl = buf.find('\n', start)) != std::string::npos && f.shown < kShownLines) {
    std::string l = printable(std::string_view(buf).substr(start, nl - start));
    text += "    │ ";
    text += stream == Stream::Err ? paint("2", l) : l;
    text += '\n';
    start = nl + 1;
    ++f.shown;
  }
  buf.erase(0, start);
  // A line past the first kShownLines (complete, or a long piece of one):
  // from here on the stream is only counted.
  if (f.shown == kShownLines && (buf.find('\n') != std::string::npos || buf.size() > 4096)) {
    text += paint("2", format_str("    │ … more than {} lines: the rest is in the record; the "
                                  "last {} are shown when the command ends",
                                  kShownLines, kTailLines)) +
            "\n";
    f.hiding = true;
    hide(f, buf);
    buf.clear();
  } else if (buf.size() > 4096) {  // a very long line without a newline: show it in pieces
    text += "    │ " + printable(buf) + "\n";
    buf.clear();
    ++f.shown;
  }
  if (!text.empty()) lines(text);
}

void TextDisplay::skipped(uint64_t seq, Stream stream, uint64_t bytes) {
  std::lock_guard lock(mu_);
  last_output_ = std::chrono::steady_clock::now();
  if (target_seqs_.count(seq)) return;  // in the record only
  Flow& f = flows_[{seq, static_cast<int>(stream)}];
  std::string text;
  if (f.hiding) {
    // The last lines shown when the command ends must not join the two sides
    // of the gap: they are taken from after it, which starts a line.
    f.tail.clear();
    f.cut = false;
  } else if (!f.partial.empty()) {
    // What comes after the gap is not the rest of this line.
    std::string p = printable(f.partial);
    text += "    │ " + (stream == Stream::Err ? paint("2", p) : p) + "\n";
    f.partial.clear();
    f.shown = std::min(f.shown + 1, kShownLines);  // at kShownLines, output() starts hiding
  }
  text += paint("2", "    │ … " + size_text(bytes) +
                         (stream == Stream::Err ? " of stderr" : " of output") +
                         " not shown: the terminal did not keep up (all of it is in the record)") +
          "\n";
  lines(text);
}

void TextDisplay::hide(Flow& f, std::string_view bytes) {
  f.hidden += count_newlines(bytes);
  // Enough bytes for kTailLines ordinary lines; a longer line is cut.
  constexpr size_t kTailBytes = 64 * 1024;
  if (bytes.size() >= kTailBytes) {
    f.tail.assign(bytes.substr(bytes.size() - kTailBytes));
    f.cut = true;
  } else {
    f.tail.append(bytes);
    if (f.tail.size() > 2 * kTailBytes) {
      f.tail.erase(0, f.tail.size() - kTailBytes);
      f.cut = true;
    }
  }
}

void TextDisplay::end_flow(uint64_t seq, int stream, std::string& text) {
  auto it = flows_.find({seq, stream});
  if (it == flows_.end()) return;
  Flow& f = it->second;
  auto show = [&](std::string_view l) {
    std::string p = printable(l);
    text += "    │ " + (stream == static_cast<int>(Stream::Err) ? paint("2", p) : p) + "\n";
  };
  if (!f.hiding) {
    if (!f.partial.empty()) show(f.partial);
  } else {
    // The last kTailLines complete lines, and an unterminated one after them.
    std::string_view t = f.tail;
    size_t line_end = t.size();
    std::string_view unterminated;
    if (!t.empty() && t.back() != '\n') {
      size_t nl = t.rfind('\n');
      unterminated = t.substr(nl == std::string_view::npos ? 0 : nl + 1);
      line_end = nl == std::string_view::npos ? 0 : nl + 1;
    }
    std::vector<std::string_view> last;
    while (line_end > 0 && last.size() < kTailLines) {
      size_t prev = line_end >= 2 ? t.rfind('\n', line_end - 2) : std::string_view::npos;
      size_t begin = prev == std::string_view::npos ? 0 : prev + 1;
      if (begin == 0 && f.cut) break;  // the line began before the tail
      last.push_back(t.substr(begin, line_end - 1 - begin));
      line_end = begin;
    }
    const uint64_t not_shown = f.hidden - last.size();
    text += paint("2", format_str("    │ … {} lines not shown (the record has all of them)",
                                  not_shown)) +
            "\n";
    for (auto l = last.rbegin(); l != last.rend(); ++l) show(*l);
    if (!unterminated.empty()) show(unterminated);
  }
  flows_.erase(it);
}

void JsonLines::event(const Event& e) {
  std::string s = json_text(event_json(e)) + "\n";
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

void JsonLines::output(uint64_t seq, Stream stream, std::string_view chunk) {
  // What json_text() of {type, seq, stream, text} writes (keys in order),
  // built directly: output is the one event that can be a flood.
  std::string s = "{\"seq\":" + std::to_string(seq) +
                  ",\"stream\":" + (stream == Stream::Out ? "\"stdout\"" : "\"stderr\"") +
                  ",\"text\":";
  append_json_string(s, chunk);
  s += ",\"type\":\"output\"}\n";
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

void JsonLines::skipped(uint64_t seq, Stream stream, uint64_t bytes) {
  // Keys in name order, as json_text() writes every event.
  std::string s = "{\"bytes\":" + std::to_string(bytes) + ",\"seq\":" + std::to_string(seq) +
                  ",\"stream\":" + (stream == Stream::Out ? "\"stdout\"" : "\"stderr\"") +
                  ",\"type\":\"output_skipped\"}\n";
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

}  // namespace rbk::cli
