// Small helpers the lio side of every workload shares.
#ifndef LIO_BENCH_LIO_UTIL_H_
#define LIO_BENCH_LIO_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "bench/harness.h"
#include "lio/core/backend.h"

namespace lio::bench {

// lio::Backend::Open(name) with `capacity` and `options`; on failure nullopt
// and *note says why (the registry's message: no such plugin, probe failed...).
// `flags`: LIO_CONFIG_* promises (LIO_CONFIG_UNIQUE_IDS).
std::optional<lio::Backend> OpenBackend(const std::string& name, uint32_t capacity, const std::string& options,
                                        std::string* note, uint32_t flags = 0);

// The poller's options for a worker pool of `workers` threads, if the poller
// takes a "workers" key (it is tried once and remembered), else "".
std::string PollerOptions(int workers);

// "-EINVAL" style text for a negative lio result.
std::string ResultText(int64_t result);

// What a closed loop's caller makes of one completion.
enum class LoopStep {
  kFailed,     // the caller has set *note: the loop stops issuing and drains
  kFinished,   // one unit of work is done: counted inside the window
  kContinues,  // the slot's unit needs its next op, issued even while draining
};

// A closed loop: `depth` slots (ids 0 .. depth-1), each with one op in
// flight; each completion is judged by `step(completion)` and answered with
// the slot's next op, `next(slot)` (which also gives every slot's first).
// Units finished in the window (s.warmup_seconds after the start, for
// s.seconds) are counted; after it, or after a failure, finished slots are
// not refilled and the loop drains. Returns the count; *note is set when the
// figure is not to be trusted (a failed step, a failed wait). A template so
// the calls inline like the hand-written loops they replace.
template <class Next, class Step>
uint64_t RunClosedLoop(lio::Backend& backend, const Settings& s, int depth, Next next, Step step,
                       std::string* note) {
  for (int i = 0; i < depth; ++i) backend.push(static_cast<uint64_t>(i), next(static_cast<uint64_t>(i)));
  backend.flush();
  const double start = NowSeconds() + s.warmup_seconds;
  const double end = start + s.seconds;
  uint64_t counted = 0;
  int in_flight = depth;
  bool stopping = false;
  while (in_flight > 0) {
    auto done = backend.wait();
    if (!done) {
      *note = "wait: " + done.error().message();
      break;
    }
    const double now = NowSeconds();
    if (now >= end) stopping = true;
    for (const lio_completion& c : *done) {
      --in_flight;
      const LoopStep result = step(c);
      if (result == LoopStep::kFailed) {
        stopping = true;
        continue;
      }
      if (result == LoopStep::kFinished) {
        if (stopping) continue;
        if (now >= start) ++counted;
      }
      backend.push(c.id, next(c.id));
      ++in_flight;
    }
    backend.flush();
  }
  return counted;
}

}  // namespace lio::bench

#endif  // LIO_BENCH_LIO_UTIL_H_
