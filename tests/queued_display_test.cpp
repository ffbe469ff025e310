// The run's display queue (cli/queued_display) on its own, in front of a
// display the test can hold still as a paused terminal holds rbk: callers
// do not wait for it once it stopped, events keep their order and are never
// dropped, output past the bound is counted and reported once per gap (then
// the gap's last lines) while a display that keeps writing loses nothing,
// drain() waits for
// what was queued before it (and gives up on a cancel), and the destructor
// writes out everything. rbk with its stdout unread end to end:
// run_cli_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/queued_display.hpp"
#include "test_support.hpp"

using rbk::Event;
using rbk::Stream;
using rbk::cli::QueuedDisplay;

namespace {

/// What the display behind the queue was given, one line per call
/// ("event warning 3", "output 1 stdout 10240", "skipped 1 stdout 20480"),
/// and a latch that holds every call, as a paused terminal holds fwrite.
struct Shown {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> calls;
  bool held = false;
  bool hung = false;  // a call was held past the hang guard: the test never let go

  void hold() {
    std::lock_guard lock(mu);
    held = true;
  }
  void let_go() {
    {
      std::lock_guard lock(mu);
      held = false;
    }
    cv.notify_all();
  }
  void add(std::string call) {
    std::unique_lock lock(mu);
    calls.push_back(std::move(call));
    if (!cv.wait_for(lock, rbk::test::kHangGuard, [this] { return !held; })) hung = true;
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mu);
    return calls;
  }
};

/// A display that writes into a Shown.
class FakeDisplay final : public rbk::cli::Display {
 public:
  explicit FakeDisplay(Shown& shown) : shown_(shown) {}
  void event(const Event& e) override {
    const auto* w = e.as<rbk::ev::Warning>();
    shown_.add("event " + std::string(e.type()) + (w ? " " + w->message.value : ""));
  }
  void output(uint64_t seq, Stream stream, std::string_view chunk) override {
    shown_.add("output " + std::to_string(seq) + " " + name(stream) + " " +
               std::to_string(chunk.size()));
  }
  void skipped(uint64_t seq, Stream stream, uint64_t bytes) override {
    shown_.add("skipped " + std::to_string(seq) + " " + name(stream) + " " + std::to_string(bytes));
  }

 private:
  static std::string name(Stream s) { return s == Stream::Out ? "stdout" : "stderr"; }
  Shown& shown_;
};

/// How long a held display writes nothing before the queue gives up on it.
constexpr std::chrono::milliseconds kStopped{10};

Event warning(int n) {
  return Event{rbk::ev::Warning{.message = std::to_string(n)}};
}

/// `n` lines of `width` bytes each, the newline included.
std::string lines_of(size_t n, size_t width) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += std::string(width - 1, 'y') + "\n";
  return out;
}

}  // namespace

TEST_CASE("a stopped display holds none of its callers and loses no event", "[display]") {
  Shown shown;
  const std::string chunk = lines_of(1024, 100);  // 102,400 bytes
  std::vector<std::string> expected;
  {
    // Room for two chunks, not three; the display counts as stopped once it
    // wrote nothing for 10 ms (it is held until let go: the outcome does not
    // depend on the time).
    QueuedDisplay q(std::make_unique<FakeDisplay>(shown), 250 * 1024, kStopped);
    shown.hold();  // the terminal is paused from here on
    q.event(warning(0));
    q.output(1, Stream::Out, chunk);
    q.output(1, Stream::Out, chunk);
    q.output(1, Stream::Out, chunk);  // over the bound: counted, its end kept
    q.output(1, Stream::Err, "oops");
    q.output(1, Stream::Out, chunk);
    for (int i = 1; i <= 500; ++i) q.event(warning(i));  // events are never dropped
    // Every call above returned while the display was held. Once it goes on:
    shown.let_go();
    REQUIRE(q.drain());
    expected = {"event warning 0", "output 1 stdout 102400", "output 1 stdout 102400",
                // One count per gap, before the event that came after it, then
                // the gap's last 64 KiB from a line's start: 655 lines.
                "skipped 1 stdout 139300", "output 1 stdout 65500",
                // Four bytes: kept whole, nothing is missing.
                "output 1 stderr 4"};
    for (int i = 1; i <= 500; ++i) expected.push_back("event warning " + std::to_string(i));
    CHECK(shown.snapshot() == expected);
    // The queue is empty again: output is queued again.
    q.output(2, Stream::Out, chunk);
    expected.push_back("output 2 stdout 102400");
    q.event(warning(501));
    expected.push_back("event warning 501");
  }  // the destructor wrote out the rest
  CHECK(shown.snapshot() == expected);
  CHECK_FALSE(shown.hung);
}

TEST_CASE("output counted at the end of the display's queue is reported when it is written out",
          "[display]") {
  Shown shown;
  {
    QueuedDisplay q(std::make_unique<FakeDisplay>(shown), 1024, kStopped);
    shown.hold();
    q.output(3, Stream::Out, std::string(900, 'x'));
    for (int i = 0; i < 3; ++i) q.output(3, Stream::Out, lines_of(4000, 10));  // counted
    shown.let_go();
  }
  // 120,000 bytes went by: the last 65,530 of them, from a line's start, are shown.
  const std::vector<std::string> expected{"output 3 stdout 900", "skipped 3 stdout 54470",
                                          "output 3 stdout 65530"};
  CHECK(shown.snapshot() == expected);
  CHECK_FALSE(shown.hung);
}

TEST_CASE("a display that keeps writing gets every byte however slow it is", "[display]") {
  // A --json reader that is busy, not gone: the command waits for it, as it
  // always did. Only a display that writes nothing for the hang guard would
  // count as stopped here.
  Shown shown;
  uint64_t given = 0;
  {
    QueuedDisplay q(std::make_unique<FakeDisplay>(shown), 64 * 1024, rbk::test::kHangGuard);
    for (int i = 0; i < 1000; ++i) {
      const std::string chunk = lines_of(100, 100);
      q.output(1, Stream::Out, chunk);
      given += chunk.size();
    }
  }
  uint64_t written = 0;
  for (const std::string& call : shown.snapshot()) {
    REQUIRE(call.rfind("output 1 stdout ", 0) == 0);  // nothing skipped
    written += std::stoull(call.substr(16));
  }
  CHECK(written == given);
}

TEST_CASE("drain waits for what the display queued before it, and gives up when cancelled",
          "[display]") {
  Shown shown;
  QueuedDisplay q(std::make_unique<FakeDisplay>(shown));
  for (int i = 0; i < 1000; ++i) {
    q.event(warning(i));
    q.output(1, Stream::Out, "line\n");
  }
  REQUIRE(q.drain());
  CHECK(shown.snapshot().size() == 2000);  // written out, not only queued

  // A paused terminal and Ctrl-C: the question is not shown, and the asking
  // thread is not held.
  shown.hold();
  q.event(warning(1000));
  rbk::CancelToken cancel;
  cancel.cancel();
  CHECK_FALSE(q.drain(&cancel));
  shown.let_go();
  CHECK(q.drain());
  CHECK(shown.snapshot().back() == "event warning 1000");
  CHECK_FALSE(shown.hung);
}
