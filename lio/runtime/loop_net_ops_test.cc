// The runtime's 1.1 socket, pipe and process calls (bind, listen, pipe, tee,
// splice, waitid — callbacks and co_await, the pipe's ends closed by RAII)
// and lio::offload, on every Linux backend.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "lio/runtime/runtime.h"
#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

class LoopNetOpsTest : public testing::LoopTest {
 protected:
  void SkipUnlessDeclared(Loop& loop, uint32_t code) {
    if (!loop.backend().info().supports(code)) GTEST_SKIP() << "backend does not declare " << op_name(code);
  }
};

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

TEST_P(LoopNetOpsTest, PipeTeeAndSpliceWithCoroutines) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  SkipUnlessDeclared(*loop, LIO_OP_PIPE);
  SkipUnlessDeclared(*loop, LIO_OP_TEE);
  SkipUnlessDeclared(*loop, LIO_OP_SPLICE);
  std::string copied, moved;
  int read_end = -1;
  loop->spawn([](std::string& copied, std::string& moved, int& read_end) -> Task<void> {
    Expected<Pipe> first = co_await pipe();
    Expected<Pipe> second = co_await pipe();
    if (!first || !second) throw std::runtime_error("pipe failed");
    read_end = static_cast<int>(first->read.get());
    if (::write(static_cast<int>(first->write.get()), "teed and spliced", 16) != 16) throw std::runtime_error("write");
    Expected<size_t> teed = co_await tee(first->read, second->write, 64);
    if (!teed || *teed != 16) throw std::runtime_error("tee");
    char buf[32] = {};
    copied.assign(buf, static_cast<size_t>(::read(static_cast<int>(second->read.get()), buf, sizeof buf)));
    Expected<size_t> spliced =
        co_await splice(first->read, LIO_OFFSET_CURRENT, second->write, LIO_OFFSET_CURRENT, 64);
    if (!spliced || *spliced != 16) throw std::runtime_error("splice");
    moved.assign(buf, static_cast<size_t>(::read(static_cast<int>(second->read.get()), buf, sizeof buf)));
  }(copied, moved, read_end));
  loop->run();
  EXPECT_EQ(copied, "teed and spliced");
  EXPECT_EQ(moved, "teed and spliced");
  ASSERT_GE(read_end, 0);
  EXPECT_FALSE(IsOpen(read_end)) << "the Pipe's handles closed its ends when they went";
}

TEST_P(LoopNetOpsTest, BindAndListenWithCallbacks) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  SkipUnlessDeclared(*loop, LIO_OP_BIND);
  SkipUnlessDeclared(*loop, LIO_OP_LISTEN);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  std::error_code bound = make_error(-LIO_EIO), listening = make_error(-LIO_EIO);
  loop->bind(fd, SocketAddress::Loopback(0), [&](std::error_code ec) {
    bound = ec;
    loop->listen(fd, 8, [&](std::error_code ec) { listening = ec; });
  });
  loop->run();
  EXPECT_FALSE(bound) << bound.message();
  EXPECT_FALSE(listening) << listening.message();
  sockaddr_storage address{};
  socklen_t len = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len), 0);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), len), 0) << "it listens";
  ::close(client);
  ::close(fd);
}

TEST_P(LoopNetOpsTest, BindErrorIsTheSyscallsErrno) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  SkipUnlessDeclared(*loop, LIO_OP_BIND);
  std::error_code ec = bind(-1, SocketAddress::Loopback(0)).wait();
  EXPECT_EQ(ec, make_error(-LIO_EBADF));
}

TEST_P(LoopNetOpsTest, WaitidReportsTheChildsExit) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  SkipUnlessDeclared(*loop, LIO_OP_WAITID);
  const pid_t pid = ::fork();
  if (pid == 0) _exit(5);
  ASSERT_GT(pid, 0);
  Expected<ChildStatus> status = waitid(P_PID, pid, WEXITED).wait();
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->pid, pid);
  EXPECT_EQ(status->code, CLD_EXITED);
  EXPECT_EQ(status->status, 5);
}

TEST_P(LoopNetOpsTest, OffloadRunsElsewhereAndResumesOnTheLoopThread) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::thread::id ran_on, resumed_on, callback_on;
  int callback_value = 0;
  loop->spawn([](Loop& loop, std::thread::id& ran_on, std::thread::id& resumed_on) -> Task<void> {
    ran_on = co_await offload(loop, [] { return std::this_thread::get_id(); });
    resumed_on = std::this_thread::get_id();
  }(*loop, ran_on, resumed_on));
  offload(*loop, [] { return 42; }, [&](int v) {
    callback_value = v;
    callback_on = std::this_thread::get_id();
  });
  loop->run();  // returns only once both offloads came back
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, loop_thread) << "the function ran on an offload thread";
  EXPECT_EQ(resumed_on, loop_thread);
  EXPECT_EQ(callback_value, 42);
  EXPECT_EQ(callback_on, loop_thread);
}

TEST_P(LoopNetOpsTest, OffloadRethrowsInTheAwaitingTask) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string caught;
  loop->spawn([](Loop& loop, std::string& caught) -> Task<void> {
    try {
      co_await offload(loop, []() -> int { throw std::runtime_error("from the pool"); });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  }(*loop, caught));
  loop->run();
  EXPECT_EQ(caught, "from the pool");
}

TEST_P(LoopNetOpsTest, OffloadWhoseAwaiterIsGoneDropsItsResult) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::atomic<bool> finished{false};
  Expected<int> got = 0;
  loop->spawn([](Loop& loop, std::atomic<bool>& finished, Expected<int>& got) -> Task<void> {
    auto slow = [](Loop& loop, std::atomic<bool>& finished) -> Task<int> {
      co_return co_await offload(loop, [&finished] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        finished = true;
        return 7;
      });
    };
    got = co_await with_timeout(std::chrono::milliseconds(1), slow(loop, finished));
  }(*loop, finished, got));
  loop->run();  // the timeout destroyed the awaiting task; run() still waits for the function
  EXPECT_FALSE(got) << "the timeout won";
  EXPECT_TRUE(finished) << "run() returned only after the offloaded function did";
}

LIO_INSTANTIATE_LOOP_TEST(LoopNetOpsTest);

}  // namespace
}  // namespace lio
