// soak_test: many concurrent TCP connections on loopback through an echo
// server built on lio::Loop (one coroutine per connection), for a bounded
// time, on one backend:
//
//   soak_test --backend=io_uring|poller [--connections=2000] [--seconds=20]
//
// The client is a child process running one plain epoll loop over
// non-blocking sockets. Each
// connection sends one checksummed message at a time (1 B .. 64 KiB, see
// message_stream.h) and checks every byte of the echo before sending the
// next. Passes when:
//   - every connection is held open for the whole run and exchanges at least
//     one message, and every byte echoed equals the byte sent;
//   - the server process's open fds at ~10% and ~90% of the run are equal,
//     and fall back to the count before the first connect once all are closed;
//   - RSS grows by at most kRssSlack between ~10% and ~90% (not checked
//     under ASan, whose quarantine keeps freed memory by design).
// Loopback only; stops by itself (a stall of 30 s without any byte moving is
// a failure, not a hang).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lio/core/registry.h"
#include "lio/runtime/runtime.h"
#include "lio/testing/soak/message_stream.h"

#if defined(__SANITIZE_ADDRESS__)
#define LIO_SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIO_SOAK_ASAN 1
#endif
#endif

namespace {

using Clock = std::chrono::steady_clock;
using lio::soak::MessageChecker;
using lio::soak::MessageStream;

// Between ~10% and ~90% of the run the server's working set is steady: each
// connection holds one 64 KiB buffer (touched whole when the connection is
// accepted), allocated before the first sample. What may still move:
// malloc's arenas trimming and growing, and pages of the loop's tables
// touched for the first time. 16 MiB + 10% covers that
// with room; a leak per message (hundreds of thousands of them) does not fit.
constexpr long kRssSlackBytes = 16l << 20;
constexpr double kRssSlackRatio = 0.10;

struct Args {
  std::string backend;
  long connections = 2000;
  long seconds = 20;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* key) -> const char* {
      size_t n = std::strlen(key);
      return a.compare(0, n, key) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--backend=")) {
      args->backend = v;
    } else if (const char* v = value("--connections=")) {
      args->connections = std::atol(v);
    } else if (const char* v = value("--seconds=")) {
      args->seconds = std::atol(v);
    } else {
      std::fprintf(stderr, "soak_test: unknown argument %s\n", argv[i]);
      return false;
    }
  }
  return !args->backend.empty() && args->connections > 0 && args->seconds > 0;
}

long OpenFds() {
  long n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != decltype(it)();
       it.increment(ec))
    ++n;
  return n - 1;  // the iterator's own
}

long RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

bool RaiseFdLimit(long needed) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (static_cast<long>(r.rlim_cur) >= needed) return true;
  r.rlim_cur = static_cast<rlim_t>(needed);
  // Past the hard limit only with CAP_SYS_RESOURCE (root), up to fs.nr_open.
  if (r.rlim_max != RLIM_INFINITY && static_cast<long>(r.rlim_max) < needed) r.rlim_max = r.rlim_cur;
  if (setrlimit(RLIMIT_NOFILE, &r) == 0) return true;
  std::fprintf(stderr, "soak_test: cannot raise RLIMIT_NOFILE to %ld: %s\n", needed, std::strerror(errno));
  return false;
}

// ---- the server: lio::Loop, one coroutine per connection ------------------

struct ServerCounters {
  std::atomic<long> open{0};
  std::atomic<long> accepted{0};
  std::atomic<long long> echoed{0};
  std::atomic<long> errors{0};
};

lio::Task<void> Echo(lio::TcpStream conn, ServerCounters& counters) {
  lio::Buffer buf(lio::soak::kMaxPayload);
  // Touched once now, so the first 64 KiB message of each connection does
  // not look like RSS growth in the middle of the run.
  std::memset(buf.data(), 0, buf.capacity());
  for (;;) {
    auto [n, data] = co_await lio::recv(conn, std::move(buf));
    if (!n) ++counters.errors;
    if (!n || *n == 0) break;
    auto [sent, back] = co_await lio::send_all(conn, std::move(data));
    if (!sent) {
      ++counters.errors;
      break;
    }
    counters.echoed += static_cast<long long>(*sent);
    buf = std::move(back);
  }
  --counters.open;
}

