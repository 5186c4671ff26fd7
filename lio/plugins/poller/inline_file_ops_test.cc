// open_if_cached and close_if_quick (op_calls.h), and the status flags
// read_if_cached is given (status_flags_cache.h): what they do on the calling
// thread gives what the blocking call gives; what could block is left to a
// worker (kWouldBlock) without a trace.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/op_calls.h"
#include "lio/plugins/poller/status_flags_cache.h"

namespace lio::poller {
namespace {

lio_op OpenOp(const std::string& path, uint32_t flags) {
  lio_op op{};
  op.struct_size = sizeof op;
  op.code = LIO_OP_OPENAT;
  op.handle = LIO_AT_FDCWD;
  op.u.open.path = path.c_str();
  op.u.open.flags = flags;
  op.u.open.mode = 0600;
  return op;
}

lio_op CloseOp(int fd) {
  lio_op op{};
  op.struct_size = sizeof op;
  op.code = LIO_OP_CLOSE;
  op.handle = fd;
  return op;
}

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// The descriptor the next open(2) would get: the lowest free one.
int NextFd() {
  int fd = dup(0);
  close(fd);
  return fd;
}

class InlineFileOps : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/inline_ops";
    std::filesystem::create_directories(dir_);
    file_ = dir_ + "/file";
    int fd = open(file_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "hello", 5), 5);
    close(fd);
    struct stat st;
    ASSERT_EQ(stat(file_.c_str(), &st), 0);  // the path is in the dentry cache now
  }
  std::string dir_, file_;
};

TEST_F(InlineFileOps, OpensACachedFileWithTheFlagsAsked) {
  lio_op op = OpenOp(file_, LIO_OPEN_WRONLY | LIO_OPEN_APPEND);
  int64_t fd = open_if_cached(op);
  if (fd == kWouldBlock) GTEST_SKIP() << "openat2(RESOLVE_CACHED) is not available here (Linux 5.12+)";
  ASSERT_GE(fd, 0);
  const int flags = fcntl(static_cast<int>(fd), F_GETFL);
  EXPECT_EQ(flags & O_NONBLOCK, 0) << "O_NONBLOCK was for the try only";
  EXPECT_NE(flags & O_APPEND, 0);
  EXPECT_EQ(flags & O_ACCMODE, O_WRONLY);
  EXPECT_NE(fcntl(static_cast<int>(fd), F_GETFD) & FD_CLOEXEC, 0);
  close(static_cast<int>(fd));
}

TEST_F(InlineFileOps, CachedMissIsEnoent) {
  std::string missing = dir_ + "/missing";
  ASSERT_LT(open(missing.c_str(), O_RDONLY), 0);  // now a negative dentry
  int64_t r = open_if_cached(OpenOp(missing, LIO_OPEN_RDONLY));
  if (r == kWouldBlock) GTEST_SKIP() << "openat2(RESOLVE_CACHED) is not available here";
  EXPECT_EQ(r, -LIO_ENOENT);
}

TEST_F(InlineFileOps, CreateAndTruncateGoToAWorker) {
  EXPECT_EQ(open_if_cached(OpenOp(dir_ + "/new", LIO_OPEN_WRONLY | LIO_OPEN_CREATE)), kWouldBlock);
  EXPECT_EQ(open_if_cached(OpenOp(file_, LIO_OPEN_WRONLY | LIO_OPEN_TRUNC)), kWouldBlock);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/new"));
  EXPECT_EQ(std::filesystem::file_size(file_), 5u);
}

TEST_F(InlineFileOps, AFifoGoesToAWorkerAndLeavesNoDescriptor) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int next = NextFd();
  // Write-only with no reader: the blocking open would wait, so must not
  // succeed (or fail) here.
  EXPECT_EQ(open_if_cached(OpenOp(fifo, LIO_OPEN_WRONLY)), kWouldBlock);
  EXPECT_EQ(open_if_cached(OpenOp(fifo, LIO_OPEN_RDONLY)), kWouldBlock);
  EXPECT_EQ(NextFd(), next) << "the try left a descriptor open";
  unlink(fifo.c_str());
}

