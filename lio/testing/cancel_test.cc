// cancel: an in-flight op answers 0 and still completes exactly once
// (-ECANCELED, or its real result if it won the race); an id not in flight
// answers -ENOENT.
#include <string>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class CancelTest : public ConformanceTest {
 protected:
  // A recv on `pair.tested` that waits for data the case never sends.
  uint64_t PushWaitingRecv(const TcpPair& pair) {
    std::span<char> buf = Buffer(64);
    return PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(CancelTest);

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, WaitingRecvCompletesEcanceled) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t id = PushWaitingRecv(pair);
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty()) << "recv completed with no data sent";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
  const Result again = Cancel(id);
  EXPECT_TRUE(AnswersUnknownId(again)) << "no longer in flight once reaped, but cancel answered "
                                       << ::testing::PrintToString(again);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, UnflushedRecvCompletesEcanceled) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t id = PushWaitingRecv(pair);
  EXPECT_EQ(Cancel(id), 0) << "a pushed, unflushed op is in flight";
  Flush();
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_twice, CancellingTwiceCompletesOnce) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t id = PushWaitingRecv(pair);
  Flush();
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(Cancel(id), 0) << "still in flight until wait returns it";
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "the second cancel made a second completion";
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_enoent, AfterCompletionIsEnoent) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  uint64_t id = PushNew(Op::Nop());
  Flush();
  EXPECT_EQ(WaitForId(id), 0);
  EXPECT_EQ(Cancel(id), -LIO_ENOENT);
  EXPECT_TRUE(ReapFor(milliseconds(30)).empty());
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_enoent, UnknownIdIsEnoent) {
  EXPECT_EQ(Cancel(0xBAD'1D), -LIO_ENOENT);
  EXPECT_TRUE(ReapFor(milliseconds(30)).empty()) << "a refused cancel made a completion";
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, TimeoutCompletesEcanceledPromptly) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t id = PushNew(Op::Timeout(Ns(seconds(10))));
  Flush();
  Clock::time_point start = Clock::now();
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED) << "a cancelled timeout is -ECANCELED, not -ETIME";
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack));
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, WaitingAcceptCompletesEcanceled) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  Listener listener = OwnedListener();
  uint64_t id = PushNew(Op::Accept(listener.handle));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty()) << "accept completed with nobody connecting";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, WaitingPollCompletesEcanceled) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t id = PushNew(Op::Poll(pair.tested, LIO_POLL_IN));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty()) << "poll completed with nothing to read";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, RacingCompletionCompletesOnce) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "race", 4, 0), 4);
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, seconds(5)), 0);
  std::span<char> buf = Buffer(64);
  uint64_t id = PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  EXPECT_EQ(Cancel(id), 0) << "in flight until wait returns it, even if already done";
  Result result = WaitForId(id);
  EXPECT_TRUE(result == 4 || result == -LIO_ECANCELED) << ::testing::PrintToString(result);
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty());
}

LIO_CONFORMANCE_CASE(CancelTest, cancel_completes_once, CancelStopsOnlyItsOwnOp) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair first = OwnedTcpPair(), second = OwnedTcpPair();
  ASSERT_TRUE(first.ok() && second.ok());
  uint64_t cancelled = PushWaitingRecv(first);
  std::span<char> buf = Buffer(64);
  uint64_t kept = PushNew(Op::Recv(second.tested, buf.data(), buf.size()));
  Flush();
  EXPECT_EQ(Cancel(cancelled), 0);
  EXPECT_EQ(WaitForId(cancelled), -LIO_ECANCELED);
  EXPECT_TRUE(in_flight(kept)) << "cancelling one recv completed another";
  ASSERT_EQ(platform::Send(second.peer, "kept", 4, 0), 4);
  EXPECT_EQ(WaitForId(kept), 4);
}

}  // namespace
}  // namespace lio::testing
