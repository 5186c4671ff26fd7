// instructions: what the nop rounds of bench/nop.cc cost in user-space
// instructions per op, counted by callgrind — exact and immune to the noisy
// neighbours that move the Mop/s rows. Each figure is one process
// (`lio_bench --child=nop_rounds SIDE BATCH ROUNDS`) run under
//   valgrind --tool=callgrind --collect-atstart=no
// so only the measured rounds count (set-up and a warm-up are outside
// MeasuredRounds, which turns collection on and off with callgrind's client
// requests: they need no symbols, where --toggle-collect found nothing in the
// --config=opt binary); the figure is the instructions in it / (rounds x batch).
// Sides: raw liburing (bench/ref/uring_nop.c), lio::Backend on io_uring with
// and without LIO_CONFIG_UNIQUE_IDS, lio::Loop's callback API on io_uring.
// The kernel's share (io_uring_enter) is not counted, on either side.
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "bench/ref/uring_nop.h"
#include "lio/core/op.h"
#include "lio/runtime/loop.h"

namespace lio::bench {
namespace {

constexpr int kBatches[] = {1, 32, 128};
constexpr uint32_t kCapacity = 256;
constexpr int kOpsMeasured = 25'600;  // per figure: enough that a round's jitter vanishes
constexpr int kOpsWarmup = 2'560;

// One side of the comparison: Run(batch) does one nop round.
class Side {
 public:
  virtual ~Side() = default;
  virtual bool Round(int batch) = 0;
};

class RawSide : public Side {
 public:
  bool Open(std::string* note) {
    if (int error = ref_uring_nop_init(&ring_, kCapacity); error < 0) {
      *note = absl::StrFormat("io_uring_queue_init_params: %s", strerror(-error));
      return false;
    }
    open_ = true;
    return true;
  }
  ~RawSide() override {
    if (open_) ref_uring_nop_exit(&ring_);
  }
  bool Round(int batch) override { return ref_uring_nop_round(&ring_, static_cast<unsigned>(batch)) == 0; }

 private:
  ref_uring_nop ring_{};
  bool open_ = false;
};

class BackendSide : public Side {
 public:
  bool Open(uint32_t flags, std::string* note) {
    backend_ = OpenBackend("io_uring", kCapacity, "", note, flags);
    return backend_.has_value();
  }
  bool Round(int batch) override {
    for (int i = 0; i < batch; ++i) backend_->push(++id_, nop_);
    backend_->flush();
    for (int done = 0; done < batch;) {
      auto completions = backend_->wait();
      if (!completions) return false;
      done += static_cast<int>(completions->size());
    }
    return true;
  }

 private:
  std::optional<lio::Backend> backend_;
  const lio::Op nop_ = lio::Op::Nop();
  uint64_t id_ = 0;
};

class LoopSide : public Side {
 public:
  bool Open(std::string* note) {
    auto loop = lio::Loop::Open({.backend = "io_uring", .capacity = kCapacity, .at_capacity = lio::AtCapacity::kQueue});
    if (!loop) {
      *note = loop.error().message;
      return false;
    }
    loop_ = std::move(*loop);
    return true;
  }
  bool Round(int batch) override {
    done_ = 0;
    for (int i = 0; i < batch; ++i) {
      loop_->nop([this](std::error_code ec) {
        ++done_;
        if (ec) failed_ = true;
      });
    }
    while (done_ < batch) loop_->run_once();
    return !failed_;
  }

