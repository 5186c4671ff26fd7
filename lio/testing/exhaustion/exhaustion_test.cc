// When a resource runs out, lio says so and keeps going:
//   - out of fds: accept completes with -EMFILE (not retried forever, not
//     lost), the backend goes on serving an existing connection, and accept
//     succeeds again once fds come back;
//   - a saturated worker pool (one worker, blocked in an openat of a FIFO):
//     socket ops still complete, queued jobs cancel exactly once, and the
//     blocked call completes when its peer arrives;
//   - memory refused at create: -ENOMEM and a message that says what to do.
// Each on every backend given with --plugin=PATH.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/registry.h"

namespace lio {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::vector<std::string>& PluginPaths() {
  static std::vector<std::string> paths;
  return paths;
}

Registry& TestRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry(std::vector<fs::path>{});
    for (const std::string& path : PluginPaths()) {
      auto loaded = r->LoadPlugin(path);
      if (!loaded) std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    }
    return r;
  }();
  return *registry;
}

std::vector<std::string> BackendNames() {
  std::vector<std::string> names;
  for (const BackendInfo* info : TestRegistry().backends()) names.push_back(info->name);
  return names;
}

class ExhaustionTest : public ::testing::TestWithParam<std::string> {
 protected:
  Backend Open(const std::string& options = "") {
    auto found = TestRegistry().Find(GetParam());
    EXPECT_TRUE(found) << found.error().message;
    auto backend = Backend::Create(**found, {.capacity = 64, .options = options});
    EXPECT_TRUE(backend) << backend.error().message;
    return std::move(*backend);
  }

  // Waits until every id in `ids` completed, each exactly once; results by id.
  std::map<uint64_t, int64_t> Reap(Backend& b, std::vector<uint64_t> ids) {
    std::map<uint64_t, int64_t> results;
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (results.size() < ids.size() && std::chrono::steady_clock::now() < give_up) {
      auto done = b.wait(milliseconds(100));
      if (!done) {
        ADD_FAILURE() << "wait: " << done.error().message();
        break;
      }
      for (const lio_completion& c : *done) {
        bool expected = std::find(ids.begin(), ids.end(), c.id) != ids.end();
        EXPECT_TRUE(expected) << "completion for id " << c.id << ", which is not waited for";
        EXPECT_TRUE(results.emplace(c.id, c.result).second) << "id " << c.id << " completed twice";
      }
    }
    EXPECT_EQ(results.size(), ids.size()) << "operations never completed";
    return results;
  }
};

// A TCP listener on 127.0.0.1 (blocking); its port in *port.
int Listener(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 16) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

// Takes every free fd (under a lowered soft RLIMIT_NOFILE) until destroyed;
// give_back(n) frees n of them.
class FdHog {
 public:
  FdHog() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 4096);
    setrlimit(RLIMIT_NOFILE, &lowered);
    for (;;) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        exhausted_ = errno == EMFILE;
        break;
      }
      held_.push_back(fd);
    }
  }
  ~FdHog() {
    for (int fd : held_) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  bool exhausted() const { return exhausted_; }
  void give_back(size_t n) {
    for (; n > 0 && !held_.empty(); --n) {
      close(held_.back());
      held_.pop_back();
    }
  }

 private:
  rlimit saved_{};
  std::vector<int> held_;
  bool exhausted_ = false;
};

TEST_P(ExhaustionTest, AcceptOutOfFdsIsEmfileAndOtherConnectionsAreServed) {
  Backend b = Open();
  uint16_t port = 0;
  int listener = Listener(&port);
  ASSERT_GE(listener, 0);
  int client = Connect(port);
  int served = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  int waiting = Connect(port);  // in the backlog, to be accepted
  ASSERT_TRUE(client >= 0 && served >= 0 && waiting >= 0);

  uint64_t id = 1;
  {
    FdHog hog;
    ASSERT_TRUE(hog.exhausted()) << "could not use up the fd table";
    ASSERT_FALSE(b.push(id, Op::Accept(listener, nullptr, nullptr)));
    ASSERT_TRUE(b.flush());
    EXPECT_EQ(Reap(b, {id})[id], -LIO_EMFILE) << "accept with no fd left";

    // The connection already open is still served.
    char in[8] = {};
    ASSERT_EQ(send(client, "ping", 4, 0), 4);
    ASSERT_FALSE(b.push(++id, Op::Recv(served, in, sizeof in, 0)));
    ASSERT_TRUE(b.flush());
    EXPECT_EQ(Reap(b, {id})[id], 4);
    EXPECT_EQ(std::string(in, 4), "ping");

    // Fds come back: the connection that waited in the backlog is accepted.
    hog.give_back(2);
    ASSERT_FALSE(b.push(++id, Op::Accept(listener, nullptr, nullptr)));
    ASSERT_TRUE(b.flush());
    int64_t accepted = Reap(b, {id})[id];
    EXPECT_GE(accepted, 0) << "accept after fds came back";
    if (accepted >= 0) close(static_cast<int>(accepted));
  }
  for (int fd : {listener, client, served, waiting}) close(fd);
}