lio::Task<void> Accept(lio::Loop& loop, lio::TcpListener listener, ServerCounters& counters) {
  for (;;) {
    lio::Expected<lio::TcpStream> conn = co_await lio::accept(listener);
    if (!conn) {
      ++counters.errors;
      std::fprintf(stderr, "soak_test: accept: %s\n", conn.error().message().c_str());
      co_await lio::sleep(std::chrono::milliseconds(10));
      continue;
    }
    ++counters.open;
    ++counters.accepted;
    loop.spawn(Echo(std::move(*conn), counters));
  }
}

class Server {
 public:
  // Opens the backend and the loop on a new thread; the port, or 0.
  int start(lio::Registry& registry, const std::string& backend, uint32_t capacity, int backlog) {
    std::promise<int> port;
    auto ready = port.get_future();
    thread_ = std::thread([&, capacity, backlog] {
      auto opened = registry.Open(backend, {.capacity = capacity});
      if (!opened) {
        std::fprintf(stderr, "soak_test: %s\n", opened.error().message.c_str());
        port.set_value(0);
        return;
      }
      lio::Loop loop(std::move(*opened));
      auto listener =
          lio::TcpListener::Bind(loop, *lio::SocketAddress::Ipv4("127.0.0.1", 0), {.backlog = backlog});
      if (!listener) {
        std::fprintf(stderr, "soak_test: listen: %s\n", listener.error().message().c_str());
        port.set_value(0);
        return;
      }
      const int bound = listener->local_address()->port();
      loop.spawn(Accept(loop, std::move(*listener), counters_));
      loop_ = &loop;
      auto keep = loop.keep_alive();
      port.set_value(bound);
      if (std::error_code ec = loop.run()) std::fprintf(stderr, "soak_test: run: %s\n", ec.message().c_str());
      loop_ = nullptr;
    });
    return ready.get();
  }

  void stop() {
    if (lio::Loop* loop = loop_.load()) loop->stop();
    if (thread_.joinable()) thread_.join();
  }

  ServerCounters& counters() { return counters_; }

 private:
  std::thread thread_;
  std::atomic<lio::Loop*> loop_{nullptr};
  ServerCounters counters_;
};

// ---- the client: one epoll thread, plain non-blocking sockets -------------

struct Conn {
  int fd = -1;
  MessageStream tx;
  MessageChecker rx;
  uint8_t pending[4096];
  size_t pending_off = 0, pending_len = 0;
  bool sending = true;  // the current message is not fully written
  long messages = 0;
  uint64_t index;
  Conn(uint64_t i, uint64_t seed) : tx(seed), rx(seed), index(i) {}
};

struct Sample {
  long fds = 0;
  long rss = 0;
};

// Sent whole from the client process to the server process through a pipe.
struct ClientResult {
  bool ok = true;
  char why[200] = {};
  long long bytes_verified = 0;
  long messages = 0;
  long min_messages = 0;
};

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

class Client {
 public:
  // `connected` is called once every connection is established.
  Client(int port, long connections, long seconds, std::function<void()> connected)
      : port_(port), n_(connections), seconds_(seconds), connected_(std::move(connected)) {}

