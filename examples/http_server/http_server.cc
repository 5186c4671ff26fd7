// http_server: a small HTTP/1.1 static-file server on lio that curl and wrk
// can talk to — GET and HEAD, keep-alive, pipelined requests, one coroutine
// per connection, files streamed through owned buffers (read at an offset,
// send_all), one loop per thread with SO_REUSEPORT.
//
//   http_server --root DIR [--backend NAME] [--port 0] [--threads 1]
//               [--max_requests N] [--idle_exit_ms MS]
//
// Prints "listening on 127.0.0.1:PORT". Exits by itself after --max_requests
// responses, or after --idle_exit_ms with no connection open (0: never).
//
// Slow clients are let go: a request head must be complete
// --header_timeout_ms after the server starts waiting for it (an absolute
// deadline, also between keep-alive requests), each receive of a body and
// each send of a response chunk must finish within --body_timeout_ms /
// --send_timeout_ms. Parsing (request.h) follows RFC 9112 and refuses what
// is malformed with 400. Descriptors: the soft RLIMIT_NOFILE is raised to
// the hard one, and each loop may grow to that many operations in flight
// (--max_capacity 0, the default; it starts with --capacity slots, and idle
// connections never lock a new client out: the Loop grows, LOOP.md);
// when out of descriptors the accept loop backs off (10 ms doubling to
// 500 ms) and logs at most a line a second.
//
// Not a production server: no TLS, no ranges, no chunked request bodies.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "examples/http_server/request.h"
#include "lio/runtime/runtime.h"

ABSL_FLAG(std::string, root, ".", "directory to serve");
ABSL_FLAG(std::string, backend, "", "backend: io_uring, poller, auto (default: $LIO_BACKEND, else auto)");
ABSL_FLAG(std::string, backend_options, "",
          "the backend's options, e.g. open_async=0 on io_uring: a file whose path is cached opens without a hop "
          "to a kernel worker thread (lio/plugins/io_uring/io_uring_backend.cc lists them)");
ABSL_FLAG(std::string, host, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 0, "port (0: the OS picks one; it is printed)");
ABSL_FLAG(int, threads, 1, "loops (threads), each with its own SO_REUSEPORT listener");
ABSL_FLAG(int, capacity, 1024, "operation slots per loop at start; the loop grows past them (lio::AtCapacity::kGrow)");
ABSL_FLAG(int, max_capacity, 0, "the most operations in flight per loop (0: from RLIMIT_NOFILE, at most 65536 + 64)");
ABSL_FLAG(int, chunk_size, 256 * 1024, "bytes per file read");
ABSL_FLAG(int, header_timeout_ms, 10000,
          "close a connection whose request header is not complete this long after the server starts waiting for it");
ABSL_FLAG(int, body_timeout_ms, 10000, "close a connection when one receive of a request body takes this long");
ABSL_FLAG(int, send_timeout_ms, 30000, "close a connection when sending one response chunk takes this long");
ABSL_FLAG(long, max_requests, 0, "exit after this many responses (0: no limit)");
ABSL_FLAG(long, idle_exit_ms, 0, "exit after this long with no connection open (0: never)");
ABSL_FLAG(bool, verbose, false, "log each request");

