// The benchmark harness: what a workload declares (its rows), how its
// variants are measured (interleaved repetitions, medians), and how the rows
// are printed (one table, JSON, a gnuplot chart).
//
// A workload is one file named for what it does (nop.cc, file_read.cc,
// tcp_echo.cc, ...). It declares every row it can print up front — lio row,
// parameters, the variant that gives the lio figure and the one that gives
// the reference figure, the target — and then measures only the variants the
// selected rows need (--filter). A figure is always the median of several
// repetitions, and lio and its reference take turns within each repetition,
// so a noisy neighbour on these shared 2-core machines hits both sides alike.
#ifndef LIO_BENCH_HARNESS_H_
#define LIO_BENCH_HARNESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lio::bench {

// Run-wide settings, from the flags.
struct Settings {
  bool quick = false;
  int repetitions = 5;        // per variant; the figure is their median
  double seconds = 1.0;       // measured time per repetition of a timed loop
  double warmup_seconds = 0.2;
  std::string file_dir = "/var/tmp";  // where file_read keeps its test file
  uint64_t file_bytes = 256ull << 20;
  int poller_workers = 4;     // poller's worker pool, libuv's threadpool, fio psync threads
  bool verbose = false;       // every sample, as it is taken, on stderr
  bool nginx = false;         // --nginx: the opt-in workloads (http vs nginx) instead of the others
};

// How a row's ratio (lio ÷ reference, or the lio figure itself when there is
// no reference) is judged.
struct Target {
  enum class Kind { kNone, kAtLeast, kAtMost, kEqual };
  Kind kind = Kind::kNone;
  double value = 0;

  static Target None() { return {}; }
  static Target AtLeast(double v) { return {Kind::kAtLeast, v}; }
  static Target AtMost(double v) { return {Kind::kAtMost, v}; }
  static Target Equal(double v) { return {Kind::kEqual, v}; }
  std::string ToString() const;  // ">= 0.95", "<= 1.20", "= 0", "reported"
  bool Met(double x) const;
};

// One line of the table, as declared by a workload.
struct RowSpec {
  std::string workload;   // "nop"
  std::string lio_row;    // "io_uring", "poller", "Loop/io_uring"
  std::string params;     // "batch 32" — everything needed to reproduce
  std::string unit;       // "Mop/s", "kIOPS", "ns/op", "allocs/op", "ms"
  std::string lio_key;    // the variant measured for the lio figure
  std::string ref_key;    // ... for the reference figure ("" = none)
  std::string ref_name;   // "raw liburing", "fio io_uring"
  // The target applies to lio ÷ reference, or to the lio figure when there
  // is no reference (allocations per op, syscalls per flush).
  Target target;
  int decimals = 2;       // for the figures (ratios always get 3)
};

// What a variant measured: one number per repetition, or why it could not.
struct Measurement {
  std::vector<double> samples;
  std::string note;  // set when unavailable ("poller: no such backend ...")
  std::optional<double> Median() const;
};

using Results = std::map<std::string, Measurement>;

// A finished row.
struct Row {
  RowSpec spec;
  std::optional<double> lio;
  std::optional<double> reference;
  std::optional<double> ratio;
  std::optional<bool> met;  // empty when there is no target or no figure
  std::string note;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Stable order in the table (nop first, plugin load last).
  virtual int order() const = 0;
  virtual std::string name() const = 0;
  // An opt-in workload (it needs outside programs and takes minutes: the
  // HTTP example against nginx) runs only with --nginx, and then alone.
  virtual bool opt_in() const { return false; }
  // One line about the method, printed under the table ("what was measured,
  // how"). Parameters that vary per row go in RowSpec::params instead.
  virtual std::string method(const Settings& s) const = 0;
  virtual std::vector<RowSpec> rows(const Settings& s) const = 0;
  // Measures every key in `needed` into `out`.
  virtual void Run(const Settings& s, const std::set<std::string>& needed, Results* out) = 0;
};

// Workloads register themselves at static-initialization time; a binary
// holds the workloads it links (lio_bench all, nop just nop, ...).
void RegisterWorkload(std::unique_ptr<Workload> w);
std::vector<Workload*> Workloads();

#define LIO_BENCH_REGISTER_WORKLOAD(Type)                                  \
  namespace {                                                             \
  const bool registered_##Type = [] {                                     \
    ::lio::bench::RegisterWorkload(std::make_unique<Type>());             \
    return true;                                                          \
  }();                                                                    \
  }

// Sub-programs a workload runs in a fresh process (`lio_bench --child=NAME
// ARGS...`), e.g. to time a plugin's first load. Returns the exit code.
using ChildMain = std::function<int(const std::vector<std::string>& args)>;
void RegisterChild(const std::string& name, ChildMain main);
const ChildMain* FindChild(const std::string& name);
// Runs this program as `--child=name args...`, returns its stdout, or
// nullopt (and *error) if it did not exit 0.
std::optional<std::string> RunChild(const std::string& name, const std::vector<std::string>& args,
                                    std::string* error);

// Interleaved repetitions: in each of `repetitions` rounds, every variant
// runs once, in an order that rotates from round to round. A variant that
// returns nullopt (with *note) is dropped from later rounds.
struct Variant {
  std::string key;
  std::function<std::optional<double>(std::string* note)> run;
};
void RunInterleaved(const Settings& s, const std::vector<Variant>& variants, Results* out);

// The machine, for the header: CPU model, cores, kernel, library versions.
struct Machine {
  std::string cpu;
  int cores = 0;
  std::string kernel;
  std::string liburing;
  std::string libuv;
  std::string fio;
  std::string load;  // /proc/loadavg's 1-minute figure, when described: the machine is shared
  std::string ToString() const;
};
Machine DescribeMachine();

// Output.
std::vector<Row> BuildRows(const std::vector<RowSpec>& specs, const Results& results);
void PrintTable(const std::vector<Row>& rows, const Machine& m, const Settings& s,
                const std::vector<std::string>& methods);
bool WriteJson(const std::string& path, const std::vector<Row>& rows, const Machine& m, const Settings& s,
               std::string* error);
bool WritePlot(const std::string& path, const std::vector<Row>& rows, const Machine& m, std::string* error);

// Helpers shared by workloads.
double NowSeconds();          // steady clock
double ProcessCpuSeconds();   // user + system, all threads
double ThreadCpuSeconds();    // user + system, the calling thread
void PinThisThreadToCpu(int cpu);  // no-op when the machine has fewer CPUs
int CpuCount();
std::string RunCommand(const std::string& command, int* status = nullptr);  // stdout

}  // namespace lio::bench

#endif  // LIO_BENCH_HARNESS_H_
