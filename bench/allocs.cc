// allocs: heap allocations per operation after init. The backend is created
// (init, capacity 64), then — counting every malloc/new of the process from
// that moment (bench/alloc_counter.c), worker threads included — it runs
// rounds of: 8 nops, a 4 KiB file read, a send and a recv on a connected
// socket pair, a 1 µs timeout, a poll for readable. Figure: allocations
// divided by operations; target 0. Loop/<backend>: the same rounds through
// lio::Loop's callback API (borrowed buffers, loop.after for the timer),
// counted from just after Loop::Open.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "bench/alloc_counter.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/runtime/loop.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

const char* const kBackends[] = {"io_uring", "poller"};

std::string Key(const std::string& backend) { return "allocs " + backend; }

std::optional<double> AllocsPerOp(const Settings& s, const std::string& backend_name, const std::string& options,
                                  std::string* note) {
  char path[] = "/tmp/lio-bench-allocs-XXXXXX";
  int file = ::mkstemp(path);
  int pair[2] = {-1, -1};
  if (file < 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    *note = "temp file / socketpair failed";
    if (file >= 0) ::close(file);
    return std::nullopt;
  }
  ::unlink(path);
  char block[4096] = {1};
  if (::write(file, block, sizeof block) != sizeof block) {
    *note = "write temp file failed";
    return std::nullopt;
  }
  char rbuf[4096], sbuf[64] = {2}, rsbuf[64];
  const int rounds = s.quick ? 200 : 2000;
  uint64_t ops = 0;
  std::optional<double> result;
  {
    auto backend = OpenBackend(backend_name, 64, options, note);
    if (!backend) {
      ::close(file);
      ::close(pair[0]);
      ::close(pair[1]);
      return std::nullopt;
    }
    const uint64_t before = AllocationCount();
    bool failed = false;
    for (int r = 0; r < rounds && !failed; ++r) {
      uint64_t id = 0;
      int pushed = 0;
      auto push = [&](const lio::Op& op) {
        if (std::error_code e = backend->push(++id, op)) {
          *note = absl::StrFormat("push %s: %s", lio::op_name(op.code), e.message());
          failed = true;
        }
        ++pushed;
      };
      for (int i = 0; i < 8; ++i) push(lio::Op::Nop());
      push(lio::Op::Read(file, rbuf, sizeof rbuf, 0));
      push(lio::Op::Send(pair[0], sbuf, sizeof sbuf, MSG_NOSIGNAL));
      push(lio::Op::Recv(pair[1], rsbuf, sizeof rsbuf));
      push(lio::Op::Timeout(1000));
      push(lio::Op::Poll(pair[0], LIO_POLL_OUT));
      backend->flush();
      int done = 0;
      while (done < pushed && !failed) {
        auto c = backend->wait();
        if (!c) {
          *note = "wait: " + c.error().message();
          failed = true;
          break;
        }
        done += static_cast<int>(c->size());
      }
      ops += static_cast<uint64_t>(pushed);
    }
    const uint64_t allocations = AllocationCount() - before;
    if (!failed) result = static_cast<double>(allocations) / static_cast<double>(ops);
    if (s.verbose) absl::FPrintF(stderr, "  %s: %d allocations in %d ops\n", backend_name, allocations, ops);
  }
  ::close(file);
  ::close(pair[0]);
  ::close(pair[1]);
  return result;
}

std::optional<double> LoopAllocsPerOp(const Settings& s, const std::string& backend_name, const std::string& options,
                                      std::string* note) {
  char path[] = "/tmp/lio-bench-allocs-XXXXXX";
  int file = ::mkstemp(path);
  int pair[2] = {-1, -1};
  if (file < 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    *note = "temp file / socketpair failed";
    if (file >= 0) ::close(file);
    return std::nullopt;
  }
  ::unlink(path);
  char block[4096] = {1};
  char rbuf[4096], sbuf[64] = {2}, rsbuf[64];
  std::optional<double> result;
  if (::write(file, block, sizeof block) == sizeof block) {
    auto loop = lio::Loop::Open({.backend = backend_name, .capacity = 64, .backend_options = options});
    if (!loop) {
      *note = loop.error().message;
    } else {
      lio::Loop& l = **loop;
      const int rounds = s.quick ? 200 : 2000;
      uint64_t ops = 0;
      int pending = 0;
      bool failed = false;
      auto done = [&](auto&&) { --pending; };
      const uint64_t before = AllocationCount();
      for (int r = 0; r < rounds && !failed; ++r) {
        int started = 0;
        auto count = [&](lio::OpId id) {
          if (!id) failed = true;
          ++started;
        };
        for (int i = 0; i < 8; ++i) count(l.nop(done));
        count(l.read(file, lio::MutableBytes(rbuf, sizeof rbuf), 0, done));
        count(l.send(pair[0], lio::ConstBytes(sbuf, sizeof sbuf), done));
        count(l.recv(pair[1], lio::MutableBytes(rsbuf, sizeof rsbuf), done));
        count(l.after(std::chrono::microseconds(1), [&] { --pending; }));
        count(l.poll(pair[0], LIO_POLL_OUT, done));
        pending += started;
        ops += static_cast<uint64_t>(started);
        while (pending > 0 && !failed) l.run_once();
      }
      const uint64_t allocations = AllocationCount() - before;
      if (failed) {
        *note = "the loop refused an operation (no free slot)";
      } else {
        result = static_cast<double>(allocations) / static_cast<double>(ops);
      }
      if (s.verbose) absl::FPrintF(stderr, "  Loop/%s: %d allocations in %d ops\n", backend_name, allocations, ops);
    }
  }
  ::close(file);
  ::close(pair[0]);
  ::close(pair[1]);
  return result;
}

class AllocsWorkload : public Workload {
 public:
  int order() const override { return 60; }
  std::string name() const override { return "allocs"; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "allocs: mallocs (operator new included, all threads) per op after init, counted by a malloc hook over "
        "%d rounds of 8 nop + read + send + recv + timeout + poll",
        s.quick ? 200 : 2000);
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* b : kBackends) {
      rows.push_back({"allocs", b, "per op after init (nop/read/send/recv/timeout/poll)", "allocs/op", Key(b), "", "",
                      Target::Equal(0), 4});
    }
    for (const char* b : kBackends) {
      std::string row = std::string("Loop/") + b;
      rows.push_back({"allocs", row, "per op after Loop::Open (callbacks, same mix)", "allocs/op", Key(row), "", "",
                      Target::Equal(0), 4});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    Settings once = s;
    once.repetitions = 1;  // a count, not a time: one run is exact
    std::vector<Variant> variants;
    for (const char* b : kBackends) {
      if (!needed.count(Key(b))) continue;
      std::string name = b;
      std::string options = name == "poller" ? PollerOptions(s.poller_workers) : "";
      variants.push_back({Key(b), [&s, name, options](std::string* note) { return AllocsPerOp(s, name, options, note); }});
    }
    for (const char* b : kBackends) {
      std::string row = std::string("Loop/") + b;
      if (!needed.count(Key(row))) continue;
      std::string name = b;
      std::string options = name == "poller" ? PollerOptions(s.poller_workers) : "";
      variants.push_back({Key(row), [&s, name, options](std::string* note) { return LoopAllocsPerOp(s, name, options, note); }});
    }
    RunInterleaved(once, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(AllocsWorkload)

}  // namespace
}  // namespace lio::bench
