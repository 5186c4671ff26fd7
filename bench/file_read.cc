// file_read: 4 KiB reads at random 4 KiB-aligned offsets of one file, with a
// fixed number of reads in flight (queue depth): each completion issues the
// next. Two modes: the file in the page cache (read once first, then opened
// without O_DIRECT) and with O_DIRECT. Figure: reads per second (kIOPS).
// lio: lio::Backend on io_uring and on the poller (whose worker pool does the
// reads). References on the same file, same block size, same depth, same
// measured time: fio --ioengine=io_uring (for io_uring), libuv's uv_fs_read on
// a threadpool as large as the poller's pool (for the poller), and fio
// --ioengine=psync with that many threads (reported beside the poller).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "bench/ref/uv_fs_read.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr uint64_t kBlock = 4096;
constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;

struct Config {
  int qd;
  bool direct;
};
constexpr Config kConfigs[] = {{1, false}, {32, false}, {1, true}, {32, true}};

std::string Mode(const Config& c) { return c.direct ? "O_DIRECT" : "page cache"; }
std::string Key(const std::string& who, const Config& c) {
  return absl::StrFormat("file_read %s qd=%d %s", who, c.qd, c.direct ? "direct" : "cached");
}
std::string Params(const Config& c) { return absl::StrFormat("QD %d, %s", c.qd, Mode(c)); }

std::string FilePath(const Settings& s) {
  return absl::StrFormat("%s/lio-bench-read-%dMiB.dat", s.file_dir, s.file_bytes >> 20);
}

// The test file: kept between runs; written with non-zero data (not sparse,
// so O_DIRECT reads hit the disk) when missing or of the wrong size.
bool EnsureFile(const Settings& s, std::string* note) {
  const std::string path = FilePath(s);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == s.file_bytes) return true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *note = absl::StrFormat("create %s: %s (set --file_dir)", path, strerror(errno));
    return false;
  }
  std::vector<uint64_t> chunk((1 << 20) / sizeof(uint64_t));
  uint64_t x = kSeed;
  for (uint64_t done = 0; done < s.file_bytes; done += chunk.size() * sizeof(uint64_t)) {
    for (auto& w : chunk) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    if (::write(fd, chunk.data(), chunk.size() * sizeof(uint64_t)) != static_cast<ssize_t>(chunk.size() * sizeof(uint64_t))) {
      *note = absl::StrFormat("write %s: %s", path, strerror(errno));
      ::close(fd);
      ::unlink(path.c_str());
      return false;
    }
  }
  ::fsync(fd);
  ::close(fd);
  return true;
}

