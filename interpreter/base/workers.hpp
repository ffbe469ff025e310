// The worker pool of the commands that take many files or cases (lint, fmt,
// test): one worker per core, this thread being one of them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace rbk {

/// Runs `worker` on min(cores, jobs, max_threads) threads (at least one, the
/// calling thread among them) and returns when every one has returned. Each
/// worker takes its jobs itself (an atomic index), so a slow job holds up
/// no other.
template <typename Worker>
void run_workers(size_t jobs, Worker&& worker, size_t max_threads = SIZE_MAX) {
  size_t n =
      std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), jobs, max_threads});
  std::vector<std::thread> pool;
  for (size_t t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace rbk
