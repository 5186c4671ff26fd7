// lio::Loop with callbacks, on every backend: the operation store (ids,
// generations, capacity), timers, cancellation with owned buffers, post from
// other threads, stop.
#include "lio/runtime/loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

using namespace std::chrono_literals;
using testing::Drain;
using testing::RunUntil;

class LoopCallbackTest : public testing::LoopTest {};

// Memory handed to a Buffer whose release the test observes.
struct TrackedMemory {
  std::vector<std::byte> bytes;
  int releases = 0;
  bool zero_at_release = false;

  explicit TrackedMemory(size_t n) : bytes(n, std::byte{0x5a}) {}
  Buffer Make() {
    return Buffer::Adopt(bytes.data(), bytes.size(), &Release, this);
  }
  static void Release(void* context, std::byte* data, size_t capacity) {
    auto* self = static_cast<TrackedMemory*>(context);
    ++self->releases;
    self->zero_at_release = true;
    for (size_t i = 0; i < capacity; ++i) {
      if (data[i] != std::byte{0}) self->zero_at_release = false;
    }
  }
};

TEST_P(LoopCallbackTest, NopCallbackRunsOnceAndNeverInsideTheCall) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  int calls = 0;
  std::error_code got = make_error(-LIO_EIO);
  OpId id = loop->nop([&](std::error_code ec) {
    ++calls;
    got = ec;
  });
  ASSERT_TRUE(id);
  EXPECT_EQ(calls, 0) << "a callback never runs inside the call that started it";
  EXPECT_FALSE(loop->run());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(got);
  EXPECT_EQ(loop->stats().slots_in_use, 0u);
  EXPECT_EQ(loop->stats().stale_completions, 0u);
}

TEST_P(LoopCallbackTest, RunReturnsWhenNothingIsLeft) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  EXPECT_FALSE(loop->alive());
  EXPECT_FALSE(loop->run());  // returns at once
}

TEST_P(LoopCallbackTest, FileWriteOwnedThenReadBorrowed) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string path = (TempDir() / "f").string();
  File file;
  loop->open(path, LIO_OPEN_RDWR | LIO_OPEN_CREATE | LIO_OPEN_TRUNC, 0644, [&](Expected<File> f) {
    ASSERT_TRUE(f) << f.error().message();
    file = std::move(*f);
  });
  loop->run();
  ASSERT_TRUE(file);

  size_t written = 0;
  bool buffer_back = false;
  loop->write(file, Buffer::CopyOf("hello, loop"), 100, [&](BufResult r) {
    ASSERT_TRUE(r.bytes) << r.bytes.error().message();
    written = *r.bytes;
    buffer_back = r.buffer.view() == "hello, loop";
  });
  loop->run();
  EXPECT_EQ(written, 11u);
  EXPECT_TRUE(buffer_back) << "the owned buffer comes back with the result";

  char out[32] = {};
  size_t read = 0;
  loop->read(file, MutableBytes(out, sizeof out), 100, [&](Expected<size_t> n) {
    ASSERT_TRUE(n);
    read = *n;
  });
  loop->run();
  EXPECT_EQ(std::string(out, read), "hello, loop");

  // Dropping the last owner closes the file through the backend.
  file = File();
  EXPECT_TRUE(loop->alive()) << "the close is an operation in flight";
  loop->run();
  EXPECT_EQ(loop->stats().handles_open, 0u);
}

TEST_P(LoopCallbackTest, TimersFireInDeadlineOrderTiesInArmingOrder) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::vector<std::string> order;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::chrono::milliseconds> fired_at(6);
  auto note = [&](const char* name, int i) {
    return [&, name, i] {
      order.push_back(name);
      fired_at[i] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    };
  };
  loop->after(60ms, note("60", 0));
  loop->after(20ms, note("20a", 1));
  loop->after(40ms, note("40", 2));
  loop->after(20ms, note("20b", 3));
  loop->after(0ms, note("0", 4));
  loop->after(5ms, note("5", 5));
  loop->run();
  EXPECT_EQ(order, (std::vector<std::string>{"0", "5", "20a", "20b", "40", "60"}));
  EXPECT_GE(fired_at[0], 60ms);
  EXPECT_GE(fired_at[2], 40ms);
  EXPECT_GE(fired_at[1], 20ms);
  EXPECT_LT(fired_at[0], 1000ms);
}

