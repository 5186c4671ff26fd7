// capacity: `capacity` ops can be in flight (pushed and not yet returned by
// wait); one more is -EAGAIN and queues nothing; reaping frees the room.
#include <set>
#include <thread>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class CapacityTest : public ConformanceTest {
 protected:
  static constexpr uint32_t kSmallCapacity = 8;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(CapacityTest);

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, PushPastCapacityIsEagainAndLosesNothing) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = kSmallCapacity}));
  std::set<uint64_t> accepted;
  for (uint32_t i = 0; i < kSmallCapacity; ++i) {
    uint64_t id = NextId();
    ASSERT_EQ(Push(id, Op::Nop()), 0) << "push " << i + 1 << " of capacity " << kSmallCapacity;
    accepted.insert(id);
  }
  EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN) << "one past capacity";
  Flush();
  std::set<uint64_t> completed;
  for (const lio_completion& c : WaitFor(kSmallCapacity)) completed.insert(c.id);
  EXPECT_EQ(completed, accepted) << "exactly the accepted ops complete";
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "the refused op completed anyway";
}

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, ReapingFreesRoom) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = kSmallCapacity}));
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < kSmallCapacity; ++i) {
      ASSERT_EQ(Push(NextId(), Op::Nop()), 0) << "round " << round << ", push " << i + 1;
    }
    EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN) << "round " << round;
    Flush();
    WaitFor(kSmallCapacity);
  }
}

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, CompletedOpsCountUntilReaped) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = kSmallCapacity}));
  for (uint32_t i = 0; i < kSmallCapacity; ++i) ASSERT_EQ(Push(NextId(), Op::Nop()), 0);
  Flush();
  std::this_thread::sleep_for(milliseconds(50));  // done in the OS, not yet returned by wait
  EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN) << "in flight means pushed and not yet returned by wait";
  WaitFor(kSmallCapacity);
  EXPECT_EQ(Push(NextId(), Op::Nop()), 0);
  WaitFor(1);
}

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, PushPastCapacityWhileOpsWaitIsEagain) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = 4}));
  std::set<uint64_t> waiting;
  for (int i = 0; i < 4; ++i) waiting.insert(PushNew(Op::Timeout(Ns(seconds(10)))));
  Flush();
  EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN);
  for (uint64_t id : waiting) EXPECT_EQ(Cancel(id), 0);
  for (const lio_completion& c : WaitFor(4)) EXPECT_EQ(Result{c.result}, -LIO_ECANCELED);
  EXPECT_EQ(Complete(Op::Nop()), 0) << "room again after reaping";
}

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, CapacityOfOne) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = 1}));
  uint64_t id = PushNew(Op::Nop());
  EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN);
  Flush();
  EXPECT_EQ(WaitForId(id), 0);
  EXPECT_EQ(Complete(Op::Nop()), 0);
}

LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, RefusedDuplicateTakesNoRoom) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = 2}));
  uint64_t id = PushNew(Op::Nop());
  EXPECT_EQ(Push(id, Op::Nop()), -LIO_EEXIST);
  EXPECT_EQ(Push(NextId(), Op::Nop()), 0) << "the refused duplicate took a slot";
  Flush();
  WaitFor(2);
}

// [push.full_first]: when the backend is full and the id is in flight too,
// full is the answer (-EAGAIN): it is checked first by every backend, so the
// caller's retry logic sees the same thing everywhere.
LIO_CONFORMANCE_CASE(CapacityTest, capacity_honoured, FullIsAnsweredBeforeADuplicateId) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  ASSERT_TRUE(Reopen({.capacity = 2}));
  uint64_t first = PushNew(Op::Timeout(Ns(seconds(10))));
  uint64_t second = PushNew(Op::Timeout(Ns(seconds(10))));
  EXPECT_EQ(Push(first, Op::Nop()), -LIO_EAGAIN) << "full and a duplicate id: full comes first";
  Flush();
  EXPECT_EQ(Push(second, Op::Nop()), -LIO_EAGAIN) << "the same once flushed";
  EXPECT_EQ(Cancel(first), 0);
  EXPECT_EQ(Cancel(second), 0);
  for (const lio_completion& c : WaitFor(2)) EXPECT_EQ(Result{c.result}, -LIO_ECANCELED);
}

}  // namespace
}  // namespace lio::testing
