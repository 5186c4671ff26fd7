// ABI 1.1 links: LIO_OPF_LINK chains run in order ([link.order]), end at a
// flush ([link.flush_ends]), fail forward with -ECANCELED
// ([link.fail_forward]), and LIO_OP_LINK_TIMEOUT is the deadline of the op
// before it ([link.timeout]). Every case skips on a backend that does not
// declare LIO_FEATURE_LINK.
#include <string>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class LinkTest : public ConformanceTest {
 protected:
  // The ids of `ops`, pushed in order and flushed once.
  std::vector<uint64_t> PushAll(std::initializer_list<lio_op> ops) {
    std::vector<uint64_t> ids;
    for (const lio_op& op : ops) ids.push_back(PushNew(op));
    Flush();
    return ids;
  }
  // Waits for every id and returns their results, in the order of `ids`.
  std::vector<Result> ResultsOf(const std::vector<uint64_t>& ids) {
    std::vector<Result> results;
    for (uint64_t id : ids) results.push_back(WaitForId(id));
    return results;
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(LinkTest);

#define LIO_REQUIRE_LINKS()                             \
  if (!backend().has_feature(LIO_FEATURE_LINK)) \
  GTEST_SKIP() << "backend does not declare LIO_FEATURE_LINK"

constexpr char kByte = 'x';

// ---- [link.order] ----

LIO_CONFORMANCE_CASE(LinkTest, link_order, NextOpWaitsForTheOneBefore) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t poll = PushNew(Op::Poll(pair.tested, LIO_POLL_IN).Linked());
  uint64_t nop = PushNew(Op::Nop());
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(100)).empty()) << "the nop ran before the poll it is linked behind completed";
  ASSERT_EQ(platform::Send(pair.peer, &kByte, 1, 0), 1);
  std::vector<uint64_t> order;
  for (const lio_completion& c : WaitFor(2)) order.push_back(c.id);
  EXPECT_EQ(order, (std::vector<uint64_t>{poll, nop}));
  EXPECT_EQ(*result_of(poll), LIO_POLL_IN);
  EXPECT_EQ(*result_of(nop), 0);
}

LIO_CONFORMANCE_CASE(LinkTest, link_order, WritesAtThePositionLandInChainOrder) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_WRITE);
  lio_handle file = OpenOwned(WriteFile("chain", ""), platform::Access::kReadWrite);
  const std::string parts[] = {"first,", "second,", "third,", "fourth"};
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < 4; ++i) {
    Op write = Op::Write(file, parts[i].data(), parts[i].size());
    ids.push_back(PushNew(i < 3 ? write.Linked() : write));
  }
  Flush();
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(WaitForId(ids[i]), static_cast<int64_t>(parts[i].size()));
  EXPECT_EQ(ReadFile(TempPath() / "chain"), "first,second,third,fourth");
}

LIO_CONFORMANCE_CASE(LinkTest, link_order, SuccessfulChainRunsEveryOp) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  auto ids = PushAll({Op::Nop().Linked(), Op::Nop().Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{0}, {0}, {0}}));
}

// A cancel of an op waiting in its chain may take effect at once (poller) or
// only when its turn comes (io_uring cannot reach it): either way it
// completes once, and cancelling the running op ends the chain.
LIO_CONFORMANCE_CASE(LinkTest, link_order, CancelOfAWaitingOpCompletesItOnce) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  auto ids = PushAll({Op::Poll(pair.tested, LIO_POLL_IN).Linked(), Op::Nop()});
  EXPECT_EQ(Cancel(ids[1]), 0);
  EXPECT_TRUE(in_flight(ids[0])) << "cancelling the waiting op ended the one before it";
  EXPECT_EQ(Cancel(ids[0]), 0);
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ECANCELED}}));
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty());
}

// ---- [link.flush_ends] ----

LIO_CONFORMANCE_CASE(LinkTest, link_flush_ends, OpPushedAfterAFlushIsNotInTheChain) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t poll = PushNew(Op::Poll(pair.tested, LIO_POLL_IN).Linked());
  Flush();
  uint64_t nop = PushNew(Op::Nop());
  Flush();
  EXPECT_EQ(WaitForId(nop), 0) << "the op pushed after the flush waited on the chain the flush ended";
  EXPECT_TRUE(in_flight(poll));
  ASSERT_EQ(platform::Send(pair.peer, &kByte, 1, 0), 1);
  EXPECT_EQ(WaitForId(poll), LIO_POLL_IN);
}

