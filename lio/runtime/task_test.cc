// Coroutines on every backend: Task, spawn, co_await on operations, sleep,
// with_timeout, cancellation by destruction (buffers stay owned by the slot
// while the kernel has them: run under ASan), 10,000 concurrent coroutines,
// blocking .wait(), TCP/UDP/files end to end, thread-per-core.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lio/testing/loop_test_support.h"
#include "lio/runtime/runtime.h"

namespace lio {
namespace {

using namespace std::chrono_literals;
using testing::Drain;
using testing::RunUntil;

class TaskTest : public testing::LoopTest {};

struct TrackedMemory {
  std::vector<std::byte> bytes;
  int releases = 0;
  explicit TrackedMemory(size_t n) : bytes(n) {}
  Buffer Make() { return Buffer::Adopt(bytes.data(), bytes.size(), &Release, this); }
  static void Release(void* context, std::byte*, size_t) { ++static_cast<TrackedMemory*>(context)->releases; }
};

Task<int> Add(int a, int b) {
  co_await nop();
  co_return a + b;
}

Task<int> Thrower() {
  co_await nop();
  throw std::runtime_error("boom");
}

TEST_P(TaskTest, AwaitingTasksAndOperations) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  int result = 0;
  loop->spawn([](int& out) -> Task<void> {
    int x = co_await Add(1, 2);
    int y = co_await Add(x, 10);
    out = y;
  }(result));
  loop->run();
  EXPECT_EQ(result, 13);
}

TEST_P(TaskTest, ExceptionsPropagateToTheAwaitingTask) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string caught;
  loop->spawn([](std::string& out) -> Task<void> {
    try {
      co_await Thrower();
    } catch (const std::runtime_error& e) {
      out = e.what();
    }
  }(caught));
  loop->run();
  EXPECT_EQ(caught, "boom");
}

TEST_P(TaskTest, ExceptionEscapingASpawnedTaskIsRethrownByRun) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  loop->spawn([]() -> Task<void> { co_await Thrower(); }());
  EXPECT_THROW(loop->run(), std::runtime_error);
}

TEST_P(TaskTest, BlockingWaitOnOperationsAndTasks) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  EXPECT_FALSE(nop().wait());
  EXPECT_EQ(Add(20, 22).wait(), 42);
  EXPECT_EQ(loop->block_on(Add(1, 1)), 2);
  auto start = std::chrono::steady_clock::now();
  sleep(20ms).wait();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  EXPECT_THROW(Thrower().wait(), std::runtime_error);
  EXPECT_EQ(loop->stats().slots_in_use, 0u);
}

TEST_P(TaskTest, TenThousandConcurrentCoroutinesShareAFewSlots) {
  auto loop = MakeLoop(/*capacity=*/128);
  ASSERT_TRUE(loop);
  constexpr int kTasks = 10000;
  int finished = 0;
  uint32_t most_waiting = 0;
  Loop* l = loop.get();
  auto body = [](Loop* l, int i, int& finished, uint32_t& most_waiting) -> Task<void> {
    for (int k = 0; k < 3; ++k) {
      std::error_code ec = co_await nop();
      if (ec) throw std::runtime_error("nop failed: " + ec.message());
    }
    most_waiting = std::max(most_waiting, l->stats().waiting_for_slot);
    co_await sleep(std::chrono::milliseconds(i % 20));
    co_await nop();
    ++finished;
  };
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTasks; ++i) loop->spawn(body(l, i, finished, most_waiting));
  EXPECT_GT(loop->stats().waiting_for_slot, 0u) << "more coroutines than slots: they queue";
  loop->run();
  EXPECT_EQ(finished, kTasks);
  EXPECT_GT(most_waiting, 0u);
  EXPECT_EQ(loop->stats().slots_in_use, 0u);
  EXPECT_EQ(loop->stats().waiting_for_slot, 0u);
  EXPECT_EQ(loop->stats().timers, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST_P(TaskTest, SleepsWakeInDeadlineOrder) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::vector<int> order;
  for (int ms : {50, 10, 40, 20, 30, 0}) {
    loop->spawn([](int ms, std::vector<int>& order) -> Task<void> {
      co_await sleep(std::chrono::milliseconds(ms));
      order.push_back(ms);
    }(ms, order));
  }
  loop->run();
  EXPECT_EQ(order, (std::vector<int>{0, 10, 20, 30, 40, 50}));
}