TEST_P(LoopCallbackTest, CancelledTimerReportsCanceledOrStaysSilent) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::error_code got;
  int calls = 0;
  OpId with_code = loop->after(10s, [&](std::error_code ec) {
    got = ec;
    ++calls;
  });
  bool silent_called = false;
  OpId silent = loop->after(10s, [&] { silent_called = true; });
  EXPECT_FALSE(loop->cancel(with_code));
  EXPECT_FALSE(loop->cancel(silent));
  EXPECT_EQ(calls, 0);
  auto start = std::chrono::steady_clock::now();
  loop->run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got, make_error(-LIO_ECANCELED));
  EXPECT_FALSE(silent_called);
  EXPECT_EQ(loop->cancel(with_code), make_error(-LIO_ENOENT)) << "finished: not in flight";
}

TEST_P(LoopCallbackTest, StaleIdNeverReachesTheOperationReusingItsSlot) {
  auto loop = MakeLoop(/*capacity=*/1);
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  OpId first = loop->nop([](std::error_code) {});
  loop->run();
  // The only slot now carries a recv: same index, next generation.
  Expected<size_t> got = Unexpected{make_error(-LIO_EIO)};
  char buf[16];
  OpId second = loop->recv(pair->a, MutableBytes(buf, sizeof buf), [&](Expected<size_t> n) { got = n; });
  ASSERT_TRUE(second);
  EXPECT_EQ(first.value & 0xffffffffu, second.value & 0xffffffffu) << "same slot";
  EXPECT_NE(first, second) << "different generation";
  EXPECT_EQ(loop->cancel(first), make_error(-LIO_ENOENT));
  loop->poll();
  ASSERT_EQ(testing::SendAll(pair->b, "abc"), 3);
  loop->run();
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(std::string(buf, *got), "abc");
}

TEST_P(LoopCallbackTest, FullStoreAnswersAnEmptyIdAndDropsTheCallbackUncalled) {
  auto loop = MakeLoop(/*capacity=*/2);
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  char b1[4], b2[4], b3[4];
  int done = 0;
  OpId r1 = loop->recv(pair->a, MutableBytes(b1, 4), [&](Expected<size_t>) { ++done; });
  OpId r2 = loop->recv(pair->a, MutableBytes(b2, 4), [&](Expected<size_t>) { ++done; });
  OpId timer = loop->after(1h, [&](std::error_code) { ++done; });
  ASSERT_TRUE(r1 && r2);
  ASSERT_TRUE(timer) << "timers have a store of their own";
  auto witness = std::make_shared<int>(0);
  bool called = false;
  OpId r3 = loop->recv(pair->a, MutableBytes(b3, 4), [&, witness](Expected<size_t>) { called = true; });
  EXPECT_FALSE(r3) << "no slot free";
  EXPECT_EQ(witness.use_count(), 1) << "the callback was destroyed";
  EXPECT_FALSE(loop->cancel(r1));
  EXPECT_FALSE(loop->cancel(r2));
  EXPECT_FALSE(loop->cancel(timer));
  loop->run();
  EXPECT_EQ(done, 3);
  EXPECT_FALSE(called);
}

// loop.after timers live in the loop's heap and never reach the backend, so
// a loop holds LoopOptions::timers of them whatever its (backend) capacity.
TEST_P(LoopCallbackTest, TimersDoNotCountAgainstTheBackendCapacity) {
  constexpr uint32_t kTimers = 5000;
  auto loop = MakeLoop(/*capacity=*/4, /*timers=*/kTimers);
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->capacity(), 4u);
  EXPECT_EQ(loop->backend().capacity(), 4u);
  EXPECT_EQ(loop->timer_capacity(), kTimers);
  int fired = 0;
  std::vector<OpId> ids;
  for (uint32_t i = 0; i < kTimers; ++i) {
    OpId id = loop->after(std::chrono::microseconds(i % 100), [&] { ++fired; });
    ASSERT_TRUE(id) << "timer " << i << " of " << kTimers;
    ids.push_back(id);
  }
  // Operations still get all 4 slots.
  int nops = 0;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(loop->nop([&](std::error_code ec) { nops += !ec; }));
  EXPECT_FALSE(loop->nop([](std::error_code) {})) << "4 operation slots";
  EXPECT_EQ(loop->stats().timers_in_use, kTimers);
  EXPECT_EQ(loop->stats().slots_in_use, 4u);
  // Ids of timers and operations never collide.
  for (size_t i = 1; i < ids.size(); ++i) ASSERT_NE(ids[i], ids[i - 1]);
  EXPECT_TRUE(Drain(*loop));
  EXPECT_EQ(fired, static_cast<int>(kTimers));
  EXPECT_EQ(nops, 4);
  EXPECT_EQ(loop->stats().timers_in_use, 0u);
  EXPECT_EQ(loop->cancel(ids.front()), make_error(-LIO_ENOENT)) << "fired: stale";
  EXPECT_EQ(loop->cancel(ids.back()), make_error(-LIO_ENOENT)) << "fired: stale";
}

