// The fast path of ABI 1.1 (issue 15): the caller's promise of unique ids
// (LIO_CONFIG_UNIQUE_IDS), what cancel of an unknown id answers under it, and
// a wait array that survives push (LIO_FEATURE_STABLE_COMPLETIONS).
//
// The flag is a promise a backend may use or ignore, so the cases below
// reopen the backend with it and hold every backend to the same answers.
// (The whole suite also runs under it: --lio_unique_ids.)
#include <algorithm>
#include <set>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class FastPathTest : public ConformanceTest {
 protected:
  [[nodiscard]] bool ReopenWithUniqueIds(uint32_t capacity = kDefaultCapacity) {
    return Reopen({.capacity = capacity, .flags = LIO_CONFIG_UNIQUE_IDS});
  }
  // A recv on `pair.tested` that waits for data the case never sends.
  uint64_t PushWaitingRecv(const TcpPair& pair) {
    std::span<char> buf = Buffer(64);
    return PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(FastPathTest);

// Ids that differ only in their high bits, bit 63 clear and set: a backend
// that keys ops by part of the id under the flag mixes them up.
std::vector<uint64_t> IdsApartInHighBits() {
  return {0x0000'0001'0000'0007ull, 0x0000'0002'0000'0007ull, 0x4000'0000'0000'0007ull,
          0x8000'0000'0000'0007ull, 0x0000'0000'0000'0007ull, 0x7FFF'FFFF'FFFF'FFFFull,
          UINT64_MAX,               0ull};
}

LIO_CONFORMANCE_CASE(FastPathTest, config_unique_ids, EveryIdCompletesOnceUnderTheFlag) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  ASSERT_TRUE(ReopenWithUniqueIds());
  for (int round = 0; round < 3; ++round) {  // the ids are free again after each round
    const std::vector<uint64_t> ids = IdsApartInHighBits();
    for (uint64_t id : ids) ASSERT_EQ(Push(id, Op::Nop()), 0) << "id 0x" << std::hex << id;
    Flush();
    std::set<uint64_t> completed;
    for (const lio_completion& c : WaitFor(ids.size())) {
      completed.insert(c.id);
      EXPECT_EQ(Result{c.result}, 0) << "id 0x" << std::hex << c.id;
    }
    EXPECT_EQ(completed, std::set<uint64_t>(ids.begin(), ids.end())) << "round " << round;
  }
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "completions after every nop completed";
}

LIO_CONFORMANCE_CASE(FastPathTest, config_unique_ids, CapacityHonouredUnderTheFlag) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  constexpr uint32_t kCapacity = 8;
  ASSERT_TRUE(ReopenWithUniqueIds(kCapacity));
  for (uint32_t i = 0; i < kCapacity; ++i) PushNew(Op::Nop());
  const uint64_t extra = NextId();
  EXPECT_EQ(Push(extra, Op::Nop()), -LIO_EAGAIN) << "[push.full] holds under the flag too";
  Flush();
  WaitFor(kCapacity);
  EXPECT_EQ(Push(extra, Op::Nop()), 0) << "room again once the ops came back";
  Flush();
  EXPECT_EQ(WaitForId(extra), 0);
}

LIO_CONFORMANCE_CASE(FastPathTest, config_unique_ids, CancelStillCompletesOnceUnderTheFlag) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  ASSERT_TRUE(ReopenWithUniqueIds());
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const uint64_t id = PushWaitingRecv(pair);
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty()) << "recv completed with no data sent";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(Cancel(id), 0) << "[cancel.twice] under the flag";
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "the cancelled recv completed more than once";
}