TEST_P(TaskTest, TimeoutsFireInOrderAndReturnTheBuffer) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  std::vector<int> order;
  std::vector<std::string> other;
  int buffers_back = 0;
  for (int ms : {60, 20, 40}) {
    loop->spawn([](lio_handle h, int ms, std::vector<int>& order, std::vector<std::string>& other,
                   int& back) -> Task<void> {
      auto [n, buf] = co_await with_timeout(std::chrono::milliseconds(ms), recv(h, Buffer(512)));
      if (!n && n.error() == make_error(-LIO_ETIMEDOUT)) {
        order.push_back(ms);
      } else {
        other.push_back(n ? "got " + std::to_string(*n) + " bytes" : n.error().message());
      }
      if (buf.capacity() == 512) ++back;
    }(pair->a, ms, order, other, buffers_back));
  }
  loop->run();
  EXPECT_EQ(order, (std::vector<int>{20, 40, 60}));
  EXPECT_EQ(other, std::vector<std::string>{});
  EXPECT_EQ(buffers_back, 3);
  // Nothing was consumed by the timed-out receives.
  ASSERT_EQ(testing::SendAll(pair->b, "still here"), 10);
  EXPECT_EQ(testing::RecvSome(pair->a, 64), "still here");
}

TEST_P(TaskTest, WithTimeoutReturnsTheRealResultWhenTheOperationWins) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  ASSERT_EQ(testing::SendAll(pair->b, "in time"), 7);
  auto [n, buf] = with_timeout(5s, recv(pair->a, Buffer(64))).wait();
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(buf.view(), "in time");
}

Task<std::string> SlowRead(lio_handle h) {
  auto [n, buf] = co_await recv(h, Buffer(64));
  if (!n) co_return "error";
  co_return std::string(buf.view());
}

TEST_P(TaskTest, WithTimeoutOnATaskDestroysIt) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  auto start = std::chrono::steady_clock::now();
  Expected<std::string> r = with_timeout(30ms, SlowRead(pair->a)).wait();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error(-LIO_ETIMEDOUT));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_TRUE(Drain(*loop)) << "the destroyed task's receive was cancelled and returned";
  ASSERT_EQ(testing::SendAll(pair->b, "ok"), 2);
  EXPECT_EQ(with_timeout(5s, SlowRead(pair->a)).wait().value(), "ok");
}

// Destroying a task whose receive is in the kernel: the slot keeps the owned
// buffer until the backend's completion; it is released exactly once, after.
TEST_P(TaskTest, DestroyedTaskLeavesItsBufferWithTheKernelUntilCompletion) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  TrackedMemory memory(4096);
  bool resumed = false;
  auto task = [](lio_handle h, Buffer b, bool& resumed) -> Task<void> {
    auto r = co_await recv(h, std::move(b));
    resumed = true;
  }(pair->a, memory.Make(), resumed);
  Task<void> holder = std::move(task);
  // Start it without the loop owning it.
  loop->spawn([](Task<void>& t) -> Task<void> { co_await t; }(holder));
  loop->poll();
  EXPECT_EQ(loop->stats().in_backend, 1u);
  // Destroy the inner task (its frame, its awaiter) while the op is in flight.
  holder.reset();
  EXPECT_EQ(memory.releases, 0) << "the slot still owns the buffer";
  EXPECT_TRUE(RunUntil(*loop, [&] { return loop->stats().in_backend == 0; }));
  EXPECT_EQ(memory.releases, 1);
  EXPECT_FALSE(resumed);
  ASSERT_EQ(testing::SendAll(pair->b, "x"), 1);
  EXPECT_EQ(testing::RecvSome(pair->a, 8), "x");
}

// The race io_uring users fear: data arrives while the receive is being
// cancelled and its coroutine destroyed. Either way the kernel's write lands
// in memory the slot still owns (ASan checks), and no byte is lost twice.
TEST_P(TaskTest, CancelRacingWithDataIsMemorySafe) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  for (int i = 0; i < 200; ++i) {
    auto t = [](lio_handle h) -> Task<void> {
      auto [n, buf] = co_await recv(h, Buffer(256));
      (void)n;
    }(pair->a);
    Task<void> holder = std::move(t);
    loop->spawn([](Task<void>& t) -> Task<void> { co_await t; }(holder));
    loop->poll();
    ASSERT_EQ(testing::SendAll(pair->b, "racing data"), 11);
    holder.reset();
    ASSERT_TRUE(RunUntil(*loop, [&] { return loop->stats().in_backend == 0 && loop->stats().waiting_for_slot == 0; }));
    // Drain whatever the cancelled receive did not take.
    while (!testing::RecvSome(pair->a, 4096, 0).empty()) {
    }
  }
}

