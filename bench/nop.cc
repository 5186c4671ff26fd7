// nop: the cost of the submit/complete path with nothing else in it. Each
// round pushes `batch` nops, flushes once and waits until all `batch` are
// back; figure: nops per second (Mop/s). lio's io_uring backend (through
// lio::Backend, i.e. the plugin's vtable) against a raw liburing loop doing the
// same on an identically set-up ring (bench/ref/uring_nop.c). Capacity 256.
// Two io_uring rows per batch: "io_uring+unique_ids" opens the backend with
// LIO_CONFIG_UNIQUE_IDS (ids go to the kernel as user_data, no id index: what
// lio::Loop does), "io_uring" without it (the checked path: duplicate check,
// id index).
// Loop/io_uring: the same rounds through lio::Loop's callback API — batch
// loop.nop(callback) calls, then run_once() until every callback has run (the
// loop flushes at the end of the turn and waits in the backend).
//
// Time: the thread's CPU time (user + system). A nop round runs all of its
// work on the calling thread — in user space and inside io_uring_enter, where
// the kernel completes nops inline — so that is its cost, without the time
// other processes held the core: on a shared 2-core machine wall time swung
// ±15% between runs while this stays within a few percent. One pair of rows
// (batch 32) is timed by the wall clock as well, to show the two agree.
#include <functional>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/gbench.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "bench/ref/uring_nop.h"
#include "lio/runtime/loop.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr int kBatches[] = {1, 32, 128};
constexpr uint32_t kCapacity = 256;

std::string LioKey(int batch) { return absl::StrFormat("nop io_uring batch=%d", batch); }
std::string UniqueKey(int batch) { return absl::StrFormat("nop io_uring+unique_ids batch=%d", batch); }
std::string RawKey(int batch) { return absl::StrFormat("nop liburing batch=%d", batch); }
std::string LoopKey(int batch) { return absl::StrFormat("nop Loop/io_uring batch=%d", batch); }
std::string WallKey(const std::string& key) { return key + " wall"; }
// The Loop as most programs open it (LoopOptions defaults: capacity 1024,
// kGrow, so io_uring is created for 16384), with the SQ as sized now and as
// it was sized before issue 15 (from the capacity: 32768 entries).
constexpr int kRingBatch = 32;
std::string LoopDefaultKey(const std::string& sq) { return "nop Loop/io_uring defaults sq=" + sq; }

