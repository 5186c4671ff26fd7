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

LIO_CONFORMANCE_CASE(WakeTest, wake_thread_safe, WakeBeforeWaitMakesNextWaitReturn) {
  EXPECT_FALSE(backend().wake());
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(seconds(10)).empty());
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "a wake before the wait did not make it return";
}

LIO_CONFORMANCE_CASE(WakeTest, wake_thread_safe, OneWakeEndsOneWait) {
  EXPECT_FALSE(backend().wake());
  WaitOnce(seconds(10));
  constexpr nanoseconds kWait = milliseconds(100);
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(kWait).empty());
  EXPECT_GE(Ms(Since(start)), Ms(kWait - kEarlySlack)) << "the wake was not consumed: it ended a second wait";
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
