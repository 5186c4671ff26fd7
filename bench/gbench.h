// Google Benchmark where it fits: the micro workloads (nop, push, in-flight
// scaling) are Google Benchmark functions, run with the harness's repetitions
// and with --benchmark_enable_random_interleaving, so the repetitions of a
// lio variant and its reference are shuffled together rather than run back
// to back. A custom reporter turns each repetition's items/s into the row's
// figure; Google Benchmark's own console output is not shown.
#ifndef LIO_BENCH_GBENCH_H_
#define LIO_BENCH_GBENCH_H_

#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/harness.h"

namespace lio::bench {

struct GbVariant {
  std::string key;
  // Calls state.SetItemsProcessed; state.SkipWithError when it cannot run.
  std::function<void(benchmark::State&)> fn;
  // Items per second → the row's figure (e.g. x / 1e6 for Mop/s, 1e9 / x for ns/op).
  std::function<double(double items_per_second)> figure;
  bool manual_time = false;  // fn times itself with state.SetIterationTime
  // Google Benchmark's min time is this × --seconds. A manual-time variant
  // whose timed part is a small share of each iteration wants less.
  double min_time_share = 0.5;
  // Rates over the calling thread's CPU time (user + system) rather than wall
  // time: for work that all runs on that thread (nop rounds: user space and
  // io_uring_enter), its cost without the time other processes held the core.
  bool thread_cpu_time = false;
};

void RunGoogleBenchmarks(const Settings& s, const std::vector<GbVariant>& variants, Results* out);

}  // namespace lio::bench

#endif  // LIO_BENCH_GBENCH_H_
