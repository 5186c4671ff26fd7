// echo_server: a TCP echo server on lio — one loop per thread, SO_REUSEPORT
// listeners, one coroutine per connection, owned buffers.
//
//   echo_server [--backend io_uring|poller|auto] [--port 0] [--threads 1]
//               [--max_connections N] [--idle_exit_ms MS]
//
// Prints "listening on 127.0.0.1:PORT" once every loop listens. Exits by
// itself after --max_connections connections have been served and closed, or
// after --idle_exit_ms without any connection open (0: never).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "lio/runtime/runtime.h"

ABSL_FLAG(std::string, backend, "", "backend: io_uring, poller, auto (default: $LIO_BACKEND, else auto)");
ABSL_FLAG(std::string, host, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 0, "port (0: the OS picks one; it is printed)");
ABSL_FLAG(int, threads, 1, "loops (threads), each with its own SO_REUSEPORT listener");
ABSL_FLAG(int, capacity, 1024, "operations in flight per loop");
ABSL_FLAG(int, buffer_size, 64 * 1024, "receive buffer per connection, bytes");
ABSL_FLAG(long, max_connections, 0, "exit after serving this many connections (0: no limit)");
ABSL_FLAG(long, idle_exit_ms, 0, "exit after this long with no connection open (0: never)");

namespace {

struct Counters {
  std::atomic<long> accepted{0};
  std::atomic<long> closed{0};
  std::atomic<long long> bytes{0};
  std::atomic<int64_t> last_change_ns{0};
  void touch() {
    last_change_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  }
};

// Echoes until the peer closes. The buffer travels into the kernel and back:
// recv hands it back filled, send_all hands it back sent.
lio::Task<void> Echo(lio::TcpStream conn, size_t buffer_size, Counters& counters) {
  lio::Buffer buf(buffer_size);
  for (;;) {
    auto [n, data] = co_await lio::recv(conn, std::move(buf));
    if (!n || *n == 0) break;
    auto [sent, back] = co_await lio::send_all(conn, std::move(data));
    if (!sent) break;
    counters.bytes += static_cast<long long>(*sent);
    buf = std::move(back);
  }
  ++counters.closed;
  counters.touch();
}

lio::Task<void> Accept(lio::Loop& loop, lio::TcpListener listener, size_t buffer_size, Counters& counters) {
  for (;;) {
    lio::Expected<lio::TcpStream> conn = co_await lio::accept(listener);
    if (!conn) {
      absl::FPrintF(stderr, "echo_server: accept: %s\n", conn.error().message());
      co_await lio::sleep(std::chrono::milliseconds(10));  // EMFILE and friends: back off
      continue;
    }
    ++counters.accepted;
    counters.touch();
    loop.spawn(Echo(std::move(*conn), buffer_size, counters));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("a TCP echo server on lio: echo_server [--backend NAME] [--port N] [--threads N]");
  absl::ParseCommandLine(argc, argv);
  auto address = lio::SocketAddress::Ipv4(absl::GetFlag(FLAGS_host), static_cast<uint16_t>(absl::GetFlag(FLAGS_port)));
  if (!address) {
    absl::FPrintF(stderr, "echo_server: bad --host/--port\n");
    return 2;
  }
  Counters counters;
  counters.touch();
  std::atomic<uint16_t> port{address->port()};
  std::string backend_name;

  lio::PerCoreOptions options;
  options.threads = static_cast<unsigned>(absl::GetFlag(FLAGS_threads));
  options.loop.backend = absl::GetFlag(FLAGS_backend);
  options.loop.capacity = static_cast<uint32_t>(absl::GetFlag(FLAGS_capacity));
  size_t buffer_size = static_cast<size_t>(absl::GetFlag(FLAGS_buffer_size));
  // Setups run in thread order: loop 0 binds first (maybe port 0) and the
  // others join its port through SO_REUSEPORT.
  auto group = lio::LoopGroup::Start(options, [&](lio::Loop& loop, unsigned i) -> std::error_code {
    lio::SocketAddress at = *lio::SocketAddress::Ipv4(absl::GetFlag(FLAGS_host), port.load());
    auto listener = lio::TcpListener::Bind(loop, at, {.reuse_port = options.threads > 1});
    if (!listener) return listener.error();
    if (i == 0) {
      port = listener->local_address()->port();
      backend_name = loop.backend_name();
    }
    loop.spawn(Accept(loop, std::move(*listener), buffer_size, counters));
    return {};
  });
  if (!group) {
    absl::FPrintF(stderr, "echo_server: %s\n", group.error().message);
    return 1;
  }
  absl::PrintF("listening on %s:%d backend=%s threads=%d\n", absl::GetFlag(FLAGS_host), port.load(), backend_name,
               (*group)->size());
  std::fflush(stdout);

  const long max_connections = absl::GetFlag(FLAGS_max_connections);
  const int64_t idle_ns = absl::GetFlag(FLAGS_idle_exit_ms) * 1'000'000;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    long accepted = counters.accepted, closed = counters.closed;
    if (max_connections > 0 && closed >= max_connections) break;
    int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (idle_ns > 0 && accepted == closed && now - counters.last_change_ns > idle_ns) {
      absl::FPrintF(stderr, "echo_server: idle for %d ms, exiting\n", absl::GetFlag(FLAGS_idle_exit_ms));
      break;
    }
  }
  (*group)->stop();
  std::error_code ec = (*group)->join();
  absl::PrintF("served %d connections, echoed %d bytes\n", counters.closed.load(), counters.bytes.load());
  if (ec) {
    absl::FPrintF(stderr, "echo_server: loop failed: %s\n", ec.message());
    return 1;
  }
  return 0;
}
