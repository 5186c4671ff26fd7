// push: the caller's mistakes are refused at push (-EEXIST, -EOPNOTSUPP,
// -EINVAL) and queue nothing; the operation's own errors arrive as its
// completion. Also: ops of other minor versions, and flush.
#include <cstddef>
#include <cstring>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class PushTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(PushTest);

// An op with `code` and nothing else filled in.
Op OpWithCode(uint32_t code) {
  Op op;
  op.code = code;
  op.handle = LIO_INVALID_HANDLE;
  return op;
}

LIO_CONFORMANCE_CASE(PushTest, push_duplicate, DuplicateQueuedIdIsEexist) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  uint64_t id = PushNew(Op::Nop());
  EXPECT_EQ(Push(id, Op::Nop()), -LIO_EEXIST) << "id pushed and not yet flushed is in flight";
  Flush();
  EXPECT_EQ(WaitForId(id), 0);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "the refused duplicate completed anyway";
}

LIO_CONFORMANCE_CASE(PushTest, push_duplicate, DuplicateSubmittedIdIsEexist) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  uint64_t id = PushNew(Op::Timeout(Ns(seconds(10))));
  Flush();
  EXPECT_EQ(Push(id, Op::Nop()), -LIO_EEXIST) << "id flushed and not yet reaped is in flight";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(PushTest, push_undeclared, UndeclaredOpIsEopnotsupp) {
  std::vector<uint32_t> undeclared;
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (!declares(code)) undeclared.push_back(code);
  }
  if (undeclared.empty()) GTEST_SKIP() << "backend declares every op";
  for (uint32_t code : undeclared) {
    EXPECT_EQ(Push(NextId(), OpWithCode(code)), -LIO_EOPNOTSUPP) << "undeclared op " << op_name(code);
  }
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(PushTest, push_malformed, BadCodeIsEinval) {
  for (uint32_t code : {uint32_t{LIO_OP_COUNT}, uint32_t{0xFFFF}, UINT32_MAX}) {
    EXPECT_EQ(Push(NextId(), OpWithCode(code)), -LIO_EINVAL) << "op code " << code;
  }
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

// [push.malformed]: flag bits the op does not define are a malformed op,
// refused at push by every backend (never silently ignored by one and
// refused by another).
LIO_CONFORMANCE_CASE(PushTest, push_undefined_flags, UndefinedOpFlagsAreEinval) {
  bool any = false;
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (!declares(code)) continue;
    any = true;
    // Bit 23 no code defines; bit 24 is a generic bit 1.1 leaves undefined.
    for (uint32_t flags : {0x00800000u, 0x01000000u}) {
      Op op = OpWithCode(code);
      op.flags = flags;
      EXPECT_EQ(Push(NextId(), op), -LIO_EINVAL) << op_name(code) << " with flags 0x" << std::hex << flags;
    }
  }
  if (!any) GTEST_SKIP() << "backend declares no op";
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(PushTest, push_undefined_flags, UndefinedOpenFlagsAreEinval) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  EXPECT_EQ(Push(NextId(), Op::Openat(LIO_AT_FDCWD, "lio-never-created", LIO_OPEN_RDONLY | 0x8000u)), -LIO_EINVAL);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

// [push.undeclared]: an undeclared code is -EOPNOTSUPP whatever else is in
// the op: the capability is checked before the op's fields.
LIO_CONFORMANCE_CASE(PushTest, push_undeclared, UndeclaredOpIsEopnotsuppWhateverItsFlags) {
  std::vector<uint32_t> undeclared;
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (!declares(code)) undeclared.push_back(code);
  }
  if (undeclared.empty()) GTEST_SKIP() << "backend declares every op";
  for (uint32_t code : undeclared) {
    Op op = OpWithCode(code);
    op.flags = 0x80000000u;
    EXPECT_EQ(Push(NextId(), op), -LIO_EOPNOTSUPP) << "undeclared op " << op_name(code);
  }
}

