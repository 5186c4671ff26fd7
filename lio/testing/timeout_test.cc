// timeout: completes with -ETIME when its duration (or steady-clock deadline)
// has passed — not earlier — and several expire in deadline order.
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class TimeoutTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(TimeoutTest);

int64_t SteadyNs(Clock::time_point t) { return Ns(t.time_since_epoch()); }

LIO_CONFORMANCE_CASE(TimeoutTest, result_timeout, RelativeTimeoutExpiresWithEtime) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  constexpr nanoseconds kAfter = milliseconds(50);
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Complete(Op::Timeout(Ns(kAfter))), -LIO_ETIME);
  nanoseconds took = Since(start);
  EXPECT_GE(Ms(took), Ms(kAfter - kEarlySlack)) << "expired early";
  EXPECT_LE(Ms(took), Ms(kAfter + kLateSlack)) << "expired late";
}

LIO_CONFORMANCE_CASE(TimeoutTest, timeout_absolute, AbsoluteTimeoutExpiresAtDeadline) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  Clock::time_point deadline = Clock::now() + milliseconds(60);
  EXPECT_EQ(Complete(Op::TimeoutAt(SteadyNs(deadline))), -LIO_ETIME);
  nanoseconds past_deadline = Clock::now() - deadline;
  EXPECT_GE(Ms(past_deadline), -Ms(kEarlySlack)) << "expired before its deadline on the steady clock";
  EXPECT_LE(Ms(past_deadline), Ms(kLateSlack)) << "expired late";
}

LIO_CONFORMANCE_CASE(TimeoutTest, timeout_absolute, PastDeadlineExpiresAtOnce) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Complete(Op::TimeoutAt(SteadyNs(start - seconds(1)))), -LIO_ETIME);
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack));
}

LIO_CONFORMANCE_CASE(TimeoutTest, result_timeout, ZeroDurationExpiresAtOnce) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Complete(Op::Timeout(0)), -LIO_ETIME);
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack));
}

LIO_CONFORMANCE_CASE(TimeoutTest, result_timeout, TimeoutsExpireInDeadlineOrder) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t late = PushNew(Op::Timeout(Ns(milliseconds(120))));
  uint64_t early = PushNew(Op::Timeout(Ns(milliseconds(40))));
  uint64_t middle = PushNew(Op::TimeoutAt(SteadyNs(Clock::now() + milliseconds(80))));
  Flush();
  std::vector<uint64_t> order;
  for (const lio_completion& c : WaitFor(3)) {
    order.push_back(c.id);
    EXPECT_EQ(Result{c.result}, -LIO_ETIME);
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{early, middle, late}));
}

LIO_CONFORMANCE_CASE(TimeoutTest, result_timeout, PendingTimeoutDoesNotHoldBackOtherOps) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  uint64_t timeout = PushNew(Op::Timeout(Ns(seconds(10))));
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Complete(Op::Nop()), 0);
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack));
  EXPECT_TRUE(in_flight(timeout)) << "a 10 s timeout completed within the nop's round trip";
  EXPECT_EQ(Cancel(timeout), 0);
  EXPECT_EQ(WaitForId(timeout), -LIO_ECANCELED);
}

}  // namespace
}  // namespace lio::testing
