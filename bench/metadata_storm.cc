// metadata_storm: the life of a small file, over and over — create, write
// 4 KiB, fsync, close, rename, stat, unlink — in a directory under
// --file_dir. Figure: files per second through all seven steps. lio:
// lio::Backend on io_uring (native SQEs for every step, ABI 1.1's renameat,
// statx and unlinkat included) and on the poller (its worker pool), with 1
// file at a time (the same serial order as the reference: what lio costs)
// and with 32 files at a time (each file's steps in order, files
// overlapping: what the model buys). Reference: the same seven system
// calls in a plain loop, one file after another, on this thread.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr size_t kFileBytes = 4096;
constexpr int kDepths[] = {1, 32};
constexpr int kSteps = 7;  // open, write, fsync, close, rename, statx, unlink

std::string Key(const std::string& who, int depth) {
  return depth > 0 ? absl::StrFormat("metadata_storm %s depth=%d", who, depth) : "metadata_storm " + who;
}

// A fresh directory for one variant's files, or "" (and *note).
std::string MakeDirectory(const Settings& s, const std::string& who, std::string* note) {
  static int made = 0;
  std::string dir = absl::StrFormat("%s/lio-storm-%d-%s-%d", s.file_dir, getpid(), who, made++);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    *note = absl::StrFormat("mkdir %s: %s (set --file_dir)", dir, strerror(errno));
    return "";
  }
  return dir;
}

// The window in which finished files are counted.
struct Window {
  double start;
  double end;
  explicit Window(const Settings& s) : start(NowSeconds() + s.warmup_seconds), end(start + s.seconds) {}
};

// One file making its way through the steps; its paths and statx buffer
// stay put while an op on them is in flight.
struct FileSlot {
  int step = 0;
  int fd = -1;
  char name[96] = "";
  char renamed[96] = "";
  lio_statx st{};
};

void Rename(const std::string& dir, uint64_t slot, uint64_t seq, FileSlot& f) {
  std::snprintf(f.name, sizeof f.name, "%s/f%llu-%llu", dir.c_str(), static_cast<unsigned long long>(slot),
                static_cast<unsigned long long>(seq));
  std::snprintf(f.renamed, sizeof f.renamed, "%s/r%llu-%llu", dir.c_str(), static_cast<unsigned long long>(slot),
                static_cast<unsigned long long>(seq));
}

lio::Op StepOp(FileSlot& f, const char* data) {
  switch (f.step) {
    case 0: return lio::Op::Openat(LIO_AT_FDCWD, f.name, LIO_OPEN_WRONLY | LIO_OPEN_CREATE | LIO_OPEN_TRUNC, 0644);
    case 1: return lio::Op::Write(f.fd, data, kFileBytes, 0);
    case 2: return lio::Op::Fsync(f.fd);
    case 3: return lio::Op::Close(f.fd);
    case 4: return lio::Op::Renameat(LIO_AT_FDCWD, f.name, LIO_AT_FDCWD, f.renamed);
    case 5: return lio::Op::Statx(LIO_AT_FDCWD, f.renamed, &f.st, LIO_STATX_SIZE);
    default: return lio::Op::Unlinkat(LIO_AT_FDCWD, f.renamed);
  }
}

// Whether `result` is what the step should give (the new fd is kept).
bool StepSucceeded(FileSlot& f, int64_t result) {
  if (f.step == 0 && result >= 0) f.fd = static_cast<int>(result);
  if (f.step == 0) return result >= 0;
  if (f.step == 1) return result == static_cast<int64_t>(kFileBytes);
  if (f.step == 5) return result == 0 && f.st.size == kFileBytes;
  return result == 0;
}

