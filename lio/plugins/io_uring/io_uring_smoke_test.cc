// Quick self-check of liblio_io_uring.so: loads the built plugin with dlopen
// and drives its vtable directly. The conformance suite in lio/testing is the
// full proof; this covers the paths specific to io_uring.
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "lio/core/plugin_abi.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string PluginPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  std::string relative = "lio/plugins/io_uring/liblio_io_uring.so";
  if (srcdir == nullptr) return relative;
  return std::string(srcdir) + "/" + (workspace != nullptr ? workspace : "lio") + "/" + relative;
}

// The vtable the plugin registers, loaded once for the whole test binary.
const lio_backend_vtable* Vtable() {
  static const lio_backend_vtable* vtable = [] {
    void* library = dlopen(PluginPath().c_str(), RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(library, nullptr) << dlerror();
    if (library == nullptr) return static_cast<const lio_backend_vtable*>(nullptr);
    auto entry = reinterpret_cast<lio_plugin_register_fn>(dlsym(library, LIO_PLUGIN_REGISTER_SYMBOL));
    EXPECT_NE(entry, nullptr);
    static const lio_backend_vtable* registered = nullptr;
    lio_registrar registrar{};
    registrar.struct_size = sizeof registrar;
    registrar.abi_version = LIO_ABI_VERSION;
    registrar.register_backend = [](void*, const lio_backend_vtable* v) {
      registered = v;
      return 0;
    };
    EXPECT_EQ(entry(&registrar), 0);
    return registered;
  }();
  return vtable;
}

lio_op MakeOp(uint32_t code) {
  lio_op op{};
  op.struct_size = sizeof op;
  op.abi_version = LIO_ABI_VERSION;
  op.code = code;
  return op;
}

lio_op Recv(int fd, void* buf, size_t len) {
  lio_op op = MakeOp(LIO_OP_RECV);
  op.handle = fd;
  op.u.sr.buf = buf;
  op.u.sr.len = len;
  return op;
}

lio_op Timeout(std::chrono::nanoseconds after) {
  lio_op op = MakeOp(LIO_OP_TIMEOUT);
  op.u.timeout.ns = after.count();
  return op;
}

// One backend instance for the length of a test.
class Backend {
 public:
  explicit Backend(uint32_t capacity = 64, const char* options = nullptr) {
    lio_backend_config config{};
    config.struct_size = sizeof config;
    config.abi_version = LIO_ABI_VERSION;
    config.capacity = capacity;
    config.options = options;
    created_ = vt()->create(&config, &impl_);
  }
  ~Backend() {
    if (created_ == 0) vt()->destroy(impl_);
  }
  int created() const { return created_; }
  const lio_backend_vtable* vt() const { return Vtable(); }

  int push(uint64_t id, const lio_op& op) { return vt()->push(impl_, id, &op); }
  int flush() { return vt()->flush(impl_); }
  int cancel(uint64_t id) { return vt()->cancel(impl_, id); }
  int wake() { return vt()->wake(impl_); }
  std::vector<lio_completion> wait(int64_t timeout_ns = -1) {
    const lio_completion* out = nullptr;
    int n = vt()->wait(impl_, timeout_ns, &out);
    EXPECT_GE(n, 0);
    if (n <= 0) return {};
    return std::vector<lio_completion>(out, out + n);
  }
  // Waits until `count` completions arrived; each id at most once.
  std::map<uint64_t, int64_t> collect(size_t count) {
    std::map<uint64_t, int64_t> results;
    while (results.size() < count) {
      for (const lio_completion& c : wait()) {
        EXPECT_TRUE(results.emplace(c.id, c.result).second) << "id " << c.id << " completed twice";
      }
    }
    return results;
  }
  int64_t run_one(uint64_t id, const lio_op& op) {
    EXPECT_EQ(push(id, op), 0);
    auto results = collect(1);
    EXPECT_EQ(results.count(id), 1u);
    return results[id];
  }

 private:
  lio_backend* impl_ = nullptr;
  int created_ = -1;
};

struct SocketPair {
  int fd[2] = {-1, -1};
  explicit SocketPair(int type = SOCK_STREAM) { EXPECT_EQ(socketpair(AF_UNIX, type, 0, fd), 0); }
  ~SocketPair() {
    close(fd[0]);
    close(fd[1]);
  }
};

// Ring behaviour, with the default setup flags and with the plain ones that
// kernels before 6.1 get (single_issuer=0 selects the same code path).
class IoUringRing : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(SetupFlags, IoUringRing, ::testing::Values("", "single_issuer=0"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param[0] == '\0' ? "Default" : "PlainFlags");
                         });

