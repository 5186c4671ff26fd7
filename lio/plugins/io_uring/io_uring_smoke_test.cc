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
#include <sys/utsname.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "lio/core/plugin_abi.h"

namespace {

using Clock = std::chrono::steady_clock;

// The 1.1 file-system codes this backend declares.
constexpr uint64_t kFsCodes = LIO_CAP(LIO_OP_FTRUNCATE) | LIO_CAP(LIO_OP_LINKAT) | LIO_CAP(LIO_OP_SYMLINKAT) |
                              LIO_CAP(LIO_OP_RENAMEAT) | LIO_CAP(LIO_OP_UNLINKAT) | LIO_CAP(LIO_OP_MKDIRAT) |
                              LIO_CAP(LIO_OP_STATX) | LIO_CAP(LIO_OP_FALLOCATE) | LIO_CAP(LIO_OP_FADVISE);

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

// Ring behaviour, with the default setup flags, with the plain ones that
// kernels before 6.1 get (single_issuer=0 selects the same code path), and
// with SQPOLL (a kernel thread takes the SQEs; idle after 1 ms in the last,
// so flushes find it asleep and must wake it).
class IoUringRing : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(SetupFlags, IoUringRing,
                         ::testing::Values("", "single_issuer=0", "sqpoll=1", "sqpoll=1,sqpoll_idle_ms=1"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           const std::string options = info.param;
                           if (options.empty()) return std::string("Default");
                           if (options == "single_issuer=0") return std::string("PlainFlags");
                           return std::string(options.find("idle") == std::string::npos ? "Sqpoll" : "SqpollIdle1ms");
                         });

TEST(IoUringPlugin, RegistersOneBackendWithEveryOp) {
  const lio_backend_vtable* vt = Vtable();
  ASSERT_NE(vt, nullptr);
  EXPECT_STREQ(vt->name, "io_uring");
  EXPECT_EQ(vt->priority, 100);
  // Every 1.0 op, and the 1.1 socket/pipe/process ops (others may add more).
  EXPECT_EQ(vt->capabilities & LIO_CAP_OPS_1_0, LIO_CAP_OPS_1_0);
  for (uint32_t code : {LIO_OP_BIND, LIO_OP_LISTEN, LIO_OP_TEE, LIO_OP_SPLICE, LIO_OP_PIPE, LIO_OP_WAITID}) {
    EXPECT_NE(vt->capabilities & LIO_CAP(code), 0u) << "code " << code;
  }
  EXPECT_EQ(vt->capabilities & kFsCodes, kFsCodes);
  EXPECT_EQ(vt->capabilities & ~LIO_CAP_ALL_OPS, 0u);
  // 1.1, issue 14: multishot accept/recv and send_zc, with buffer groups.
  const uint64_t multishot = LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
  EXPECT_EQ(vt->capabilities & multishot, multishot);
  EXPECT_NE(vt->features & LIO_FEATURE_BUFFER_GROUPS, 0u);
  EXPECT_EQ(LIO_ABI_MAJOR(vt->abi_version), LIO_ABI_VERSION_MAJOR);
}

// [register.native_ops]: a subset of the declared codes; the 1.0 ops are
// always native, and the file-system ops are on a kernel that has their
// opcodes (all of them since 6.9, ftruncate being the last).
TEST(IoUringPlugin, NativeOpsAreDeclaredOnesAndFollowTheKernel) {
  const lio_backend_vtable* vt = Vtable();
  ASSERT_NE(vt, nullptr);
  ASSERT_GE(vt->struct_size, offsetof(lio_backend_vtable, native_ops) + sizeof vt->native_ops);
  ASSERT_NE(vt->native_ops, nullptr);
  const uint64_t native = vt->native_ops();
  EXPECT_EQ(native & ~vt->capabilities, 0u);
  EXPECT_EQ(native & LIO_CAP_OPS_1_0, LIO_CAP_OPS_1_0);
  EXPECT_EQ(vt->native_ops(), native) << "no side effects: the same answer every time";
  utsname name{};
  ASSERT_EQ(uname(&name), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(sscanf(name.release, "%d.%d", &major, &minor), 2);
  if (major > 6 || (major == 6 && minor >= 9)) {
    EXPECT_EQ(native & kFsCodes, kFsCodes) << name.release;
  }
}

// The fallback for kernels without the file-system opcodes (native_fs=0
// forces it): a NOP holds the op's place, the blocking call runs at reap.
// Each answer is the blocking call's, and a statx buffer is filled before
// the completion.
class FsOps : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Both, FsOps, ::testing::Values("native_fs=1", "native_fs=0"),
                         [](const auto& info) { return std::string(info.param[10] == '1' ? "Native" : "Emulated"); });

TEST_P(FsOps, AnswerAsTheBlockingCalls) {
  Backend ring(8, GetParam());
  ASSERT_EQ(ring.created(), 0);
  char dir[] = "/tmp/lio-fsops-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string base = dir;
  const std::string file = base + "/f", moved = base + "/g", sub = base + "/d";
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);