TEST_P(LoopCallbackTest, ExceedingTheTimerLimitAnswersAnEmptyIdAndTheLoopGoesOn) {
  auto loop = MakeLoop(/*capacity=*/4, /*timers=*/3);
  ASSERT_TRUE(loop);
  std::vector<int> order;
  OpId a = loop->after(2ms, [&] { order.push_back(1); });
  OpId b = loop->after(1h, [&](std::error_code ec) { order.push_back(ec ? -2 : 2); });
  OpId c = loop->after(1ms, [&] { order.push_back(3); });
  ASSERT_TRUE(a && b && c);
  auto witness = std::make_shared<int>(0);
  bool called = false;
  OpId d = loop->after(1ms, [&, witness] { called = true; });
  EXPECT_FALSE(d) << "all 3 timers armed";
  EXPECT_EQ(witness.use_count(), 1) << "the refused callback was destroyed uncalled";
  EXPECT_EQ(loop->stats().timers_in_use, loop->timer_capacity());
  // Cancelling frees the timer once its callback has run; then there is room.
  EXPECT_FALSE(loop->cancel(b));
  EXPECT_TRUE(Drain(*loop));
  EXPECT_EQ(order, (std::vector<int>{-2, 3, 1}));
  EXPECT_FALSE(called);
  OpId e = loop->after(0ms, [&] { order.push_back(5); });
  ASSERT_TRUE(e) << "room again";
  EXPECT_NE(e, a);
  EXPECT_NE(e, b);
  EXPECT_NE(e, c);
  EXPECT_TRUE(Drain(*loop));
  EXPECT_EQ(order.back(), 5);
}

TEST_P(LoopCallbackTest, OpenRefusesCapacityPlusTimersThatIdsCannotHold) {
  auto loop = Loop::Open(Options(/*capacity=*/16, /*timers=*/UINT32_MAX - 8));
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().code, make_error(-LIO_EINVAL));
  EXPECT_NE(loop.error().message.find("capacity + timers"), std::string::npos) << loop.error().message;
}

// The classic io_uring use-after-free: the caller cancels a receive and frees
// its buffer while the kernel may still write into it. With an owned buffer
// the slot keeps it until the completion arrives; the callback gets it back.
TEST_P(LoopCallbackTest, CancelKeepsTheOwnedBufferUntilTheKernelIsDone) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  TrackedMemory memory(4096);
  int calls = 0;
  Expected<size_t> got = 0;
  bool buffer_back = false;
  OpId id = loop->recv(pair->a, memory.Make(), [&](BufResult r) {
    ++calls;
    got = r.bytes;
    buffer_back = r.buffer.data() == memory.bytes.data() && r.buffer.capacity() == 4096;
    // r.buffer is released here, when the callback drops it.
  });
  ASSERT_TRUE(id);
  loop->poll();  // in the kernel now
  EXPECT_FALSE(loop->cancel(id));
  EXPECT_EQ(memory.releases, 0) << "cancel does not release the buffer";
  loop->run();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(buffer_back);
  EXPECT_EQ(memory.releases, 1);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), make_error(-LIO_ECANCELED));
  // The cancelled receive consumed nothing.
  ASSERT_EQ(testing::SendAll(pair->b, "after"), 5);
  EXPECT_EQ(testing::RecvSome(pair->a, 16), "after");
}

TEST_P(LoopCallbackTest, WipeOnReleaseZeroesSecrets) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  TrackedMemory memory(64);
  Buffer secret = memory.Make();
  secret.set_wipe_on_release(true);
  ASSERT_EQ(testing::SendAll(pair->b, "password"), 8);
  std::string seen;
  loop->recv(pair->a, std::move(secret), [&](BufResult r) { seen = std::string(r.buffer.view()); });
  loop->run();
  EXPECT_EQ(seen, "password");
  EXPECT_EQ(memory.releases, 1);
  EXPECT_TRUE(memory.zero_at_release) << "wiped before release";
}

TEST_P(LoopCallbackTest, DestroyingTheLoopWithOperationsInFlightIsSafe) {
  TrackedMemory memory(4096);
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  bool called = false;
  {
    auto loop = MakeLoop();
    ASSERT_TRUE(loop);
    loop->recv(pair->a, memory.Make(), [&](BufResult) { called = true; });
    loop->after(1h, [&](std::error_code) { called = true; });
    loop->poll();
  }
  EXPECT_FALSE(called) << "callbacks are dropped uncalled";
  EXPECT_EQ(memory.releases, 1) << "released once the backend returned the op";
}

