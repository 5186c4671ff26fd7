// wake: the one thread-safe call. From any thread it makes a blocked wait —
// or, when none is blocked, the next one — return, possibly with nothing.
#include <atomic>
#include <thread>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class WakeTest : public ConformanceTest {
 protected:
  // Calls wake() from another thread after `delay`.
  std::jthread WakeLater(nanoseconds delay) {
    return std::jthread([this, delay] {
      std::this_thread::sleep_for(delay);
      wake_result_ = Result{backend().wake() ? -1 : 0};
    });
  }
  Result wake_result_{0};
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(WakeTest);

constexpr nanoseconds kWakeDelay = milliseconds(50);

LIO_CONFORMANCE_CASE(WakeTest, wake_thread_safe, WakeFromAnotherThreadUnblocksTimedWait) {
  Clock::time_point start = Clock::now();
  {
    std::jthread waker = WakeLater(kWakeDelay);
    EXPECT_TRUE(WaitOnce(seconds(10)).empty());
  }
  EXPECT_EQ(wake_result_, 0);
  EXPECT_LE(Ms(Since(start)), Ms(kWakeDelay + kLateSlack)) << "the wake did not end the 10 s wait";
}

LIO_CONFORMANCE_CASE(WakeTest, wake_thread_safe, WakeFromAnotherThreadUnblocksWaitWithoutTimeout) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  // If wake does nothing, this timeout ends the wait instead of a hang.
  uint64_t backstop = PushNew(Op::Timeout(Ns(seconds(5))));
  Flush();
  Clock::time_point start = Clock::now();
  std::vector<lio_completion> batch;
  {
    std::jthread waker = WakeLater(kWakeDelay);
    batch = WaitOnce(std::nullopt);
  }
  EXPECT_EQ(wake_result_, 0);
  EXPECT_TRUE(batch.empty()) << "wait() ended by the 5 s backstop, not by the wake";
  EXPECT_LE(Ms(Since(start)), Ms(kWakeDelay + kLateSlack));
  if (in_flight(backstop)) {
    EXPECT_EQ(Cancel(backstop), 0);
    WaitForId(backstop);
  }
}

LIO_CONFORMANCE_CASE(WakeTest, wake_before_wait, WakeBeforeWaitMakesNextWaitReturn) {
  EXPECT_FALSE(backend().wake());
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(seconds(10)).empty());
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "a wake before the wait did not make it return";
}

LIO_CONFORMANCE_CASE(WakeTest, wake_one_ends_one, OneWakeEndsOneWait) {
  EXPECT_FALSE(backend().wake());
  WaitOnce(seconds(10));
  constexpr nanoseconds kWait = milliseconds(100);
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(kWait).empty());
  EXPECT_GE(Ms(Since(start)), Ms(kWait - kEarlySlack)) << "the wake was not consumed: it ended a second wait";
}

// [wake.one_ends_one], for the wait that blocks without a timeout: once a
// wake has ended one wait, the next wait(-1) blocks until something
// completes — here a timer, so a backend whose wake never clears (every
// wait returns at once, empty: a busy loop) is caught without a hang. The
// only timing check is a generous lower bound: nothing is due for 50 ms.
LIO_CONFORMANCE_CASE(WakeTest, wake_one_ends_one, WaitWithoutTimeoutAfterAWokenWaitBlocks) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  constexpr nanoseconds kTimer = milliseconds(200), kNothingDue = milliseconds(50);
  for (int round = 0; round < 2 && !HasFailure(); ++round) {
    EXPECT_FALSE(backend().wake());
    EXPECT_TRUE(WaitOnce(seconds(10)).empty()) << "the wake ended this wait";
    uint64_t timer = PushNew(Op::Timeout(Ns(kTimer)));
    Flush();
    Clock::time_point start = Clock::now();
    std::vector<lio_completion> batch = WaitOnce(std::nullopt);
    nanoseconds waited = Since(start);
    EXPECT_FALSE(batch.empty()) << "round " << round << ": wait(-1) returned at once, empty: the wake that ended "
                                   "the previous wait still ends every wait";
    EXPECT_GE(Ms(waited), Ms(kNothingDue)) << "wait(-1) returned before anything was due";
    if (in_flight(timer)) WaitForId(timer);
  }
}

LIO_CONFORMANCE_CASE(WakeTest, wake_thread_safe, WakesFromManyThreadsLoseNoCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  constexpr int kThreads = 4, kWakesPerThread = 500, kNops = 2000, kBatch = 16;
  std::atomic<int> failed_wakes{0};
  std::atomic<bool> stop{false};
  {
    std::vector<std::jthread> wakers;
    for (int t = 0; t < kThreads; ++t) {
      wakers.emplace_back([&] {
        for (int i = 0; i < kWakesPerThread && !stop; ++i) {
          if (backend().wake()) ++failed_wakes;
          std::this_thread::yield();
        }
      });
    }
    for (int pushed = 0; pushed < kNops && !HasFailure(); pushed += kBatch) {
      for (int i = 0; i < kBatch; ++i) PushNew(Op::Nop());
      Flush();
      WaitFor(kBatch);
    }
    stop = true;
  }
  EXPECT_EQ(failed_wakes, 0);
  EXPECT_EQ(in_flight_count(), 0u);
}

}  // namespace
}  // namespace lio::testing
