// fixed_io: what ABI 1.1's registered resources and SQPOLL buy, each against
// the plain form in the same run (the reference of each row is lio itself,
// without the feature).
//   registered: 4 KiB reads at random 4 KiB-aligned offsets of a 16 MiB file
//     in the page cache, 32 in flight (each completion issues the next);
//     READ_FIXED into a registered buffer through a registered file
//     (LIO_OPF_FIXED_FILE) vs plain READ. Figure: kIOPS. On io_uring the
//     kernel skips the file-table lookup and the page pinning per read; on
//     the poller it is emulated (the row shows what the emulation costs).
//   sqpoll: io_uring with sqpoll=1 vs the default ring: rounds of 32 nops
//     (push 32, flush, wait for all), and the 4 KiB reads above. Figure:
//     Mop/s and kIOPS. With SQPOLL a kernel thread takes the SQEs, so a flush
//     makes no system call while it is awake — at the price of a core it
//     spins on (these machines have 2, shared: read the ratio with that).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kFileBytes = 16ull << 20;
constexpr int kDepth = 32;
constexpr int kNopBatch = 32;
constexpr uint32_t kCapacity = 64;

std::string FilePath(const Settings& s) { return s.file_dir + "/lio-bench-fixed-16MiB.dat"; }

// The test file, written when missing, then read once so it is cached.
bool PrepareFile(const Settings& s, std::string* note) {
  const std::string path = FilePath(s);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != kFileBytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      *note = absl::StrFormat("create %s: %s (set --file_dir)", path, strerror(errno));
      return false;
    }
    std::vector<char> chunk(1 << 20, 'f');
    for (uint64_t done = 0; done < kFileBytes; done += chunk.size()) {
      if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
        *note = absl::StrFormat("write %s: %s", path, strerror(errno));
        ::close(fd);
        return false;
      }
    }
    ::close(fd);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *note = absl::StrFormat("open %s: %s", path, strerror(errno));
    return false;
  }
  std::vector<char> buf(1 << 20);
  while (::read(fd, buf.data(), buf.size()) > 0) {
  }
  ::close(fd);
  return true;
}

uint64_t NextOffset(uint64_t* x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return (*x % (kFileBytes / kBlock)) * kBlock;
}

// kDepth reads in flight for s.seconds (after the warm-up); kIOPS.
std::optional<double> Reads(const Settings& s, const std::string& backend_name, const std::string& options,
                            bool registered, std::string* note) {
  int fd = ::open(FilePath(s).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *note = absl::StrFormat("open %s: %s", FilePath(s), strerror(errno));
    return std::nullopt;
  }
  auto backend = OpenBackend(backend_name, kCapacity, options, note);
  std::vector<char> arena(kDepth * kBlock);
  if (backend && registered) {
    const lio_handle files[] = {fd};
    const lio_iovec buffers[] = {{arena.data(), arena.size()}};
    std::error_code ec = backend->register_files(files);
    if (!ec) ec = backend->register_buffers(buffers);
    if (ec) {
      *note = backend_name + " register: " + ec.message();
      backend.reset();
    }
  }
  if (!backend) {
    ::close(fd);
    return std::nullopt;
  }
  auto read_op = [&](uint64_t slot, uint64_t offset) {
    char* into = arena.data() + slot * kBlock;
    if (!registered) return lio::Op::Read(fd, into, kBlock, static_cast<int64_t>(offset));
    return lio::Op::ReadFixed(0, into, kBlock, static_cast<int64_t>(offset), 0).FixedFile();
  };
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&](uint64_t slot) { return read_op(slot, NextOffset(&x)); };
  auto step = [&](const lio_completion& c) {
    if (c.result == static_cast<int64_t>(kBlock)) return LoopStep::kFinished;
    *note = absl::StrFormat("read completed with %s", ResultText(c.result));
    return LoopStep::kFailed;
  };
  const uint64_t counted = RunClosedLoop(*backend, s, kDepth, next, step, note);
  backend.reset();
  ::close(fd);
  if (!note->empty()) return std::nullopt;
  return static_cast<double>(counted) / s.seconds / 1e3;
}