LIO_CONFORMANCE_CASE(PushTest, push_malformed, StructTooSmallForItsHeaderIsEinval) {
  for (uint32_t size : {0u, 4u}) {
    Op op = Op::Nop();
    op.struct_size = size;
    EXPECT_EQ(Push(NextId(), op), -LIO_EINVAL) << "struct_size " << size;
  }
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(PushTest, push_malformed, OtherAbiMajorIsEinval) {
  for (uint32_t version : {uint32_t{(LIO_ABI_VERSION_MAJOR + 1) << 16}, uint32_t{0}}) {
    Op op = Op::Nop();
    op.abi_version = version;
    EXPECT_EQ(Push(NextId(), op), -LIO_EINVAL) << "abi_version 0x" << std::hex << version;
  }
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(PushTest, push_op_errors_complete, OperationErrorArrivesAsCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  char* buf = Buffer(16).data();
  lio_handle closed = platform::KnownClosedHandle();
  uint64_t id = NextId();
  ASSERT_EQ(Push(id, Op::Read(closed, buf, 16, 0)), 0) << "a bad handle is the op's error, not push's";
  Flush();
  EXPECT_EQ(WaitForId(id), platform::PositionedRead(closed, buf, 16, 0));
}

// A caller built against a newer minor passes a longer op; the backend reads
// the fields it knows.
LIO_CONFORMANCE_CASE(PushTest, push_minor_versions, LongerOpOfNewerMinorIsAccepted) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  constexpr size_t kGrowth = 32;
  auto& bytes = Keep<std::vector<std::byte>>(sizeof(lio_op) + kGrowth, std::byte{0xAB});
  Op nop = Op::Nop();
  nop.struct_size = sizeof(lio_op) + kGrowth;
  nop.abi_version = (LIO_ABI_VERSION_MAJOR << 16) | (LIO_ABI_VERSION_MINOR + 1);
  std::memcpy(bytes.data(), &nop, sizeof(lio_op));
  uint64_t id = NextId();
  ASSERT_EQ(Push(id, *reinterpret_cast<const lio_op*>(bytes.data())), 0);
  Flush();
  EXPECT_EQ(WaitForId(id), 0);
}

// A caller built against an older minor passes a shorter op; what it lacks
// reads as zero.
LIO_CONFORMANCE_CASE(PushTest, push_minor_versions, ShorterOpIsReadUpToItsSize) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  Op nop = Op::Nop();
  nop.struct_size = offsetof(lio_op, u);
  std::memset(&nop.u, 0xAB, sizeof nop.u);  // beyond struct_size: must not be read
  uint64_t id = NextId();
  ASSERT_EQ(Push(id, nop), 0);
  Flush();
  EXPECT_EQ(WaitForId(id), 0);
}

// [push.op_not_kept]: the caller reuses its lio_op as soon as push
// returns; what the backend does must be what the op said at push.
LIO_CONFORMANCE_CASE(PushTest, push_op_not_kept, OpReusedAfterPushChangesNothing) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  lio_op op = Op::Timeout(Ns(milliseconds(1)));
  uint64_t timer = NextId();
  ASSERT_EQ(Push(timer, op), 0);
  op.u.timeout.ns = Ns(seconds(3600));  // what a kept pointer would read later
  op.flags = 0;
  lio_op nop = Op::Nop();
  uint64_t second = NextId();
  ASSERT_EQ(Push(second, nop), 0);
  std::memset(&nop, 0xA5, sizeof nop);  // the caller's memory, reused
  Flush();
  EXPECT_EQ(WaitForId(timer), -LIO_ETIME) << "the timeout pushed for 1 ms did not expire: the backend read the op "
                                            "after push returned";
  EXPECT_EQ(WaitForId(second), 0);
}

LIO_CONFORMANCE_CASE(PushTest, flush_count, FlushSaysHowManyWereQueued) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  for (int i = 0; i < 3; ++i) PushNew(Op::Nop());
  EXPECT_EQ(Flush(), 3);
  EXPECT_EQ(Flush(), 0) << "nothing is queued any more";
  WaitFor(3);
}

LIO_CONFORMANCE_CASE(PushTest, flush_count, FlushOfNothingIsZero) { EXPECT_EQ(Flush(), 0); }

LIO_CONFORMANCE_CASE(PushTest, wait_flushes, WaitFlushesWhatWasPushed) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  uint64_t id = PushNew(Op::Nop());
  // No flush: wait must hand it over itself.
  EXPECT_EQ(WaitForId(id), 0);
}

}  // namespace
}  // namespace lio::testing