 private:
  std::unique_ptr<lio::Loop> loop_;
  int done_ = 0;
  bool failed_ = false;
};

[[gnu::noinline]] bool WarmupRounds(Side& side, int batch, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    if (!side.Round(batch)) return false;
  }
  return true;
}

// The only rounds callgrind counts.
[[gnu::noinline]] bool MeasuredRounds(Side& side, int batch, int rounds) {
  bool ok = true;
  CALLGRIND_TOGGLE_COLLECT;
  for (int r = 0; r < rounds && ok; ++r) ok = side.Round(batch);
  CALLGRIND_TOGGLE_COLLECT;
  return ok;
}

// `lio_bench --child=nop_rounds SIDE BATCH`: warm-up, then the measured
// rounds; exit 0 when every nop completed.
int NopRoundsChild(const std::vector<std::string>& args) {
  int batch = 0;
  if (args.size() != 2 || !absl::SimpleAtoi(args[1], &batch) || batch <= 0) {
    std::fprintf(stderr, "usage: --child=nop_rounds raw|unique|checked|loop BATCH\n");
    return 2;
  }
  std::string note;
  std::unique_ptr<Side> side;
  if (args[0] == "raw") {
    auto raw = std::make_unique<RawSide>();
    if (raw->Open(&note)) side = std::move(raw);
  } else if (args[0] == "unique" || args[0] == "checked") {
    auto lio_side = std::make_unique<BackendSide>();
    if (lio_side->Open(args[0] == "unique" ? LIO_CONFIG_UNIQUE_IDS : 0, &note)) side = std::move(lio_side);
  } else if (args[0] == "loop") {
    auto loop = std::make_unique<LoopSide>();
    if (loop->Open(&note)) side = std::move(loop);
  }
  if (side == nullptr) {
    std::fprintf(stderr, "nop_rounds %s: %s\n", args[0].c_str(), note.c_str());
    return 1;
  }
  if (!WarmupRounds(*side, batch, kOpsWarmup / batch)) return 1;
  return MeasuredRounds(*side, batch, kOpsMeasured / batch) ? 0 : 1;
}

const bool registered_child = [] {
  RegisterChild("nop_rounds", NopRoundsChild);
  return true;
}();

std::string Key(const std::string& side, int batch) { return absl::StrFormat("instructions %s batch=%d", side, batch); }

std::string SelfPath() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return "";
  return std::string(path, static_cast<size_t>(n));
}

// The "summary:" (or "totals:") line of a callgrind output file: Ir counted.
std::optional<double> CallgrindTotal(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    for (const char* prefix : {"summary: ", "totals: "}) {
      if (line.rfind(prefix, 0) != 0) continue;
      double ir = 0;
      std::vector<std::string> fields = absl::StrSplit(line.substr(std::string(prefix).size()), ' ');
      if (!fields.empty() && absl::SimpleAtod(fields[0], &ir)) return ir;
    }
  }
  return std::nullopt;
}

std::optional<double> InstructionsPerOp(const std::string& side, int batch, std::string* note) {
  const std::string self = SelfPath();
  char out_template[] = "/tmp/lio_bench_callgrind_XXXXXX";
  int fd = mkstemp(out_template);
  if (fd < 0 || self.empty()) {
    *note = "cannot make a temporary file or find this program";
    return std::nullopt;
  }
  close(fd);
  const std::string command = absl::StrFormat(
      "valgrind --tool=callgrind --collect-atstart=no "
      "--callgrind-out-file=%s '%s' --child=nop_rounds %s %d 2>&1",
      out_template, self, side, batch);
  int status = 0;
  const std::string output = RunCommand(command, &status);
  std::optional<double> total = CallgrindTotal(out_template);
  unlink(out_template);
  if (status != 0 || !total) {
    *note = status == 0 ? "callgrind wrote no total"
                        : "valgrind --tool=callgrind failed (is valgrind installed?): " + output.substr(0, 300);
    return std::nullopt;
  }
  return *total / (static_cast<double>(kOpsMeasured / batch) * batch);
}

class InstructionsWorkload : public Workload {
 public:
  int order() const override { return 11; }
  std::string name() const override { return "instructions"; }
  std::string method(const Settings&) const override {
    return "instructions: user-space instructions per nop (callgrind, only the measured rounds of "
           "--child=nop_rounds: 25,600 nops after a warm-up), rounds as in nop; kernel time not counted";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (int b : kBatches) {
      const std::string params = absl::StrFormat("nop batch %d", b);
      rows.push_back({"instructions", "io_uring+unique_ids", params, "instr/op", Key("unique", b), Key("raw", b),
                      "raw liburing", Target::AtMost(2.0), 0});
      rows.push_back({"instructions", "io_uring", params, "instr/op", Key("checked", b), Key("raw", b),
                      "raw liburing", Target::None(), 0});
      rows.push_back({"instructions", "Loop/io_uring", params, "instr/op", Key("loop", b), Key("raw", b),
                      "raw liburing", Target::None(), 0});
    }
    return rows;
  }
  // Exact counts: one run each, no repetitions needed.
  void Run(const Settings&, const std::set<std::string>& needed, Results* out) override {
    for (const char* side : {"raw", "unique", "checked", "loop"}) {
      for (int b : kBatches) {
        const std::string key = Key(side, b);
        if (!needed.count(key)) continue;
        Measurement& m = (*out)[key];
        std::optional<double> per_op = InstructionsPerOp(side, b, &m.note);
        if (per_op) m.samples.push_back(*per_op);
      }
    }
  }
};

LIO_BENCH_REGISTER_WORKLOAD(InstructionsWorkload)

}  // namespace
}  // namespace lio::bench