TEST(IoUringPlugin, RegistersOneBackendWithEveryOp) {
  const lio_backend_vtable* vt = Vtable();
  ASSERT_NE(vt, nullptr);
  EXPECT_STREQ(vt->name, "io_uring");
  EXPECT_EQ(vt->priority, 100);
  EXPECT_EQ(vt->capabilities & LIO_CAP_OPS_1_0, LIO_CAP_OPS_1_0) << "every 1.0 op";
  // 1.1, issue 14: multishot accept/recv and send_zc, with buffer groups.
  const uint64_t multishot = LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
  EXPECT_EQ(vt->capabilities & multishot, multishot);
  EXPECT_NE(vt->features & LIO_FEATURE_BUFFER_GROUPS, 0u);
  EXPECT_EQ(LIO_ABI_MAJOR(vt->abi_version), LIO_ABI_VERSION_MAJOR);
}

TEST(IoUringPlugin, ProbePassesHere) {
  char why[256] = "unset";
  EXPECT_EQ(Vtable()->probe(why, sizeof why), 0) << why;
}

TEST(IoUringPlugin, ForcedProbeFailureSaysWhy) {
  setenv("LIO_IO_URING_FORCE_PROBE_FAILURE", "1", 1);
  char why[256] = "";
  int result = Vtable()->probe(why, sizeof why);
  unsetenv("LIO_IO_URING_FORCE_PROBE_FAILURE");
  EXPECT_EQ(result, -LIO_ENOSYS);
  EXPECT_NE(std::strstr(why, "LIO_IO_URING_FORCE_PROBE_FAILURE"), nullptr) << why;
  // Empty means unset.
  setenv("LIO_IO_URING_FORCE_PROBE_FAILURE", "", 1);
  EXPECT_EQ(Vtable()->probe(why, sizeof why), 0) << why;
  unsetenv("LIO_IO_URING_FORCE_PROBE_FAILURE");
}

TEST(IoUringPlugin, CreateChecksConfig) {
  EXPECT_EQ(Backend(8, "").created(), 0);
  EXPECT_EQ(Backend(8, nullptr).created(), 0);
  EXPECT_EQ(Backend(8, "bogus=1").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(8, "bogus").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(8, "single_issuer=0").created(), 0);
  EXPECT_EQ(Backend(8, "single_issuer=1").created(), 0);
  EXPECT_EQ(Backend(8, "single_issuer=2").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(8, "single_issuer=0,bogus=1").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(0).created(), -LIO_EINVAL);
  EXPECT_EQ(Backend((uint32_t{1} << 24) + 1).created(), -LIO_EINVAL);
}

TEST_P(IoUringRing, NopCompletesWithZero) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  ASSERT_EQ(b.push(7, MakeOp(LIO_OP_NOP)), 0);
  EXPECT_EQ(b.flush(), 1);
  EXPECT_EQ(b.flush(), 0);  // nothing queued: no submit
  auto done = b.collect(1);
  EXPECT_EQ(done[7], 0);
}

TEST(IoUringPlugin, PushRejectsMalformedOps) {
  Backend b;
  ASSERT_EQ(b.created(), 0);
  lio_op op = MakeOp(LIO_OP_COUNT);
  EXPECT_EQ(b.push(1, op), -LIO_EINVAL);
  op = MakeOp(LIO_OP_NOP);
  op.abi_version = (LIO_ABI_VERSION_MAJOR + 1) << 16;
  EXPECT_EQ(b.push(1, op), -LIO_EINVAL);
  op = MakeOp(LIO_OP_NOP);
  op.struct_size = 4;
  EXPECT_EQ(b.push(1, op), -LIO_EINVAL);
  op = MakeOp(LIO_OP_NOP);
  op.flags = 0x80;
  EXPECT_EQ(b.push(1, op), -LIO_EINVAL);
  EXPECT_EQ(b.flush(), 0);
}

TEST_P(IoUringRing, FileWriteThenReadAtAnOffset) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/smoke_XXXXXX";
  int fd = mkstemp(path.data());
  ASSERT_GE(fd, 0);
  unlink(path.c_str());
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);

  char text[] = "hello";
  lio_op write = MakeOp(LIO_OP_WRITE);
  write.handle = fd;
  write.u.rw = {text, 5, 100};
  EXPECT_EQ(b.run_one(1, write), 5);

  char back[8] = {};
  lio_op read = MakeOp(LIO_OP_READ);
  read.handle = fd;
  read.u.rw = {back, sizeof back, 100};
  EXPECT_EQ(b.run_one(2, read), 5);
  EXPECT_STREQ(back, "hello");

  // LIO_OFFSET_CURRENT reads from the file position, and advances it.
  ASSERT_EQ(lseek(fd, 101, SEEK_SET), 101);
  std::memset(back, 0, sizeof back);
  read.u.rw = {back, 2, LIO_OFFSET_CURRENT};
  EXPECT_EQ(b.run_one(3, read), 2);
  EXPECT_STREQ(back, "el");
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 103);
  close(fd);
}