// Reads the whole file so every page is cached.
void WarmPageCache(const Settings& s) {
  int fd = ::open(FilePath(s).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::vector<char> buf(1 << 20);
  while (::read(fd, buf.data(), buf.size()) > 0) {
  }
  ::close(fd);
}

int OpenTestFile(const Settings& s, const Config& c, std::string* note) {
  int fd = ::open(FilePath(s).c_str(), O_RDONLY | O_CLOEXEC | (c.direct ? O_DIRECT : 0));
  if (fd < 0) *note = absl::StrFormat("open %s%s: %s", FilePath(s), c.direct ? " with O_DIRECT" : "", strerror(errno));
  return fd;
}

struct Rng {
  uint64_t x;
  uint64_t Next(uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x % n;
  }
};

std::optional<double> LioReads(const Settings& s, const std::string& backend_name, const std::string& options,
                               const Config& c, std::string* note) {
  int fd = OpenTestFile(s, c, note);
  if (fd < 0) return std::nullopt;
  auto backend = OpenBackend(backend_name, static_cast<uint32_t>(std::max(c.qd, 8)), options, note);
  if (!backend) {
    ::close(fd);
    return std::nullopt;
  }
  const uint64_t blocks = s.file_bytes / kBlock;
  char* bufs = static_cast<char*>(std::aligned_alloc(kBlock, c.qd * kBlock));
  Rng rng{kSeed | 1};
  auto next = [&](uint64_t slot) {
    return lio::Op::Read(fd, bufs + slot * kBlock, kBlock, static_cast<int64_t>(rng.Next(blocks) * kBlock));
  };
  auto step = [&](const lio_completion& comp) {
    if (comp.result == static_cast<int64_t>(kBlock)) return LoopStep::kFinished;
    *note = absl::StrFormat("read completed with %s", ResultText(comp.result));
    return LoopStep::kFailed;
  };
  const uint64_t counted = RunClosedLoop(*backend, s, c.qd, next, step, note);
  backend.reset();
  std::free(bufs);
  ::close(fd);
  if (!note->empty()) return std::nullopt;
  return static_cast<double>(counted) / s.seconds / 1e3;
}

std::optional<double> UvReads(const Settings& s, const Config& c, std::string* note) {
  int fd = OpenTestFile(s, c, note);
  if (fd < 0) return std::nullopt;
  uv_fs_read_result r{};
  int rc = uv_fs_random_reads(fd, s.file_bytes, c.qd, s.warmup_seconds, s.seconds, kSeed | 1, &r);
  ::close(fd);
  if (rc != 0) {
    *note = absl::StrFormat("libuv uv_fs_read: error %d", rc);
    return std::nullopt;
  }
  return static_cast<double>(r.reads) / r.seconds / 1e3;
}

// fio's command line for this config; `engine` io_uring or psync.
std::string FioCommand(const Settings& s, const Config& c, const std::string& engine) {
  std::string cmd = absl::StrFormat(
      "fio --name=lio-ref --filename=%s --readonly --rw=randread --bs=4k --size=%d --direct=%d "
      "--ioengine=%s --norandommap --randrepeat=0 --invalidate=0 --time_based --runtime=%dms "
      "--ramp_time=%dms --gtod_reduce=1 --thread --output-format=json",
      FilePath(s), s.file_bytes, c.direct ? 1 : 0, engine, static_cast<int>(s.seconds * 1000),
      static_cast<int>(s.warmup_seconds * 1000));
  if (engine == "io_uring") {
    // Like the lio loop: submit what completed in one go, reap all that is there.
    cmd += absl::StrFormat(
        " --iodepth=%d --iodepth_batch_submit=%d --iodepth_batch_complete_min=1 --iodepth_batch_complete_max=%d",
        c.qd, c.qd, c.qd);
  } else {
    cmd += absl::StrFormat(" --numjobs=%d --group_reporting", std::min(c.qd, s.poller_workers));
  }
  return cmd;
}

std::optional<double> FioReads(const Settings& s, const Config& c, const std::string& engine, std::string* note) {
  int status = 0;
  std::string out = RunCommand(FioCommand(s, c, engine) + " 2>&1", &status);
  // jobs[0].read.iops
  size_t read = out.find("\"read\"");
  size_t iops = read == std::string::npos ? read : out.find("\"iops\"", read);
  size_t colon = iops == std::string::npos ? iops : out.find(':', iops);
  if (status != 0 || colon == std::string::npos) {
    *note = absl::StrFormat("fio %s failed (status %d): %s", engine, status, out.substr(0, 300));
    return std::nullopt;
  }
  return std::strtod(out.c_str() + colon + 1, nullptr) / 1e3;
}

class FileReadWorkload : public Workload {
 public:
  int order() const override { return 20; }
  std::string name() const override { return "file_read"; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "file_read: 4 KiB random reads of %s (%d MiB), QD reads kept in flight, kIOPS; poller pool, libuv "
        "threadpool and fio psync threads = %d; fio: %s",
        FilePath(s), s.file_bytes >> 20, s.poller_workers, FioCommand(s, {32, true}, "io_uring"));
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const Config& c : kConfigs) {
      rows.push_back({"file_read", "io_uring", Params(c), "kIOPS", Key("io_uring", c), Key("fio-io_uring", c),
                      "fio io_uring", Target::AtLeast(0.95), 1});
      rows.push_back({"file_read", "poller", Params(c), "kIOPS", Key("poller", c), Key("libuv", c),
                      "libuv uv_fs_read", Target::AtLeast(1.0), 1});
      rows.push_back({"file_read", "poller", Params(c), "kIOPS", Key("poller", c), Key("fio-psync", c),
                      "fio psync", Target::None(), 1});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::string note;
    if (!EnsureFile(s, &note)) {
      for (const std::string& k : needed) (*out)[k].note = note;
      return;
    }
    const std::string poller_options = PollerOptions(s.poller_workers);
    for (const Config& c : kConfigs) {
      if (!c.direct) WarmPageCache(s);
      std::vector<Variant> variants;
      auto add = [&](const std::string& who, std::function<std::optional<double>(std::string*)> fn) {
        if (needed.count(Key(who, c))) variants.push_back({Key(who, c), std::move(fn)});
      };
      add("io_uring", [&s, c](std::string* n) { return LioReads(s, "io_uring", "", c, n); });
      add("poller", [&s, c, poller_options](std::string* n) { return LioReads(s, "poller", poller_options, c, n); });
      add("fio-io_uring", [&s, c](std::string* n) { return FioReads(s, c, "io_uring", n); });
      add("fio-psync", [&s, c](std::string* n) { return FioReads(s, c, "psync", n); });
      add("libuv", [&s, c](std::string* n) { return UvReads(s, c, n); });
      RunInterleaved(s, variants, out);
    }
  }
};

LIO_BENCH_REGISTER_WORKLOAD(FileReadWorkload)

}  // namespace
}  // namespace lio::bench