TEST_P(LoopCallbackTest, PostFromFourThreadsRunsEverythingInPostingOrder) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<int> last(kThreads, -1);
  bool in_order = true;
  int total = 0;
  auto keep = loop->keep_alive();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->post([&, t, i] {
          if (last[t] != i - 1) in_order = false;
          last[t] = i;
          if (++total == kThreads * kPerThread) loop->stop();
        });
      }
    });
  }
  auto start = std::chrono::steady_clock::now();
  loop->run();
  for (auto& th : threads) th.join();
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_TRUE(in_order);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// Each post lands on a loop that has run everything before it and blocks in
// the backend with nothing in flight: every one must wake it (turns with
// nothing posted take no lock; a lost wake would hang here until the
// watchdog stops the loop).
TEST_P(LoopCallbackTest, EachPostWakesALoopBlockedWithNothingPosted) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  constexpr int kRounds = 300;
  std::atomic<int> ran{0};
  std::atomic<bool> done{false};
  auto keep = loop->keep_alive();
  std::thread poster([&] {
    for (int i = 0; i < kRounds && !done; ++i) {
      loop->post([&] {
        if (++ran == kRounds) loop->stop();
      });
      while (ran.load() <= i && !done) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::thread watchdog([&] {
    for (int i = 0; i < 300 && !done; ++i) std::this_thread::sleep_for(100ms);
    loop->stop();
  });
  loop->run();
  done = true;
  poster.join();
  watchdog.join();
  EXPECT_EQ(ran.load(), kRounds) << "a post did not wake the loop";
}

TEST_P(LoopCallbackTest, StopFromAnotherThreadWakesABlockedLoop) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto keep = loop->keep_alive();  // nothing in flight: run would block forever
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    loop->stop();
  });
  auto start = std::chrono::steady_clock::now();
  loop->run();
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_P(LoopCallbackTest, ManyOperationsReuseSlotsWithoutStaleCompletions) {
  auto loop = MakeLoop(/*capacity=*/8);
  ASSERT_TRUE(loop);
  int done = 0;
  // Each callback starts the next: 8 chains of 500 nops.
  std::function<void(std::error_code)> next = [&](std::error_code ec) {
    ASSERT_FALSE(ec);
    if (++done + 8 <= 4000) {
      ASSERT_TRUE(loop->nop(next));
    }
  };
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(loop->nop(next));
  loop->run();
  EXPECT_EQ(done, 4000);
  EXPECT_EQ(loop->stats().stale_completions, 0u);
  EXPECT_EQ(loop->stats().completions, 4000u);
}

TEST_P(LoopCallbackTest, ExceptionFromACallbackReachesRunOnceAndTheLoopGoesOn) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  int others = 0;
  loop->nop([](std::error_code) { throw std::runtime_error("from a callback"); });
  loop->nop([&](std::error_code) { ++others; });
  EXPECT_THROW(
      {
        while (loop->alive()) loop->run_once();
      },
      std::runtime_error);
  loop->run();
  EXPECT_EQ(others, 1) << "the other completion of the batch was still delivered";
  EXPECT_EQ(loop->stats().slots_in_use, 0u);
}

TEST_P(LoopCallbackTest, UnsupportedOrFailingOpsCompleteWithTheirError) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::error_code got;
  loop->fsync(static_cast<lio_handle>(1 << 20), false, [&](std::error_code ec) { got = ec; });
  loop->run();
  EXPECT_EQ(got, make_error(-LIO_EBADF));
}

TEST_P(LoopCallbackTest, UdpSendToAndRecvFromWithOwnedBuffers) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto a = UdpSocket::Bind(*loop, SocketAddress::Loopback(0));
  auto b = UdpSocket::Bind(*loop, SocketAddress::Loopback(0));
  ASSERT_TRUE(a && b);
  SocketAddress b_addr = *b->local_address();
  RecvFromResult got{0, Buffer(), SocketAddress()};
  loop->recv_from(*b, Buffer(1500), [&](RecvFromResult r) { got = std::move(r); });
  loop->send_to(*a, Buffer::CopyOf("datagram"), b_addr, [](BufResult r) { ASSERT_TRUE(r.bytes); });
  loop->run();
  ASSERT_TRUE(got.bytes) << got.bytes.error().message();
  EXPECT_EQ(got.buffer.view(), "datagram");
  EXPECT_EQ(got.from.port(), a->local_address()->port());
}

LIO_INSTANTIATE_LOOP_TEST(LoopCallbackTest);

}  // namespace
}  // namespace lio