void LioNop(benchmark::State& state, int batch, uint32_t flags) {
  std::string note;
  auto backend = OpenBackend("io_uring", kCapacity, "", &note, flags);
  if (!backend) {
    state.SkipWithError(note.c_str());
    return;
  }
  const lio::Op nop = lio::Op::Nop();
  uint64_t id = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) backend->push(++id, nop);
    backend->flush();
    int done = 0;
    while (done < batch) {
      auto completions = backend->wait();
      if (!completions) {
        state.SkipWithError(("wait: " + completions.error().message()).c_str());
        return;
      }
      for (const lio_completion& c : *completions) {
        if (c.result != 0) {
          state.SkipWithError(("nop completed with " + ResultText(c.result)).c_str());
          return;
        }
      }
      done += static_cast<int>(completions->size());
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void RawNop(benchmark::State& state, int batch) {
  ref_uring_nop ring;
  if (int error = ref_uring_nop_init(&ring, kCapacity); error < 0) {
    state.SkipWithError(absl::StrFormat("io_uring_queue_init_params: %s", strerror(-error)).c_str());
    return;
  }
  for (auto _ : state) {
    if (int error = ref_uring_nop_round(&ring, static_cast<unsigned>(batch)); error < 0) {
      state.SkipWithError(absl::StrFormat("raw liburing round: %s", strerror(-error)).c_str());
      break;
    }
  }
  ref_uring_nop_exit(&ring);
  state.SetItemsProcessed(state.iterations() * batch);
}

void LoopNop(benchmark::State& state, int batch) {
  auto loop = lio::Loop::Open({.backend = "io_uring", .capacity = kCapacity, .at_capacity = lio::AtCapacity::kQueue});
  if (!loop) {
    state.SkipWithError(loop.error().message.c_str());
    return;
  }
  int done = 0;
  bool failed = false;
  for (auto _ : state) {
    done = 0;
    for (int i = 0; i < batch; ++i) {
      (*loop)->nop([&](std::error_code ec) {
        ++done;
        if (ec) failed = true;
      });
    }
    while (done < batch) (*loop)->run_once();
    if (failed) {
      state.SkipWithError("a nop failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void LoopDefaultNop(benchmark::State& state, int batch, const std::string& backend_options) {
  auto loop = lio::Loop::Open({.backend = "io_uring", .backend_options = backend_options});
  if (!loop) {
    state.SkipWithError(loop.error().message.c_str());
    return;
  }
  int done = 0;
  for (auto _ : state) {
    done = 0;
    for (int i = 0; i < batch; ++i) (*loop)->nop([&done](std::error_code) { ++done; });
    while (done < batch) (*loop)->run_once();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

class NopWorkload : public Workload {
 public:
  int order() const override { return 10; }
  std::string name() const override { return "nop"; }
  std::string method(const Settings&) const override {
    return "nop: Google Benchmark, random interleaving; timed by the thread's CPU time (user + system: a nop round "
           "runs all its work on that thread) except the 'wall clock' rows; a round = push batch nops, 1 flush, wait until all "
           "are back (io_uring+unique_ids: opened with LIO_CONFIG_UNIQUE_IDS) (Loop: batch loop.nop(cb), run_once until all ran); capacity 256; reference = raw liburing on "
           "a ring set up like the plugin's";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (int b : kBatches) {
      rows.push_back({"nop", "io_uring+unique_ids", absl::StrFormat("batch %d", b), "Mop/s", UniqueKey(b), RawKey(b),
                      "raw liburing", Target::AtLeast(0.95)});
    }
    for (int b : kBatches) {
      rows.push_back({"nop", "io_uring", absl::StrFormat("batch %d", b), "Mop/s", LioKey(b), RawKey(b),
                      "raw liburing", Target::None()});
    }
    for (int b : kBatches) {
      rows.push_back({"nop", "Loop/io_uring", absl::StrFormat("batch %d", b), "Mop/s", LoopKey(b), RawKey(b),
                      "raw liburing", Target::AtLeast(0.90)});
    }
    for (const char* sq : {"default", "32768"}) {
      rows.push_back({"nop", "Loop/io_uring", absl::StrFormat("batch %d, LoopOptions defaults, SQ %s", kRingBatch, sq),
                      "Mop/s", LoopDefaultKey(sq), RawKey(kRingBatch), "raw liburing", Target::None()});
    }
    rows.push_back({"nop", "io_uring+unique_ids", absl::StrFormat("batch %d, wall clock", kRingBatch), "Mop/s",
                    WallKey(UniqueKey(kRingBatch)), WallKey(RawKey(kRingBatch)), "raw liburing", Target::None()});
    rows.push_back({"nop", "Loop/io_uring", absl::StrFormat("batch %d, wall clock", kRingBatch), "Mop/s",
                    WallKey(LoopKey(kRingBatch)), WallKey(RawKey(kRingBatch)), "raw liburing", Target::None()});
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    auto mops = [](double per_second) { return per_second / 1e6; };
    std::vector<GbVariant> variants;
    // Each wanted key, timed by the thread's CPU time, and its " wall" twin by the wall clock.
    auto add = [&](const std::string& key, std::function<void(benchmark::State&)> fn) {
      if (needed.count(key)) variants.push_back({.key = key, .fn = fn, .figure = mops, .thread_cpu_time = true});
      if (needed.count(WallKey(key))) variants.push_back({.key = WallKey(key), .fn = fn, .figure = mops});
    };
    for (int b : kBatches) {
      add(LioKey(b), [b](benchmark::State& st) { LioNop(st, b, 0); });
      add(UniqueKey(b), [b](benchmark::State& st) { LioNop(st, b, LIO_CONFIG_UNIQUE_IDS); });
      add(RawKey(b), [b](benchmark::State& st) { RawNop(st, b); });
      add(LoopKey(b), [b](benchmark::State& st) { LoopNop(st, b); });
    }
    for (const char* sq : {"default", "32768"}) {
      const std::string options = std::string(sq) == "default" ? "" : std::string("sq_entries=") + sq;
      if (needed.count(LoopDefaultKey(sq))) {
        variants.push_back({.key = LoopDefaultKey(sq),
                            .fn = [options](benchmark::State& st) { LoopDefaultNop(st, kRingBatch, options); },
                            .figure = mops,
                            .thread_cpu_time = true});
      }
    }
    RunGoogleBenchmarks(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(NopWorkload)

}  // namespace
}  // namespace lio::bench
