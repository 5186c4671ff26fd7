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
// Not a production server: no TLS, no ranges, no chunked request bodies, no
// timeouts on slow clients beyond --header_timeout_ms.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "lio/runtime/runtime.h"

ABSL_FLAG(std::string, root, ".", "directory to serve");
ABSL_FLAG(std::string, backend, "", "backend: io_uring, poller, auto (default: $LIO_BACKEND, else auto)");
ABSL_FLAG(std::string, host, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 0, "port (0: the OS picks one; it is printed)");
ABSL_FLAG(int, threads, 1, "loops (threads), each with its own SO_REUSEPORT listener");
ABSL_FLAG(int, capacity, 1024, "operations in flight per loop");
ABSL_FLAG(int, chunk_size, 256 * 1024, "bytes per file read");
ABSL_FLAG(int, header_timeout_ms, 10000, "close a connection that sends no complete request header for this long");
ABSL_FLAG(long, max_requests, 0, "exit after this many responses (0: no limit)");
ABSL_FLAG(long, idle_exit_ms, 0, "exit after this long with no connection open (0: never)");
ABSL_FLAG(bool, verbose, false, "log each request");

namespace {

constexpr size_t kMaxHeader = 16 * 1024;

struct Config {
  std::filesystem::path root;
  size_t chunk_size;
  std::chrono::milliseconds header_timeout;
  bool verbose;
};

struct Counters {
  std::atomic<long> open{0};
  std::atomic<long> responses{0};
  std::atomic<int64_t> last_change_ns{0};
  void touch() { last_change_ns = std::chrono::steady_clock::now().time_since_epoch().count(); }
};

// Small string helpers on std::string_view (Debian's abseil has its own
// string_view type, so its string functions are not used here).
std::vector<std::string_view> Split(std::string_view s, std::string_view by) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = s.find(by);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + by.size());
  }
}
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

struct Request {
  std::string method;
  std::string target;
  int minor_version = 1;
  bool keep_alive = true;
  size_t content_length = 0;
};

// Parses "METHOD TARGET HTTP/1.x\r\nName: value\r\n...\r\n\r\n".
std::optional<Request> Parse(std::string_view head) {
  std::vector<std::string_view> lines = Split(head, "\r\n");
  std::vector<std::string_view> parts = Split(lines[0], " ");
  if (parts.size() != 3 || parts[2].size() != 8 || parts[2].substr(0, 7) != "HTTP/1.") return std::nullopt;
  Request r;
  r.method = std::string(parts[0]);
  r.target = std::string(parts[1]);
  r.minor_version = parts[2][7] - '0';
  r.keep_alive = r.minor_version >= 1;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string name = Lower(lines[i].substr(0, colon));
    std::string value = Lower(Trim(lines[i].substr(colon + 1)));
    if (name == "connection") {
      if (value == "close") r.keep_alive = false;
      if (value == "keep-alive") r.keep_alive = true;
    } else if (name == "content-length") {
      if (!ParseSize(value, &r.content_length)) return std::nullopt;
    } else if (name == "transfer-encoding") {
      return std::nullopt;  // request bodies other than Content-Length: not supported
    }
  }
  return r;
}