namespace {

constexpr size_t kMaxHeader = 16 * 1024;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Config {
  std::filesystem::path root;
  size_t chunk_size;
  milliseconds header_timeout;
  milliseconds body_timeout;
  milliseconds send_timeout;
  bool verbose;
};

struct Counters {
  std::atomic<long> open{0};
  std::atomic<long> responses{0};
  std::atomic<int64_t> last_change_ns{0};
  void touch() { last_change_ns = Clock::now().time_since_epoch().count(); }
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* ContentType(const std::filesystem::path& path) {
  std::string ext = Lower(path.extension().string());
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".css") return "text/css";
  if (ext == ".js") return "text/javascript";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

std::string Head(int status, const std::string& reason, uint64_t length, const char* type, bool keep_alive,
                 const std::string& extra = {}) {
  return absl::StrFormat("HTTP/1.1 %d %s\r\nServer: lio\r\nContent-Length: %d\r\nContent-Type: %s\r\n%sConnection: %s\r\n\r\n",
                         status, reason, length, type, extra, keep_alive ? "keep-alive" : "close");
}

// Sends all of `buffer` (handed back through it), or false: the connection
// broke, or the client did not take it within `timeout` (a client that stops
// reading its download is let go).
lio::Task<bool> SendWithin(lio::TcpStream& conn, lio::Buffer& buffer, milliseconds timeout) {
  lio::Expected<lio::BufResult> r = co_await lio::with_timeout(timeout, lio::send_all(conn, std::move(buffer)));
  if (!r) co_return false;  // timed out; the buffer stays with the cancelled send until the kernel lets go
  buffer = std::move(r->buffer);
  co_return static_cast<bool>(r->bytes);
}

// An error response with a one-line body (none for HEAD).
lio::Task<bool> SendError(lio::TcpStream& conn, const Config& config, int status, std::string reason, bool head_only,
                          bool keep_alive, std::string extra = {}) {
  std::string body = absl::StrFormat("%d %s\n", status, reason);
  std::string out = Head(status, reason, body.size(), "text/plain; charset=utf-8", keep_alive, extra);
  if (!head_only) out += body;
  lio::Buffer buffer = lio::Buffer::CopyOf(out);
  co_return co_await SendWithin(conn, buffer, config.send_timeout);
}

// The head and a body this small go out in one send: one system call and
// one TCP segment instead of two (the client wakes once). Larger bodies send
// the head alone first, so no chunk has to be shifted to make room.
constexpr uint64_t kMaxBodyWithHead = 16 * 1024;

// One stat(2) of `path`, or of its index.html when it is a directory; false
// when there is no regular file to serve. Blocks the loop's thread (lio has
// no stat operation); one call, not the three of std::filesystem's
// is_directory + file_size + is_regular_file. Before the open, not an fstat
// after it as nginx does: opening a FIFO would block until it has a writer.
bool StatFile(std::filesystem::path& path, uint64_t& size) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) {
    path /= "index.html";
    if (::stat(path.c_str(), &st) != 0) return false;
  }
  if (!S_ISREG(st.st_mode)) return false;
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

// Streams `path` (headers, then the file in chunk_size reads at increasing
// offsets, each sent whole before the next read). false: the connection broke.
lio::Task<bool> SendFile(lio::TcpStream& conn, const Config& config, std::filesystem::path path, bool head_only,
                         bool keep_alive, lio::Buffer& chunk) {
  uint64_t size = 0;
  if (!StatFile(path, size)) co_return co_await SendError(conn, config, 404, "Not Found", head_only, keep_alive);
  lio::Expected<lio::File> file = co_await lio::open(path.string(), LIO_OPEN_RDONLY);
  if (!file) co_return co_await SendError(conn, config, 404, "Not Found", head_only, keep_alive);
  const std::string head = Head(200, "OK", size, ContentType(path), keep_alive);
  // A small body takes the head along in its one chunk (see kMaxBodyWithHead).
  size_t prefix = !head_only && size > 0 && size <= kMaxBodyWithHead && head.size() + size <= chunk.capacity()
                      ? head.size()
                      : 0;
  if (prefix == 0) {
    lio::Buffer head_buffer = lio::Buffer::CopyOf(head);
    if (!co_await SendWithin(conn, head_buffer, config.send_timeout)) co_return false;
    if (head_only) co_return true;
  }
  uint64_t offset = 0;
  while (offset < size) {
    auto [n, data] = co_await lio::read(*file, std::move(chunk), static_cast<int64_t>(offset));
    chunk = std::move(data);
    if (!n || *n == 0) co_return false;  // the file shrank or failed: the length promised is wrong, close
    const size_t take = static_cast<size_t>(std::min<uint64_t>(*n, size - offset));  // the file grew: what we promised
    if (prefix > 0) {
      // An owned read fills the chunk from its start (the buffer stays safe
      // if this coroutine is destroyed mid-read): shift the body up behind
      // the head. At most kMaxBodyWithHead bytes.
      std::memmove(chunk.data() + prefix, chunk.data(), take);
      std::memcpy(chunk.data(), head.data(), prefix);
    }
    chunk.resize(prefix + take);
    if (!co_await SendWithin(conn, chunk, config.send_timeout)) co_return false;
    offset += take;
    prefix = 0;
  }
  co_return true;
}

// Receives into `pending` until it holds a whole request head, which must
// arrive by `deadline` (absolute: a client trickling a byte at a time does not
// push it back). Returns the head's length, or 0: the connection is done
// (closed, reset, past the deadline, or a head too long — answered 431).
lio::Task<size_t> ReceiveHead(lio::TcpStream& conn, const Config& config, lio::Buffer& in, std::string& pending,
                              Clock::time_point deadline) {
  for (;;) {
    pending.erase(0, http::LeadingEmptyLines(pending));  // RFC 9112 §2.2
    size_t end = http::HeadEnd(pending);
    if (end != std::string::npos) co_return end;
    if (pending.size() > kMaxHeader) {
      co_await SendError(conn, config, 431, "Request Header Fields Too Large", false, false);
      co_return 0;
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (left.count() <= 0) co_return 0;
    auto [n, data] = co_await lio::with_timeout(left, lio::recv(conn, std::move(in)));
    in = std::move(data);
    if (!n || *n == 0) co_return 0;
    pending.append(in.view());
  }
}

// Reads and drops a `length`-byte request body (we serve files; nothing
// reads bodies), each receive within config.body_timeout. What follows the
// body (a pipelined request) is left in `pending`. false: the connection is
// done.
lio::Task<bool> DiscardBody(lio::TcpStream& conn, const Config& config, lio::Buffer& in, std::string& pending,
                            size_t length) {
  size_t from_pending = std::min(length, pending.size());
  pending.erase(0, from_pending);
  length -= from_pending;
  while (length > 0) {
    auto [n, data] = co_await lio::with_timeout(config.body_timeout, lio::recv(conn, std::move(in)));
    in = std::move(data);
    if (!n || *n == 0) co_return false;
    size_t used = std::min(length, *n);
    length -= used;
    pending.append(in.view().substr(used));
  }
  co_return true;
}

// Answers one parsed request. false: close the connection.
lio::Task<bool> Respond(lio::TcpStream& conn, const Config& config, const http::Request& request, lio::Buffer& chunk) {
  bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    co_return co_await SendError(conn, config, 405, "Method Not Allowed", false, request.keep_alive,
                                 "Allow: GET, HEAD\r\n");
  }
  auto resolved = http::Resolve(config.root, request.target);
  if (auto* refused = std::get_if<http::Refusal>(&resolved)) {
    co_await SendError(conn, config, refused->status, refused->reason, head_only, false);
    co_return false;
  }
  co_return co_await SendFile(conn, config, std::get<std::filesystem::path>(resolved), head_only, request.keep_alive,
                              chunk);
}

lio::Task<void> Serve(lio::TcpStream conn, const Config& config, Counters& counters) {
  lio::Buffer in(kMaxHeader);
  lio::Buffer chunk(config.chunk_size);
  std::string pending;  // received, not yet consumed
  for (;;) {
    size_t end = co_await ReceiveHead(conn, config, in, pending, Clock::now() + config.header_timeout);
    if (end == 0) co_return;
    auto parsed = http::Parse(std::string_view(pending).substr(0, end));
    pending.erase(0, end);
    if (auto* refused = std::get_if<http::Refusal>(&parsed)) {
      co_await SendError(conn, config, refused->status, refused->reason, false, false);
      co_return;
    }
    const http::Request& request = std::get<http::Request>(parsed);
    if (!co_await DiscardBody(conn, config, in, pending, request.content_length)) co_return;
    bool ok = co_await Respond(conn, config, request, chunk);
    if (config.verbose) absl::FPrintF(stderr, "%s %s -> %s\n", request.method, request.target, ok ? "sent" : "failed");
    ++counters.responses;
    counters.touch();
    if (!ok || !request.keep_alive) co_return;
  }
}

// One stderr line a second at most; the lines left out are counted in the
// next one (a burst of the same failure must not flood the log).
class RateLimitedLog {
 public:
  void operator()(const std::string& line) {
    Clock::time_point now = Clock::now();
    if (logged_once_ && now - last_ < std::chrono::seconds(1)) {
      ++left_out_;
      return;
    }
    if (left_out_ > 0) {
      absl::FPrintF(stderr, "http_server: %s (and %d more like it since the last line)\n", line, left_out_);
    } else {
      absl::FPrintF(stderr, "http_server: %s\n", line);
    }
    logged_once_ = true;
    last_ = now;
    left_out_ = 0;
  }

