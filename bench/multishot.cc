// multishot: the ABI 1.1 operations against the plain ones they replace, on
// the same backend in the same run (each row's reference is the plain form):
//   echo     16 loopback TCP connections, a client thread ping-ponging 64 bytes
//            on each (send on all, then read every echo back); the server
//            echoes with RECV_MULTI into a buffer group (64 x 4 KiB; the send
//            goes out of the group's buffer, which is returned when it is
//            done) vs a RECV per message into a buffer per connection.
//            Figure: echoed messages per second.
//   accept   a connection storm: a client thread connects and resets (SO_LINGER
//            0) as fast as it can; the server takes them with one
//            ACCEPT_MULTI vs an ACCEPT re-armed after each client, and closes
//            each. Figure: accepts per second.
//   send_zc  64 KiB sends on a loopback TCP connection drained by a thread, 4
//            in flight: SEND_ZC (a buffer is reused only after its notice) vs
//            SEND. Figure: GB/s.
// Backends: io_uring (native) and poller (emulated: the rows show what the
// emulation costs). The measured window is Settings::seconds per repetition.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/lio_util.h"
#include "lio/core/op.h"

namespace lio::bench {
namespace {

const char* const kBackends[] = {"io_uring", "poller"};
constexpr int kConnections = 16;
constexpr size_t kMessage = 64;
constexpr uint32_t kGroup = 1;
constexpr uint32_t kGroupBuffers = 64;
constexpr uint32_t kGroupBufferSize = 4096;
constexpr size_t kZcSize = 64 * 1024;
constexpr int kZcDepth = 4;
// Id tags: what a completion is about.
constexpr uint64_t kRecvTag = uint64_t{1} << 60;
constexpr uint64_t kSendTag = uint64_t{2} << 60;
constexpr uint64_t kTagMask = uint64_t{0xf} << 60;

std::string Key(const std::string& what, const std::string& backend) { return "multishot " + what + " " + backend; }

// ---- sockets ----

int Listener(sockaddr_in* address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  *address = sockaddr_in{};
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof *address;
  if (bind(fd, reinterpret_cast<sockaddr*>(address), sizeof *address) != 0 || listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(address), &length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int Connect(const sockaddr_in& address) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Connected pairs: client ends (the thread's) and server ends (the backend's).
bool Pairs(int n, std::vector<int>* clients, std::vector<int>* servers) {
  sockaddr_in address{};
  int listener = Listener(&address);
  if (listener < 0) return false;
  for (int i = 0; i < n; ++i) {
    int c = Connect(address);
    int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0 || s < 0) break;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    clients->push_back(c);
    servers->push_back(s);
  }
  close(listener);
  return static_cast<int>(servers->size()) == n;
}

void CloseAll(const std::vector<int>& fds) {
  for (int fd : fds) close(fd);
}

bool PushOrFlush(Backend& b, uint64_t id, const Op& op) {
  std::error_code e = b.push(id, op);
  if (e == std::errc::resource_unavailable_try_again) {
    b.flush();
    e = b.push(id, op);
  }
  return !e;
}

// ---- echo ----

std::optional<double> Echo(const std::string& backend_name, bool multishot, const Settings& s, std::string* note) {
  auto backend = OpenBackend(backend_name, 256, "", note);
  if (!backend) return std::nullopt;
  if (multishot && (!backend->supports(LIO_OP_RECV_MULTI) || !backend->has_feature(LIO_FEATURE_BUFFER_GROUPS))) {
    *note = backend_name + " has no multishot recv with buffer groups";
    return std::nullopt;
  }
  std::vector<int> clients, servers;
  if (!Pairs(kConnections, &clients, &servers)) {
    *note = "cannot make loopback connections";
    CloseAll(clients);
    CloseAll(servers);
    return std::nullopt;
  }
  std::vector<char> group(static_cast<size_t>(kGroupBuffers) * kGroupBufferSize);
  std::vector<char> plain(static_cast<size_t>(kConnections) * kGroupBufferSize);
  auto arm = [&](int c) {
    const uint64_t id = kRecvTag | static_cast<uint64_t>(c);
    if (multishot) return PushOrFlush(*backend, id, Op::RecvMulti(servers[c], kGroup));
    return PushOrFlush(*backend, id, Op::Recv(servers[c], plain.data() + c * kGroupBufferSize, kGroupBufferSize));
  };
  if (multishot && backend->add_buffer_group(kGroup, group.data(), kGroupBuffers, kGroupBufferSize)) {
    *note = "add_buffer_group failed";
    return std::nullopt;
  }
  for (int c = 0; c < kConnections; ++c) arm(c);
  backend->flush();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rounds{0};
  std::thread client([&] {
    char message[kMessage];
    std::memset(message, 'x', sizeof message);
    char reply[kMessage];
    while (!stop.load(std::memory_order_relaxed)) {
      for (int fd : clients) send(fd, message, sizeof message, MSG_NOSIGNAL);
      for (int fd : clients) {
        for (size_t got = 0; got < kMessage;) {
          ssize_t n = recv(fd, reply + got, kMessage - got, 0);
          if (n <= 0) return;
          got += static_cast<size_t>(n);
        }
      }
      rounds.fetch_add(1, std::memory_order_relaxed);
    }
  });

  uint64_t send_seq = 0;
  const double warm_end = NowSeconds() + s.warmup_seconds;
  double start = 0;
  uint64_t start_rounds = 0;
  bool measuring = false;
  bool failed = false;
  double end = warm_end + s.seconds;
  while (!failed) {
    const double now = NowSeconds();
    if (!measuring && now >= warm_end) {
      measuring = true;
      start = now;
      start_rounds = rounds.load();
      end = now + s.seconds;
    }
    if (measuring && now >= end) break;
    auto batch = backend->wait(std::chrono::milliseconds(10));
    if (!batch) break;
    for (const lio_completion& c : *batch) {
      const int conn = static_cast<int>(c.id & 0xffff);
      if ((c.id & kTagMask) == kSendTag) {
        if (multishot) {
          backend->return_buffer(kGroup, static_cast<uint32_t>((c.id >> 16) & 0xffff));
        } else {
          arm(conn);
        }
        continue;
      }
      if (c.result <= 0) {  // a stream that ended (ENOBUFS): start it again
        if (c.result < 0 && multishot && !(c.flags & LIO_COMPLETION_MORE)) arm(conn);
        if (c.result <= 0 && !multishot) failed = true;
        continue;
      }
      const char* data = multishot ? group.data() + LIO_COMPLETION_BUFFER_ID(c.flags) * kGroupBufferSize
                                   : plain.data() + conn * kGroupBufferSize;
      const uint64_t buffer = multishot ? LIO_COMPLETION_BUFFER_ID(c.flags) : 0;
      const uint64_t id = kSendTag | (++send_seq << 32) | buffer << 16 | static_cast<uint64_t>(conn);
      PushOrFlush(*backend, id, Op::Send(servers[conn], data, static_cast<uint64_t>(c.result)));
      if (multishot && !(c.flags & LIO_COMPLETION_MORE)) arm(conn);
    }
    backend->flush();
  }
  const double elapsed = NowSeconds() - start;
  const uint64_t done = rounds.load() - start_rounds;
  stop.store(true);
  for (int fd : clients) shutdown(fd, SHUT_RDWR);
  client.join();
  backend.reset();
  CloseAll(clients);
  CloseAll(servers);
  if (failed || !measuring || elapsed <= 0) {
    *note = "the echo stopped";
    return std::nullopt;
  }
  return static_cast<double>(done) * kConnections / elapsed / 1e3;
}

// ---- accept storm ----

std::optional<double> AcceptStorm(const std::string& backend_name, bool multishot, const Settings& s,
                                  std::string* note) {
  auto backend = OpenBackend(backend_name, 256, "", note);
  if (!backend) return std::nullopt;
  if (multishot && !backend->supports(LIO_OP_ACCEPT_MULTI)) {
    *note = backend_name + " has no multishot accept";
    return std::nullopt;
  }
  sockaddr_in address{};
  int listener = Listener(&address);
  if (listener < 0) {
    *note = "cannot listen on loopback";
    return std::nullopt;
  }
  std::atomic<bool> stop{false};
  std::thread client([&] {
    const linger reset{1, 0};  // RST at close: no TIME_WAIT to exhaust the ports
    while (!stop.load(std::memory_order_relaxed)) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
      close(fd);
    }
  });
  auto arm = [&] {
    return PushOrFlush(*backend, 1, multishot ? Op::AcceptMulti(listener) : Op::Accept(listener));
  };
  arm();
  backend->flush();
  uint64_t accepted = 0;
  const double begin = NowSeconds() + s.warmup_seconds;
  const double end = begin + s.seconds;
  uint64_t at_begin = 0;
  bool begun = false;
  for (double now = NowSeconds(); now < end; now = NowSeconds()) {
    if (!begun && now >= begin) {
      begun = true;
      at_begin = accepted;
    }
    auto batch = backend->wait(std::chrono::milliseconds(10));
    if (!batch) break;
    for (const lio_completion& c : *batch) {
      if (c.result >= 0) {
        close(static_cast<int>(c.result));
        ++accepted;
      }
      if (!(c.flags & LIO_COMPLETION_MORE)) arm();
    }
    backend->flush();
  }
  stop.store(true);
  client.join();
  backend.reset();
  close(listener);
  return static_cast<double>(accepted - at_begin) / s.seconds / 1e3;
}

// ---- send_zc ----

std::optional<double> SendBulk(const std::string& backend_name, bool zero_copy, const Settings& s,
                               std::string* note) {
  auto backend = OpenBackend(backend_name, 64, "", note);
  if (!backend) return std::nullopt;
  if (zero_copy && !backend->supports(LIO_OP_SEND_ZC)) {
    *note = backend_name + " has no send_zc";
    return std::nullopt;
  }
  std::vector<int> clients, servers;
  if (!Pairs(1, &clients, &servers)) {
    *note = "cannot make a loopback connection";
    return std::nullopt;
  }
  std::thread drain([fd = clients[0]] {
    std::vector<char> sink(256 * 1024);
    while (recv(fd, sink.data(), sink.size(), 0) > 0) {
    }
  });
  std::vector<char> buffers(kZcSize * kZcDepth, 'z');
  auto start_send = [&](int i) {
    const char* data = buffers.data() + static_cast<size_t>(i) * kZcSize;
    return PushOrFlush(*backend, static_cast<uint64_t>(i) + 1,
                       zero_copy ? Op::SendZc(servers[0], data, kZcSize) : Op::Send(servers[0], data, kZcSize));
  };
  for (int i = 0; i < kZcDepth; ++i) start_send(i);
  backend->flush();
  uint64_t bytes = 0;
  const double begin = NowSeconds() + s.warmup_seconds;
  const double end = begin + s.seconds;
  uint64_t at_begin = 0;
  bool begun = false;
  bool failed = false;
  for (double now = NowSeconds(); now < end && !failed; now = NowSeconds()) {
    if (!begun && now >= begin) {
      begun = true;
      at_begin = bytes;
    }
    auto batch = backend->wait(std::chrono::milliseconds(10));
    if (!batch) break;
    for (const lio_completion& c : *batch) {
      if (c.flags & LIO_COMPLETION_NOTIF) {  // the buffer is free again
        start_send(static_cast<int>(c.id - 1));
        continue;
      }
      if (c.result < 0) failed = true;
      if (c.result > 0) bytes += static_cast<uint64_t>(c.result);
      if (!(c.flags & LIO_COMPLETION_MORE)) start_send(static_cast<int>(c.id - 1));  // no notice follows
    }
    backend->flush();
  }
  backend.reset();
  shutdown(servers[0], SHUT_RDWR);
  drain.join();
  CloseAll(clients);
  CloseAll(servers);
  if (failed) {
    *note = "a send failed";
    return std::nullopt;
  }
  return static_cast<double>(bytes - at_begin) / s.seconds / 1e9;
}

class MultishotWorkload : public Workload {
 public:
  int order() const override { return 35; }
  std::string name() const override { return "multishot"; }
  std::string method(const Settings&) const override {
    return "multishot: each 1.1 op against the plain op it replaces, same backend, same run — echo: 16 TCP "
           "connections ping-ponging 64 B, RECV_MULTI + buffer group (64 x 4 KiB) vs RECV per message; accept: a "
           "connect-and-reset storm, one ACCEPT_MULTI vs ACCEPT re-armed per client; send_zc: 64 KiB x 4 in "
           "flight on loopback TCP, SEND_ZC vs SEND";
  }
  std::vector<RowSpec> rows(const Settings&) const override {
    std::vector<RowSpec> rows;
    for (const char* b : kBackends) {
      rows.push_back({"multishot", b, "echo 16 conns 64 B, RECV_MULTI + group", "kmsg/s", Key("echo multi", b),
                      Key("echo plain", b), "plain RECV", Target::None(), 1});
      rows.push_back({"multishot", b, "accept storm, ACCEPT_MULTI", "kconn/s", Key("accept multi", b),
                      Key("accept plain", b), "ACCEPT re-armed", Target::None(), 1});
      rows.push_back({"multishot", b, "64 KiB x 4, SEND_ZC", "GB/s", Key("send_zc", b), Key("send", b), "SEND",
                      Target::None(), 2});
    }
    return rows;
  }
  void Run(const Settings& s, const std::set<std::string>& needed, Results* out) override {
    std::vector<Variant> variants;
    auto add = [&](const std::string& key, std::function<std::optional<double>(std::string*)> run) {
      if (needed.count(key)) variants.push_back({key, std::move(run)});
    };
    for (const char* b : kBackends) {
      const std::string name = b;
      add(Key("echo multi", b), [=](std::string* note) { return Echo(name, true, s, note); });
      add(Key("echo plain", b), [=](std::string* note) { return Echo(name, false, s, note); });
      add(Key("accept multi", b), [=](std::string* note) { return AcceptStorm(name, true, s, note); });
      add(Key("accept plain", b), [=](std::string* note) { return AcceptStorm(name, false, s, note); });
      add(Key("send_zc", b), [=](std::string* note) { return SendBulk(name, true, s, note); });
      add(Key("send", b), [=](std::string* note) { return SendBulk(name, false, s, note); });
    }
    RunInterleaved(s, variants, out);
  }
};

LIO_BENCH_REGISTER_WORKLOAD(MultishotWorkload)

}  // namespace
}  // namespace lio::bench
