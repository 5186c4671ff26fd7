// backend_ops_fuzzer: turns bytes into push / flush / wait / cancel / wake
// sequences on one backend (io_uring, poller, chaos over each) and checks
// every answer against a model of the contract in lio/core/plugin_abi.h:
//   - push answers -EAGAIN exactly when `capacity` ops are in flight, and
//     -EEXIST exactly when the id is in flight; nothing is dropped;
//   - every pushed op completes exactly once; no completion for an id that
//     is not in flight;
//   - results are in range for the op (nop 0, timeout -ETIME, read/write at
//     most the length asked, poll only the asked events plus ERR/HUP; any op
//     may answer -ECANCELED; never -ENOSYS/-EOPNOTSUPP for a declared op);
//   - cancel answers 0 exactly when the id is in flight, else -ENOENT;
//   - flush hands over exactly the ops queued since the last flush or wait;
//   - a wake makes the next blocking wait return;
//   - destroy with ops in flight touches no buffer afterwards (ASan: the
//     buffers are freed right after destroy).
// Only safe ops: nop, short timeouts, I/O on a pipe, a socketpair and a temp
// file this process owns, poll on those. Nothing outside its temp dir.
//
// Plugins are loaded by path through lio::Registry from the fuzzer's Bazel
// runfiles (data deps, built instrumented by --config=fuzz).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/registry.h"
#include "lio/testing/fuzz/byte_reader.h"
#include "lio/testing/fuzz/plugin_dirs.h"

namespace {

using lio::fuzz::ByteReader;

constexpr const char* kBackendNames[] = {"io_uring", "poller", "chaos:io_uring", "chaos:poller"};
constexpr int kIds = 32;            // ids pushed are 0..31, so duplicates are common
constexpr uint64_t kMaxLen = 4096;  // bytes per read/write
constexpr int64_t kMaxTimeoutNs = 2'000'000;
constexpr char kUnread = '\xee';  // fills a read buffer before the read

[[noreturn]] void Fail(const char* backend, const char* what, long long a = 0, long long b = 0) {
  std::fprintf(stderr, "backend_ops_fuzzer: %s: contract broken: %s (%lld, %lld)\n", backend, what, a, b);
  std::fflush(stderr);
  std::abort();
}

lio::Registry* g_registry = nullptr;
std::string g_temp_dir;

// Which byte stream an I/O op moves bytes on, to check at the end that no
// more bytes were read than written.
enum Channel { kPipe = 0, kSockAB = 1, kSockBA = 2, kFile = 3, kNoChannel = 4 };

struct InFlight {
  bool live = false;
  uint32_t code = 0;
  uint64_t len = 0;
  uint32_t poll_events = 0;
  bool reads = false;
  Channel channel = kNoChannel;
  const char* buf = nullptr;  // reads: where the bytes land
  bool cancelled = false;
  bool queued = false;  // pushed since the last flush or wait
};

// The files one execution owns.
struct Files {
  int pipe[2] = {-1, -1};
  int sock[2] = {-1, -1};
  int file = -1;
  bool open() {
    if (pipe2(pipe, O_CLOEXEC) != 0) return false;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0) return false;
    std::string path = g_temp_dir + "/data";
    file = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    return file >= 0;
  }
  ~Files() {
    for (int fd : {pipe[0], pipe[1], sock[0], sock[1], file})
      if (fd >= 0) close(fd);
  }
};

class Model {
 public:
  Model(lio::Backend* backend, const char* name, uint32_t capacity)
      : backend_(backend), name_(name), capacity_(capacity), buffers_(new std::array<char, kMaxLen>[kIds]) {}

