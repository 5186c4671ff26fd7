// splice_proxy: a proxy moving 1 GiB (64 MiB with --quick) from one loopback
// TCP connection to another, the way a TCP proxy forwards a download. A
// sender thread writes the bytes into the first connection and a sink thread
// reads them out of the second; the proxy between them, on this thread, is
//   lio       splice socket -> pipe, then pipe -> socket, through
//             lio::Backend (io_uring, poller): one op in flight, pushed and
//             waited for (the data never enters user space);
//   reference a plain blocking read(2)/write(2) loop through a user buffer.
// Same chunk (the pipe's size, 1 MiB when F_SETPIPE_SZ allows, else 64 KiB)
// for both. Figure: GiB/s from the first byte sent to the last received.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/core/backend.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

constexpr size_t kWantedPipeSize = 1 << 20;

struct Conn {
  int near = -1;  // the proxy's end
  int far = -1;   // the sender's or the sink's end
};

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

// A connected loopback TCP pair, or nullopt (*note says why).
std::optional<Conn> LoopbackConnection(std::string* note) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  Conn c;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    *note = absl::StrFormat("loopback listener: %s", std::strerror(errno));
    CloseAll({listener});
    return std::nullopt;
  }
  c.far = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.far < 0 || ::connect(c.far, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      (c.near = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) < 0) {
    *note = absl::StrFormat("loopback connection: %s", std::strerror(errno));
    CloseAll({listener, c.far, c.near});
    return std::nullopt;
  }
  ::close(listener);
  return c;
}

// Moves up to `chunk` bytes from `in` to `out`; 0 at the end of the stream,
// -1 on an error (*note).
using Proxy = std::function<int64_t(int in, int out, size_t chunk, std::string* note)>;

// One proxy run over `total` bytes: its GiB/s, or nullopt.
std::optional<double> RunOnce(uint64_t total, const Proxy& proxy, size_t chunk, std::string* note) {
  std::optional<Conn> source = LoopbackConnection(note);
  if (!source) return std::nullopt;
  std::optional<Conn> target = LoopbackConnection(note);
  if (!target) {
    CloseAll({source->near, source->far});
    return std::nullopt;
  }
  const double start = NowSeconds();
  std::thread sender([fd = source->far, total] {
    std::vector<char> bytes(1 << 20, 'x');
    for (uint64_t sent = 0; sent < total;) {
      ssize_t n = ::write(fd, bytes.data(), std::min<uint64_t>(bytes.size(), total - sent));
      if (n <= 0 && errno != EINTR) break;
      if (n > 0) sent += static_cast<uint64_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
  });
  uint64_t received = 0;
  std::thread sink([fd = target->far, &received] {
    std::vector<char> bytes(1 << 20);
    for (;;) {
      ssize_t n = ::read(fd, bytes.data(), bytes.size());
      if (n == 0 || (n < 0 && errno != EINTR)) break;
      if (n > 0) received += static_cast<uint64_t>(n);
    }
  });
  bool failed = false;
  for (uint64_t moved = 0; moved < total;) {
    const int64_t n = proxy(source->near, target->near, chunk, note);
    if (n <= 0) {
      failed = n < 0;
      break;
    }
    moved += static_cast<uint64_t>(n);
  }
  ::shutdown(target->near, SHUT_WR);
  if (failed) ::shutdown(source->far, SHUT_RDWR);  // let the sender go
  sender.join();
  sink.join();
  const double elapsed = NowSeconds() - start;
  CloseAll({source->near, source->far, target->near, target->far});
  if (failed) return std::nullopt;
  if (received != total) {
    *note = absl::StrFormat("the sink received %d of %d bytes", received, total);
    return std::nullopt;
  }
  return static_cast<double>(total) / elapsed / (1 << 30);
}

// The reference: read into a buffer, write it all out.
int64_t ReadWrite(int in, int out, size_t chunk, std::string* note) {
  static thread_local std::vector<char> buffer;
  buffer.resize(chunk);
  ssize_t n = ::read(in, buffer.data(), chunk);
  if (n <= 0) {
    if (n < 0) *note = absl::StrFormat("read: %s", std::strerror(errno));
    return n;
  }
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(out, buffer.data() + done, static_cast<size_t>(n - done));
    if (w < 0) {
      *note = absl::StrFormat("write: %s", std::strerror(errno));
      return -1;
    }
    done += w;
  }
  return n;
}

// lio's proxy: splice in -> pipe, then pipe -> out until the pipe is empty.
class SpliceProxy {
 public:
  SpliceProxy(lio::Backend backend, int pipe_read, int pipe_write)
      : backend_(std::move(backend)), pipe_read_(pipe_read), pipe_write_(pipe_write) {}
  ~SpliceProxy() { CloseAll({pipe_read_, pipe_write_}); }