LIO_CONFORMANCE_CASE(LinkTest, link_flush_ends, LinkTimeoutAfterAFlushHasNoOpToGuard) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_LINK_TIMEOUT);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t poll = PushNew(Op::Poll(pair.tested, LIO_POLL_IN).Linked());
  Flush();
  EXPECT_EQ(Complete(Op::LinkTimeout(Ns(milliseconds(10)))), -LIO_EINVAL);
  EXPECT_TRUE(in_flight(poll)) << "a timeout pushed after the flush cut the op before it";
  ASSERT_EQ(platform::Send(pair.peer, &kByte, 1, 0), 1);
  EXPECT_EQ(WaitForId(poll), LIO_POLL_IN);
}

// ---- [link.fail_forward] ----

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, ErrorCancelsTheRestOfTheChain) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_READ, LIO_OP_NOP);
  char buf[8];
  auto ids = PushAll({Op::Read(LIO_INVALID_HANDLE, buf, sizeof buf).Linked(), Op::Nop().Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_EBADF}, {-LIO_ECANCELED}, {-LIO_ECANCELED}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, ShortReadCancelsTheRest) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_READ, LIO_OP_NOP);
  lio_handle file = OpenOwned(WriteFile("short", "0123456789"), platform::Access::kReadOnly);
  std::span<char> buf = Buffer(100);
  auto ids = PushAll({Op::Read(file, buf.data(), buf.size(), 0).Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{10}, {-LIO_ECANCELED}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, ShortRecvWithoutWaitallDoesNotFail) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "ab", 2, 0), 2);
  std::span<char> buf = Buffer(100);
  auto ids = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{2}, {0}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, ExpiredTimeoutCancelsTheRest) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT, LIO_OP_NOP);
  auto ids = PushAll({Op::Timeout(Ns(milliseconds(1))).Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_ETIME}, {-LIO_ECANCELED}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, CancellingTheRunningOpEndsTheChain) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  auto ids = PushAll({Op::Poll(pair.tested, LIO_POLL_IN).Linked(), Op::Nop().Linked(), Op::Nop()});
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty());
  EXPECT_EQ(Cancel(ids[0]), 0);
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ECANCELED}, {-LIO_ECANCELED}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_fail_forward, CancelBeforeTheFlushEndsTheChain) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_POLL, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  uint64_t poll = PushNew(Op::Poll(pair.tested, LIO_POLL_IN).Linked());
  EXPECT_EQ(Cancel(poll), 0);
  uint64_t nop = PushNew(Op::Nop());
  Flush();
  EXPECT_EQ(ResultsOf({poll, nop}), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ECANCELED}}));
}

// ---- [link.timeout] ----

LIO_CONFORMANCE_CASE(LinkTest, link_timeout, DeadlineCancelsTheOp) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_LINK_TIMEOUT);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(16);
  auto ids = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(), Op::LinkTimeout(Ns(milliseconds(30)))});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ETIME}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_timeout, AbsoluteDeadlineCancelsTheOp) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_LINK_TIMEOUT);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(16);
  const int64_t deadline = Ns((Clock::now() + milliseconds(30)).time_since_epoch());
  auto ids = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(), Op::LinkTimeoutAt(deadline)});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ETIME}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_timeout, OpThatCompletesFirstCancelsTheTimeout) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_LINK_TIMEOUT);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "abc", 3, 0), 3);
  std::span<char> buf = Buffer(16);
  // Far beyond kDeadline: only its cancellation can end it in time.
  auto ids = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(), Op::LinkTimeout(Ns(seconds(60)))});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{3}, {-LIO_ECANCELED}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_timeout, WithoutALinkedOpBeforeItIsEinval) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_NOP, LIO_OP_LINK_TIMEOUT);
  EXPECT_EQ(Complete(Op::LinkTimeout(Ns(milliseconds(10)))), -LIO_EINVAL);
  auto ids = PushAll({Op::Nop(), Op::LinkTimeout(Ns(milliseconds(10)))});
  EXPECT_EQ(ResultsOf(ids), (std::vector<Result>{{0}, {-LIO_EINVAL}}));
}

LIO_CONFORMANCE_CASE(LinkTest, link_timeout, LinkedTimeoutContinuesTheChain) {
  LIO_REQUIRE_LINKS();
  LIO_REQUIRE_OPS(LIO_OP_RECV, LIO_OP_LINK_TIMEOUT, LIO_OP_NOP);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "ab", 2, 0), 2);
  std::span<char> buf = Buffer(16);
  auto in_time = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(),
                          Op::LinkTimeout(Ns(seconds(60))).Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(in_time), (std::vector<Result>{{2}, {-LIO_ECANCELED}, {0}}));
  auto cut = PushAll({Op::Recv(pair.tested, buf.data(), buf.size()).Linked(),
                      Op::LinkTimeout(Ns(milliseconds(30))).Linked(), Op::Nop()});
  EXPECT_EQ(ResultsOf(cut), (std::vector<Result>{{-LIO_ECANCELED}, {-LIO_ETIME}, {-LIO_ECANCELED}}));
}

}  // namespace
}  // namespace lio::testing