  void push(uint64_t id, const lio_op& op, const InFlight& what) {
    std::error_code ec = backend_->push(id, op);
    const bool full = in_flight_ >= capacity_;
    const bool duplicate = id < kIds && slots_[id].live;
    if (!ec) {
      if (full) Fail(name_, "push accepted past capacity", in_flight_, capacity_);
      if (duplicate) Fail(name_, "push accepted an id already in flight", static_cast<long long>(id));
      slots_[id] = what;
      slots_[id].live = true;
      slots_[id].queued = true;
      ++in_flight_;
      ++queued_;
      return;
    }
    if (ec.value() == LIO_EAGAIN) {
      if (!full) Fail(name_, "push answered full below capacity", in_flight_, capacity_);
      return;
    }
    if (ec.value() == LIO_EEXIST) {
      if (!duplicate) Fail(name_, "push answered EEXIST for a free id", static_cast<long long>(id));
      return;
    }
    Fail(name_, "push answered an unexpected error", ec.value(), op.code);
  }

  void flush() {
    auto n = backend_->flush();
    if (!n) Fail(name_, "flush failed", n.error().value());
    // A cancel may take a queued op out before it reaches the OS.
    if (*n > queued_ || *n < queued_ - queued_cancelled_)
      Fail(name_, "flush handed over another count than was queued", *n, queued_);
    forget_queue();
  }

  // timeout_ns < 0 blocks: only after a wake, or when something is sure to
  // complete.
  void wait(int64_t timeout_ns) {
    lio::Backend::Timeout t;
    if (timeout_ns >= 0) t = std::chrono::nanoseconds(timeout_ns);
    auto done = backend_->wait(t);
    forget_queue();  // wait flushes
    if (!done) Fail(name_, "wait failed", done.error().value());
    for (const lio_completion& c : *done) complete(c);
  }

  void cancel(uint64_t id) {
    std::error_code ec = backend_->cancel(id);
    const bool live = id < kIds && slots_[id].live;
    if (live) {
      if (ec) Fail(name_, "cancel of an op in flight failed", ec.value(), static_cast<long long>(id));
      if (slots_[id].queued && !slots_[id].cancelled) ++queued_cancelled_;
      slots_[id].cancelled = true;
      return;
    }
    if (ec.value() != LIO_ENOENT) Fail(name_, "cancel of an id not in flight did not answer ENOENT", ec.value());
  }

  void wake() {
    if (std::error_code ec = backend_->wake()) Fail(name_, "wake failed", ec.value());
  }

  // Cancels everything and waits until each op has completed.
  void drain() {
    for (uint64_t id = 0; id < kIds; ++id)
      if (slots_[id].live && !slots_[id].cancelled) cancel(id);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (in_flight_ > 0) {
      if (std::chrono::steady_clock::now() > deadline) Fail(name_, "ops never completed after cancel", in_flight_);
      wait(10'000'000);
    }
    for (int c = 0; c < kNoChannel; ++c)
      if (c != kFile && read_[c] > written_[c]) Fail(name_, "more bytes read than written", read_[c], written_[c]);
  }

  char* buffer(uint64_t id) { return buffers_[id].data(); }
  bool live(uint64_t id) const { return id < kIds && slots_[id].live; }

 private:
  // Every write on a channel writes one letter, so a read returns only that
  // letter (a file region never written reads as zeros).
  void check_bytes(const InFlight& op, size_t n) {
    static constexpr char kLetter[] = {'p', 's', 's', 'f'};
    for (size_t i = 0; i < n; ++i) {
      const char c = op.buf[i];
      if (c == kLetter[op.channel] || (op.channel == kFile && c == 0)) continue;
      Fail(name_, "a read returned bytes nobody wrote", static_cast<unsigned char>(c), static_cast<long long>(i));
    }
  }

  void forget_queue() {
    queued_ = 0;
    queued_cancelled_ = 0;
    for (InFlight& op : slots_) op.queued = false;
  }

  void complete(const lio_completion& c) {
    if (c.id >= kIds || !slots_[c.id].live) Fail(name_, "completion for an id not in flight", static_cast<long long>(c.id));
    InFlight& op = slots_[c.id];
    op.live = false;
    if (op.queued) {  // completed before any flush: no longer queued
      --queued_;
      if (op.cancelled) --queued_cancelled_;
    }
    --in_flight_;
    check_result(op, c.result);
  }

