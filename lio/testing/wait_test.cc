// wait: no timeout blocks until at least one completion, zero returns at
// once, a duration returns 0 after about that long.
#include <algorithm>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class WaitTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(WaitTest);

bool Contains(const std::vector<lio_completion>& batch, uint64_t id) {
  return std::any_of(batch.begin(), batch.end(), [id](const lio_completion& c) { return c.id == id; });
}

LIO_CONFORMANCE_CASE(WaitTest, wait_zero_does_not_block, ZeroReturnsAtOnceWithNothing) {
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(nanoseconds(0)).empty());
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "wait(0) blocked";
}

LIO_CONFORMANCE_CASE(WaitTest, wait_zero_does_not_block, ZeroReturnsAtOnceWhileOpsWait) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t pending = PushNew(Op::Timeout(Ns(seconds(10))));
  Flush();
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(nanoseconds(0)).empty());
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "wait(0) blocked";
  EXPECT_EQ(Cancel(pending), 0);
  EXPECT_EQ(WaitForId(pending), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(WaitTest, wait_zero_does_not_block, ZeroReturnsWhatIsReady) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  uint64_t id = PushNew(Op::Nop());
  Flush();
  Clock::time_point end = Clock::now() + kDeadline;
  while (in_flight(id) && Clock::now() < end) WaitOnce(nanoseconds(0));
  EXPECT_FALSE(in_flight(id)) << "polling with wait(0) never returned a completed nop";
}

LIO_CONFORMANCE_CASE(WaitTest, wait_duration, DurationReturnsNothingAfterAboutThatLong) {
  constexpr nanoseconds kWait = milliseconds(100);
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(kWait).empty());
  nanoseconds took = Since(start);
  EXPECT_GE(Ms(took), Ms(kWait - kEarlySlack)) << "wait returned early with nothing, and nobody woke it";
  EXPECT_LE(Ms(took), Ms(kWait + kLateSlack));
}

LIO_CONFORMANCE_CASE(WaitTest, wait_duration, DurationWhileOpsWaitReturnsNothingAfterIt) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t pending = PushNew(Op::Timeout(Ns(seconds(10))));
  Flush();
  constexpr nanoseconds kWait = milliseconds(100);
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitOnce(kWait).empty());
  nanoseconds took = Since(start);
  EXPECT_GE(Ms(took), Ms(kWait - kEarlySlack)) << "wait returned early with nothing, and nobody woke it";
  EXPECT_LE(Ms(took), Ms(kWait + kLateSlack));
  EXPECT_EQ(Cancel(pending), 0);
  EXPECT_EQ(WaitForId(pending), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(WaitTest, wait_duration, DurationReturnsWhenAnOpCompletes) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t id = PushNew(Op::Timeout(Ns(milliseconds(30))));
  Flush();
  Clock::time_point start = Clock::now();
  std::vector<lio_completion> batch = WaitOnce(seconds(5));
  EXPECT_TRUE(Contains(batch, id)) << "wait(5 s) returned with nothing, and nobody woke it";
  EXPECT_LE(Ms(Since(start)), Ms(milliseconds(30) + kLateSlack));
  if (in_flight(id)) WaitForId(id);
}

LIO_CONFORMANCE_CASE(WaitTest, wait_forever_blocks, NoTimeoutBlocksUntilOneCompletes) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  constexpr nanoseconds kAfter = milliseconds(30);
  uint64_t id = PushNew(Op::Timeout(Ns(kAfter)));
  Flush();
  Clock::time_point start = Clock::now();
  std::vector<lio_completion> batch = WaitOnce(std::nullopt);  // bounded by the suite's wait guard
  EXPECT_TRUE(Contains(batch, id)) << "wait() returned with nothing, and nobody woke it";
  EXPECT_GE(Ms(Since(start)), Ms(kAfter - kEarlySlack));
  if (in_flight(id)) WaitForId(id);
}

LIO_CONFORMANCE_CASE(WaitTest, wait_flushes, NoTimeoutReturnsUnflushedNop) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  uint64_t id = PushNew(Op::Nop());
  std::vector<lio_completion> batch = WaitOnce(std::nullopt);  // bounded by the suite's wait guard
  EXPECT_TRUE(Contains(batch, id)) << "wait() returned with nothing, and nobody woke it";
  if (in_flight(id)) WaitForId(id);
}

}  // namespace
}  // namespace lio::testing
