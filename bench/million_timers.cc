// million_timers: 1,000,000 timers scheduled and fired (libxev's
// million-timers, libuv's benchmark-million-timers): timer i is due after
// (i / 1000) + 1 ms, so they fire over about one second, a thousand at a time.
// Figure: timers per second of process CPU time spent scheduling and firing
// them (the second of idle waiting costs no CPU and is the same for all).
// lio: lio::Loop on each backend, two ways: loop.after(delay, callback) —
// the callback API, like uv_timer_start, one timer slot per timer, so the loop
// is opened with LoopOptions::timers = 1M (timer slots are the loop's own; the
// backend keeps its normal capacity of 1024 operations) — and one spawned
// coroutine per timer doing co_await lio::sleep(delay) (the loop's timer heap,
// no slot; each coroutine frame is one allocation, made while scheduling).
// Reference: libuv timers (bench/ref/uv_timers.c).
#include <string>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/ref/uv_timers.h"
#include "lio/runtime/loop.h"
#include "lio/runtime/timeout.h"

namespace lio::bench {
namespace {

constexpr int kTimers = 1000000;
const char* const kBackends[] = {"io_uring", "poller"};

std::string Key(const std::string& who) { return "million_timers " + who; }

std::optional<double> UvTimers(std::string* note) {
  uv_timers_result r{};
  if (uv_million_timers(kTimers, &r) != 0) {
    *note = absl::StrFormat("libuv timers: error %d (%d fired)", r.error, r.fired);
    return std::nullopt;
  }
  return kTimers / r.cpu_seconds / 1e6;
}

lio::Task<void> Sleeper(std::chrono::milliseconds delay, int* fired) {
  co_await lio::sleep(delay);
  ++*fired;
}

// `coroutines`: spawned sleepers; else loop.after.
std::optional<double> LoopTimers(const std::string& backend, bool coroutines, bool verbose, std::string* note) {
  const uint32_t timers = coroutines ? lio::LoopOptions::kDefaultTimers : kTimers;
  auto loop = lio::Loop::Open({.backend = backend, .capacity = 1024, .at_capacity = lio::AtCapacity::kQueue, .timers = timers});
  if (!loop) {
    *note = loop.error().message;
    return std::nullopt;
  }
  int fired = 0;
  const double cpu0 = ProcessCpuSeconds();
  int64_t timeout_ms = 0;
  for (int i = 0; i < kTimers; ++i) {
    if (i % 1000 == 0) ++timeout_ms;
    if (coroutines) {
      (*loop)->spawn(Sleeper(std::chrono::milliseconds(timeout_ms), &fired));
    } else if (!(*loop)->after(std::chrono::milliseconds(timeout_ms), [&fired] { ++fired; })) {
      *note = absl::StrFormat("loop.after refused timer %d (all %u timer slots armed)", i,
                              (*loop)->timer_capacity());
      return std::nullopt;
    }
  }
  const double wall0 = NowSeconds();
  std::error_code e = (*loop)->run();
  const double cpu = ProcessCpuSeconds() - cpu0;
  if (verbose) {
    absl::FPrintF(stderr, "  Loop/%s %s: %.3f s CPU, run %.3f s, %d turns\n", backend, coroutines ? "sleep" : "after", cpu,
                  NowSeconds() - wall0, (*loop)->stats().turns);
  }
  if (e || fired != kTimers) {
    *note = absl::StrFormat("loop.run: %s, %d of %d fired", e.message(), fired, kTimers);
    return std::nullopt;
  }
  return kTimers / cpu / 1e6;
}

class MillionTimersWorkload : public Workload {
 public:
  int order() const override { return 40; }
  std::string name() const override { return "million_timers"; }
  std::string method(const Settings&) const override {
    return "million_timers: 1M timers, timer i due after i/1000+1 ms; M timers per CPU-second (process user+sys "
           "time from the first schedule to the last fire); loop.after opens the loop with capacity 1024 and "
           "LoopOptions::timers = 1M";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* b : kBackends) {
      std::string row = std::string("Loop/") + b;
      rows.push_back({"million_timers", row, "1M loop.after, due 1..1000 ms", "M/cpu-s", Key(row + " after"),
                      Key("libuv"), "libuv timers", Target::AtLeast(1.0), 2});
      rows.push_back({"million_timers", row, "1M co_await sleep, due 1..1000 ms", "M/cpu-s", Key(row + " sleep"),
                      Key("libuv"), "libuv timers", Target::AtLeast(1.0), 2});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::vector<Variant> variants;
    if (needed.count(Key("libuv"))) variants.push_back({Key("libuv"), UvTimers});
    for (const char* b : kBackends) {
      for (bool coroutines : {false, true}) {
        std::string key = Key(std::string("Loop/") + b + (coroutines ? " sleep" : " after"));
        if (!needed.count(key)) continue;
        std::string name = b;
        variants.push_back({key, [name, coroutines, &s](std::string* note) {
                              return LoopTimers(name, coroutines, s.verbose, note);
                            }});
      }
    }
    RunInterleaved(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(MillionTimersWorkload)

}  // namespace
}  // namespace lio::bench