  int64_t Move(int in, int out, size_t chunk, std::string* note) {
    const uint32_t len = static_cast<uint32_t>(chunk);
    const int64_t filled = Complete(Op::Splice(in, LIO_OFFSET_CURRENT, pipe_write_, LIO_OFFSET_CURRENT, len), note);
    if (filled <= 0) return filled;
    for (int64_t drained = 0; drained < filled;) {
      const uint32_t left = static_cast<uint32_t>(filled - drained);
      const int64_t n = Complete(Op::Splice(pipe_read_, LIO_OFFSET_CURRENT, out, LIO_OFFSET_CURRENT, left), note);
      if (n <= 0) return -1;
      drained += n;
    }
    return filled;
  }

 private:
  int64_t Complete(const Op& op, std::string* note) {
    if (std::error_code ec = backend_.push(1, op)) {
      *note = "push: " + ec.message();
      return -1;
    }
    for (;;) {
      auto done = backend_.wait(std::nullopt);
      if (!done) {
        *note = "wait: " + done.error().message();
        return -1;
      }
      if (done->empty()) continue;
      const int64_t result = done->front().result;
      if (result < 0) *note = "splice: " + ResultText(result);
      return result < 0 ? -1 : result;
    }
  }

  lio::Backend backend_;
  int pipe_read_;
  int pipe_write_;
};

// A pipe as large as allowed, up to kWantedPipeSize; its size in *size.
bool MakePipe(int fds[2], size_t* size) {
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  int got = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kWantedPipeSize));
  if (got < 0) got = ::fcntl(fds[1], F_GETPIPE_SZ);
  *size = got > 0 ? static_cast<size_t>(got) : 65536;
  return true;
}

std::string Key(const std::string& who) { return "splice_proxy " + who; }

class SpliceProxyWorkload : public Workload {
 public:
  int order() const override { return 35; }
  std::string name() const override { return "splice_proxy"; }
  std::string method(const Settings& s) const override {
    return absl::StrFormat(
        "splice_proxy: %d MiB from one loopback TCP connection to another through a proxy thread (sender and sink "
        "on their own threads); lio: splice socket->pipe->socket via lio::Backend, one op in flight; reference: "
        "blocking read/write through a user buffer; same chunk (the pipe's size)",
        Bytes(s) >> 20);
  }
  std::vector<RowSpec> rows(const Settings& s) const override {
    const std::string params = absl::StrFormat("%d MiB", Bytes(s) >> 20);
    std::vector<RowSpec> rows;
    for (const char* backend : {"io_uring", "poller"}) {
      rows.push_back({"splice_proxy", backend, params, "GiB/s", Key(backend), Key("read/write"),
                      "read/write loop", Target::None(), 2});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    const uint64_t total = Bytes(s);
    std::vector<Variant> variants;
    size_t chunk = 65536;
    {
      int probe[2];
      if (MakePipe(probe, &chunk)) CloseAll({probe[0], probe[1]});
    }
    if (needed.count(Key("read/write"))) {
      variants.push_back({Key("read/write"), [total, chunk](std::string* note) {
                            return RunOnce(total, ReadWrite, chunk, note);
                          }});
    }
    for (const std::string backend : {"io_uring", "poller"}) {
      if (!needed.count(Key(backend))) continue;
      const std::string options = backend == "poller" ? PollerOptions(s.poller_workers) : "";
      variants.push_back({Key(backend), [total, backend, options](std::string* note) -> std::optional<double> {
                            auto opened = OpenBackend(backend, 4, options, note);
                            if (!opened) return std::nullopt;
                            if (!opened->info().supports(LIO_OP_SPLICE)) {
                              *note = backend + " does not declare splice";
                              return std::nullopt;
                            }
                            int fds[2];
                            size_t size = 0;
                            if (!MakePipe(fds, &size)) {
                              *note = absl::StrFormat("pipe2: %s", std::strerror(errno));
                              return std::nullopt;
                            }
                            SpliceProxy proxy(std::move(*opened), fds[0], fds[1]);
                            return RunOnce(
                                total,
                                [&proxy](int in, int o, size_t c, std::string* n) { return proxy.Move(in, o, c, n); },
                                size, note);
                          }});
    }
    RunInterleaved(s, variants, out);
  }

 private:
  static uint64_t Bytes(const Settings& s) { return s.quick ? (64ull << 20) : (1ull << 30); }
};

}  // namespace

LIO_BENCH_REGISTER_WORKLOAD(SpliceProxyWorkload)

}  // namespace lio::bench
