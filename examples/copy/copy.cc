// copy: cp with N reads in flight, on lio.
//
//   copy SRC DST [--backend io_uring|poller|auto] [--in_flight 8] [--block_size 1048576] [--fsync]
//
// N worker coroutines share one cursor: each claims the next block, reads it
// at its offset into its own owned buffer, writes it at the same offset, and
// claims again, until a read returns end of file. Blocks complete in any
// order; every byte lands at its own offset, so the copy is exact.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "lio/runtime/runtime.h"

ABSL_FLAG(std::string, backend, "", "backend: io_uring, poller, auto (default: $LIO_BACKEND, else auto)");
ABSL_FLAG(int, in_flight, 8, "reads (and writes) in flight at once");
ABSL_FLAG(int64_t, block_size, 1 << 20, "bytes per read");
ABSL_FLAG(bool, fsync, false, "fsync the destination before exiting");

namespace {

struct Copy {
  lio::File src;
  lio::File dst;
  int64_t block = 0;
  int64_t next = 0;      // the next block to claim
  int64_t copied = 0;
  bool eof = false;
  std::error_code error;
  std::string what;

  void fail(std::error_code ec, std::string where) {
    if (!error) {
      error = ec;
      what = std::move(where);
    }
  }
};

// One worker: claims blocks until end of file (or an error anywhere).
lio::Task<void> Worker(Copy& c) {
  lio::Buffer buf(static_cast<size_t>(c.block));
  while (!c.eof && !c.error) {
    int64_t start = c.next;
    c.next += c.block;
    // A short read (rare on regular files) is continued until the block is
    // done; reading past the block's end re-reads bytes a neighbour writes
    // identically, so correctness does not depend on it.
    for (int64_t at = start; at < start + c.block;) {
      auto [n, data] = co_await lio::read(c.src, std::move(buf), at);
      buf = std::move(data);
      if (!n) co_return c.fail(n.error(), absl::StrFormat("read at %d", at));
      if (*n == 0) {
        c.eof = true;
        break;
      }
      auto [w, back] = co_await lio::write_all(c.dst, std::move(buf), at);
      buf = std::move(back);
      if (!w) co_return c.fail(w.error(), absl::StrFormat("write at %d", at));
      c.copied += static_cast<int64_t>(*w);
      at += static_cast<int64_t>(*w);
    }
  }
}

lio::Task<std::error_code> Run(Copy& c, const std::string& from, const std::string& to, int in_flight,
                               bool sync) {
  auto src = co_await lio::open(from, LIO_OPEN_RDONLY);
  if (!src) {
    c.fail(src.error(), "open " + from);
    co_return c.error;
  }
  auto dst = co_await lio::open(to, LIO_OPEN_WRONLY | LIO_OPEN_CREATE | LIO_OPEN_TRUNC, 0644);
  if (!dst) {
    c.fail(dst.error(), "open " + to);
    co_return c.error;
  }
  c.src = std::move(*src);
  c.dst = std::move(*dst);
  std::vector<lio::Task<void>> workers;
  for (int i = 0; i < in_flight; ++i) workers.push_back(Worker(c));
  co_await lio::when_all(std::move(workers));  // runs them concurrently, resumes when all are done
  if (!c.error && sync) {
    if (std::error_code ec = co_await lio::fsync(c.dst)) c.fail(ec, "fsync " + to);
  }
  co_return c.error;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("cp with N reads in flight: copy SRC DST [--in_flight N] [--block_size BYTES]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    absl::FPrintF(stderr, "usage: copy SRC DST [--backend NAME] [--in_flight N] [--block_size BYTES] [--fsync]\n");
    return 2;
  }
  int in_flight = std::max(1, absl::GetFlag(FLAGS_in_flight));
  int64_t block = std::max<int64_t>(1, absl::GetFlag(FLAGS_block_size));

  lio::LoopOptions options;
  options.backend = absl::GetFlag(FLAGS_backend);
  options.capacity = static_cast<uint32_t>(in_flight * 2 + 8);
  auto loop = lio::Loop::Open(options);
  if (!loop) {
    absl::FPrintF(stderr, "copy: %s\n", loop.error().message);
    return 1;
  }
  Copy c;
  c.block = block;
  auto start = std::chrono::steady_clock::now();
  std::error_code ec = (*loop)->block_on(Run(c, args[1], args[2], in_flight, absl::GetFlag(FLAGS_fsync)));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (ec) {
    absl::FPrintF(stderr, "copy: %s: %s\n", c.what, ec.message());
    return 1;
  }
  absl::PrintF("copied %d bytes in %.3f s (%.1f MB/s), %d reads in flight of %d bytes, backend=%s\n", c.copied,
               seconds, seconds > 0 ? c.copied / seconds / 1e6 : 0.0, in_flight, block, (*loop)->backend_name());
  return 0;
}
