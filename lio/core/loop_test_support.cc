#include "lio/core/loop_test_support.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

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

std::unique_ptr<Loop> LoopTest::MakeLoop(uint32_t capacity) {
  LoopOptions options;
  options.backend = GetParam();
  options.capacity = capacity;
  options.registry = &LoopRegistry();
  auto loop = Loop::Open(options);
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

SocketPair::~SocketPair() {
  if (a >= 0) ::close(static_cast<int>(a));
  if (b >= 0) ::close(static_cast<int>(b));
}

std::unique_ptr<SocketPair> MakeSocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return nullptr;
  auto pair = std::make_unique<SocketPair>();
  pair->a = fds[0];
  pair->b = fds[1];
  return pair;
}

long SendAll(lio_handle h, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(static_cast<int>(h), data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    done += static_cast<size_t>(n);
  }
  return static_cast<long>(done);
}

std::string RecvSome(lio_handle h, size_t max, int timeout_ms) {
  pollfd p{static_cast<int>(h), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return {};
  std::string out(max, '\0');
  ssize_t n = ::recv(static_cast<int>(h), out.data(), max, 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace lio::testing

// main: --plugin=PATH (repeatable) chooses the backends; the rest is gtest's.
int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
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