  ClientResult run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) return fail("epoll_create1");
    conns_.reserve(static_cast<size_t>(n_));
    for (long i = 0; i < n_; ++i) {
      auto c = std::make_unique<Conn>(static_cast<uint64_t>(i), 0x5eed0000ull + static_cast<uint64_t>(i));
      c->fd = Connect(port_);
      if (c->fd < 0) return fail("connect #" + std::to_string(i) + ": " + std::strerror(errno));
      epoll_event ev{.events = EPOLLIN | EPOLLOUT, .data = {.u64 = static_cast<uint64_t>(i)}};
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd, &ev) != 0) return fail("epoll_ctl");
      conns_.push_back(std::move(c));
    }
    connected_();
    loop();
    for (auto& c : conns_) close(c->fd);
    close(ep_);
    for (auto& c : conns_) {
      result_.messages += c->messages;
      if (result_.min_messages == 0 || c->messages < result_.min_messages) result_.min_messages = c->messages;
    }
    if (result_.ok && result_.min_messages < 1) fail("a connection exchanged no message");
    return result_;
  }

 private:
  ClientResult fail(std::string why) {
    if (result_.ok) {
      result_.ok = false;
      std::snprintf(result_.why, sizeof result_.why, "%s", why.c_str());
    }
    return result_;
  }

  void loop() {
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(seconds_);
    bool ending = false;
    long idle = 0;  // connections done with their last message
    auto last_progress = Clock::now();
    std::vector<epoll_event> events(1024);
    static uint8_t scratch[64 * 1024];

    while (result_.ok && idle < n_) {
      const auto now = Clock::now();
      if (!ending && now >= end) ending = true;
      if (now - last_progress > std::chrono::seconds(30)) {
        fail("no byte moved for 30 s");
        return;
      }
      int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      if (n < 0 && errno != EINTR) {
        fail("epoll_wait");
        return;
      }
      for (int k = 0; k < n; ++k) {
        Conn& c = *conns_[events[k].data.u64];
        if (events[k].events & (EPOLLERR | EPOLLHUP)) {
          fail("connection reset or hung up by the server");
          return;
        }
        if ((events[k].events & EPOLLOUT) && c.sending && !write_some(c)) return;
        if (!(events[k].events & EPOLLIN)) continue;
        for (;;) {
          ssize_t got = read(c.fd, scratch, sizeof scratch);
          if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          if (got < 0) {
            fail(std::string("read: ") + std::strerror(errno));
            return;
          }
          if (got == 0) {
            fail("the server closed a connection");
            return;
          }
          last_progress = Clock::now();
          if (!c.rx.take(scratch, static_cast<size_t>(got))) {
            fail("a byte echoed differs from the byte sent (message " + std::to_string(c.messages) + ")");
            return;
          }
          result_.bytes_verified += got;
          if (!c.rx.message_done()) continue;
          ++c.messages;
          c.rx.next_message();
          if (ending) {
            ++idle;
            set_events(c, 0);
            break;
          }
          c.tx.next_message();
          c.sending = true;
          if (!write_some(c)) return;
        }
      }
    }
  }

  // Writes what the socket takes of the current message; asks for EPOLLOUT
  // only while some of it is left.
  bool write_some(Conn& c) {
    for (;;) {
      if (c.pending_off == c.pending_len) {
        c.pending_off = 0;
        c.pending_len = c.tx.fill(c.pending, sizeof c.pending);
        if (c.pending_len == 0) {
          c.sending = false;
          set_events(c, EPOLLIN);
          return true;
        }
      }
      ssize_t put = write(c.fd, c.pending + c.pending_off, c.pending_len - c.pending_off);
      if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_events(c, EPOLLIN | EPOLLOUT);
        return true;
      }
      if (put < 0) {
        fail(std::string("write: ") + std::strerror(errno));
        return false;
      }
      c.pending_off += static_cast<size_t>(put);
    }
  }

  void set_events(Conn& c, uint32_t events) {
    epoll_event ev{.events = events, .data = {.u64 = c.index}};
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  int port_;
  long n_;
  long seconds_;
  int ep_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  ClientResult result_;
  std::function<void()> connected_;
};

