#include "cli/queued_display.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

namespace rbk::cli {

QueuedDisplay::QueuedDisplay(std::unique_ptr<Display> display, uint64_t bound,
                             std::chrono::milliseconds stalled)
    : display_(std::move(display)),
      bound_(bound),
      stalled_(stalled),
      writer_([this] { write(); }) {}

QueuedDisplay::~QueuedDisplay() {
  {
    std::lock_guard lock(mu_);
    close_gaps();
    stop_ = true;
  }
  work_.notify_one();
  writer_.join();
}

void QueuedDisplay::push(Item item) {
  queue_.push_back(std::move(item));
  ++pushed_;
  // The writer is woken only when it waits: a notify per chunk of a flood
  // would be a system call per chunk. The caller wakes it once mu_ is
  // released (wake_), so that it does not wake only to wait for mu_.
  if (idle_) {
    idle_ = false;
    wake_ = true;
  }
}

void QueuedDisplay::close_gaps() {
  std::vector<OpenGap> gaps;
  gaps.swap(gaps_);
  for (OpenGap& g : gaps) {
    // The tail from the start of a line, so that the display does not show
    // the end of a line as a line; one longer than kGapTail stays cut.
    size_t cut = 0;
    if (g.tail.size() > kGapTail) cut = g.tail.size() - kGapTail;
    if (size_t nl = g.tail.find('\n', cut); nl != std::string::npos && nl + 1 < g.tail.size())
      cut = nl + 1;
    g.tail.erase(0, cut);
    const uint64_t shown = g.tail.size();
    if (g.bytes > shown) push(Gap{g.seq, g.stream, g.bytes - shown});
    if (shown == 0) continue;
    Chunk c{g.seq, g.stream, std::move(g.tail)};
    // Counted like any chunk: a paused terminal holds at most the bound
    // and a tail per stream.
    queued_bytes_ += cost(c);
    push(std::move(c));
  }
}

void QueuedDisplay::event(const Event& e) {
  auto copy = std::make_unique<Event>(e);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    close_gaps();
    push(std::move(copy));
    wake = std::exchange(wake_, false);
  }
  if (wake) work_.notify_one();
}

void QueuedDisplay::output(uint64_t seq, Stream stream, std::string_view chunk) {
  const uint64_t n = chunk.size() + kChunkOverhead;  // cost() of its Chunk
  std::unique_lock lock(mu_);
  // Once stopped, the display gets output again when it has halved the
  // queue: resuming at the first free byte would cut its stream into many
  // small gaps.
  if (skipping_ && queued_bytes_ <= bound_ / 2) skipping_ = false;
  // (An empty queue takes any chunk.)
  while (!skipping_ && queued_bytes_ > 0 && queued_bytes_ + n > bound_) {
    // Full. A display that keeps writing is only slower than the command
    // (a --json reader that is busy, not gone): the command waits for it,
    // as it always did, and loses nothing. One that wrote nothing for
    // stalled_ is stopped: the run must not wait for it (the bus's lock is
    // held here, and the escalation timers need it).
    const uint64_t before = done_;
    ++waiting_;
    const bool wrote = written_.wait_for(lock, stalled_, [&] { return done_ != before; });
    --waiting_;
    if (!wrote) skipping_ = true;
  }
  if (skipping_) {
    auto g = std::find_if(gaps_.begin(), gaps_.end(),
                          [&](const OpenGap& o) { return o.seq == seq && o.stream == stream; });
    if (g == gaps_.end()) g = gaps_.insert(gaps_.end(), OpenGap{seq, stream, 0, {}});
    g->bytes += chunk.size();
    // The last kGapTail bytes at least, in one copy per chunk: trimmed when
    // twice that, not at every chunk.
    if (chunk.size() >= kGapTail) {
      g->tail.assign(chunk.substr(chunk.size() - kGapTail));
    } else {
      g->tail.append(chunk);
      if (g->tail.size() > 2 * kGapTail) g->tail.erase(0, g->tail.size() - kGapTail);
    }
    return;
  }
  close_gaps();
  queued_bytes_ += n;
  push(Chunk{seq, stream, std::string(chunk)});
  const bool wake = std::exchange(wake_, false);
  lock.unlock();
  if (wake) work_.notify_one();
}

bool QueuedDisplay::drain(const CancelToken* cancel) {
  // The writer asking (a display that calls back into its prompt) would
  // wait for itself.
  if (std::this_thread::get_id() == writer_.get_id()) return true;
  std::unique_lock lock(mu_);
  close_gaps();
  if (std::exchange(wake_, false)) work_.notify_one();
  const uint64_t until = pushed_;
  ++waiting_;
  bool drained = true;
  while (done_ < until) {
    if (cancel && cancel->cancelled()) {
      drained = false;
      break;
    }
    // A signal handler cancels (it can set a flag, not notify), so the flag
    // is looked at a few times a second while the terminal is paused.
    written_.wait_for(lock, std::chrono::milliseconds(100));
  }
  --waiting_;
  return drained;
}

void QueuedDisplay::write() {
  // A batch thread is not run ahead of the run's thread when woken: it
  // takes its queue when that thread waits (for a command) or on the other
  // CPU, in one batch, instead of a switch there and back per event.
  sched_param none{};
  ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &none);
  std::unique_lock lock(mu_);
  while (true) {
    if (queue_.empty()) {
      if (stop_) return;
      idle_ = true;
      work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      idle_ = false;
      continue;
    }
    // Taken all at once: the producers append meanwhile without waiting
    // for a display that may be stuck in fwrite.
    std::deque<Item> batch;
    batch.swap(queue_);
    lock.unlock();
    for (; !batch.empty(); batch.pop_front()) {  // each chunk freed once shown
      Item& item = batch.front();
      uint64_t freed = 0;
      try {
        if (const auto* e = std::get_if<std::unique_ptr<Event>>(&item)) {
          display_->event(**e);
        } else if (const auto* c = std::get_if<Chunk>(&item)) {
          freed = cost(*c);
          display_->output(c->seq, c->stream, c->text);
        } else {
          const Gap& g = std::get<Gap>(item);
          display_->skipped(g.seq, g.stream, g.bytes);
        }
      } catch (const std::exception&) {
        // Showing is a courtesy: the record has the event whatever happens here.
      }
      lock.lock();
      ++done_;
      queued_bytes_ -= freed;
      if (waiting_) written_.notify_all();
      lock.unlock();
    }
    lock.lock();
  }
}

}  // namespace rbk::cli
