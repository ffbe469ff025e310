#include "cli/run_display.hpp"

#include "cli/terminal.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "interpreter/base/format_str.hpp"

#include "interpreter/base/json_fields.hpp"
#include "interpreter/base/json_text.hpp"
#include "interpreter/project/catalog.hpp"
#include "interpreter/runtime/value.hpp"

namespace rbk::cli {

namespace {

using nlohmann::json;

using json_fields::flag;
using json_fields::num;
using json_fields::str;

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

void TextDisplay::tick() {
  // Redraws "running 12s" once a second while a command is silent.
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
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

void TextDisplay::event(const Event& e) {
  std::lock_guard lock(mu_);
  const json d = printable_json(e.data);  // nothing from a command may steer the terminal
  const std::string& t = e.type;
  if (t == "run_start") {
    line(paint("1", "rbk run " + str(d, "runbook")) +
         (str(d, "title").empty() ? "" : " · " + str(d, "title")) +
         (str(d, "severity").empty() ? "" : " · severity " + str(d, "severity")));
    line("run " + str(d, "run_id") + (record_dir_.empty() ? "" : " · record " + record_dir_));
    // Which rbk.yaml is in force (its redaction, policy and notifications)
    // is never left to guess: a run from another directory uses the
    // runbook's nearest one.
    line("config " + (str(d, "config").empty() ? std::string("none (rbk's defaults)")
                                               : display_path(str(d, "config"))));
  } else if (t == "call_run_start") {
    line(paint("1", "  ↳ calling " + str(d, "runbook")));
  } else if (t == "section") {
    line("");
    line(paint("1;36", "── " + str(d, "section") + " "));
  } else if (t == "step_start") {
    std::string title = str(d, "title");
    line("  " + paint("1", str(d, "step")) + (title.empty() ? "" : "  " + title) +
         (flag(d, "destructive") ? paint("33", "  [destructive]") : ""));
  } else if (t == "command_start") {
    running_ = true;
    running_step_ = str(d, "step");
    running_since_ = last_output_ = std::chrono::steady_clock::now();
    line(
        paint("2", "    $ " + first_line(str(d, "command"))) +
        (num(d, "attempt") > 1 ? paint("2", format_str("  (attempt {})", num(d, "attempt"))) : ""));
  } else if (t == "command_end") {
    running_ = false;
    // The end of each stream: an unterminated line, or the tail of a flood.
    std::string text;
    for (int s = 0; s < 2; ++s) end_flow(static_cast<uint64_t>(num(d, "seq")), s, text);
    if (!text.empty()) lines(text);
    std::string how;
    if (flag(d, "timed_out"))
      how = paint("31", "timed out");
    else if (flag(d, "cancelled"))
      how = paint("31", "interrupted");
    else if (flag(d, "spawn_failed"))
      how = paint("31", "could not start: " + str(d, "error"));
    else if (num(d, "signal"))
      how = paint("31", format_str("killed by signal {}", num(d, "signal")));
    else
      how = num(d, "exit") == 0 ? paint("32", "exit 0")
                                : paint("33", format_str("exit {}", num(d, "exit")));
    line("    " + how + paint("2", " · " + seconds(num(d, "duration_ms"))));
  } else if (t == "step_end") {
    if (str(d, "section") == "alert" && str(d, "status") == "ok")
      return;  // the signal line says it
    std::string status = str(d, "status");
    const char* color = status == "ok"        ? "32"
                        : status == "skipped" ? "2"
                        : status == "refused" ? "1;33"
                                              : "1;31";
    std::string reason = str(d, "reason");
    line("  " + paint(color, format_str("{:<8}", status)) + " " + str(d, "step") +
         paint("2", " · " + seconds(num(d, "duration_ms"))) +
         (reason.empty() ? "" : paint("2", " · " + reason)));
  } else if (t == "signal") {
    line(flag(d, "firing") ? paint("1;31", "  ● firing: " + str(d, "title"))
                           : paint("2", "  ○ not firing: " + str(d, "title")));
  } else if (t == "not_firing") {
    line("");
    line(paint("1;32", "No alert signal is firing: nothing to do.") +
         " Use --force to run the runbook anyway.");
  } else if (t == "cause") {
    line(flag(d, "matched") ? paint("1", "  ● cause " + str(d, "id") + ": " + str(d, "title"))
                            : paint("2", "  ○ " + str(d, "id") + ": " + str(d, "title")));
  } else if (t == "gate") {
    line(paint("1;33", "  ⚠ gate: " + str(d, "step")) + " — " + str(d, "reason"));
    // The exact commands the operator is asked about, every line of them.
    if (d.contains("commands") && d["commands"].is_array() && !d["commands"].empty()) {
      line("    it will run:");
      for (const auto& c : d["commands"]) {
        std::string text = c.is_string() ? c.get<std::string>() : "";
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
  } else if (t == "answer") {
    std::string by = str(d, "by");
    if (flag(d, "passed"))
      line(paint("32", "    approved") + paint("2", " by " + by + " via " + str(d, "via")));
    else
      line(paint("1;33", "    refused") + paint("2", " · " + str(d, "reason")));
  } else if (t == "manual") {
    // The instruction, also when there is no terminal to ask (the operator
    // reading the output must know what was left undone).
    std::string text = str(d, "via") == "tty" ? "" : str(d, "text");  // else asked on the tty
    for (size_t b = 0; b < text.size();) {
      size_t nl = text.find('\n', b);
      line("    " + paint("36", b == 0 ? "manual: " : "        ") +
           text.substr(b, nl == std::string::npos ? std::string::npos : nl - b));
      if (nl == std::string::npos) break;
      b = nl + 1;
    }
    line(paint("2",
               "    manual: " +
                   (d.contains("answer") && d["answer"].is_string() ? d["answer"].get<std::string>()
                                                                    : std::string("no answer")) +
                   " by " + str(d, "by")));
  } else if (t == "note") {
    line("    " + paint("36", "note: ") + str(d, "text"));
  } else if (t == "rollback") {
    line("");
    line(paint("1;31", "Remediation failed at " + str(d, "failed_step") +
                           ": undoing completed steps, then rolling back"));
  } else if (t == "escalation") {
    std::string who = str(d, "role");
    if (!str(d, "name").empty()) who += " (" + str(d, "name") + ")";
    std::string head = (str(d, "kind") == "page" ? "PAGE " : "NOTIFY ") + who;
    if (flag(d, "delivered")) {
      line(paint("1;35", "  ✉ " + head) + paint("2", " · " + str(d, "message")));
    } else {
      std::string contact = str(d, "contact");
      line(paint("1;35", "  ✉ " + head) + " — " + str(d, "how") +
           (contact.empty() ? "; contact them yourself" : "; contact: " + contact));
      line(paint("2", "      message: " + str(d, "message")));
    }
  } else if (t == "warning") {
    line(paint("33", "  warning: ") + str(d, "message"));
  } else if (t == "run_end") {
    std::string outcome = str(d, "outcome");
    const char* color = outcome == "resolved" || outcome == "not_firing" ? "1;32" : "1;31";
    line("");
    line(paint("1", "── summary"));
    line("  outcome  " + paint(color, outcome) + format_str(" (exit {})", num(d, "exit_code")));
    if (!str(d, "failed_step").empty())
      line((outcome == "refused"       ? "  refused  "
            : outcome == "interrupted" ? "  stopped  "
                                       : "  failed   ") +
           str(d, "failed_step"));
    std::string causes;
    for (const auto& c : d.value("causes", json::array()))
      causes += (causes.empty() ? "" : ", ") + c.get<std::string>();
    line("  causes   " + (causes.empty() ? "none matched" : causes));
    line(format_str("  steps    {} run · escalations {} · {}", num(d, "steps_run"),
                    num(d, "escalations"), seconds(num(d, "duration_ms"))));
    if (!str(d, "message").empty()) line("  error    " + str(d, "message"));
    if (!record_dir_.empty()) line("  record   " + record_dir_);
  }
}

void TextDisplay::output(uint64_t seq, Stream stream, std::string_view chunk) {
  std::lock_guard lock(mu_);
  last_output_ = std::chrono::steady_clock::now();
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
  json j = e.data;
  j["type"] = e.type;
  j["t"] = e.elapsed_ms;
  j["time"] = e.time;
  std::string s = json_text(j) + "\n";
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

}  // namespace rbk::cli