// O_DIRECTORY needs no O_NONBLOCK (nothing but a directory opens), so no
// fstat/fcntl after it: a directory opens as asked, a FIFO fails at once.
TEST_F(InlineFileOps, OpensADirectoryAskedForAsOneAndRefusesAFifo) {
  int64_t fd = open_if_cached(OpenOp(dir_, LIO_OPEN_RDONLY | LIO_OPEN_DIRECTORY));
  if (fd == kWouldBlock) GTEST_SKIP() << "openat2(RESOLVE_CACHED) is not available here (Linux 5.12+)";
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(static_cast<int>(fd), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(fcntl(static_cast<int>(fd), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(static_cast<int>(fd), F_GETFD) & FD_CLOEXEC, 0);
  close(static_cast<int>(fd));
  std::string fifo = dir_ + "/fifo_dir";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  const int next = NextFd();
  EXPECT_EQ(open_if_cached(OpenOp(fifo, LIO_OPEN_WRONLY | LIO_OPEN_DIRECTORY)), -LIO_ENOTDIR);
  EXPECT_EQ(NextFd(), next);
  unlink(fifo.c_str());
}

TEST_F(InlineFileOps, ClosesPipesAndPlainSockets) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(close_if_quick(CloseOp(p[0])), 0);
  EXPECT_FALSE(IsOpen(p[0]));
  close(p[1]);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  EXPECT_EQ(close_if_quick(CloseOp(s)), 0);
  EXPECT_FALSE(IsOpen(s));
}

TEST_F(InlineFileOps, ClosesAFileOnTmpfs) {
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm (tmpfs) here";
  std::string path = "/dev/shm/lio_inline_ops_" + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  unlink(path.c_str());
  EXPECT_EQ(close_if_quick(CloseOp(fd)), 0);
  EXPECT_FALSE(IsOpen(fd));
}

TEST_F(InlineFileOps, LeavesWhatCouldWaitToAWorker) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  linger l{1, 5};  // close would wait up to 5 s for unsent data
  ASSERT_EQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  EXPECT_EQ(close_if_quick(CloseOp(s)), kWouldBlock);
  EXPECT_TRUE(IsOpen(s));
  close(s);
  int dev = open("/dev/null", O_RDONLY);  // a device: its close is the driver's
  ASSERT_GE(dev, 0);
  EXPECT_EQ(close_if_quick(CloseOp(dev)), kWouldBlock);
  EXPECT_TRUE(IsOpen(dev));
  close(dev);
  EXPECT_EQ(close_if_quick(CloseOp(-1)), kWouldBlock);  // the worker's close says EBADF
}

// read_if_cached's O_DIRECT check (status_flags_cache.h): one fcntl per
// handle per kFreshNs, and none kept past a forget.
TEST_F(InlineFileOps, StatusFlagsAreAskedAgainWhenStaleOrForgotten) {
  int fd = open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  StatusFlagsCache cache;
  const int64_t t0 = 1'000'000'000;
  const int before = cache.get(fd, t0);
  ASSERT_GE(before, 0);
  EXPECT_EQ(before & O_NONBLOCK, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, before | O_NONBLOCK), 0);
  EXPECT_EQ(cache.get(fd, t0 + StatusFlagsCache::kFreshNs - 1), before) << "fresh: not asked again";
  EXPECT_NE(cache.get(fd, t0 + StatusFlagsCache::kFreshNs) & O_NONBLOCK, 0) << "stale: asked again";
  ASSERT_EQ(fcntl(fd, F_SETFL, before), 0);
  cache.forget(fd);
  EXPECT_EQ(cache.get(fd, t0 + StatusFlagsCache::kFreshNs), before) << "forgotten: asked again";
  close(fd);
  EXPECT_EQ(cache.get(fd, t0 + 3 * StatusFlagsCache::kFreshNs), -1) << "closed: the call fails, nothing kept";
  EXPECT_EQ(cache.get(-1, t0), -1);
}

}  // namespace
}  // namespace lio::poller