TEST_P(IoUringRing, CompletedReadLeavesItsBufferAlone) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/smoke_XXXXXX";
  int fd = mkstemp(path.data());
  ASSERT_GE(fd, 0);
  unlink(path.c_str());
  std::vector<char> content(4096, 'r');
  ASSERT_EQ(write(fd, content.data(), content.size()), 4096);
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  std::vector<char> buf(4096);
  lio_op read = MakeOp(LIO_OP_READ);
  read.handle = fd;
  read.u.rw = {buf.data(), buf.size(), 0};
  EXPECT_EQ(b.run_one(1, read), 4096);
  std::fill(buf.begin(), buf.end(), '#');
  EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(50)).count()).empty());
  size_t changed = std::count_if(buf.begin(), buf.end(), [](char c) { return c != '#'; });
  EXPECT_EQ(changed, 0u) << "first changed byte at " << (std::find_if(buf.begin(), buf.end(), [](char c) { return c != '#'; }) - buf.begin());
  close(fd);
}

TEST_P(IoUringRing, OpenatAndSocketHandlesAreCloseOnExec) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/smoke_open";
  lio_op open = MakeOp(LIO_OP_OPENAT);
  open.handle = LIO_AT_FDCWD;
  open.u.open = {path.c_str(), LIO_OPEN_RDWR | LIO_OPEN_CREATE | LIO_OPEN_TRUNC, 0644};
  int64_t fd = b.run_one(1, open);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(static_cast<int>(fd), F_GETFD) & FD_CLOEXEC);
  lio_op close_op = MakeOp(LIO_OP_CLOSE);
  close_op.handle = fd;
  EXPECT_EQ(b.run_one(2, close_op), 0);
  unlink(path.c_str());

  lio_op socket = MakeOp(LIO_OP_SOCKET);
  socket.u.socket = {AF_INET, SOCK_STREAM, 0};
  int64_t sock = b.run_one(3, socket);
  ASSERT_GE(sock, 0);
  EXPECT_TRUE(fcntl(static_cast<int>(sock), F_GETFD) & FD_CLOEXEC);
  close(static_cast<int>(sock));
}

TEST_P(IoUringRing, TimeoutExpiresWithEtime) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  auto start = Clock::now();
  EXPECT_EQ(b.run_one(1, Timeout(std::chrono::milliseconds(20))), -LIO_ETIME);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(20));

  lio_op absolute = Timeout(Clock::now().time_since_epoch() + std::chrono::milliseconds(10));
  absolute.flags = LIO_TIMEOUT_ABSOLUTE;
  start = Clock::now();
  EXPECT_EQ(b.run_one(2, absolute), -LIO_ETIME);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(5));
}

TEST_P(IoUringRing, WaitWithTimeoutReturnsEmptyInTime) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  EXPECT_TRUE(b.wait(0).empty());
  auto start = Clock::now();
  EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(20)).count()).empty());
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(20));
  EXPECT_LT(waited, std::chrono::seconds(2));
}

TEST_P(IoUringRing, CancelOfAPendingRecvCompletesItOnce) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  char buf[16];
  ASSERT_EQ(b.push(1, Recv(pair.fd[0], buf, sizeof buf)), 0);
  ASSERT_EQ(b.flush(), 1);
  EXPECT_TRUE(b.wait(0).empty());
  EXPECT_EQ(b.cancel(1), 0);
  EXPECT_EQ(b.cancel(1), 0);  // asking twice must not complete it twice
  auto done = b.collect(1);
  EXPECT_EQ(done[1], -LIO_ECANCELED);
  EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(20)).count()).empty());
  EXPECT_EQ(b.cancel(1), -LIO_ENOENT);
}

TEST_P(IoUringRing, CancelBeforeFlushStillCancels) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  char buf[16];
  ASSERT_EQ(b.push(1, Recv(pair.fd[0], buf, sizeof buf)), 0);
  ASSERT_EQ(b.push(2, Timeout(std::chrono::seconds(30))), 0);
  EXPECT_EQ(b.cancel(1), 0);
  EXPECT_EQ(b.cancel(2), 0);
  auto done = b.collect(2);
  EXPECT_EQ(done[1], -LIO_ECANCELED);
  EXPECT_EQ(done[2], -LIO_ECANCELED);
}