 private:
  bool logged_once_ = false;
  Clock::time_point last_;
  long left_out_ = 0;
};

// Out of descriptors or memory: accepting again at once fails again.
bool OutOfResources(std::error_code ec) {
  return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
         ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
}

lio::Task<void> Accept(lio::Loop& loop, lio::TcpListener listener, const Config& config, Counters& counters) {
  constexpr milliseconds kFirstBackoff{10}, kMaxBackoff{500};
  RateLimitedLog log;
  milliseconds backoff{0};
  for (;;) {
    lio::Expected<lio::TcpStream> conn = co_await lio::accept(listener);
    if (!conn) {
      log("accept: " + conn.error().message());
      if (!OutOfResources(conn.error())) continue;  // e.g. a client that gave up before we took it
      // Leave the client in the listen backlog until a connection closes;
      // back off doubling, so a long shortage costs two wake-ups a second.
      backoff = std::clamp(backoff * 2, kFirstBackoff, kMaxBackoff);
      co_await lio::sleep(backoff);
      continue;
    }
    backoff = milliseconds{0};
    (void)conn->set_nodelay(true);
    ++counters.open;
    counters.touch();
    loop.spawn([](lio::TcpStream c, const Config& config, Counters& counters) -> lio::Task<void> {
      co_await Serve(std::move(c), config, counters);
      --counters.open;
      counters.touch();
    }(std::move(*conn), config, counters));
  }
}

// Raises the soft RLIMIT_NOFILE to the hard limit (each connection is a
// descriptor; Debian's soft default of 1024 would cap the server there) and
// returns the descriptors now allowed.
uint64_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
}

