// inflight: does the cost of an op grow with the number of ops in flight?
// N ops in flight: N - 8 parked timeouts (1 hour, pushed and flushed before
// the measured loop) and 8 nops cycling — push 8, flush, wait until the 8 are
// back. Figure: nanoseconds per cycling nop. Each backend is compared with
// itself at N = 10; capacity = N. Google Benchmark, random interleaving.
#include <string>

#include "absl/strings/str_format.h"
#include "bench/gbench.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr int kCycling = 8;
constexpr int kSizes[] = {10, 1000, 100000};
constexpr int64_t kParkNs = int64_t{3600} * 1'000'000'000;
const char* const kBackends[] = {"io_uring", "poller"};

std::string Key(const std::string& backend, int n) { return absl::StrFormat("inflight %s N=%d", backend, n); }

void Inflight(benchmark::State& state, const std::string& backend_name, const std::string& options, int n) {
  std::string note;
  auto backend = OpenBackend(backend_name, static_cast<uint32_t>(n), options, &note);
  if (!backend) {
    state.SkipWithError(note.c_str());
    return;
  }
  const lio::Op park = lio::Op::Timeout(kParkNs);
  for (int i = 0; i < n - kCycling; ++i) {
    std::error_code e = backend->push(uint64_t{1} << 40 | static_cast<uint64_t>(i), park);
    if (e == std::errc::resource_unavailable_try_again) {  // queue full: hand over what is queued
      backend->flush();
      e = backend->push(uint64_t{1} << 40 | static_cast<uint64_t>(i), park);
    }
    if (e) {
      state.SkipWithError(absl::StrFormat("parking timeout %d of %d: %s", i, n - kCycling, e.message()).c_str());
      return;
    }
  }
  backend->flush();
  const lio::Op nop = lio::Op::Nop();
  uint64_t id = 0;
  for (auto _ : state) {
    for (int i = 0; i < kCycling; ++i) backend->push(++id, nop);
    backend->flush();
    int done = 0;
    while (done < kCycling) {
      auto completions = backend->wait();
      if (!completions) {
        state.SkipWithError(("wait: " + completions.error().message()).c_str());
        return;
      }
      for (const lio_completion& c : *completions) {
        if (c.id >> 40) {
          state.SkipWithError(absl::StrFormat("a parked timeout completed: %s", ResultText(c.result)).c_str());
          return;
        }
      }
      done += static_cast<int>(completions->size());
    }
  }
  state.SetItemsProcessed(state.iterations() * kCycling);
}

class InflightWorkload : public Workload {
 public:
  int order() const override { return 50; }
  std::string name() const override { return "inflight"; }
  std::string method(const Settings&) const override {
    return "inflight: N ops in flight = N-8 parked 1-hour timeouts + 8 nops cycling (push 8, flush, wait for "
           "8); ns per cycling nop vs the same backend at N=10; capacity N; Google Benchmark";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* b : kBackends) {
      for (int n : kSizes) {
        if (n == kSizes[0]) continue;
        rows.push_back({"inflight", b, absl::StrFormat("%d in flight", n), "ns/op", Key(b, n), Key(b, kSizes[0]),
                        absl::StrFormat("itself at %d", kSizes[0]), Target::AtMost(1.2), 0});
      }
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    auto ns = [](double per_second) { return 1e9 / per_second; };
    const std::string poller_options = PollerOptions(s.poller_workers);
    std::vector<GbVariant> variants;
    for (const char* b : kBackends) {
      std::string options = std::string(b) == "poller" ? poller_options : "";
      for (int n : kSizes) {
        if (!needed.count(Key(b, n))) continue;
        std::string name = b;
        variants.push_back({Key(b, n), [name, options, n](benchmark::State& st) { Inflight(st, name, options, n); }, ns});
      }
    }
    RunGoogleBenchmarks(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(InflightWorkload)

}  // namespace
}  // namespace lio::bench
