// wait(0) polls: it must never sleep, not even briefly. The cases of
// wait_test.cc catch a wait(0) that blocks until the suite wakes it; these
// catch one that sleeps a bounded while on every call (a poll interval, a
// timeout rounded up), which each single call's generous slack would let
// pass: many calls in a row add the sleeps up.
#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class WaitZeroTest : public ConformanceTest {
 protected:
  static constexpr int kCalls = 20;

  // Calls wait(0) kCalls times in a row, or until they took kLateSlack in
  // all, and fails when they did: each call may be a system call, none may
  // sleep.
  void ExpectPollsDoNotSleep(const char* situation) {
    Clock::time_point start = Clock::now();
    int calls = 0;
    while (calls < kCalls && Since(start) < kLateSlack) {
      ++calls;
      EXPECT_TRUE(WaitOnce(nanoseconds(0)).empty()) << "call " << calls << ": nothing was ready";
      if (HasFailure()) return;
    }
    EXPECT_EQ(calls, kCalls) << calls << " call(s) of wait(0) " << situation << " took " << Ms(Since(start))
                             << " ms: wait(0) sleeps";
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(WaitZeroTest);

LIO_CONFORMANCE_CASE(WaitZeroTest, wait_zero_does_not_block, RepeatedZeroWaitsWithNothingNeverSleep) {
  ExpectPollsDoNotSleep("with nothing in flight");
}

LIO_CONFORMANCE_CASE(WaitZeroTest, wait_zero_does_not_block, RepeatedZeroWaitsWhileOpsWaitNeverSleep) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t pending = PushNew(Op::Timeout(Ns(seconds(10))));
  Flush();
  ExpectPollsDoNotSleep("with a 10 s timeout in flight");
  EXPECT_EQ(Cancel(pending), 0);
  EXPECT_EQ(WaitForId(pending), -LIO_ECANCELED);
}

}  // namespace
}  // namespace lio::testing