// The client runs in a child process forked before any thread exists: it
// has its own fd table (so 10,000 connections fit a hard RLIMIT_NOFILE of
// 20,000) and the fd and RSS figures are the server's alone.
class ClientProcess {
 public:
  bool start(long connections, long seconds) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      close(to_child[1]);
      close(from_child[0]);
      int port = 0;
      if (!ReadAll(to_child[0], &port, sizeof port)) _exit(1);
      close(to_child[0]);
      const int out = from_child[1];
      Client client(port, connections, seconds, [out] { WriteAll(out, "C", 1); });
      ClientResult r = client.run();
      _exit(WriteAll(out, "R", 1) && WriteAll(out, &r, sizeof r) ? 0 : 1);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    return true;
  }

  // Hands the port over; false if the child is gone.
  bool go(int port) {
    bool ok = WriteAll(to_child_, &port, sizeof port);
    close(to_child_);
    return ok;
  }

  // Blocks until the next message: 'C' (all connected) or 'R' (the result
  // follows); 0 if the child died.
  char next(ClientResult* r) {
    char tag = 0;
    if (!ReadAll(from_child_, &tag, 1)) return 0;
    if (tag == 'R' && !ReadAll(from_child_, r, sizeof *r)) return 0;
    return tag;
  }

  int finish() {
    close(from_child_);
    int status = 0;
    if (pid_ > 0) waitpid(pid_, &status, 0);
    return status;
  }

  pid_t pid() const { return pid_; }

 private:
  static bool ReadAll(int fd, void* p, size_t n) {
    for (auto* b = static_cast<char*>(p); n > 0;) {
      ssize_t got = read(fd, b, n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      b += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  static bool WriteAll(int fd, const void* p, size_t n) {
    for (auto* b = static_cast<const char*>(p); n > 0;) {
      ssize_t put = write(fd, b, n);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) return false;
      b += put;
      n -= static_cast<size_t>(put);
    }
    return true;
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr, "usage: soak_test --backend=NAME [--connections=2000] [--seconds=20]\n");
    return 2;
  }
  // One fd per connection in each process, and room for the rest.
  if (!RaiseFdLimit(args.connections + 256)) return 1;
  ClientProcess client;
  if (!client.start(args.connections, args.seconds)) {
    std::perror("soak_test: fork");
    return 1;
  }

  // Plugins by absolute path from the test's runfiles (Bazel data deps).
  std::vector<std::filesystem::path> dirs;
  for (const char* d : {"lio/plugins/io_uring", "lio/plugins/poller"}) dirs.push_back(std::filesystem::absolute(d));
  lio::Registry registry(dirs);

  Server server;
  // One op per connection in flight (a recv or a send) and the accept.
  const uint32_t capacity = static_cast<uint32_t>(args.connections + 64);
  const int port = server.start(registry, args.backend, capacity, static_cast<int>(std::min(args.connections, 4096l)));
  if (port == 0) {
    server.stop();
    client.go(0);
    client.finish();
    return 1;
  }
  // Not counting the two pipe ends to the client process, closed by the end.
  const long fds_before = OpenFds() - 2;
  const long rss_before = RssBytes();

  // The server's fds and RSS at ~10% and ~90% of the run, from when every
  // connection is up.
  ClientResult r;
  Sample early, late;
  char tag = client.go(port) ? client.next(&r) : 0;
  if (tag == 'C') {
    const auto start = Clock::now();
    std::this_thread::sleep_until(start + std::chrono::milliseconds(args.seconds * 100));
    early = {OpenFds(), RssBytes()};
    std::this_thread::sleep_until(start + std::chrono::milliseconds(args.seconds * 900));
    late = {OpenFds(), RssBytes()};
    tag = client.next(&r);
  }
  const int client_status = client.finish();
  if (tag != 'R') {
    r.ok = false;
    std::snprintf(r.why, sizeof r.why, "the client process died (wait status %d)", client_status);
  }

  // Every client socket is closed: the server sees each EOF and its echo
  // coroutine ends, closing its side.
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  while (server.counters().open.load() > 0 && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long open_after = server.counters().open.load();
  // A handle is closed by a close operation through the loop: the last
  // closes land a little after the coroutines end.
  long fds_after = OpenFds();
  while (fds_after != fds_before && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fds_after = OpenFds();
  }
  server.stop();

  const ServerCounters& s = server.counters();
  std::printf(
      "soak %s: %ld connections held for %ld s; %ld messages (at least %ld per connection), %lld bytes echoed and "
      "verified; server echoed %lld bytes, %ld errors\n"
      "  fds: %ld before connecting, %ld at ~10%%, %ld at ~90%%, %ld after closing\n"
      "  rss: %.1f MiB before connecting, %.1f MiB at ~10%%, %.1f MiB at ~90%%\n",
      args.backend.c_str(), args.connections, args.seconds, r.messages, r.min_messages, r.bytes_verified,
      static_cast<long long>(s.echoed.load()), s.errors.load(), fds_before, early.fds, late.fds, fds_after,
      rss_before / 1048576.0, early.rss / 1048576.0, late.rss / 1048576.0);

  bool ok = r.ok;
  auto check = [&](bool good, const std::string& why) {
    if (!good) std::printf("FAILED: %s\n", why.c_str());
    ok = ok && good;
  };
  if (!r.ok) std::printf("FAILED: %s\n", r.why);
  check(s.accepted.load() == args.connections, "the server accepted " + std::to_string(s.accepted.load()));
  check(s.errors.load() == 0, "the server saw errors");
  check(s.echoed.load() == r.bytes_verified, "the server echoed another byte count than the client verified");
  check(open_after == 0, std::to_string(open_after) + " server connections still open after the clients closed");
  check(early.fds == late.fds, "fds grew between ~10% and ~90%");
  check(fds_after == fds_before, "fds after closing differ from before connecting");
#ifndef LIO_SOAK_ASAN
  const long rss_limit = early.rss + kRssSlackBytes + static_cast<long>(kRssSlackRatio * early.rss);
  check(late.rss <= rss_limit, "RSS grew beyond the slack between ~10% and ~90%");
#else
  std::printf("  (rss not checked under ASan: its quarantine keeps freed memory)\n");
#endif
  std::printf("%s\n", ok ? "PASSED" : "FAILED");
  return ok ? 0 : 1;
}