TEST_P(IoUringRing, RecvSeesDataSentLater) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  char buf[16] = {};
  ASSERT_EQ(b.push(1, Recv(pair.fd[0], buf, sizeof buf)), 0);
  ASSERT_EQ(b.flush(), 1);
  EXPECT_TRUE(b.wait(0).empty());
  ASSERT_EQ(write(pair.fd[1], "abc", 3), 3);
  EXPECT_EQ(b.collect(1)[1], 3);
  EXPECT_STREQ(buf, "abc");
}

TEST_P(IoUringRing, PollReportsReadiness) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  ASSERT_EQ(write(pair.fd[1], "x", 1), 1);
  lio_op poll = MakeOp(LIO_OP_POLL);
  poll.handle = pair.fd[0];
  poll.u.poll.events = LIO_POLL_IN;
  int64_t events = b.run_one(1, poll);
  EXPECT_TRUE(events & LIO_POLL_IN) << events;
}

TEST_P(IoUringRing, RecvmsgWritesBackNameAndFlags) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  int receiver = socket(AF_INET, SOCK_DGRAM, 0);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(receiver, reinterpret_cast<sockaddr*>(&address), &length), 0);
  char payload[] = "a datagram longer than the buffer";
  ASSERT_EQ(sendto(sender, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&address), sizeof address),
            static_cast<ssize_t>(sizeof payload));

  char small[4];
  lio_iovec iov{small, sizeof small};
  sockaddr_in from{};
  lio_msghdr msg{};
  msg.name = &from;
  msg.namelen = 128;  // larger than the address: the backend writes the real size back
  msg.iov = &iov;
  msg.iovcnt = 1;
  lio_op recvmsg = MakeOp(LIO_OP_RECVMSG);
  recvmsg.handle = receiver;
  recvmsg.u.msg.msg = &msg;
  EXPECT_EQ(b.run_one(1, recvmsg), static_cast<int64_t>(sizeof small));
  EXPECT_EQ(msg.namelen, sizeof(sockaddr_in));
  EXPECT_TRUE(msg.flags & MSG_TRUNC);
  EXPECT_EQ(from.sin_family, AF_INET);
  close(receiver);
  close(sender);
}

TEST_P(IoUringRing, WakeFromAnotherThreadEndsABlockedWait) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(b.wake(), 0);
  });
  auto start = Clock::now();
  EXPECT_TRUE(b.wait(-1).empty());
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(40));
  waker.join();
  // The wake was consumed: the next timed wait sleeps its full time.
  EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(10)).count()).empty());
}

TEST_P(IoUringRing, WakeBeforeWaitMakesTheNextWaitReturn) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  EXPECT_EQ(b.wake(), 0);
  EXPECT_EQ(b.wake(), 0);
  EXPECT_TRUE(b.wait(-1).empty());
  EXPECT_EQ(b.wake(), 0);
  EXPECT_TRUE(b.wait(INT64_MAX).empty()) << "the longest timeout is no overflow";
}