// A regular-file read runs in the poller's worker threads: destroying the
// task must not free the buffer those threads write into.
TEST_P(TaskTest, DestroyedFileReadsKeepTheirBuffers) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string path = (TempDir() / "big").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 8; ++i) out << chunk;
  }
  auto file = open(path, LIO_OPEN_RDONLY).wait();
  ASSERT_TRUE(file) << file.error().message();
  for (int i = 0; i < 20; ++i) {
    std::vector<Task<void>> tasks;
    for (int k = 0; k < 8; ++k) {
      tasks.push_back([](File f, int64_t off) -> Task<void> {
        auto [n, buf] = co_await read(f, Buffer(1 << 20), off);
        (void)n;
      }(*file, int64_t{k} << 20));
      loop->spawn([](Task<void>& t) -> Task<void> { co_await t; }(tasks.back()));
    }
    loop->poll();
    tasks.clear();  // destroy all eight while their reads are in flight
    ASSERT_TRUE(RunUntil(*loop, [&] { return loop->stats().in_backend == 0 && loop->stats().waiting_for_slot == 0; }));
  }
}

TEST_P(TaskTest, QueuedForASlotThenDestroyed) {
  auto loop = MakeLoop(/*capacity=*/1);
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  int done = 0;
  auto receiver = [](lio_handle h, int& done) -> Task<void> {
    auto [n, buf] = co_await recv(h, Buffer(16));
    ++done;
  };
  Task<void> first = receiver(pair->a, done);
  Task<void> second = receiver(pair->a, done);
  loop->spawn([](Task<void>& t) -> Task<void> { co_await t; }(first));
  loop->spawn([](Task<void>& t) -> Task<void> { co_await t; }(second));
  EXPECT_EQ(loop->stats().waiting_for_slot, 1u);
  second.reset();
  EXPECT_EQ(loop->stats().waiting_for_slot, 0u);
  ASSERT_EQ(testing::SendAll(pair->b, "one"), 3);
  EXPECT_TRUE(RunUntil(*loop, [&] { return done == 1; }));
  first.reset();
  EXPECT_TRUE(Drain(*loop));
}

TEST_P(TaskTest, TcpConnectAcceptAndEcho) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto listener = TcpListener::Bind(*loop, SocketAddress::Loopback(0));
  ASSERT_TRUE(listener) << listener.error().message();
  SocketAddress addr = *listener->local_address();
  loop->spawn([](TcpListener l) -> Task<void> {
    auto conn = co_await accept(l);
    if (!conn) co_return;
    Buffer buf(4096);
    for (;;) {
      auto [n, data] = co_await recv(*conn, std::move(buf));
      if (!n || *n == 0) co_return;
      auto [sent, back] = co_await send_all(*conn, std::move(data));
      if (!sent) co_return;
      buf = std::move(back);
    }
  }(*listener));
  listener = Unexpected{make_error(-LIO_EBADF)};  // the server task owns it now

  std::string echoed = loop->block_on([](SocketAddress addr) -> Task<std::string> {
    auto conn = co_await connect(addr);
    if (!conn) co_return "connect: " + conn.error().message();
    std::string sent(100000, '\0');
    for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
    auto [n, unused] = co_await send_all(*conn, Buffer::CopyOf(sent));
    if (!n) co_return "send: " + n.error().message();
    if (auto ec = co_await shutdown(*conn, 1)) co_return "shutdown: " + ec.message();
    std::string got;
    for (;;) {
      auto [r, buf] = co_await recv(*conn, Buffer(8192));
      if (!r) co_return "recv: " + r.error().message();
      if (*r == 0) break;
      got.append(buf.view());
    }
    co_return got == sent ? "ok" : "mismatch";
  }(addr));
  EXPECT_EQ(echoed, "ok");
  EXPECT_TRUE(Drain(*loop));
  EXPECT_EQ(loop->stats().handles_open, 0u) << "every socket closed through the backend";
}

TEST_P(TaskTest, FilesOpenReadvWritevFsync) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string path = (TempDir() / "v").string();
  std::string result = loop->block_on([](std::string path) -> Task<std::string> {
    auto f = co_await open(path, LIO_OPEN_RDWR | LIO_OPEN_CREATE | LIO_OPEN_TRUNC);
    if (!f) co_return "open: " + f.error().message();
    std::vector<Buffer> out;
    out.push_back(Buffer::CopyOf("vectored "));
    out.push_back(Buffer::CopyOf("write"));
    auto w = co_await writev(*f, std::move(out), 0);
    if (!w.bytes || *w.bytes != 14) co_return "writev";
    if (auto ec = co_await fsync(*f, true)) co_return "fsync: " + ec.message();
    std::vector<Buffer> in;
    in.emplace_back(4);
    in.emplace_back(64);
    auto r = co_await readv(*f, std::move(in), 0);
    if (!r.bytes) co_return "readv: " + r.bytes.error().message();
    co_return std::string(r.buffers[0].view()) + "|" + std::string(r.buffers[1].view());
  }(path));
  EXPECT_EQ(result, "vect|ored write");
}