// "/a%20b/c.txt?x" -> root/"a b"/"c.txt"; nullopt if it escapes the root.
std::optional<std::filesystem::path> Resolve(const std::filesystem::path& root, std::string_view target) {
  if (target.empty() || target[0] != '/') return std::nullopt;
  target = target.substr(0, target.find_first_of("?#"));
  std::string decoded;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%' && i + 2 < target.size() && std::isxdigit(target[i + 1]) && std::isxdigit(target[i + 2])) {
      decoded.push_back(static_cast<char>(std::stoi(std::string(target.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(target[i]);
    }
  }
  std::filesystem::path path = root;
  for (std::string_view segment : Split(decoded, "/")) {
    if (segment == "..") return std::nullopt;
    if (segment.empty() || segment == "." || segment.find('\0') != std::string_view::npos) continue;
    path /= std::string(segment);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path /= "index.html";
  return path;
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

// An error response with a one-line body (none for HEAD).
lio::Task<bool> SendError(lio::TcpStream& conn, int status, std::string reason, bool head_only, bool keep_alive,
                          std::string extra = {}) {
  std::string body = absl::StrFormat("%d %s\n", status, reason);
  std::string out = Head(status, reason, body.size(), "text/plain; charset=utf-8", keep_alive, extra);
  if (!head_only) out += body;
  auto [sent, unused] = co_await lio::send_all(conn, lio::Buffer::CopyOf(out));
  co_return static_cast<bool>(sent);
}

// Streams `path` (headers, then the file in chunk_size reads at increasing
// offsets, each sent whole before the next read). false: the connection broke.
lio::Task<bool> SendFile(lio::TcpStream& conn, const std::filesystem::path& path, bool head_only, bool keep_alive,
                         lio::Buffer& chunk) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);  // metadata: no lio operation for it
  if (ec || !std::filesystem::is_regular_file(path)) {
    co_return co_await SendError(conn, 404, "Not Found", head_only, keep_alive);
  }
  lio::Expected<lio::File> file = co_await lio::open(path.string(), LIO_OPEN_RDONLY);
  if (!file) co_return co_await SendError(conn, 404, "Not Found", head_only, keep_alive);
  auto [sent, unused] = co_await lio::send_all(conn, lio::Buffer::CopyOf(Head(200, "OK", size, ContentType(path), keep_alive)));
  if (!sent) co_return false;
  if (head_only) co_return true;
  uint64_t offset = 0;
  while (offset < size) {
    auto [n, data] = co_await lio::read(*file, std::move(chunk), static_cast<int64_t>(offset));
    chunk = std::move(data);
    if (!n || *n == 0) co_return false;  // the file shrank or failed: the length promised is wrong, close
    if (offset + *n > size) chunk.resize(static_cast<size_t>(size - offset));  // the file grew: send what we promised
    auto [w, back] = co_await lio::send_all(conn, std::move(chunk));
    chunk = std::move(back);
    if (!w) co_return false;
    offset += *w;
  }
  co_return true;
}

lio::Task<void> Serve(lio::TcpStream conn, const Config& config, Counters& counters) {
  lio::Buffer in(kMaxHeader);
  lio::Buffer chunk(config.chunk_size);
  std::string pending;  // received, not yet consumed
  for (;;) {
    size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      if (pending.size() > kMaxHeader) {
        co_await SendError(conn, 431, "Request Header Fields Too Large", false, false);
        co_return;
      }
      auto [n, data] = co_await lio::with_timeout(config.header_timeout, lio::recv(conn, std::move(in)));
      in = std::move(data);
      if (!n || *n == 0) co_return;  // closed, reset or idle too long
      pending.append(in.view());
    }
    std::optional<Request> request = Parse(std::string_view(pending).substr(0, end));
    pending.erase(0, end + 4);
    if (!request) {
      co_await SendError(conn, 400, "Bad Request", false, false);
      co_return;
    }
    // Discard a request body (we serve files; nothing reads bodies).
    size_t body = request->content_length;
    size_t from_pending = std::min(body, pending.size());
    pending.erase(0, from_pending);
    body -= from_pending;
    while (body > 0) {
      auto [n, data] = co_await lio::recv(conn, std::move(in));
      in = std::move(data);
      if (!n || *n == 0) co_return;
      size_t used = std::min(body, *n);
      body -= used;
      pending.append(in.view().substr(used));
    }

    bool head_only = request->method == "HEAD";
    bool ok;
    if (request->method != "GET" && !head_only) {
      ok = co_await SendError(conn, 405, "Method Not Allowed", false, request->keep_alive, "Allow: GET, HEAD\r\n");
    } else if (auto path = Resolve(config.root, request->target)) {
      ok = co_await SendFile(conn, *path, head_only, request->keep_alive, chunk);
    } else {
      ok = co_await SendError(conn, 404, "Not Found", head_only, request->keep_alive);
    }
    if (config.verbose) absl::FPrintF(stderr, "%s %s -> %s\n", request->method, request->target, ok ? "sent" : "failed");
    ++counters.responses;
    counters.touch();
    if (!ok || !request->keep_alive) co_return;
  }
}

lio::Task<void> Accept(lio::Loop& loop, lio::TcpListener listener, const Config& config, Counters& counters) {
  for (;;) {
    lio::Expected<lio::TcpStream> conn = co_await lio::accept(listener);
    if (!conn) {
      absl::FPrintF(stderr, "http_server: accept: %s\n", conn.error().message());
      co_await lio::sleep(std::chrono::milliseconds(10));
      continue;
    }
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
  config.header_timeout = std::chrono::milliseconds(absl::GetFlag(FLAGS_header_timeout_ms));
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
  options.loop.capacity = static_cast<uint32_t>(absl::GetFlag(FLAGS_capacity));
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
  absl::PrintF("listening on %s:%d backend=%s threads=%d root=%s\n", absl::GetFlag(FLAGS_host), port.load(),
               backend_name, (*group)->size(), config.root.string());
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