TEST_P(ExhaustionTest, SaturatedWorkersStillServeSocketsAndCancelQueuedJobs) {
  Backend b = Open(GetParam().starts_with("poller") ? "workers=1" : "");
  fs::path dir = fs::path(::testing::TempDir()) / ("exhaustion_" + GetParam());
  fs::create_directories(dir);
  fs::path fifo = dir / "fifo";
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  fs::path file = dir / "file";
  { FILE* f = std::fopen(file.c_str(), "w"); std::fclose(f); }
  const std::string fifo_path = fifo.string(), file_path = file.string();

  // The one worker (poller) blocks opening a FIFO nobody writes to yet.
  const uint64_t blocked = 100;
  ASSERT_FALSE(b.push(blocked, Op::Openat(LIO_AT_FDCWD, fifo_path.c_str(), LIO_OPEN_RDONLY)));
  std::vector<uint64_t> queued;
  for (uint64_t i = 0; i < 8; ++i) {
    queued.push_back(200 + i);
    ASSERT_FALSE(b.push(queued.back(), Op::Openat(LIO_AT_FDCWD, file_path.c_str(), LIO_OPEN_RDONLY)));
  }
  ASSERT_TRUE(b.flush());

  // Sockets do not wait for the workers.
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  ASSERT_EQ(send(pair[0], "x", 1, 0), 1);
  char in = 0;
  const uint64_t recv_id = 300, nop_id = 301;
  ASSERT_FALSE(b.push(recv_id, Op::Recv(pair[1], &in, 1, 0)));
  ASSERT_FALSE(b.push(nop_id, Op::Nop()));
  ASSERT_TRUE(b.flush());
  // The queued opens may finish too (io_uring has more than one worker);
  // the blocked one cannot.
  std::map<uint64_t, int64_t> results;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((!results.contains(recv_id) || !results.contains(nop_id)) && std::chrono::steady_clock::now() < give_up) {
    auto done = b.wait(milliseconds(100));
    ASSERT_TRUE(done);
    for (const lio_completion& c : *done) {
      EXPECT_NE(c.id, blocked) << "the open of a FIFO with no writer completed";
      EXPECT_TRUE(results.emplace(c.id, c.result).second) << "id " << c.id << " completed twice";
    }
  }
  EXPECT_EQ(results[recv_id], 1) << "recv behind a saturated worker pool";
  EXPECT_EQ(results[nop_id], 0);

  // Cancel what is still queued: each completes once, cancelled or opened.
  std::vector<uint64_t> pending;
  for (uint64_t id : queued) {
    if (results.contains(id)) continue;
    std::error_code ec = b.cancel(id);
    EXPECT_FALSE(ec) << "cancel of a queued job: " << ec.message();
    pending.push_back(id);
  }
  for (auto [id, result] : Reap(b, pending)) results[id] = result;
  for (uint64_t id : queued) {
    ASSERT_TRUE(results.contains(id));
    EXPECT_TRUE(results[id] >= 0 || results[id] == -LIO_ECANCELED) << "open " << id << ": " << results[id];
    if (results[id] >= 0) close(static_cast<int>(results[id]));
  }

  // The writer arrives: the blocked open completes with a descriptor.
  // (ENXIO until the worker is inside its open: no reader yet.)
  int writer = -1;
  for (int tries = 0; writer < 0 && tries < 1000; ++tries) {
    writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (writer < 0 && errno == ENXIO) usleep(10'000);
  }
  ASSERT_GE(writer, 0) << "the FIFO never got its reader: " << std::strerror(errno);
  int64_t opened = Reap(b, {blocked})[blocked];
  EXPECT_GE(opened, 0);
  if (opened >= 0) close(static_cast<int>(opened));
  for (int fd : {writer, pair[0], pair[1]}) close(fd);
}

TEST_P(ExhaustionTest, MemoryRefusedAtCreateIsEnomemWithAMessage) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory does not fit under RLIMIT_AS";
#endif
  auto found = TestRegistry().Find(GetParam());
  ASSERT_TRUE(found);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit small{512u << 20, 512u << 20};  // 512 MiB of address space
    setrlimit(RLIMIT_AS, &small);
    auto backend = Backend::Create(**found, {.capacity = 1u << 24});
    if (backend) _exit(2);  // it fitted after all: nothing was refused
    const Error& e = backend.error();
    bool clear = e.code.value() == LIO_ENOMEM && e.message.find("Lower the capacity") != std::string::npos;
    if (!clear) std::fprintf(stderr, "create answered: %s\n", e.message.c_str());
    _exit(clear ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "create crashed under a memory limit (signal " << WTERMSIG(status) << ")";
  EXPECT_NE(WEXITSTATUS(status), 2) << "capacity 2^24 fitted in 512 MiB: the test asks too little";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "create did not answer -ENOMEM with the message";
}

INSTANTIATE_TEST_SUITE_P(Backends, ExhaustionTest, ::testing::ValuesIn(BackendNames()),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ExhaustionTest);

}  // namespace
}  // namespace lio

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--plugin=")) lio::PluginPaths().push_back(arg.substr(9));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
