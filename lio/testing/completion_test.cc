// A completion: its id is the pushed token and its result that op's own, even
// when ops with different results complete in one wait; its flags are 0.
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class CompletionTest : public ConformanceTest {
 protected:
  // Pushes ops whose results all differ (reads of 1..n bytes, a nop, a read
  // of a closed handle, an expired timer); id -> the result it must have.
  std::map<uint64_t, int64_t> PushMixed() {
    std::map<uint64_t, int64_t> expected;
    if (declares(LIO_OP_READ)) {
      lio_handle file = OpenOwned(WriteFile("mixed", "0123456789"), platform::Access::kReadOnly);
      for (uint64_t len = 1; len <= 6; ++len) {
        std::span<char> buf = Buffer(len);
        expected[PushNew(Op::Read(file, buf.data(), len, 0))] = static_cast<int64_t>(len);
      }
      std::span<char> buf = Buffer(4);
      expected[PushNew(Op::Read(platform::KnownClosedHandle(), buf.data(), buf.size(), 0))] = -LIO_EBADF;
    }
    if (declares(LIO_OP_NOP)) expected[PushNew(Op::Nop())] = 0;
    if (declares(LIO_OP_TIMEOUT)) expected[PushNew(Op::Timeout(0))] = -LIO_ETIME;
    return expected;
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(CompletionTest);

// [completion.result_matches_id]: every op's result differs, and they are
// all done before the first wait, so a wait returns several together.
LIO_CONFORMANCE_CASE(CompletionTest, completion_result_matches_id, MixedBatchKeepsEachResultWithItsId) {
  LIO_REQUIRE_OPS(LIO_OP_NOP, LIO_OP_TIMEOUT);
  for (int round = 0; round < 3 && !HasFailure(); ++round) {
    std::map<uint64_t, int64_t> expected = PushMixed();
    Flush();
    std::this_thread::sleep_for(milliseconds(50));  // let them all finish: one batch, as far as the backend can
    WaitFor(expected.size());
    for (const auto& [id, result] : expected) {
      std::optional<Result> got = result_of(id);
      ASSERT_TRUE(got.has_value()) << "id 0x" << std::hex << id << " did not complete";
      EXPECT_EQ(*got, Result{result}) << "id 0x" << std::hex << id << " (round " << std::dec << round
                                      << ") completed with another op's result";
    }
  }
}

// [completion.flags_zero]: the 1.0 codes never carry a completion flag (the
// fixture checks every completion of every case against the flags its code
// may carry: MORE, BUFFER, NOTIF only on the 1.1 codes that define them).
LIO_CONFORMANCE_CASE(CompletionTest, completion_flags_zero, FlagsAndReservedAreZero) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  std::map<uint64_t, int64_t> expected = PushMixed();
  Flush();
  size_t seen = 0;
  for (Clock::time_point start = Clock::now(); seen < expected.size() && Since(start) < kDeadline;) {
    for (const lio_completion& c : WaitOnce(milliseconds(100))) {
      ++seen;
      EXPECT_EQ(c.flags, 0u) << "id 0x" << std::hex << c.id;
      EXPECT_EQ(c.reserved, 0u) << "id 0x" << std::hex << c.id;
    }
  }
  EXPECT_EQ(seen, expected.size());
}

}  // namespace
}  // namespace lio::testing
