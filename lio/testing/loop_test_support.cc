#include "lio/testing/loop_test_support.h"

#include "lio/runtime/socket_address.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string_view>

namespace lio::testing {
namespace {

std::vector<std::string>& Backends() {
  static std::vector<std::string> backends;
  return backends;
}

std::filesystem::path ResolvePlugin(const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p;
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    std::filesystem::path in_runfiles = std::filesystem::path(srcdir) / "lio" / p;
    if (std::filesystem::exists(in_runfiles)) return in_runfiles;
  }
  return std::filesystem::absolute(p);
}

}  // namespace

Registry& LoopRegistry() {
  static Registry registry(std::vector<std::filesystem::path>{});
  return registry;
}

const std::vector<std::string>& LoopBackends() { return Backends(); }

LoopOptions LoopTest::Options(uint32_t capacity, uint32_t timers) const {
  LoopOptions options;
  options.backend = GetParam();
  options.capacity = capacity;
  options.timers = timers;
  // Exactly `capacity` slots, queueing past them: what most cases count on.
  // The at-capacity policies have their own cases (loop_at_capacity_test.cc).
  options.at_capacity = AtCapacity::kQueue;
  options.registry = &LoopRegistry();
  return options;
}

std::unique_ptr<Loop> LoopTest::MakeLoop(uint32_t capacity, uint32_t timers) {
  auto loop = Loop::Open(Options(capacity, timers));
  if (!loop) {
    ADD_FAILURE() << "opening backend " << GetParam() << ": " << loop.error().message;
    return nullptr;
  }
  return std::move(*loop);
}

std::filesystem::path LoopTest::TempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  std::filesystem::path dir = std::filesystem::path(tmp ? tmp : "/tmp") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

bool RunUntil(Loop& loop, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool armed = false;
  OpId timer;
  bool ok = true;
  {
    auto guard = loop.keep_alive();
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ok = false;
        break;
      }
      if (!armed) {
        timer = loop.after(std::chrono::milliseconds(20), [&armed](std::error_code) { armed = false; });
        armed = static_cast<bool>(timer);
      }
      loop.run_once();
    }
  }
  if (armed) {
    (void)loop.cancel(timer);
    while (armed) loop.run_once();
  }
  return ok;
}

bool Drain(Loop& loop, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (loop.alive()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    loop.run_once();
  }
  return true;
}

#if defined(_WIN32)
using NativeSocket = SOCKET;
constexpr int kNoSignal = 0;
#else
using NativeSocket = int;
constexpr int kNoSignal = MSG_NOSIGNAL;
#endif

void CloseRaw(lio_handle h) {
  if (h == LIO_INVALID_HANDLE) return;
#if defined(_WIN32)
  ::closesocket(static_cast<SOCKET>(h));
#else
  ::close(static_cast<int>(h));
#endif
}

SocketPair::~SocketPair() {
  CloseRaw(a);
  CloseRaw(b);
}

lio_handle ConnectLoopback(uint16_t port) {
  NativeSocket s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    CloseRaw(static_cast<lio_handle>(s));
    return LIO_INVALID_HANDLE;
  }
  return static_cast<lio_handle>(s);
}

std::unique_ptr<SocketPair> MakeSocketPair() {
  auto pair = std::make_unique<SocketPair>();
#if defined(_WIN32)
  // No socketpair: a loopback TCP connection through a listener of our own.
  auto listener = net::Socket(AF_INET, SOCK_STREAM);
  if (!listener) return nullptr;
  SocketAddress any = SocketAddress::Loopback(0);
  if (net::Bind(*listener, any) || net::Listen(*listener, 1)) return nullptr;
  auto bound = net::LocalAddress(*listener);
  pair->a = ConnectLoopback(bound->port());
  pair->b = static_cast<lio_handle>(::accept(static_cast<SOCKET>(*listener), nullptr, nullptr));
  CloseRaw(*listener);
  if (pair->a == LIO_INVALID_HANDLE || pair->b == static_cast<lio_handle>(INVALID_SOCKET)) return nullptr;
#else
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return nullptr;
  pair->a = fds[0];
  pair->b = fds[1];
#endif
  return pair;
}

long SendAll(lio_handle h, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::send(static_cast<NativeSocket>(h), data.data() + done, static_cast<int>(data.size() - done), kNoSignal);
    if (n <= 0) return -1;
    done += static_cast<size_t>(n);
  }
  return static_cast<long>(done);
}

std::string RecvSome(lio_handle h, size_t max, int timeout_ms) {
#if defined(_WIN32)
  fd_set set;
  FD_ZERO(&set);
  FD_SET(static_cast<SOCKET>(h), &set);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (::select(0, &set, nullptr, nullptr, &tv) <= 0) return {};
#else
  pollfd p{static_cast<int>(h), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return {};
#endif
  std::string out(max, '\0');
  auto n = ::recv(static_cast<NativeSocket>(h), out.data(), static_cast<int>(max), 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace lio::testing

// main: --plugin=PATH (repeatable) chooses the backends; the rest is gtest's.
int main(int argc, char** argv) {
#if defined(_WIN32)
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
#else
  signal(SIGPIPE, SIG_IGN);
#endif
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (i > 0 && arg.substr(0, 9) == "--plugin=") {
      auto path = lio::testing::ResolvePlugin(std::string(arg.substr(9)));
      auto names = lio::testing::LoopRegistry().LoadPlugin(path);
      if (!names) {
        std::cerr << "loop tests: " << names.error().message << "\n";
        return 2;
      }
      for (const std::string& name : *names) {
        auto info = lio::testing::LoopRegistry().Find(name);
        lio::ProbeResult probe = lio::Backend::Probe(**info);
        if (!probe.ok()) {
          std::cerr << "loop tests: skipping backend " << name << ": " << probe.why << "\n";
          continue;
        }
        lio::testing::Backends().push_back(name);
      }
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (lio::testing::Backends().empty()) {
    std::cerr << "loop tests: no backend to test (give --plugin=PATH)\n";
    return 2;
  }
  int rest_argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);  // argv[argc] is null, as gtest expects
  ::testing::InitGoogleTest(&rest_argc, rest.data());
  return RUN_ALL_TESTS();
}
