// million_timers: 1,000,000 timers scheduled and fired (libxev's
// million-timers, libuv's benchmark-million-timers): timer i is due after
// (i / 1000) + 1 ms, so they fire over about one second, a thousand at a time.
// Figure: timers per second of process CPU time spent scheduling and firing
// them (the second of idle waiting costs no CPU and is the same for all).
// lio: lio::Loop on each backend; reference: libuv timers (bench/ref/uv_timers.c).
#include <string>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/ref/uv_timers.h"

namespace lio::bench {
namespace {

constexpr int kTimers = 1000000;
const char* const kLoopRows[] = {"Loop/io_uring", "Loop/poller"};

std::string Key(const std::string& who) { return "million_timers " + who; }

std::optional<double> UvTimers(std::string* note) {
  uv_timers_result r{};
  if (uv_million_timers(kTimers, &r) != 0) {
    *note = absl::StrFormat("libuv timers: error %d (%d fired)", r.error, r.fired);
    return std::nullopt;
  }
  return kTimers / r.cpu_seconds / 1e6;
}

class MillionTimersWorkload : public Workload {
 public:
  int order() const override { return 40; }
  std::string name() const override { return "million_timers"; }
  std::string method(const Settings&) const override {
    return "million_timers: 1M timers, timer i due after i/1000+1 ms; M timers per CPU-second (process user+sys "
           "time from the first schedule to the last fire)";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* l : kLoopRows) {
      rows.push_back({"million_timers", l, "1M timers, due 1..1000 ms", "M/cpu-s", Key(l), Key("libuv"),
                      "libuv timers", Target::AtLeast(1.0), 2});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::vector<Variant> variants;
    if (needed.count(Key("libuv"))) variants.push_back({Key("libuv"), UvTimers});
    for (const char* l : kLoopRows) {
      if (needed.count(Key(l))) (*out)[Key(l)].note = "lio::Loop has not landed yet (//lio/core:loop)";
    }
    RunInterleaved(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(MillionTimersWorkload)

}  // namespace
}  // namespace lio::bench
