// The poller plugin through its vtable, loaded the way the core loads it
// (dlopen of liblio_poller.so, or of liblio_poller_kqueue.so): sockets,
// pipes, files on workers, timers, cancel, wake, capacity, destroy. The
// shared conformance suite checks the contract clause by clause; this covers
// what is particular to a readiness backend (per-handle order, handle modes,
// worker cancellation).
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lio/core/op.h"
#include "lio/core/plugin_abi.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kMs = 1'000'000;

// The same tests run against the kqueue reactor over libkqueue
// (poller_kqueue_smoke_test defines LIO_TEST_POLLER_KQUEUE).
#if defined(LIO_TEST_POLLER_KQUEUE)
constexpr char kPluginFile[] = "liblio_poller_kqueue.so";
constexpr char kBackendName[] = "poller_kqueue";
constexpr int32_t kPriority = 10;
#else
constexpr char kPluginFile[] = "liblio_poller.so";
constexpr char kBackendName[] = "poller";
constexpr int32_t kPriority = 50;
#endif

std::string PluginPath() {
  const char* root = std::getenv("TEST_SRCDIR");
  return std::string(root ? root : ".") + "/lio/lio/plugins/poller/" + kPluginFile;
}

const lio_backend_vtable* LoadPoller() {
  static const lio_backend_vtable* vtable = [] {
    void* library = dlopen(PluginPath().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      ADD_FAILURE() << dlerror();
      return static_cast<const lio_backend_vtable*>(nullptr);
    }
    auto register_fn = reinterpret_cast<lio_plugin_register_fn>(dlsym(library, LIO_PLUGIN_REGISTER_SYMBOL));
    static const lio_backend_vtable* registered = nullptr;
    lio_registrar registrar{};
    registrar.struct_size = sizeof registrar;
    registrar.abi_version = LIO_ABI_VERSION;
    registrar.register_backend = [](void*, const lio_backend_vtable* v) {
      if (registered != nullptr) return -LIO_EEXIST;
      registered = v;
      return 0;
    };
    EXPECT_EQ(register_fn(&registrar), 0);
    return registered;
  }();
  return vtable;
}

int CreateBackend(uint32_t capacity, const char* options, lio_backend** out) {
  lio_backend_config config{};
  config.struct_size = sizeof config;
  config.abi_version = LIO_ABI_VERSION;
  config.capacity = capacity;
  config.options = options;
  return LoadPoller()->create(&config, out);
}

// One backend instance, with helpers that check exactly-once delivery.
class Backend {
 public:
  explicit Backend(uint32_t capacity = 64, const char* options = nullptr) : vt_(LoadPoller()) {
    EXPECT_EQ(CreateBackend(capacity, options, &b_), 0);
  }
  ~Backend() { destroy(); }
  void destroy() {
    if (b_ != nullptr) vt_->destroy(b_);
    b_ = nullptr;
  }

  int push(uint64_t id, const lio_op& op) {
    int r = vt_->push(b_, id, &op);
    if (r == 0) pushed_.insert(id);
    return r;
  }
  int flush() { return vt_->flush(b_); }
  int cancel(uint64_t id) { return vt_->cancel(b_, id); }
  int wake() { return vt_->wake(b_); }

  // One wait; records results, failing on unknown or repeated ids.
  std::vector<lio_completion> wait(int64_t timeout_ns) {
    const lio_completion* out = nullptr;
    int n = vt_->wait(b_, timeout_ns, &out);
    EXPECT_GE(n, 0);
    std::vector<lio_completion> batch(out, out + std::max(n, 0));
    for (const lio_completion& c : batch) {
      EXPECT_EQ(pushed_.count(c.id), 1u) << "unknown id " << c.id;
      EXPECT_TRUE(results_.emplace(c.id, c.result).second) << "id " << c.id << " completed twice";
      order_.push_back(c.id);
      pushed_.erase(c.id);
    }
    return batch;
  }

  // Waits (up to 10 s) until `id` completed; its result.
  int64_t result_of(uint64_t id) {
    auto give_up = Clock::now() + std::chrono::seconds(10);
    while (results_.count(id) == 0 && Clock::now() < give_up) wait(100 * kMs);
    EXPECT_EQ(results_.count(id), 1u) << "id " << id << " never completed";
    return results_.count(id) ? results_[id] : INT64_MIN;
  }
  bool done(uint64_t id) const { return results_.count(id) != 0; }
  const std::vector<uint64_t>& order() const { return order_; }

 private:
  const lio_backend_vtable* vt_;
  lio_backend* b_ = nullptr;
  std::set<uint64_t> pushed_;
  std::map<uint64_t, int64_t> results_;
  std::vector<uint64_t> order_;
};

struct SocketPair {
  int a = -1, b = -1;
  explicit SocketPair(int type = SOCK_STREAM) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }
};

