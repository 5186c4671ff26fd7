#include "bench/gbench.h"

#include <map>

#include "absl/strings/str_format.h"

namespace lio::bench {

namespace {

class Collector : public benchmark::BenchmarkReporter {
 public:
  Collector(const Settings& s, const std::map<std::string, const GbVariant*>& variants, Results* out)
      : settings_(s), variants_(variants), out_(out) {}

  bool ReportContext(const Context&) override { return true; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      auto it = variants_.find(run.run_name.function_name);
      if (it == variants_.end()) continue;
      Measurement& m = (*out_)[it->first];
      if (run.error_occurred) {
        m.note = run.error_message;
        continue;
      }
      auto rate = run.counters.find("items_per_second");
      if (rate == run.counters.end() || rate->second.value <= 0) {
        m.note = "no items_per_second";
        continue;
      }
      double x = it->second->figure(rate->second.value);
      m.samples.push_back(x);
      if (settings_.verbose) {
        absl::FPrintF(stderr, "  %-40s repetition %d: %.4g (%d iterations)\n", it->first,
                      static_cast<int>(run.repetition_index) + 1, x, static_cast<int>(run.iterations));
      }
    }
  }

 private:
  const Settings& settings_;
  const std::map<std::string, const GbVariant*>& variants_;
  Results* out_;
};

void InitializeOnce() {
  static bool done = [] {
    static char arg0[] = "lio_bench";
    static char arg1[] = "--benchmark_enable_random_interleaving=true";
    char* argv[] = {arg0, arg1, nullptr};
    int argc = 2;
    benchmark::Initialize(&argc, argv);
    return true;
  }();
  (void)done;
}

}  // namespace

void RunGoogleBenchmarks(const Settings& s, const std::vector<GbVariant>& variants, Results* out) {
  if (variants.empty()) return;
  InitializeOnce();
  benchmark::ClearRegisteredBenchmarks();
  std::map<std::string, const GbVariant*> by_name;
  for (const GbVariant& v : variants) {
    by_name[v.key] = &v;
    auto fn = v.fn;
    auto* b = benchmark::RegisterBenchmark(v.key.c_str(), [fn](benchmark::State& st) { fn(st); });
    b->Repetitions(s.repetitions)->MinTime(std::max(0.005, s.seconds * v.min_time_share))->ReportAggregatesOnly(false);
    if (v.manual_time) {
      b->UseManualTime();
    } else if (!v.thread_cpu_time) {
      b->UseRealTime();
    }  // else Google Benchmark's default: the thread's CPU time
  }
  Collector collector(s, by_name, out);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::ClearRegisteredBenchmarks();
  // A variant that failed in some repetitions and not others keeps the samples
  // it has; one that never produced a figure keeps only its note.
  for (const GbVariant& v : variants) {
    Measurement& m = (*out)[v.key];
    if (!m.samples.empty()) m.note.clear();
  }
}

}  // namespace lio::bench