// The most operations in flight per loop: one per descriptor the process may open
// (a connection has one operation in flight at a time: a receive, a send or
// its file's read) plus room for the listener and timers' cancels, capped so
// a huge limit does not allocate hundreds of MB of slots.
uint32_t CapacityFor(uint64_t file_limit) {
  constexpr uint64_t kMax = 1 << 16;
  return static_cast<uint32_t>(std::min<uint64_t>(file_limit, kMax) + 64);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("a static-file HTTP/1.1 server on lio: http_server --root DIR [--port N]");
  absl::ParseCommandLine(argc, argv);
  Config config;
  std::error_code ec;
  config.root = std::filesystem::canonical(absl::GetFlag(FLAGS_root), ec);
  if (ec) {
    absl::FPrintF(stderr, "http_server: --root %s: %s\n", absl::GetFlag(FLAGS_root), ec.message());
    return 2;
  }
  config.chunk_size = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_chunk_size)));
  config.header_timeout = milliseconds(absl::GetFlag(FLAGS_header_timeout_ms));
  config.body_timeout = milliseconds(absl::GetFlag(FLAGS_body_timeout_ms));
  config.send_timeout = milliseconds(absl::GetFlag(FLAGS_send_timeout_ms));
  config.verbose = absl::GetFlag(FLAGS_verbose);
  auto address = lio::SocketAddress::Ipv4(absl::GetFlag(FLAGS_host), static_cast<uint16_t>(absl::GetFlag(FLAGS_port)));
  if (!address) {
    absl::FPrintF(stderr, "http_server: bad --host/--port\n");
    return 2;
  }

  Counters counters;
  counters.touch();
  std::atomic<uint16_t> port{address->port()};
  std::string backend_name;
  lio::PerCoreOptions options;
  options.threads = static_cast<unsigned>(absl::GetFlag(FLAGS_threads));
  options.loop.backend = absl::GetFlag(FLAGS_backend);
  options.loop.backend_options = absl::GetFlag(FLAGS_backend_options);
  const uint64_t file_limit = RaiseFileLimit();
  const int max_capacity = absl::GetFlag(FLAGS_max_capacity);
  options.loop.max_capacity = max_capacity > 0 ? static_cast<uint32_t>(max_capacity) : CapacityFor(file_limit);
  options.loop.capacity = std::min(static_cast<uint32_t>(std::max(1, absl::GetFlag(FLAGS_capacity))),
                                   options.loop.max_capacity);
  auto group = lio::LoopGroup::Start(options, [&](lio::Loop& loop, unsigned i) -> std::error_code {
    lio::SocketAddress at = *lio::SocketAddress::Ipv4(absl::GetFlag(FLAGS_host), port.load());
    auto listener = lio::TcpListener::Bind(loop, at, {.reuse_port = options.threads > 1});
    if (!listener) return listener.error();
    if (i == 0) {
      port = listener->local_address()->port();
      backend_name = loop.backend_name();
    }
    loop.spawn(Accept(loop, std::move(*listener), config, counters));
    return {};
  });
  if (!group) {
    absl::FPrintF(stderr, "http_server: %s\n", group.error().message);
    return 1;
  }
  absl::PrintF("listening on %s:%d backend=%s threads=%d capacity=%d max_capacity=%d root=%s\n",
               absl::GetFlag(FLAGS_host), port.load(), backend_name, (*group)->size(), options.loop.capacity,
               options.loop.max_capacity, config.root.string());
  std::fflush(stdout);

  const long max_requests = absl::GetFlag(FLAGS_max_requests);
  const int64_t idle_ns = absl::GetFlag(FLAGS_idle_exit_ms) * 1'000'000;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (max_requests > 0 && counters.responses >= max_requests) break;
    int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (idle_ns > 0 && counters.open == 0 && now - counters.last_change_ns > idle_ns) {
      absl::FPrintF(stderr, "http_server: idle for %d ms, exiting\n", absl::GetFlag(FLAGS_idle_exit_ms));
      break;
    }
  }
  (*group)->stop();
  ec = (*group)->join();
  absl::PrintF("served %d responses\n", counters.responses.load());
  if (ec) {
    absl::FPrintF(stderr, "http_server: loop failed: %s\n", ec.message());
    return 1;
  }
  return 0;
}