bool IsBlocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0; }
bool IsCloseOnExec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// Fills fd's send side until the kernel refuses more; returns the bytes.
size_t FillSendBuffer(int fd) {
  std::vector<char> chunk(65536, 'f');
  size_t total = 0;
  for (;;) {
    ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

// Reads exactly n bytes (blocking).
std::string ReadExactly(int fd, size_t n) {
  std::string data(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, data.data() + got, n - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  data.resize(got);
  return data;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// ---------------------------------------------------------------------------

TEST(Registration, DeclaresPollerWithEveryOp) {
  const lio_backend_vtable* vt = LoadPoller();
  ASSERT_NE(vt, nullptr);
  EXPECT_STREQ(vt->name, kBackendName);
  // Every 1.0 op, and the 1.1 socket/pipe/process ops (others may add more).
  EXPECT_EQ(vt->capabilities & LIO_CAP_OPS_1_0, LIO_CAP_OPS_1_0);
  for (uint32_t code : {LIO_OP_BIND, LIO_OP_LISTEN, LIO_OP_TEE, LIO_OP_SPLICE, LIO_OP_PIPE, LIO_OP_WAITID}) {
    EXPECT_NE(vt->capabilities & LIO_CAP(code), 0u) << "code " << code;
  }
  // The 1.1 file-system ops, on the workers.
  const uint64_t fs = LIO_CAP(LIO_OP_FTRUNCATE) | LIO_CAP(LIO_OP_LINKAT) | LIO_CAP(LIO_OP_SYMLINKAT) |
                      LIO_CAP(LIO_OP_RENAMEAT) | LIO_CAP(LIO_OP_UNLINKAT) | LIO_CAP(LIO_OP_MKDIRAT) |
                      LIO_CAP(LIO_OP_STATX) | LIO_CAP(LIO_OP_FALLOCATE) | LIO_CAP(LIO_OP_FADVISE);
  EXPECT_EQ(vt->capabilities & fs, fs);
  EXPECT_EQ(vt->capabilities & ~LIO_CAP_ALL_OPS, 0u);
  // 1.1, issue 14: multishot accept/recv and send_zc emulated, with buffer groups.
  const uint64_t multishot = LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
  EXPECT_EQ(vt->capabilities & multishot, multishot);
  EXPECT_NE(vt->features & LIO_FEATURE_BUFFER_GROUPS, 0u);
  EXPECT_EQ(vt->priority, kPriority);
  EXPECT_EQ(LIO_ABI_MAJOR(vt->abi_version), LIO_ABI_VERSION_MAJOR);
  char why[256] = "";
  EXPECT_EQ(vt->probe(why, sizeof why), 0) << why;
}

TEST(Registration, RefusesAnotherAbiMajor) {
  void* library = dlopen(PluginPath().c_str(), RTLD_NOW | RTLD_LOCAL);
  auto register_fn = reinterpret_cast<lio_plugin_register_fn>(dlsym(library, LIO_PLUGIN_REGISTER_SYMBOL));
  lio_registrar registrar{};
  registrar.struct_size = sizeof registrar;
  registrar.abi_version = (LIO_ABI_VERSION_MAJOR + 1) << 16;
  registrar.register_backend = [](void*, const lio_backend_vtable*) { return 0; };
  EXPECT_EQ(register_fn(&registrar), -LIO_EINVAL);
  dlclose(library);
}

TEST(Create, ValidatesOptionsAndCapacity) {
  lio_backend* b = nullptr;
  EXPECT_EQ(CreateBackend(8, "bogus=1", &b), -LIO_EINVAL);
  EXPECT_EQ(CreateBackend(8, "workers=0", &b), -LIO_EINVAL);
  EXPECT_EQ(CreateBackend(8, "workers=x", &b), -LIO_EINVAL);
  EXPECT_EQ(CreateBackend(0, nullptr, &b), -LIO_EINVAL);
  EXPECT_EQ(b, nullptr);
  ASSERT_EQ(CreateBackend(8, "workers=2", &b), 0);
  LoadPoller()->destroy(b);
}

TEST(Push, RejectsCallerMistakes) {
  Backend backend(4);
  lio::Op bad_code;
  bad_code.code = LIO_OP_COUNT;
  EXPECT_EQ(backend.push(1, bad_code), -LIO_EINVAL);
  lio::Op bad_flags = lio::Op::Nop();
  bad_flags.flags = 0x80;
  EXPECT_EQ(backend.push(1, bad_flags), -LIO_EINVAL);
  lio::Op other_major = lio::Op::Nop();
  other_major.abi_version = (LIO_ABI_VERSION_MAJOR + 1) << 16;
  EXPECT_EQ(backend.push(1, other_major), -LIO_EINVAL);
  ASSERT_EQ(backend.push(1, lio::Op::Nop()), 0);
  EXPECT_EQ(backend.push(1, lio::Op::Nop()), -LIO_EEXIST);
  EXPECT_EQ(backend.result_of(1), 0);
}

TEST(Flush, CountsAndWaitFlushes) {
  Backend backend;
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_EQ(backend.push(id, lio::Op::Nop()), 0);
  EXPECT_EQ(backend.flush(), 3);
  EXPECT_EQ(backend.flush(), 0);
  ASSERT_EQ(backend.push(4, lio::Op::Nop()), 0);  // not flushed: wait does it
  EXPECT_EQ(backend.wait(0).size(), 4u);
}

// The heart of a readiness backend: two recvs and two sends pending on one
// socket complete in the order they were pushed, each direction on its own.
TEST(Sockets, PendingRecvsAndSendsOnOneSocketAreServedInOrder) {
  SocketPair pair;
  int small = 4096;
  setsockopt(pair.a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt(pair.b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  size_t filler = FillSendBuffer(pair.a);
  ASSERT_GT(filler, 0u);

  Backend backend;
  char first[4], second[4];
  std::string payload1(3000, '1'), payload2(3000, '2');
  ASSERT_EQ(backend.push(1, lio::Op::Recv(pair.a, first, sizeof first)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::Recv(pair.a, second, sizeof second)), 0);
  ASSERT_EQ(backend.push(3, lio::Op::Send(pair.a, payload1.data(), payload1.size())), 0);
  ASSERT_EQ(backend.push(4, lio::Op::Send(pair.a, payload2.data(), payload2.size())), 0);
  EXPECT_EQ(backend.flush(), 4);
  EXPECT_TRUE(backend.wait(0).empty()) << "nothing is ready yet";

  ASSERT_EQ(write(pair.b, "AAAA", 4), 4);
  EXPECT_EQ(backend.result_of(1), 4);
  EXPECT_EQ(std::string(first, 4), "AAAA");
  EXPECT_FALSE(backend.done(2)) << "the second recv took data meant for the first";
  ASSERT_EQ(write(pair.b, "BBBB", 4), 4);
  EXPECT_EQ(backend.result_of(2), 4);
  EXPECT_EQ(std::string(second, 4), "BBBB");

  // Drain the peer: both sends complete, whole, first one first on the wire.
  std::string received;
  std::thread reader([&] { received = ReadExactly(pair.b, filler + payload1.size() + payload2.size()); });
  EXPECT_EQ(backend.result_of(3), static_cast<int64_t>(payload1.size()));
  EXPECT_EQ(backend.result_of(4), static_cast<int64_t>(payload2.size()));
  reader.join();
  EXPECT_EQ(received.substr(filler), payload1 + payload2);
  std::vector<uint64_t> order = backend.order();
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(IsBlocking(pair.a)) << "the caller's socket was left non-blocking";
}

TEST(Sockets, LargeSendCompletesWholeLikeABlockingSend) {
  SocketPair pair;
  std::string payload(4 << 20, 'x');
  for (size_t i = 0; i < payload.size(); i += 4096) payload[i] = static_cast<char>('a' + i % 26);
  Backend backend;
  ASSERT_EQ(backend.push(1, lio::Op::Send(pair.a, payload.data(), payload.size())), 0);
  std::string received;
  std::thread reader([&] { received = ReadExactly(pair.b, payload.size()); });
  EXPECT_EQ(backend.result_of(1), static_cast<int64_t>(payload.size()));
  reader.join();
  EXPECT_TRUE(received == payload);
}

TEST(Sockets, RecvWaitAllGathersEveryByte) {
  SocketPair pair;
  Backend backend;
  char buf[8];
  ASSERT_EQ(backend.push(1, lio::Op::Recv(pair.a, buf, sizeof buf, MSG_WAITALL)), 0);
  ASSERT_EQ(write(pair.b, "abc", 3), 3);
  backend.wait(20 * kMs);
  EXPECT_FALSE(backend.done(1));
  ASSERT_EQ(write(pair.b, "defgh", 5), 5);
  EXPECT_EQ(backend.result_of(1), 8);
  EXPECT_EQ(std::string(buf, 8), "abcdefgh");
}

TEST(Sockets, RecvSeesEndOfStreamAndReadWriteWorkOnSockets) {
  SocketPair pair;
  Backend backend;
  char buf[16];
  ASSERT_EQ(backend.push(1, lio::Op::Write(pair.a, "ping", 4)), 0);
  EXPECT_EQ(backend.result_of(1), 4);
  ASSERT_EQ(backend.push(2, lio::Op::Read(pair.b, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(2), 4);
  ASSERT_EQ(backend.push(3, lio::Op::Recv(pair.b, buf, sizeof buf)), 0);
  ASSERT_EQ(backend.push(4, lio::Op::Shutdown(pair.a, SHUT_WR)), 0);
  EXPECT_EQ(backend.result_of(4), 0);
  EXPECT_EQ(backend.result_of(3), 0) << "orderly shutdown reads as 0";
}

TEST(Sockets, AcceptAndConnectOnBlockingSocketsKeepTheirMode) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);

  Backend backend;
  sockaddr_in peer{};
  uint32_t peer_len = sizeof peer;
  ASSERT_EQ(backend.push(1, lio::Op::Accept(listener, &peer, &peer_len)), 0);
  backend.flush();
  EXPECT_TRUE(backend.wait(0).empty());
  ASSERT_EQ(backend.push(2, lio::Op::Socket(AF_INET, SOCK_STREAM)), 0);
  int64_t client = backend.result_of(2);
  ASSERT_GE(client, 0);
  EXPECT_TRUE(IsBlocking(static_cast<int>(client)));
  EXPECT_TRUE(IsCloseOnExec(static_cast<int>(client)));
  ASSERT_EQ(backend.push(3, lio::Op::Connect(client, &addr, sizeof addr)), 0);
  EXPECT_EQ(backend.result_of(3), 0);
  int64_t accepted = backend.result_of(1);
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(peer_len, sizeof(sockaddr_in));
  EXPECT_EQ(peer.sin_family, AF_INET);
  EXPECT_TRUE(IsBlocking(static_cast<int>(accepted)));
  EXPECT_TRUE(IsCloseOnExec(static_cast<int>(accepted)));
  EXPECT_TRUE(IsBlocking(listener)) << "listener left non-blocking";
  EXPECT_TRUE(IsBlocking(static_cast<int>(client))) << "client left non-blocking";

  // The connection works both ways.
  char buf[4];
  ASSERT_EQ(backend.push(4, lio::Op::Send(client, "hey!", 4)), 0);
  ASSERT_EQ(backend.push(5, lio::Op::Recv(accepted, buf, 4, MSG_WAITALL)), 0);
  EXPECT_EQ(backend.result_of(4), 4);
  EXPECT_EQ(backend.result_of(5), 4);
  close(static_cast<int>(accepted));
  close(static_cast<int>(client));
  close(listener);
}

TEST(Sockets, ConnectRefusedIsReported) {
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  close(probe);  // nothing listens on that port now

  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Backend backend;
  ASSERT_EQ(backend.push(1, lio::Op::Connect(client, &addr, sizeof addr)), 0);
  EXPECT_EQ(backend.result_of(1), -LIO_ECONNREFUSED);
  EXPECT_TRUE(IsBlocking(client));
  close(client);
}

TEST(Sockets, SendmsgRecvmsgCarryAddressesAndDescriptors) {
  // Datagram with a sender address.
  int server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);

  Backend backend;
  char in[32];
  lio_iovec in_iov{in, sizeof in};
  sockaddr_in from{};
  lio_msghdr in_msg{&from, sizeof from, 1, &in_iov, nullptr, 0, 0, 0};
  ASSERT_EQ(backend.push(1, lio::Op::Recvmsg(server, &in_msg)), 0);
  char out[] = "datagram";
  lio_iovec out_iov{out, 8};
  lio_msghdr out_msg{&addr, sizeof addr, 1, &out_iov, nullptr, 0, 0, 0};
  ASSERT_EQ(backend.push(2, lio::Op::Sendmsg(client, &out_msg)), 0);
  EXPECT_EQ(backend.result_of(2), 8);
  EXPECT_EQ(backend.result_of(1), 8);
  EXPECT_EQ(std::string(in, 8), "datagram");
  EXPECT_EQ(in_msg.namelen, sizeof(sockaddr_in));
  EXPECT_EQ(from.sin_family, AF_INET);
  close(server);
  close(client);

  // A descriptor over a unix socket (SCM_RIGHTS).
  SocketPair pair;
  int passed[2];
  ASSERT_EQ(pipe2(passed, O_CLOEXEC), 0);
  alignas(cmsghdr) char control_out[CMSG_SPACE(sizeof(int))] = {};
  cmsghdr* cm = reinterpret_cast<cmsghdr*>(control_out);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &passed[1], sizeof(int));
  char one = '!';
  lio_iovec one_iov{&one, 1};
  lio_msghdr fd_out{nullptr, 0, 1, &one_iov, control_out, sizeof control_out, 0, 0};
  alignas(cmsghdr) char control_in[CMSG_SPACE(sizeof(int))] = {};
  char got = 0;
  lio_iovec got_iov{&got, 1};
  lio_msghdr fd_in{nullptr, 0, 1, &got_iov, control_in, sizeof control_in, 0, 0};
  ASSERT_EQ(backend.push(3, lio::Op::Recvmsg(pair.b, &fd_in, MSG_CMSG_CLOEXEC)), 0);
  ASSERT_EQ(backend.push(4, lio::Op::Sendmsg(pair.a, &fd_out)), 0);
  EXPECT_EQ(backend.result_of(4), 1);
  EXPECT_EQ(backend.result_of(3), 1);
  ASSERT_GE(fd_in.controllen, CMSG_LEN(sizeof(int)));
  int received_fd;
  std::memcpy(&received_fd, CMSG_DATA(reinterpret_cast<cmsghdr*>(control_in)), sizeof(int));
  EXPECT_EQ(write(received_fd, "z", 1), 1);
  char z = 0;
  EXPECT_EQ(read(passed[0], &z, 1), 1);
  EXPECT_EQ(z, 'z');
  close(received_fd);
  close(passed[0]);
  close(passed[1]);
}

TEST(Sockets, PollReportsReadiness) {
  SocketPair pair;
  Backend backend;
  ASSERT_EQ(backend.push(1, lio::Op::Poll(pair.a, LIO_POLL_IN)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::Poll(pair.a, LIO_POLL_OUT)), 0);
  EXPECT_EQ(backend.result_of(2) & LIO_POLL_OUT, LIO_POLL_OUT);
  EXPECT_FALSE(backend.done(1));
  ASSERT_EQ(write(pair.b, "x", 1), 1);
  EXPECT_EQ(backend.result_of(1), LIO_POLL_IN);
}

TEST(Sockets, ClosingAHandleEndsTheOpsWaitingOnIt) {
  SocketPair pair;
  Backend backend;
  char buf[4];
  ASSERT_EQ(backend.push(1, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  backend.flush();
  ASSERT_EQ(backend.push(2, lio::Op::Close(pair.a)), 0);
  EXPECT_EQ(backend.result_of(1), -LIO_ECANCELED);
  EXPECT_EQ(backend.result_of(2), 0);
  pair.a = -1;
}

// Readiness is keyed by descriptor number; a number closed behind the
// backend's back (with no op waiting on it) and reused must work as new,
// even while a dup keeps the old file — and its old registration — alive.
TEST(Sockets, DescriptorNumbersReusedAfterACloseBehindTheBackendsBack) {
  Backend backend;
  char buf[8];
  uint64_t id = 1;
  for (int round = 0; round < 3; ++round) {
    auto old_pair = std::make_unique<SocketPair>();
    int number = old_pair->a;
    // Waited on (registered), then a waiter cancelled (left armed).
    ASSERT_EQ(backend.push(id, lio::Op::Recv(number, buf, sizeof buf)), 0);
    ASSERT_EQ(write(old_pair->b, "old", 3), 3);
    EXPECT_EQ(backend.result_of(id++), 3);
    ASSERT_EQ(backend.push(id, lio::Op::Recv(number, buf, sizeof buf)), 0);
    backend.flush();
    ASSERT_EQ(backend.cancel(id), 0);
    EXPECT_EQ(backend.result_of(id++), -LIO_ECANCELED);
    int dup_of_old = round == 1 ? dup(number) : -1;  // round 1: the old file outlives its number
    old_pair.reset();
    SocketPair new_pair;  // lowest free numbers: `number` again
    ASSERT_EQ(new_pair.a, number);
    ASSERT_EQ(backend.push(id, lio::Op::Recv(new_pair.a, buf, sizeof buf)), 0);
    backend.flush();
    EXPECT_TRUE(backend.wait(0).empty());
    ASSERT_EQ(write(new_pair.b, "new", 3), 3);
    EXPECT_EQ(backend.result_of(id++), 3);
    EXPECT_EQ(std::string(buf, 3), "new");
    if (dup_of_old >= 0) close(dup_of_old);
  }
}

// Registrations stay between waits (edge-triggered): each wait after a
// recv found nothing must still see the next data, round after round, in
// both directions, and after the handle was idle for longer than the 10 ms
// after which an idle handle's registration is checked again.
TEST(Sockets, RepeatedWaitsOnOneHandleEachSeeTheNextData) {
  SocketPair pair;
  Backend backend;
  char buf[16];
  uint64_t id = 1;
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(backend.push(id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
    backend.flush();
    EXPECT_TRUE(backend.wait(0).empty()) << "round " << round;
    ASSERT_EQ(write(pair.b, "ping", 4), 4);
    ASSERT_EQ(backend.result_of(id++), 4) << "round " << round;
    if (round % 50 == 49) std::this_thread::sleep_for(milliseconds(12));
  }
  // A full send buffer: the send waits for room, then completes whole.
  size_t filled = FillSendBuffer(pair.a);
  std::string message(1000, 'm');
  ASSERT_EQ(backend.push(id, lio::Op::Send(pair.a, message.data(), message.size(), 0)), 0);
  backend.flush();
  EXPECT_TRUE(backend.wait(0).empty());
  EXPECT_EQ(ReadExactly(pair.b, filled).size(), filled);
  EXPECT_EQ(backend.result_of(id++), static_cast<int64_t>(message.size()));
  EXPECT_EQ(ReadExactly(pair.b, message.size()), message);
}

// Immediate completions on every wait (a NOP each time) must not starve an
// op waiting for readiness: at least every other wait looks at the reactor,
// so once its data is there the recv completes within two waits.
TEST(Sockets, ImmediateCompletionsDoNotStarveReadinessOps) {
  SocketPair pair;
  Backend backend;
  char buf[16];
  uint64_t nop = 100;
  for (int round = 0; round < 50; ++round) {
    const uint64_t recv_id = round;
    ASSERT_EQ(backend.push(recv_id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
    ASSERT_EQ(backend.push(nop++, lio::Op::Nop()), 0);
    EXPECT_FALSE(backend.wait(-1).empty());  // the NOP; the recv waits (no data yet)
    ASSERT_FALSE(backend.done(recv_id)) << "round " << round;
    ASSERT_EQ(write(pair.b, "ping", 4), 4);
    for (int waits = 0; waits < 2 && !backend.done(recv_id); ++waits) {
      ASSERT_EQ(backend.push(nop++, lio::Op::Nop()), 0);
      EXPECT_FALSE(backend.wait(-1).empty());
    }
    ASSERT_TRUE(backend.done(recv_id)) << "round " << round << ": starved by immediate completions";
    EXPECT_EQ(backend.result_of(recv_id), 4);
  }
}

// An op queued behind a waiting one is not tried: it relies on the head's
// "not ready". When that head was waiting for something else (here the
// error queue, which is empty while data is there) and is cancelled, the op
// behind it must still get the data that is already there.
TEST(Sockets, CancellingAWaitingHeadServesTheOpBehindIt) {
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(udp, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(sendto(udp, "data", 4, 0, reinterpret_cast<sockaddr*>(&addr), len), 4);
  Backend backend;
  char errbuf[64], control[64], buf[16];
  lio_iovec iov{errbuf, sizeof errbuf};
  lio_msghdr msg{};
  msg.iov = &iov;
  msg.iovcnt = 1;
  msg.control = control;
  msg.controllen = sizeof control;
  ASSERT_EQ(backend.push(1, lio::Op::Recvmsg(udp, &msg, MSG_ERRQUEUE)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::Recv(udp, buf, sizeof buf)), 0);
  backend.flush();
  EXPECT_TRUE(backend.wait(0).empty());
  ASSERT_EQ(backend.cancel(1), 0);
  EXPECT_EQ(backend.result_of(1), -LIO_ECANCELED);
  EXPECT_EQ(backend.result_of(2), 4);
  close(udp);
}

// A short recv on a stream socket drains it, so the next recv waits without
// trying (no EAGAIN call); it must still see data that comes later, whether
// it arrives while that recv waits or while no recv is pushed at all. A
// datagram socket's short recv is one message of several: the next recv is
// tried and completes in the same flush.
TEST(Sockets, RecvAfterAShortRecvStillSeesEveryLaterMessage) {
  SocketPair pair;
  Backend backend;
  char buf[64];
  uint64_t id = 1;
  // A recv that waits all along on another socket keeps the backend looking
  // at its reactor in every wait, so reports for `pair.a` are taken (and
  // passed over) while no recv waits on it.
  SocketPair other;
  char other_buf[8];
  const uint64_t other_id = 1000;
  ASSERT_EQ(backend.push(other_id, lio::Op::Recv(other.a, other_buf, sizeof other_buf)), 0);
  ASSERT_EQ(write(pair.b, "one", 3), 3);
  ASSERT_EQ(backend.push(id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  ASSERT_EQ(backend.result_of(id++), 3);
  for (int round = 0; round < 50; ++round) {
    // Waits first (drained), then the data comes.
    ASSERT_EQ(backend.push(id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
    backend.flush();
    EXPECT_TRUE(backend.wait(0).empty()) << "round " << round;
    ASSERT_EQ(write(pair.b, "ping", 4), 4);
    ASSERT_EQ(backend.result_of(id++), 4) << "round " << round;
    // The data comes while no recv is pushed (its report is taken by a
    // wait); the next recv reads it in its flush.
    ASSERT_EQ(write(pair.b, "pong!", 5), 5);
    EXPECT_TRUE(backend.wait(0).empty());
    ASSERT_EQ(backend.push(id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
    backend.flush();
    std::vector<lio_completion> batch = backend.wait(0);
    ASSERT_EQ(batch.size(), 1u) << "round " << round << ": the recv waited although data was there";
    EXPECT_EQ(batch[0].result, 5);
    EXPECT_EQ(std::string(buf, 5), "pong!");
    ++id;
  }
  ASSERT_EQ(backend.cancel(other_id), 0);
  EXPECT_EQ(backend.result_of(other_id), -LIO_ECANCELED);
  // End of stream after a short recv: the next recv sees it.
  close(pair.b);
  pair.b = -1;
  ASSERT_EQ(backend.push(id, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(id++), 0);

  SocketPair datagrams(SOCK_DGRAM);
  ASSERT_EQ(backend.push(id, lio::Op::Recv(datagrams.a, buf, sizeof buf)), 0);
  backend.flush();
  EXPECT_TRUE(backend.wait(0).empty());
  for (const char* message : {"first", "second"}) {
    ASSERT_EQ(write(datagrams.b, message, std::strlen(message)), static_cast<ssize_t>(std::strlen(message)));
  }
  EXPECT_EQ(backend.result_of(id++), 5);
  ASSERT_EQ(backend.push(id, lio::Op::Recv(datagrams.a, buf, sizeof buf)), 0);
  backend.flush();
  std::vector<lio_completion> batch = backend.wait(0);
  ASSERT_EQ(batch.size(), 1u) << "the second datagram waited instead of being read at once";
  EXPECT_EQ(batch[0].result, 6);
  EXPECT_EQ(std::string(buf, 6), "second");
}

// A poll for no events (hang-ups and errors only) waits with the readers
// but says nothing about data: a recv pushed while it waits must still be
// tried, or data that arrived while no recv waited (its edge reported and
// passed over) is never seen.
TEST(Sockets, RecvBesideAWaitingPollForNoEventsSeesDataAlreadyThere) {
  SocketPair pair;
  Backend backend;
  char buf[8];
  ASSERT_EQ(backend.push(1, lio::Op::Poll(pair.a, 0)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  backend.flush();
  EXPECT_TRUE(backend.wait(0).empty());
  ASSERT_EQ(write(pair.b, "x", 1), 1);
  EXPECT_EQ(backend.result_of(2), 1);
  // Data arrives while only the poll waits; its report is taken and passed over.
  ASSERT_EQ(write(pair.b, "y", 1), 1);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(backend.wait(2 * kMs).empty());
  ASSERT_EQ(backend.push(3, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(3), 1);
  EXPECT_EQ(buf[0], 'y');
  EXPECT_FALSE(backend.done(1));
  ASSERT_EQ(backend.cancel(1), 0);
  EXPECT_EQ(backend.result_of(1), -LIO_ECANCELED);
}

// The idle records of many handles, more than the capacity: the oldest are
// dropped (and their registrations forgotten) to make room.
TEST(Sockets, MoreHandlesThanCapacityOverTime) {
  Backend backend(4);
  std::vector<std::unique_ptr<SocketPair>> pairs;
  for (int i = 0; i < 16; ++i) pairs.push_back(std::make_unique<SocketPair>());
  char buf[8];
  uint64_t id = 1;
  for (int round = 0; round < 3; ++round) {
    for (auto& pair : pairs) {
      ASSERT_EQ(backend.push(id, lio::Op::Recv(pair->a, buf, sizeof buf)), 0);
      backend.flush();
      ASSERT_EQ(write(pair->b, "x", 1), 1);
      ASSERT_EQ(backend.result_of(id++), 1);
    }
  }
}

TEST(Pipes, ReadWaitsForDataAndLeavesThePipeBlocking) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  Backend backend;
  char buf[8];
  ASSERT_EQ(backend.push(1, lio::Op::Read(p[0], buf, sizeof buf)), 0);
  backend.flush();
  backend.wait(10 * kMs);
  EXPECT_FALSE(backend.done(1));
  ASSERT_EQ(write(p[1], "pipe", 4), 4);
  EXPECT_EQ(backend.result_of(1), 4);
  EXPECT_EQ(std::string(buf, 4), "pipe");
  EXPECT_TRUE(IsBlocking(p[0]));

  // A write bigger than the pipe completes whole, as a blocking write does.
  std::string big(1 << 20, 'p');
  ASSERT_EQ(backend.push(2, lio::Op::Write(p[1], big.data(), big.size())), 0);
  std::string received;
  std::thread reader([&] { received = ReadExactly(p[0], big.size()); });
  EXPECT_EQ(backend.result_of(2), static_cast<int64_t>(big.size()));
  reader.join();
  EXPECT_TRUE(received == big);
  EXPECT_TRUE(IsBlocking(p[1]));
  close(p[0]);
  close(p[1]);
}

TEST(Files, RunOnWorkersWithBlockingResults) {
  std::string path = TempPath("poller_files");
  unlink(path.c_str());
  Backend backend(16, "workers=2");
  ASSERT_EQ(backend.push(1, lio::Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_RDWR | LIO_OPEN_CREATE, 0600)), 0);
  int64_t fd = backend.result_of(1);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(IsCloseOnExec(static_cast<int>(fd)));
  EXPECT_TRUE(IsBlocking(static_cast<int>(fd)));

  ASSERT_EQ(backend.push(2, lio::Op::Write(fd, "hello world", 11, 0)), 0);
  EXPECT_EQ(backend.result_of(2), 11);
  ASSERT_EQ(backend.push(3, lio::Op::Fsync(fd, true)), 0);
  EXPECT_EQ(backend.result_of(3), 0);
  char buf[16] = {};
  ASSERT_EQ(backend.push(4, lio::Op::Read(fd, buf, 5, 6)), 0);
  EXPECT_EQ(backend.result_of(4), 5);
  EXPECT_EQ(std::string(buf, 5), "world");

  char a[3] = {}, b[4] = {};
  lio_iovec iov[2] = {{a, 3}, {b, 4}};
  ASSERT_EQ(backend.push(5, lio::Op::Readv(fd, iov, 2, 2)), 0);
  EXPECT_EQ(backend.result_of(5), 7);
  EXPECT_EQ(std::string(a, 3) + std::string(b, 4), "llo wor");

  // At the file position (a regular file is sent to a worker too).
  ASSERT_EQ(backend.push(6, lio::Op::Read(fd, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(6), 11);
  ASSERT_EQ(backend.push(7, lio::Op::Read(fd, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(7), 0) << "end of file";

  ASSERT_EQ(backend.push(8, lio::Op::Close(fd)), 0);
  EXPECT_EQ(backend.result_of(8), 0);
  ASSERT_EQ(backend.push(9, lio::Op::Read(fd, buf, 1, 0)), 0);
  EXPECT_EQ(backend.result_of(9), -LIO_EBADF);
  ASSERT_EQ(backend.push(10, lio::Op::Openat(LIO_AT_FDCWD, (path + ".missing").c_str(), LIO_OPEN_RDONLY)), 0);
  EXPECT_EQ(backend.result_of(10), -LIO_ENOENT);
  ASSERT_EQ(backend.push(11, lio::Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_CREATE | LIO_OPEN_EXCL)), 0);
  EXPECT_EQ(backend.result_of(11), -LIO_EEXIST);
  unlink(path.c_str());
}

TEST(Timers, CompleteInDeadlineOrderNotEarlier) {
  Backend backend;
  auto start = Clock::now();
  ASSERT_EQ(backend.push(30, lio::Op::Timeout(30 * kMs)), 0);
  ASSERT_EQ(backend.push(10, lio::Op::Timeout(10 * kMs)), 0);
  ASSERT_EQ(backend.push(20, lio::Op::Timeout(20 * kMs)), 0);
  std::map<uint64_t, Clock::duration> when;
  while (when.size() < 3) {
    for (const lio_completion& c : backend.wait(-1)) {
      EXPECT_EQ(c.result, -LIO_ETIME);
      when[c.id] = Clock::now() - start;
    }
  }
  EXPECT_EQ(backend.order(), (std::vector<uint64_t>{10, 20, 30}));
  for (auto& [id, elapsed] : when) EXPECT_GE(elapsed, milliseconds(id)) << id;
}

TEST(Timers, AbsoluteDeadlinesAndThePast) {
  Backend backend;
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  ASSERT_EQ(backend.push(1, lio::Op::TimeoutAt(now + 15 * kMs)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::TimeoutAt(now - kMs)), 0);
  ASSERT_EQ(backend.push(3, lio::Op::Timeout(-5)), 0);
  EXPECT_EQ(backend.result_of(2), -LIO_ETIME);
  EXPECT_EQ(backend.result_of(3), -LIO_ETIME);
  EXPECT_EQ(backend.result_of(1), -LIO_ETIME);
  int64_t after = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  EXPECT_GE(after, now + 15 * kMs);
}

// A sub-millisecond timer neither waits a whole millisecond nor busy-loops.
TEST(Timers, SubMillisecondPrecision) {
  Backend backend;
  auto start = Clock::now();
  ASSERT_EQ(backend.push(1, lio::Op::Timeout(300'000)), 0);
  int waits = 0;
  while (!backend.done(1)) {
    backend.wait(-1);
    ++waits;
  }
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::microseconds(300));
  EXPECT_LT(elapsed, milliseconds(50));
  EXPECT_LE(waits, 3) << "waited in a loop instead of sleeping";
}

TEST(Wait, TimeoutSemantics) {
  Backend backend;
  auto start = Clock::now();
  EXPECT_TRUE(backend.wait(0).empty());
  EXPECT_LT(Clock::now() - start, milliseconds(20));
  start = Clock::now();
  EXPECT_TRUE(backend.wait(kMs).empty());
  EXPECT_GE(Clock::now() - start, milliseconds(1)) << "a 1 ms wait returned early";
  start = Clock::now();
  EXPECT_TRUE(backend.wait(20 * kMs).empty());
  EXPECT_GE(Clock::now() - start, milliseconds(20));
}

TEST(Cancel, QueuedWaitingAndTimerOpsCompleteAtOnce) {
  SocketPair pair;
  Backend backend;
  char buf[4];
  EXPECT_EQ(backend.cancel(99), -LIO_ENOENT);
  ASSERT_EQ(backend.push(1, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  ASSERT_EQ(backend.push(2, lio::Op::Timeout(10'000 * kMs)), 0);
  backend.flush();
  ASSERT_EQ(backend.push(3, lio::Op::Nop()), 0);  // pushed, not flushed
  EXPECT_EQ(backend.cancel(1), 0);
  EXPECT_EQ(backend.cancel(2), 0);
  EXPECT_EQ(backend.cancel(3), 0);
  backend.wait(0);
  EXPECT_EQ(backend.result_of(1), -LIO_ECANCELED);
  EXPECT_EQ(backend.result_of(2), -LIO_ECANCELED);
  EXPECT_EQ(backend.result_of(3), -LIO_ECANCELED);
  EXPECT_EQ(backend.cancel(1), -LIO_ENOENT);
  // The socket still works after its waiter left.
  ASSERT_EQ(write(pair.b, "ok", 2), 2);
  ASSERT_EQ(backend.push(4, lio::Op::Recv(pair.a, buf, sizeof buf)), 0);
  EXPECT_EQ(backend.result_of(4), 2);
}

// True once some thread of this process is blocked inside system call `nr`
// (read from /proc/self/task/*/syscall), waiting up to 5 s. A fixed sleep is
// not enough on a loaded machine.
bool SomeThreadBlocksIn(long nr) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream in(task.path() / "syscall");
      long current = -1;
      if (in >> current && current == nr) return true;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  return false;
}

// With one worker held by an openat of a FIFO nobody writes, a queued file
// op is dropped by cancel at once; the running one completes with its real
// result once it can.
TEST(Cancel, WorkerOpsCompleteExactlyOnce) {
  std::string fifo = TempPath("poller_fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string file = TempPath("poller_cancel_file");
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);

  Backend backend(8, "workers=1");
  ASSERT_EQ(backend.push(1, lio::Op::Openat(LIO_AT_FDCWD, fifo.c_str(), LIO_OPEN_RDONLY)), 0);
  // A write: a read of a cached file would not need the worker at all.
  ASSERT_EQ(backend.push(2, lio::Op::Write(fd, "abcd", 4, 0)), 0);
  backend.flush();
  ASSERT_TRUE(SomeThreadBlocksIn(SYS_openat)) << "the worker never entered openat";
  EXPECT_EQ(backend.cancel(2), 0);
  EXPECT_EQ(backend.cancel(1), 0);
  backend.wait(0);
  EXPECT_EQ(backend.result_of(2), -LIO_ECANCELED) << "a queued worker op is dropped at once";
  EXPECT_FALSE(backend.done(1)) << "a running openat cannot be interrupted";
  // Non-blocking: succeeds because the worker is the FIFO's reader, and lets
  // its openat return; fails (ENXIO) rather than hangs if it is not.
  int writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  int64_t opened = backend.result_of(1);
  EXPECT_GE(opened, 0) << "the started op completes with its real result";
  if (opened >= 0) close(static_cast<int>(opened));
  close(writer);
  close(fd);
  unlink(fifo.c_str());
  unlink(file.c_str());
}

// Reads at an offset that the page cache can answer complete on the
// backend's thread: here the only worker is stuck in a FIFO's openat, and
// they still complete, each with what pread would return. A read at the file
// position still needs the worker.
TEST(Files, CachedReadsAtAnOffsetNeedNoWorker) {
  std::string fifo = TempPath("poller_cached_fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string file = TempPath("poller_cached_file");
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello world", 11), 11);  // now in the page cache
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);

  Backend backend(8, "workers=1");
  ASSERT_EQ(backend.push(1, lio::Op::Openat(LIO_AT_FDCWD, fifo.c_str(), LIO_OPEN_RDONLY)), 0);
  backend.flush();
  ASSERT_TRUE(SomeThreadBlocksIn(SYS_openat)) << "the worker never entered openat";

  char buf[64] = {};
  ASSERT_EQ(backend.push(2, lio::Op::Read(fd, buf, 5, 6)), 0);
  EXPECT_EQ(backend.result_of(2), 5);
  EXPECT_EQ(std::string(buf, 5), "world");
  ASSERT_EQ(backend.push(3, lio::Op::Read(fd, buf, sizeof buf, 0)), 0);
  EXPECT_EQ(backend.result_of(3), 11) << "short only at the end of the file, as pread";
  ASSERT_EQ(backend.push(4, lio::Op::Read(fd, buf, sizeof buf, 11)), 0);
  EXPECT_EQ(backend.result_of(4), 0) << "end of file";
  char a[3] = {}, b[4] = {};
  lio_iovec iov[2] = {{a, 3}, {b, 4}};
  ASSERT_EQ(backend.push(5, lio::Op::Readv(fd, iov, 2, 2)), 0);
  EXPECT_EQ(backend.result_of(5), 7);
  EXPECT_EQ(std::string(a, 3) + std::string(b, 4), "llo wor");

  ASSERT_EQ(backend.push(6, lio::Op::Read(fd, buf, 4)), 0);  // at the file position
  backend.wait(0);
  EXPECT_FALSE(backend.done(6)) << "waits for the worker, which is busy";
  // Non-blocking: lets the worker's openat return (see WorkerOpsCompleteExactlyOnce).
  int writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  int64_t opened = backend.result_of(1);
  EXPECT_GE(opened, 0);
  EXPECT_EQ(backend.result_of(6), 4);
  if (opened >= 0) close(static_cast<int>(opened));
  close(writer);
  close(fd);
  unlink(fifo.c_str());
  unlink(file.c_str());
}

TEST(Wake, FromAnotherThreadAndBeforeWait) {
  Backend backend;
  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(30));
    EXPECT_EQ(backend.wake(), 0);
  });
  auto start = Clock::now();
  EXPECT_TRUE(backend.wait(-1).empty());
  EXPECT_GE(Clock::now() - start, milliseconds(20));
  waker.join();

  EXPECT_EQ(backend.wake(), 0);
  start = Clock::now();
  EXPECT_TRUE(backend.wait(-1).empty()) << "a wake before wait makes the next wait return";
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

TEST(Capacity, HonouredAndFreedByReaping) {
  Backend backend(4);
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_EQ(backend.push(id, lio::Op::Timeout(10'000 * kMs)), 0);
  EXPECT_EQ(backend.push(5, lio::Op::Nop()), -LIO_EAGAIN);
  ASSERT_EQ(backend.cancel(1), 0);
  EXPECT_EQ(backend.push(5, lio::Op::Nop()), -LIO_EAGAIN) << "room comes back when wait returns the op";
  EXPECT_EQ(backend.result_of(1), -LIO_ECANCELED);
  EXPECT_EQ(backend.push(5, lio::Op::Nop()), 0);
  EXPECT_EQ(backend.result_of(5), 0);
  for (uint64_t id = 2; id <= 4; ++id) backend.cancel(id);
  for (uint64_t id = 2; id <= 4; ++id) EXPECT_EQ(backend.result_of(id), -LIO_ECANCELED);
}

// Many handles, many ops, each completes once (the helper checks).
TEST(ExactlyOnce, ManySocketsAtOnce) {
  constexpr int kPairs = 40;
  std::vector<SocketPair> pairs(kPairs);
  Backend backend(256);
  std::vector<std::array<char, 8>> bufs(kPairs);
  for (int i = 0; i < kPairs; ++i) ASSERT_EQ(backend.push(i, lio::Op::Recv(pairs[i].a, bufs[i].data(), 8)), 0);
  backend.flush();
  for (int i = 0; i < kPairs; ++i) ASSERT_EQ(backend.push(1000 + i, lio::Op::Send(pairs[i].b, "12345678", 8)), 0);
  for (int i = 0; i < kPairs; ++i) {
    EXPECT_EQ(backend.result_of(i), 8);
    EXPECT_EQ(backend.result_of(1000 + i), 8);
  }
}

TEST(Destroy, WithOpsInFlightTouchesNothingAfterwards) {
  SocketPair pair;
  std::string path = TempPath("poller_destroy");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  auto* buf = new char[64];
  {
    Backend backend(16, "workers=1");
    ASSERT_EQ(backend.push(1, lio::Op::Recv(pair.a, buf, 64)), 0);
    ASSERT_EQ(backend.push(2, lio::Op::Timeout(10'000 * kMs)), 0);
    for (uint64_t id = 3; id < 10; ++id) ASSERT_EQ(backend.push(id, lio::Op::Read(fd, buf, 64, 0)), 0);
    ASSERT_EQ(backend.push(10, lio::Op::Socket(AF_INET, SOCK_STREAM)), 0);  // completes, never delivered
    backend.flush();
    backend.destroy();
  }
  delete[] buf;  // ASan reports any later touch
  ASSERT_EQ(write(pair.b, "late", 4), 4);
  std::this_thread::sleep_for(milliseconds(10));
  close(fd);
  unlink(path.c_str());
}

}  // namespace