TEST_P(TaskTest, OperationsOnResourcesKeepThemOpen) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  // Hand one end to the loop; the only owner left is the receive in flight.
  Handle h = Handle::Adopt(*loop, std::exchange(pair->a, LIO_INVALID_HANDLE));
  std::string got;
  loop->recv(h, Buffer(16), [&](BufResult r) { got = std::string(r.buffer.view()); });
  h.reset();
  EXPECT_EQ(loop->stats().handles_open, 1u) << "the operation owns it";
  loop->poll();
  ASSERT_EQ(testing::SendAll(pair->b, "kept"), 4);
  loop->run();
  EXPECT_EQ(got, "kept");
  EXPECT_EQ(loop->stats().handles_open, 0u) << "closed after the operation finished";
}

TEST_P(TaskTest, LoopGroupRunsOneLoopPerThreadWithReusePort) {
  PerCoreOptions options;
  options.threads = 2;
  options.loop.backend = backend();
  options.loop.registry = &testing::LoopRegistry();
  options.loop.capacity = 64;
  std::atomic<uint16_t> port{0};
  std::atomic<int> served{0};
#if defined(_WIN32)
  options.threads = 1;  // no SO_REUSEPORT: one listener, one loop
  const bool reuse_port = false;
#else
  const bool reuse_port = true;
#endif
  auto group = LoopGroup::Start(options, [&](Loop& loop, unsigned i) -> std::error_code {
    ListenOptions lo;
    lo.reuse_port = reuse_port;
    auto listener = TcpListener::Bind(loop, SocketAddress::Loopback(port.load()), lo);
    if (!listener) return listener.error();
    if (i == 0) port = listener->local_address()->port();
    loop.spawn([](TcpListener l, std::atomic<int>& served) -> Task<void> {
      for (;;) {
        auto conn = co_await accept(l);
        if (!conn) co_return;
        auto [n, unused] = co_await send_all(*conn, Buffer::CopyOf("hi"));
        ++served;
      }
    }(std::move(*listener), served));
    return {};
  });
  ASSERT_TRUE(group) << group.error().message;
  EXPECT_EQ((*group)->size(), options.threads);
  for (int c = 0; c < 20; ++c) {
    lio_handle fd = testing::ConnectLoopback(port.load());
    ASSERT_NE(fd, LIO_INVALID_HANDLE);
    EXPECT_EQ(testing::RecvSome(fd, 8), "hi");
    testing::CloseRaw(fd);
  }
  // The client can read "hi" before the serving loop saw its send complete.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (served.load() < 20 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  (*group)->stop();
  EXPECT_FALSE((*group)->join());
  EXPECT_EQ(served.load(), 20);
}

TEST_P(TaskTest, WhenAllRunsTasksConcurrentlyAndJoinsThem) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::vector<int> order;
  auto sleeper = [](int ms, std::vector<int>& order) -> Task<void> {
    co_await sleep(std::chrono::milliseconds(ms));
    order.push_back(ms);
  };
  auto start = std::chrono::steady_clock::now();
  loop->block_on([](std::vector<Task<void>> tasks) -> Task<void> { co_await when_all(std::move(tasks)); }([&] {
    std::vector<Task<void>> tasks;
    for (int ms : {40, 10, 30, 20}) tasks.push_back(sleeper(ms, order));
    return tasks;
  }()));
  // One after another would finish in start order (40, 10, 30, 20).
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 40})) << "concurrently";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
  // Exceptions reach the awaiter after every task finished; no task at all is fine.
  int finished = 0;
  auto counted = [](int& n) -> Task<void> {
    co_await nop();
    ++n;
  };
  std::vector<Task<void>> mixed;
  mixed.push_back([]() -> Task<void> { co_await Thrower(); }());
  mixed.push_back(counted(finished));
  EXPECT_THROW(loop->block_on(when_all(std::move(mixed))), std::runtime_error);
  EXPECT_EQ(finished, 1);
  loop->block_on(when_all(std::vector<Task<void>>{}));
}

LIO_INSTANTIATE_LOOP_TEST(TaskTest);

}  // namespace
}  // namespace lio