  lio_op truncate = MakeOp(LIO_OP_FTRUNCATE);
  truncate.handle = fd;
  truncate.u.truncate.length = 12345;
  EXPECT_EQ(ring.run_one(1, truncate), 0);
  lio_statx st;
  memset(&st, 0xA5, sizeof st);
  lio_op stat = MakeOp(LIO_OP_STATX);
  stat.handle = LIO_AT_FDCWD;
  stat.u.statx = {file.c_str(), &st, LIO_STATX_BASIC_STATS};
  EXPECT_EQ(ring.run_one(2, stat), 0);
  EXPECT_EQ(st.size, 12345u);
  lio_op advise = MakeOp(LIO_OP_FADVISE);
  advise.handle = fd;
  advise.u.range = {0, int64_t{1} << 33, LIO_FADV_DONTNEED};  // past the SQE's 32 bits: always the call
  EXPECT_EQ(ring.run_one(3, advise), 0);
  lio_op rename = MakeOp(LIO_OP_RENAMEAT);
  rename.handle = LIO_AT_FDCWD;
  rename.u.link = {file.c_str(), moved.c_str(), LIO_AT_FDCWD};
  EXPECT_EQ(ring.run_one(4, rename), 0);
  EXPECT_EQ(ring.run_one(5, rename), -ENOENT);
  lio_op mkdir = MakeOp(LIO_OP_MKDIRAT);
  mkdir.handle = LIO_AT_FDCWD;
  mkdir.u.path = {sub.c_str(), 0700};
  EXPECT_EQ(ring.run_one(6, mkdir), 0);
  EXPECT_EQ(ring.run_one(7, mkdir), -EEXIST);
  lio_op unlink = MakeOp(LIO_OP_UNLINKAT);
  unlink.handle = LIO_AT_FDCWD;
  unlink.u.path = {sub.c_str(), 0};
  EXPECT_EQ(ring.run_one(8, unlink), -EISDIR);
  unlink.flags = LIO_UNLINK_REMOVEDIR;
  EXPECT_EQ(ring.run_one(9, unlink), 0);
  close(fd);
  unlink.flags = 0;
  unlink.u.path.path = moved.c_str();
  EXPECT_EQ(ring.run_one(10, unlink), 0);
  EXPECT_EQ(rmdir(dir), 0);
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
  EXPECT_EQ(Backend(8, "sqpoll=2").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(8, "sqpoll_idle_ms=-1").created(), -LIO_EINVAL);
  EXPECT_EQ(Backend(8, "sqpoll=1,sqpoll_idle_ms=10").created(), 0);
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

// open_async=0: the kernel tries the open inline as if O_NONBLOCK were set,
// so a regular file opens as before and a FIFO's reader does not wait for a
// writer (the trade the option documents), where the default waits (above).
TEST(IoUringPlugin, OpenAsyncOffOpensInlineAsWithNonblock) {
  std::string dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
  std::string fifo = dir + "/smoke_fifo_inline";
  std::string file = dir + "/smoke_file_inline";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  { std::ofstream(file) << "abc"; }
  Backend b(8, "open_async=0");
  ASSERT_EQ(b.created(), 0);
  lio_op open = MakeOp(LIO_OP_OPENAT);
  open.handle = LIO_AT_FDCWD;
  open.u.open = {fifo.c_str(), LIO_OPEN_RDONLY, 0};
  const int64_t fifo_fd = b.run_one(1, open);
  ASSERT_GE(fifo_fd, 0) << "a FIFO reader opens without a writer";
  EXPECT_EQ(fcntl(static_cast<int>(fifo_fd), F_GETFL) & O_NONBLOCK, 0) << "the handle is blocking, as open(2)'s";
  close(static_cast<int>(fifo_fd));
  open.u.open = {file.c_str(), LIO_OPEN_RDONLY, 0};
  const int64_t file_fd = b.run_one(2, open);
  ASSERT_GE(file_fd, 0);
  char buf[4] = {};
  EXPECT_EQ(read(static_cast<int>(file_fd), buf, sizeof buf), 3);
  close(static_cast<int>(file_fd));
  EXPECT_EQ(Backend(8, "open_async=2").created(), -LIO_EINVAL) << "0 or 1 only";
  unlink(fifo.c_str());
  unlink(file.c_str());
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

// [link.order] with io_uring's SQ: a cancel asked while a chain is open must
// not land inside the chain (the kernel would link it behind the op it
// cancels, and neither would ever complete).
TEST_P(IoUringRing, CancelAskedInsideAnOpenChainIsQueuedAfterIt) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  SocketPair pair;
  lio_op poll = MakeOp(LIO_OP_POLL);
  poll.handle = pair.fd[0];
  poll.u.poll.events = LIO_POLL_IN;
  poll.flags = LIO_OPF_LINK;
  ASSERT_EQ(b.push(1, poll), 0);
  EXPECT_EQ(b.cancel(1), 0);
  ASSERT_EQ(b.push(2, MakeOp(LIO_OP_NOP)), 0);
  EXPECT_EQ(b.flush(), 2);
  auto done = b.collect(2);
  EXPECT_EQ(done[1], -LIO_ECANCELED);
  EXPECT_EQ(done[2], -LIO_ECANCELED);
}

// [flush.count] holds with SQPOLL too: what a flush publishes is counted,
// whether or not the kernel's thread took it yet.
TEST_P(IoUringRing, FlushCountsEveryOpPushed) {
  Backend b(64, GetParam());
  ASSERT_EQ(b.created(), 0);
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_EQ(b.push(id, MakeOp(LIO_OP_NOP)), 0);
  EXPECT_EQ(b.flush(), 5);
  EXPECT_EQ(b.flush(), 0);
  EXPECT_EQ(b.collect(5).size(), 5u);
}

}  // namespace