// [cancel.unique_ids]: 0 or -ENOENT, and nothing follows — neither a
// completion under that id nor a cancel of another op.
LIO_CONFORMANCE_CASE(FastPathTest, cancel_unique_ids, UnknownIdAnswersAndNothingFollows) {
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_NOP);
  ASSERT_TRUE(ReopenWithUniqueIds());
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const uint64_t waiting = PushWaitingRecv(pair);
  Flush();
  const uint64_t done = PushNew(Op::Nop());
  Flush();
  EXPECT_EQ(WaitForId(done), 0);
  // Never pushed (both halves of the id space), and completed already.
  constexpr uint64_t kBit63 = uint64_t{1} << 63;
  for (uint64_t unknown : std::vector<uint64_t>{NextId(), NextId() | kBit63, NextId() & ~kBit63, done}) {
    const Result answer = Cancel(unknown);
    EXPECT_TRUE(answer == 0 || answer == -LIO_ENOENT)
        << "cancel of id 0x" << std::hex << unknown << " (not in flight) answered " << std::dec
        << ::testing::PrintToString(answer);
  }
  // Anything under an unknown id fails in the fixture ([completion.id]).
  EXPECT_TRUE(ReapFor(milliseconds(100)).empty()) << "a completion followed the cancel of an unknown id";
  EXPECT_TRUE(in_flight(waiting)) << "the cancel of an unknown id stopped another op";
  ASSERT_EQ(platform::Send(pair.peer, "x", 1, 0), 1);
  EXPECT_EQ(WaitForId(waiting), 1);
}

// [wait.array_survives_push]: the batch stays as it was while the caller
// pushes, flushes and cancels from inside its dispatch.
LIO_CONFORMANCE_CASE(FastPathTest, wait_array_survives_push, ArraySurvivesPushFlushCancel) {
  LIO_REQUIRE_OPS(LIO_OP_NOP, LIO_OP_RECV);
  if (!backend().has_feature(LIO_FEATURE_STABLE_COMPLETIONS)) {
    GTEST_SKIP() << "backend does not declare LIO_FEATURE_STABLE_COMPLETIONS";
  }
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const uint64_t waiting = PushWaitingRecv(pair);
  constexpr size_t kFirst = 8;
  for (size_t i = 0; i < kFirst; ++i) PushNew(Op::Nop());
  Flush();
  size_t pushed_during = 0;
  bool cancelled = false;
  for (size_t reaped = 0; reaped < kFirst;) {
    std::span<const lio_completion> batch = WaitInPlace(kDeadline);
    ASSERT_FALSE(HasFailure());
    ASSERT_FALSE(batch.empty()) << "the nops did not complete";
    const std::vector<lio_completion> before(batch.begin(), batch.end());
    for (size_t i = 0; i < batch.size(); ++i) {
      // Dispatching entry i: the next op goes out from here, as a loop's
      // callback would push it.
      PushNew(Op::Nop());
      ++pushed_during;
      ASSERT_GE(Flush(), 0);
      if (!cancelled) {
        EXPECT_EQ(Cancel(waiting), 0);
        cancelled = true;
      }
      const lio_completion& now = batch[i];
      EXPECT_TRUE(now.id == before[i].id && now.result == before[i].result && now.flags == before[i].flags)
          << "entry " << i << " changed under push/flush/cancel: id 0x" << std::hex << before[i].id << " -> 0x"
          << now.id << std::dec << ", result " << before[i].result << " -> " << now.result;
    }
    EXPECT_TRUE(std::equal(before.begin(), before.end(), batch.begin(), [](const auto& a, const auto& b) {
      return a.id == b.id && a.result == b.result && a.flags == b.flags;
    })) << "the batch changed while it was dispatched";
    reaped += std::count_if(before.begin(), before.end(), [&](const lio_completion& c) { return c.id != waiting; });
  }
  // What was pushed from inside the dispatch, and the cancelled recv.
  WaitFor(in_flight_count());  // (the fixture's count, a size_t)
  EXPECT_GE(pushed_during, kFirst);
  EXPECT_EQ(result_of(waiting), std::optional<Result>(Result{-LIO_ECANCELED}));
}

}  // namespace
}  // namespace lio::testing
