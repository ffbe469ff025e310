#include "cli/tty_operator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "cli/terminal.hpp"
#include "interpreter/base/fd.hpp"
#include "interpreter/base/names.hpp"

namespace rbk::cli {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string current_user() {
  std::string name;
  if (const passwd* pw = getpwuid(geteuid())) name = pw->pw_name;
  if (name.empty())
    if (const char* u = std::getenv("USER")) name = u;
  if (name.empty()) name = "uid " + std::to_string(geteuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo)
    name += std::string(" (sudo from ") + sudo + ")";
  return name;
}

TtyOperator::TtyOperator(bool non_interactive, const CancelToken* cancel, bool color)
    : cancel_(cancel), color_(color), user_(current_user()) {
  if (!non_interactive) fd_ = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

TtyOperator::~TtyOperator() {
  if (fd_ >= 0) ::close(fd_);
}

bool TtyOperator::settle() {
  // Waiting here holds only this thread, which waits for a person anyway;
  // the run's events keep going into the display's queue meanwhile.
  return !display_ || display_->drain(cancel_);
}

void TtyOperator::put(const std::string& text) {
  if (fd_ < 0) return;
  write_all(fd_, text);  // a terminal that went away: nothing more to say
}

void TtyOperator::say(const std::string& text) {
  if (fd_ < 0) return;
  settle();  // cancelled: said anyway, as the answer that follows is nullopt
  put(text);
}

std::optional<std::string> TtyOperator::read_line() {
  // Canonical mode: the terminal edits the line; we see it after Enter.
  std::string line;
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {cancel_ ? cancel_->fd() : -1, POLLIN, 0}};
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) {
      if (cancel_ && cancel_->cancelled()) return std::nullopt;
      continue;
    }
    if (r < 0 || (cancel_ && cancel_->cancelled())) return std::nullopt;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char c;
      ssize_t n = ::read(fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;  // end of input (Ctrl-D) or the terminal went away
      if (c == '\n') return line;
      line += c;
      if (line.size() > 4096) return std::nullopt;
    }
  }
}

void TtyOperator::hide() {
  std::lock_guard lock(prompt_mu_);
  if (!waiting_.empty()) put("\r\033[K");
}

void TtyOperator::show() {
  std::lock_guard lock(prompt_mu_);
  if (!waiting_.empty()) put(waiting_);
}

std::optional<std::string> TtyOperator::ask_line(const std::string& shown) {
  // The gate's lines, the step's output: shown before the question, not
  // after it. Not under prompt_mu_: the display's thread takes it (hide()).
  if (!settle()) return std::nullopt;
  {
    std::lock_guard lock(prompt_mu_);
    put(shown);
    size_t nl = shown.rfind('\n');
    waiting_ = nl == std::string::npos ? shown : shown.substr(nl + 1);
  }
  auto line = read_line();
  std::lock_guard lock(prompt_mu_);
  waiting_.clear();
  return line;
}

std::optional<bool> TtyOperator::confirm(const std::string& question) {
  // Values in a question (captures, parameters) are shown, never obeyed.
  auto line = ask_line(printable(question) + (color_ ? " \033[1m[y/N]\033[0m " : " [y/N] "));
  if (!line) {
    say("\n");
    return std::nullopt;
  }
  std::string a = lower(trim(*line, " \t\r"));
  return a == "y" || a == "yes";
}

std::optional<std::string> TtyOperator::typed(const std::string& question,
                                              const std::string& expected) {
  auto line = ask_line(printable(question) + "\n" + "  Type " + (color_ ? "\033[1m" : "") +
                       printable(expected) + (color_ ? "\033[0m" : "") +
                       " to go ahead (anything else refuses): ");
  if (!line) say("\n");
  if (line && !line->empty() && line->back() == '\r') line->pop_back();
  return line;
}

std::optional<ManualAnswer> TtyOperator::manual(const std::string& instruction) {
  say(printable(instruction) + "\n");
  while (true) {
    auto line = ask_line("  Answer done, skip or fail: ");
    if (!line) {
      say("\n");
      return std::nullopt;
    }
    std::string a = lower(trim(*line, " \t\r"));
    if (a == "done" || a == "d") return ManualAnswer::Done;
    if (a == "skip" || a == "s") return ManualAnswer::Skip;
    if (a == "fail" || a == "f") return ManualAnswer::Fail;
  }
}

std::optional<InFlightAnswer> TtyOperator::in_flight(const InFlightQuestion& q) {
  const std::string told = describe(q);
  say(printable(told));
  while (true) {
    auto line = ask_line(
        "  [r]un it again, count it as [d]one, count it as [f]ailed (undo and rollback "
        "follow), or [s]top: ");
    if (!line) {
      say("\n");
      return std::nullopt;
    }
    std::string a = lower(trim(*line, " \t\r"));
    if (a == "r" || a == "run") return InFlightAnswer::RunAgain;
    if (a == "d" || a == "done") return InFlightAnswer::Done;
    if (a == "f" || a == "failed") return InFlightAnswer::Failed;
    if (a == "s" || a == "stop") return std::nullopt;
  }
}

std::optional<std::string> TtyOperator::ask(const std::string& question, const std::string& retry) {
  if (!retry.empty()) say("  " + printable(retry) + "; try again.\n");
  auto line = ask_line("  " + printable(question) + "\n  > ");
  if (!line) {
    say("\n");
    return std::nullopt;
  }
  return trim(*line, " \t\r");
}

std::optional<std::string> TtyOperator::ask(const std::string& question) {
  auto line = ask_line(printable(question));
  if (!line) say("\n");
  return line;
}

}  // namespace rbk::cli
