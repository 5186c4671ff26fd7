// poll: completes with the ready events of one handle (LIO_POLL_*), which may
// include ERR/HUP unasked but nothing else unasked.
#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class PollTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(PollTest);

constexpr uint32_t kAlwaysReportable = LIO_POLL_ERR | LIO_POLL_HUP;

LIO_CONFORMANCE_CASE(PollTest, result_poll, PollReadableAfterDataArrives) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t id = PushNew(Op::Poll(pair.tested, LIO_POLL_IN));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "poll for input completed before any data was sent";
  ASSERT_EQ(platform::Send(pair.peer, "x", 1, 0), 1);
  Result ready = WaitForId(id);
  ASSERT_GT(ready, 0);
  EXPECT_EQ(ready, platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(0)));
  EXPECT_EQ(ready.value & ~(LIO_POLL_IN | kAlwaysReportable), 0)
      << "events that were not asked for, and are not LIO_POLL_ERR/HUP";
}

LIO_CONFORMANCE_CASE(PollTest, result_poll, PollWritableAtOnce) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  Result ready = Complete(Op::Poll(pair.tested, LIO_POLL_OUT));
  EXPECT_EQ(ready, platform::Poll(pair.tested, LIO_POLL_OUT, milliseconds(0)));
  EXPECT_EQ(ready.value & LIO_POLL_OUT, LIO_POLL_OUT);
}

LIO_CONFORMANCE_CASE(PollTest, result_poll, PollReadableAtPeerShutdown) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Shutdown(pair.peer, 2), 0);
  Result ready = Complete(Op::Poll(pair.tested, LIO_POLL_IN));
  EXPECT_EQ(ready.value & LIO_POLL_IN, LIO_POLL_IN) << "end of stream is readable";
  EXPECT_EQ(ready.value & ~(LIO_POLL_IN | kAlwaysReportable), 0)
      << "events that were not asked for, and are not LIO_POLL_ERR/HUP: 0x" << std::hex
      << (ready.value & ~(LIO_POLL_IN | kAlwaysReportable));
  EXPECT_EQ(ready, platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(0)));
}

LIO_CONFORMANCE_CASE(PollTest, result_poll, PollForBothReportsOnlyWhatIsReady) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  Result ready = Complete(Op::Poll(pair.tested, LIO_POLL_IN | LIO_POLL_OUT));
  EXPECT_EQ(ready, LIO_POLL_OUT) << "writable, nothing to read";
}

}  // namespace
}  // namespace lio::testing
