// hot_path: the two claims of the submit path, measured.
//  - push is one call through the plugin's vtable and no system call: the
//    time of the push calls alone (128 nops; flush and wait are outside the
//    timed region), beside liburing's io_uring_get_sqe + io_uring_prep_nop for
//    the same 128 (Google Benchmark, manual timing).
//  - flush is one system call: io_uring_enter counted in the kernel (perf
//    tracepoint syscalls:sys_enter_io_uring_enter) around flush() alone; and
//    every system call of a whole round (push 32 nops, flush, wait for 32)
//    beside the raw liburing loop of the nop workload.
#include <string>

#include "absl/strings/str_format.h"
#include "bench/gbench.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "bench/ref/uring_nop.h"
#include "bench/syscall_counter.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr int kPushBatch = 128;
constexpr int kRoundBatch = 32;
constexpr int kRounds = 1000;
const char* const kBackends[] = {"io_uring", "poller"};

std::string PushKey(const std::string& who) { return "hot_path push " + who; }
std::string FlushKey(const std::string& who) { return "hot_path enter/flush " + who; }
std::string RoundKey(const std::string& who) { return "hot_path syscalls/round " + who; }

void LioPush(benchmark::State& state, const std::string& name, const std::string& options) {
  std::string note;
  auto backend = OpenBackend(name, 256, options, &note);
  if (!backend) {
    state.SkipWithError(note.c_str());
    return;
  }
  const lio::Op nop = lio::Op::Nop();
  uint64_t id = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kPushBatch; ++i) backend->push(++id, nop);
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    backend->flush();
    for (int done = 0; done < kPushBatch;) {
      auto c = backend->wait();
      if (!c) {
        state.SkipWithError("wait failed");
        return;
      }
      done += static_cast<int>(c->size());
    }
  }
  state.SetItemsProcessed(state.iterations() * kPushBatch);
}

void RawPrep(benchmark::State& state) {
  ref_uring_nop ring;
  if (ref_uring_nop_init(&ring, 256) < 0) {
    state.SkipWithError("io_uring setup failed");
    return;
  }
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    ref_uring_nop_prep(&ring, kPushBatch);
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    ref_uring_nop_complete(&ring, kPushBatch);
  }
  ref_uring_nop_exit(&ring);
  state.SetItemsProcessed(state.iterations() * kPushBatch);
}

// io_uring_enter per flush(): counted around flush() only.
std::optional<double> EntersPerFlush(std::string* note) {
  SyscallCounter counter("io_uring_enter");
  if (!counter.ok()) {
    *note = counter.why();
    return std::nullopt;
  }
  auto backend = OpenBackend("io_uring", 256, "", note);
  if (!backend) return std::nullopt;
  const lio::Op nop = lio::Op::Nop();
  uint64_t id = 0, enters = 0;
  for (int r = 0; r < kRounds; ++r) {
    for (int i = 0; i < kRoundBatch; ++i) backend->push(++id, nop);
    counter.Start();
    backend->flush();
    enters += counter.Stop();
    for (int done = 0; done < kRoundBatch;) {
      auto c = backend->wait();
      if (!c) return std::nullopt;
      done += static_cast<int>(c->size());
    }
  }
  return static_cast<double>(enters) / kRounds;
}

// Every system call of a round.
std::optional<double> SyscallsPerRound(const std::string& who, const std::string& options, std::string* note) {
  SyscallCounter counter("");
  if (!counter.ok()) {
    *note = counter.why();
    return std::nullopt;
  }
  uint64_t calls = 0;
  if (who == "liburing") {
    ref_uring_nop ring;
    if (ref_uring_nop_init(&ring, 256) < 0) return std::nullopt;
    counter.Start();
    for (int r = 0; r < kRounds; ++r) ref_uring_nop_round(&ring, kRoundBatch);
    calls = counter.Stop();
    ref_uring_nop_exit(&ring);
  } else {
    auto backend = OpenBackend(who, 256, options, note);
    if (!backend) return std::nullopt;
    const lio::Op nop = lio::Op::Nop();
    uint64_t id = 0;
    counter.Start();
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < kRoundBatch; ++i) backend->push(++id, nop);
      backend->flush();
      for (int done = 0; done < kRoundBatch;) {
        auto c = backend->wait();
        if (!c) return std::nullopt;
        done += static_cast<int>(c->size());
      }
    }
    calls = counter.Stop();
  }
  return static_cast<double>(calls) / kRounds;
}

class HotPathWorkload : public Workload {
 public:
  int order() const override { return 15; }
  std::string name() const override { return "hot_path"; }
  std::string method(const Settings&) const override {
    return "hot_path: push = time of 128 push calls only (manual timing); syscalls counted in the kernel with "
           "perf tracepoints on this thread (syscalls:sys_enter_io_uring_enter, raw_syscalls:sys_enter), 1000 "
           "rounds of push 32 nops + flush + wait for 32";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    rows.push_back({"hot_path", "io_uring", "push (nop, 128 per batch)", "ns/op", PushKey("io_uring"),
                    PushKey("liburing"), "get_sqe + prep_nop", Target::None(), 1});
    rows.push_back({"hot_path", "poller", "push (nop, 128 per batch)", "ns/op", PushKey("poller"), "", "",
                    Target::None(), 1});
    rows.push_back({"hot_path", "io_uring", "io_uring_enter per flush (32 nops)", "calls", FlushKey("io_uring"), "",
                    "", Target::Equal(1), 2});
    for (const char* b : kBackends) {
      rows.push_back({"hot_path", b, "syscalls per round (push 32, flush, wait)", "calls", RoundKey(b),
                      RoundKey("liburing"), "raw liburing", Target::None(), 2});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    const std::string poller_options = PollerOptions(s.poller_workers);
    auto ns = [](double per_second) { return 1e9 / per_second; };
    std::vector<GbVariant> variants;
    for (const char* b : kBackends) {
      if (!needed.count(PushKey(b))) continue;
      std::string name = b, options = name == "poller" ? poller_options : "";
      variants.push_back({PushKey(b), [name, options](benchmark::State& st) { LioPush(st, name, options); }, ns, true, 0.05});
    }
    if (needed.count(PushKey("liburing"))) variants.push_back({PushKey("liburing"), RawPrep, ns, true, 0.02});
    RunGoogleBenchmarks(s, variants, out);

    // Counts: exact, so one run each.
    Settings once = s;
    once.repetitions = 1;
    std::vector<Variant> counts;
    if (needed.count(FlushKey("io_uring"))) counts.push_back({FlushKey("io_uring"), EntersPerFlush});
    for (std::string who : {"io_uring", "poller", "liburing"}) {
      if (!needed.count(RoundKey(who))) continue;
      std::string options = who == "poller" ? poller_options : "";
      counts.push_back({RoundKey(who), [who, options](std::string* n) { return SyscallsPerRound(who, options, n); }});
    }
    RunInterleaved(once, counts, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(HotPathWorkload)

}  // namespace
}  // namespace lio::bench