  void check_result(const InFlight& op, int64_t r) {
    if (r == -LIO_ECANCELED) return;
    if (r == -LIO_ENOSYS || r == -LIO_EOPNOTSUPP) Fail(name_, "declared op completed as unsupported", op.code, r);
    if (r < -4095) Fail(name_, "result below the errno range", op.code, r);
    switch (op.code) {
      case LIO_OP_NOP:
        if (r != 0) Fail(name_, "nop result", r);
        return;
      case LIO_OP_TIMEOUT:
        if (r != -LIO_ETIME) Fail(name_, "timeout result", r);
        return;
      case LIO_OP_POLL:
        if (r < 0) return;
        if ((static_cast<uint64_t>(r) & ~uint64_t{op.poll_events | LIO_POLL_ERR | LIO_POLL_HUP}) != 0)
          Fail(name_, "poll result has events not asked", r, op.poll_events);
        return;
      default:
        if (r < 0) return;
        if (static_cast<uint64_t>(r) > op.len) Fail(name_, "more bytes than asked", r, static_cast<long long>(op.len));
        (op.reads ? read_ : written_)[op.channel] += r;
        if (op.reads) check_bytes(op, static_cast<size_t>(r));
        return;
    }
  }

  lio::Backend* backend_;
  const char* name_;
  const int capacity_;
  std::unique_ptr<std::array<char, kMaxLen>[]> buffers_;
  std::array<InFlight, kIds> slots_{};
  int in_flight_ = 0;
  int queued_ = 0;
  int queued_cancelled_ = 0;
  long long read_[kNoChannel] = {};
  long long written_[kNoChannel] = {};
};

// One op built from the input: the lio_op and what the model expects of it.
void PushOne(ByteReader& in, Model& model, const Files& files, const lio::Backend& backend) {
  const uint64_t id = in.byte() % kIds;
  const uint8_t kind = in.byte() % 8;
  const uint64_t len = 1 + in.u16() % kMaxLen;
  // A push of an id in flight must be refused: it gets a scratch buffer so
  // the refused op cannot disturb the buffer of the op in flight.
  static char scratch[kMaxLen];
  char* buf = model.live(id) ? scratch : model.buffer(id);
  InFlight what;
  lio_op op;
  switch (kind) {
    case 0:
      op = lio::Op::Nop();
      break;
    case 1:
      op = lio::Op::Timeout(static_cast<int64_t>(in.u16()) * kMaxTimeoutNs / 0xffff);
      break;
    case 2:  // pipe read: pends until written or cancelled
      std::memset(buf, kUnread, len);
      op = lio::Op::Read(files.pipe[0], buf, len);
      what = {.len = len, .reads = true, .channel = kPipe, .buf = buf};
      break;
    case 3:  // pipe write: may block once the pipe is full
      std::memset(buf, 'p', len);
      op = lio::Op::Write(files.pipe[1], buf, len);
      what = {.len = len, .channel = kPipe};
      break;
    case 4: {  // socketpair, either direction
      const bool ab = in.byte() & 1;
      const bool sends = in.byte() & 1;
      const int fd = files.sock[ab == sends ? 0 : 1];
      std::memset(buf, sends ? 's' : kUnread, len);
      op = sends ? lio::Op::Send(fd, buf, len) : lio::Op::Recv(fd, buf, len);
      what = {.len = len, .reads = !sends, .channel = ab ? kSockAB : kSockBA, .buf = buf};
      break;
    }
    case 5: {  // temp file at an offset
      const bool writes = in.byte() & 1;
      const int64_t offset = in.u16();
      std::memset(buf, writes ? 'f' : kUnread, len);
      op = writes ? lio::Op::Write(files.file, buf, len, offset) : lio::Op::Read(files.file, buf, len, offset);
      what = {.len = len, .reads = !writes, .channel = kFile, .buf = buf};
      break;
    }
    case 6: {
      const int fds[] = {files.pipe[0], files.pipe[1], files.sock[0], files.sock[1]};
      const uint8_t b = in.byte();
      const uint32_t events = (b & 4 ? LIO_POLL_IN : 0) | (b & 8 ? LIO_POLL_OUT : 0);
      op = lio::Op::Poll(fds[b % 4], events == 0 ? LIO_POLL_IN : events);
      what.poll_events = op.u.poll.events;
      break;
    }
    default:  // a second push of an id likely in flight
      op = lio::Op::Nop();
      break;
  }
  what.code = op.code;
  if (!backend.supports(op.code)) return;
  model.push(id, op, what);
}