// Rounds of kNopBatch nops for s.seconds; Mop/s.
std::optional<double> Nops(const Settings& s, const std::string& options, std::string* note) {
  auto backend = OpenBackend("io_uring", kCapacity, options, note);
  if (!backend) return std::nullopt;
  const lio::Op nop = lio::Op::Nop();
  uint64_t id = 0;
  uint64_t counted = 0;
  const double start = NowSeconds() + s.warmup_seconds;
  const double end = start + s.seconds;
  for (double now = NowSeconds(); now < end; now = NowSeconds()) {
    for (int i = 0; i < kNopBatch; ++i) backend->push(++id, nop);
    backend->flush();
    int done = 0;
    while (done < kNopBatch) {
      auto completions = backend->wait();
      if (!completions) {
        *note = "wait: " + completions.error().message();
        return std::nullopt;
      }
      done += static_cast<int>(completions->size());
    }
    if (now >= start) counted += kNopBatch;
  }
  return static_cast<double>(counted) / s.seconds / 1e6;
}

std::string ReadKey(const std::string& who) { return "fixed_io reads " + who; }
std::string NopKey(const std::string& who) { return "fixed_io nops " + who; }

class FixedIoWorkload : public Workload {
 public:
  int order() const override { return 25; }
  std::string name() const override { return "fixed_io"; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "fixed_io: %d x 4 KiB random reads in flight on %s (16 MiB, page cache), kIOPS, registered "
        "(READ_FIXED + LIO_OPF_FIXED_FILE) vs plain READ on the same backend; SQPOLL (sqpoll=1) vs the default "
        "ring for those reads and for rounds of %d nops (Mop/s); each reference is lio without the feature, "
        "interleaved in the same run",
        kDepth, FilePath(s), kNopBatch);
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    return {
        {"fixed_io", "io_uring", "registered file and buffer, 4 KiB reads, QD 32", "kIOPS", ReadKey("io_uring registered"),
         ReadKey("io_uring plain"), "io_uring plain read", Target::None(), 1},
        {"fixed_io", "poller", "registered file and buffer, 4 KiB reads, QD 32 (emulated)", "kIOPS", ReadKey("poller registered"),
         ReadKey("poller plain"), "poller plain read", Target::None(), 1},
        {"fixed_io", "io_uring", "sqpoll=1, 4 KiB reads, QD 32", "kIOPS", ReadKey("io_uring sqpoll"),
         ReadKey("io_uring plain"), "io_uring default ring", Target::None(), 1},
        {"fixed_io", "io_uring", "sqpoll=1, nop batch 32", "Mop/s", NopKey("io_uring sqpoll"),
         NopKey("io_uring default"), "io_uring default ring", Target::None(), 2},
    };
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::string note;
    if (!PrepareFile(s, &note)) {
      for (const std::string& k : needed) (*out)[k].note = note;
      return;
    }
    const std::string poller = PollerOptions(s.poller_workers);
    std::vector<Variant> variants;
    auto add = [&](const std::string& key, std::function<std::optional<double>(std::string*)> fn) {
      if (needed.count(key)) variants.push_back({key, std::move(fn)});
    };
    add(ReadKey("io_uring registered"), [&s](std::string* n) { return Reads(s, "io_uring", "", true, n); });
    add(ReadKey("io_uring plain"), [&s](std::string* n) { return Reads(s, "io_uring", "", false, n); });
    add(ReadKey("poller registered"), [&s, poller](std::string* n) { return Reads(s, "poller", poller, true, n); });
    add(ReadKey("poller plain"), [&s, poller](std::string* n) { return Reads(s, "poller", poller, false, n); });
    add(ReadKey("io_uring sqpoll"), [&s](std::string* n) { return Reads(s, "io_uring", "sqpoll=1", false, n); });
    add(NopKey("io_uring sqpoll"), [&s](std::string* n) { return Nops(s, "sqpoll=1", n); });
    add(NopKey("io_uring default"), [&s](std::string* n) { return Nops(s, "", n); });
    RunInterleaved(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(FixedIoWorkload)

}  // namespace
}  // namespace lio::bench