std::optional<double> LioStorm(const Settings& s, const std::string& backend_name, const std::string& options,
                               int depth, std::string* note) {
  const std::string dir = MakeDirectory(s, backend_name, note);
  if (dir.empty()) return std::nullopt;
  auto backend = OpenBackend(backend_name, static_cast<uint32_t>(depth), options, note);
  if (!backend) {
    ::rmdir(dir.c_str());
    return std::nullopt;
  }
  std::vector<char> data(kFileBytes, 'm');
  std::vector<FileSlot> files(static_cast<size_t>(depth));
  uint64_t seq = 0;
  // A slot's next op: the next step of its file, or the first of a new file
  // once the last one is through. A file in progress always finishes (no
  // litter): its steps are issued even while the loop drains.
  auto next = [&](uint64_t slot) {
    FileSlot& f = files[slot];
    if (f.step == 0 || f.step == kSteps) {
      f = FileSlot{};
      Rename(dir, slot, seq++, f);
    }
    return StepOp(f, data.data());
  };
  auto step = [&](const lio_completion& c) {
    FileSlot& f = files[c.id];
    if (!StepSucceeded(f, c.result)) {
      *note = absl::StrFormat("step %d of %s completed with %s", f.step, f.name, ResultText(c.result));
      return LoopStep::kFailed;
    }
    return ++f.step == kSteps ? LoopStep::kFinished : LoopStep::kContinues;
  };
  const uint64_t counted = RunClosedLoop(*backend, s, depth, next, step, note);
  backend.reset();
  ::rmdir(dir.c_str());
  if (!note->empty()) return std::nullopt;
  return static_cast<double>(counted) / s.seconds;
}

// The reference: the seven calls in a plain loop.
std::optional<double> SyscallStorm(const Settings& s, std::string* note) {
  const std::string dir = MakeDirectory(s, "syscalls", note);
  if (dir.empty()) return std::nullopt;
  std::vector<char> data(kFileBytes, 'm');
  const Window window(s);
  uint64_t counted = 0;
  FileSlot f;
  for (uint64_t seq = 0;; ++seq) {
    const double now = NowSeconds();
    if (now >= window.end) break;
    Rename(dir, 0, seq, f);
    int fd = ::open(f.name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && ::write(fd, data.data(), kFileBytes) == static_cast<ssize_t>(kFileBytes) && ::fsync(fd) == 0;
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    struct statx st {};
    ok = ok && ::rename(f.name, f.renamed) == 0 && ::statx(AT_FDCWD, f.renamed, 0, STATX_SIZE, &st) == 0 &&
         st.stx_size == kFileBytes && ::unlink(f.renamed) == 0;
    if (!ok) {
      *note = absl::StrFormat("file %s: %s", f.name, strerror(errno));
      break;
    }
    if (NowSeconds() >= window.start) ++counted;
  }
  ::rmdir(dir.c_str());
  if (!note->empty()) return std::nullopt;
  return static_cast<double>(counted) / s.seconds;
}

class MetadataStormWorkload : public Workload {
 public:
  int order() const override { return 25; }
  std::string name() const override { return "metadata_storm"; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "metadata_storm: files/s through create, write 4 KiB, fsync, close, rename, statx, unlink in %s for %g s "
        "per repetition; depth = files in flight at once (each file's steps in order); poller pool = %d; "
        "reference: the same calls in a plain loop, one file at a time",
        s.file_dir, s.seconds, s.poller_workers);
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (int depth : kDepths) {
      // One at a time, lio only adds its own cost to the calls' (the disk's
      // fsync dominates); many at a time is what the model is for.
      const Target target = depth == 1 ? Target::AtLeast(0.9) : Target::None();
      for (const char* who : {"io_uring", "poller"}) {
        rows.push_back({"metadata_storm", who, absl::StrFormat("%d file%s in flight", depth, depth == 1 ? "" : "s"),
                        "files/s", Key(who, depth), Key("syscalls", 0), "plain syscall loop", target, 0});
      }
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    const std::string poller_options = PollerOptions(s.poller_workers);
    std::vector<Variant> variants;
    auto add = [&](const std::string& key, std::function<std::optional<double>(std::string*)> fn) {
      if (needed.count(key)) variants.push_back({key, std::move(fn)});
    };
    for (int depth : kDepths) {
      add(Key("io_uring", depth), [&s, depth](std::string* n) { return LioStorm(s, "io_uring", "", depth, n); });
      add(Key("poller", depth),
          [&s, depth, poller_options](std::string* n) { return LioStorm(s, "poller", poller_options, depth, n); });
    }
    add(Key("syscalls", 0), [&s](std::string* n) { return SyscallStorm(s, n); });
    RunInterleaved(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(MetadataStormWorkload)

}  // namespace
}  // namespace lio::bench