void Run(ByteReader& in) {
  const char* name = kBackendNames[in.byte() % std::size(kBackendNames)];
  const uint32_t capacity = 1 + in.byte() % 8;
  lio::BackendOptions options{.capacity = capacity};
  if (std::strncmp(name, "chaos:", 6) == 0) options.options = "seed=" + std::to_string(in.u16());
  auto backend = g_registry->Open(name, options);
  if (!backend) Fail(name, "open failed", backend.error().code.value());

  Files files;
  if (!files.open()) Fail(name, "could not make the pipe/socketpair/temp file");
  std::optional<Model> model;
  model.emplace(&*backend, name, capacity);

  for (int steps = 0; steps < 200 && !in.empty(); ++steps) {
    switch (in.byte() % 10) {
      case 0: case 1: case 2:
        PushOne(in, *model, files, *backend);
        break;
      case 3:
        model->flush();
        break;
      case 4:
        model->wait(0);
        break;
      case 5:
        model->wait(in.byte() % 2 == 0 ? 0 : 1'000'000);
        break;
      case 6:
        model->cancel(in.byte() % kIds);
        break;
      case 7:  // an id never pushed (or far out of range)
        model->cancel(in.byte() & 1 ? ~uint64_t{0} - in.byte() : kIds + in.u16());
        break;
      case 8:
        model->wake();
        model->wait(-1);
        break;
      case 9: {  // a burst past capacity: push answers full, never drops
        const int n = 1 + in.byte() % 12;
        for (int i = 0; i < n; ++i) {
          uint64_t id = static_cast<uint64_t>(i);
          if (model->live(id)) continue;
          model->push(id, lio::Op::Nop(), InFlight{.code = LIO_OP_NOP});
        }
        break;
      }
    }
  }
  // Either drain (every op completes) or destroy with ops in flight: then
  // the buffers are freed at once, so a backend that touches one after
  // destroy is caught by ASan.
  if (in.byte() % 4 != 0) model->drain();
  { lio::Backend gone = std::move(*backend); }
  model.reset();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto dirs = lio::fuzz::PluginDirs();
  if (dirs.empty()) {
    std::fprintf(stderr, "backend_ops_fuzzer: no plugins in its runfiles: build it with bazel (--config=fuzz)\n");
    std::exit(2);
  }
  g_registry = new lio::Registry(dirs);
  char temp[] = "/tmp/lio_fuzz_XXXXXX";
  if (mkdtemp(temp) == nullptr) std::exit(2);
  g_temp_dir = temp;
  std::atexit([] {
    unlink((g_temp_dir + "/data").c_str());
    rmdir(g_temp_dir.c_str());
  });
  for (const char* name : kBackendNames) {
    auto backend = g_registry->Open(name, {.capacity = 4});
    if (!backend) {
      std::fprintf(stderr, "backend_ops_fuzzer: %s: %s\n", name, backend.error().message.c_str());
      std::exit(2);
    }
  }
  // Chaos's knobs come from the environment too; only the seed varies here.
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  Run(in);
  return 0;
}