TEST_P(IoUringRing, CapacityIsHonoured) {
  Backend b(2, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  char buf[2][8];
  ASSERT_EQ(b.push(1, Recv(pair.fd[0], buf[0], 8)), 0);
  EXPECT_EQ(b.push(1, Recv(pair.fd[0], buf[1], 8)), -LIO_EEXIST);
  ASSERT_EQ(b.push(2, Recv(pair.fd[0], buf[1], 8)), 0);
  EXPECT_EQ(b.push(3, MakeOp(LIO_OP_NOP)), -LIO_EAGAIN);
  EXPECT_EQ(b.flush(), 2);
  EXPECT_EQ(b.cancel(1), 0);
  EXPECT_EQ(b.cancel(2), 0);
  auto done = b.collect(2);
  EXPECT_EQ(done[1], -LIO_ECANCELED);
  EXPECT_EQ(done[2], -LIO_ECANCELED);
  EXPECT_EQ(b.push(3, MakeOp(LIO_OP_NOP)), 0);
  EXPECT_EQ(b.collect(1)[3], 0);
}

TEST_P(IoUringRing, DestroyWithOpsInFlightReturns) {
  SocketPair pair;
  char buf[3][8];
  {
    Backend b(8, GetParam());
    ASSERT_EQ(b.created(), 0);
    ASSERT_EQ(b.push(1, Recv(pair.fd[0], buf[0], 8)), 0);
    ASSERT_EQ(b.push(2, Timeout(std::chrono::hours(1))), 0);
    ASSERT_EQ(b.flush(), 2);
    ASSERT_EQ(b.push(3, Recv(pair.fd[0], buf[1], 8)), 0);  // never flushed
  }
  // Nothing of the destroyed instance still reads the socket.
  ASSERT_EQ(write(pair.fd[1], "abc", 3), 3);
  char check[8];
  EXPECT_EQ(read(pair.fd[0], check, sizeof check), 3);
}

// openat of a FIFO waits for the other end, as open(2) does. The wait sits in
// an io-wq worker: cancel and destroy must interrupt it, and the interrupted
// open reads -ECANCELED (not the kernel-internal -ERESTARTSYS).
TEST_P(IoUringRing, OpenOfAFifoWaitsAndCancelInterruptsIt) {
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/smoke_fifo";
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  Clock::time_point start;
  {
    Backend b(64, GetParam());
    ASSERT_EQ(b.created(), 0);
    lio_op open = MakeOp(LIO_OP_OPENAT);
    open.handle = LIO_AT_FDCWD;
    open.u.open = {path.c_str(), LIO_OPEN_RDONLY, 0};
    ASSERT_EQ(b.push(1, open), 0);
    ASSERT_EQ(b.flush(), 1);
    EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(50)).count()).empty())
        << "a FIFO reader must wait for a writer";
    EXPECT_EQ(b.cancel(1), 0);
    EXPECT_EQ(b.collect(1)[1], -LIO_ECANCELED) << "cancel interrupts the open";
    ASSERT_EQ(b.push(2, open), 0);
    ASSERT_EQ(b.flush(), 1);
    EXPECT_TRUE(b.wait(std::chrono::nanoseconds(std::chrono::milliseconds(20)).count()).empty());
    start = Clock::now();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3)) << "destroy interrupts the open";
  unlink(path.c_str());
}

// single_issuer=0: created here, driven by another thread, destroyed here.
TEST(IoUringPlugin, PlainRingCanBeDrivenFromAnotherThread) {
  Backend b(8, "single_issuer=0");
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  char buf[8];
  std::thread worker([&] {
    ASSERT_EQ(b.push(1, MakeOp(LIO_OP_NOP)), 0);
    EXPECT_EQ(b.collect(1)[1], 0);
    ASSERT_EQ(b.push(2, Recv(pair.fd[0], buf, sizeof buf)), 0);
    EXPECT_EQ(b.flush(), 1);
  });
  worker.join();
  // Destroyed on this thread with the recv still in flight.
}

// With capacity > 16383 the SQ cannot hold a cancel for every op: cancel has
// to submit to make room, and every op must still complete exactly once.
TEST(IoUringPlugin, CancelSubmitsWhenTheSqIsFull) {
  constexpr uint32_t kOps = 16385;
  Backend b(kOps);
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  std::vector<char> buf(kOps);
  for (uint32_t i = 0; i < kOps; ++i) ASSERT_EQ(b.push(i, Recv(pair.fd[0], &buf[i], 1)), 0);
  for (uint32_t i = 0; i < kOps; ++i) ASSERT_EQ(b.cancel(i), 0);
  auto done = b.collect(kOps);
  for (uint32_t i = 0; i < kOps; ++i) ASSERT_EQ(done[i], -LIO_ECANCELED) << i;
}

// Past capacity 32767 the SQ (32768 entries) cannot hold every queued op and
// the CQ (65536) cannot hold every completion. push submits when the SQ is
// full, and completions beyond the CQ wait on the kernel's overflow list:
// every op still completes exactly once.
TEST_P(IoUringRing, CapacityBeyondTheRingSizes) {
  constexpr uint32_t kOps = 70000;
  Backend b(kOps, GetParam());
  ASSERT_EQ(b.created(), 0);
  for (uint32_t i = 0; i < kOps; ++i) ASSERT_EQ(b.push(i, MakeOp(LIO_OP_NOP)), 0) << i;
  EXPECT_EQ(b.push(kOps, MakeOp(LIO_OP_NOP)), -LIO_EAGAIN) << "capacity is still the limit";
  EXPECT_GT(b.flush(), 0) << "the ops pushed after the last full SQ";
  auto done = b.collect(kOps);
  ASSERT_EQ(done.size(), kOps);
  for (uint32_t i = 0; i < kOps; ++i) ASSERT_EQ(done[i], 0) << i;
  EXPECT_TRUE(b.wait(0).empty()) << "nothing completes twice";
}

}  // namespace
