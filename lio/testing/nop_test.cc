// nop: the smallest operation; completes with 0.
#include <set>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class NopTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(NopTest);

LIO_CONFORMANCE_CASE(NopTest, result_nop, NopCompletesWithZero) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  EXPECT_EQ(Complete(Op::Nop()), 0);
}

LIO_CONFORMANCE_CASE(NopTest, wait_exactly_once, EachNopCompletesOnce) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  constexpr size_t kNops = 16;
  std::set<uint64_t> pushed;
  for (size_t i = 0; i < kNops; ++i) pushed.insert(PushNew(Op::Nop()));
  Flush();
  std::set<uint64_t> completed;
  for (const lio_completion& c : WaitFor(kNops)) {
    completed.insert(c.id);
    EXPECT_EQ(Result{c.result}, 0);
  }
  EXPECT_EQ(completed, pushed);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "completions after every nop completed";
}

LIO_CONFORMANCE_CASE(NopTest, completion_id, IdsKeepAllSixtyFourBits) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  const std::set<uint64_t> ids = {0, 1, UINT64_MAX, 1ull << 63, 0xDEAD'BEEF'0000'0000ull, 0x0000'0000'FFFF'FFFFull,
                                  0x0000'0001'0000'0000ull};
  for (uint64_t id : ids) ASSERT_EQ(Push(id, Op::Nop()), 0) << "id 0x" << std::hex << id;
  Flush();
  std::set<uint64_t> completed;
  for (const lio_completion& c : WaitFor(ids.size())) completed.insert(c.id);
  EXPECT_EQ(completed, ids);
}

LIO_CONFORMANCE_CASE(NopTest, push_duplicate, IdReusableAfterCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  constexpr uint64_t kId = 42;
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(Push(kId, Op::Nop()), 0) << "round " << round;
    Flush();
    EXPECT_EQ(WaitForId(kId), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace lio::testing
