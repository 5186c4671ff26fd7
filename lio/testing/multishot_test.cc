// Multi-completion operations (ABI 1.1): multishot accept and recv, whose
// completions carry LIO_COMPLETION_MORE until the final one, and SEND_ZC's
// result-then-notice protocol. The fixture checks on every completion that
// MORE appears only on these codes and that nothing follows a final one.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lio/testing/stream_test.h"

namespace lio::testing {
namespace {

class MultishotTest : public StreamTest {
 protected:
  // A client connected to `listener` (owned by the case).
  lio_handle ConnectClient(const Listener& listener) {
    int64_t client = platform::Socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(client, 0);
    lio_handle h = Own(static_cast<lio_handle>(client));
    EXPECT_EQ(platform::Connect(h, AsSockaddr(listener.address), sizeof listener.address), 0);
    return h;
  }

  // Connects one more client to `stream` and waits for the stream's next
  // completion; the handle it accepted (if any) is the case's to close.
  std::optional<lio_completion> ConnectAndAccept(const AcceptStream& stream) {
    ConnectClient(stream.listener);
    std::optional<lio_completion> c = NextOf(stream.id);
    if (c && c->result >= 0) Own(static_cast<lio_handle>(c->result));
    return c;
  }

  // Nothing more arrives for `id` for a while (its stream ended).
  void ExpectNothingMoreFor(uint64_t id) {
    const size_t before = completions_of(id).size();
    ReapFor(milliseconds(100));
    EXPECT_EQ(completions_of(id).size(), before) << "completions came for id 0x" << std::hex << id
                                                 << " after its final one";
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(MultishotTest);

constexpr int kClients = 3;

// [multishot.more]: while the listener stays open and nobody cancels, each
// client's completion says more follow.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_more, AcceptMultiCompletesPerClientWithMore) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT_MULTI);
  const AcceptStream stream = StartAcceptStream();
  for (int i = 0; i < kClients; ++i) {
    std::optional<lio_completion> c = ConnectAndAccept(stream);
    ASSERT_TRUE(c.has_value());
    ASSERT_GE(c->result, 0) << "client " << i;
    EXPECT_NE(c->flags & LIO_COMPLETION_MORE, 0u) << "client " << i << ": the stream goes on, so MORE is set";
    EXPECT_TRUE(in_flight(stream.id));
  }
  EndStream(stream.id);
}

// [multishot.accept_handles]: each completion is a new connection of its own.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_accept_handles, EachCompletionIsADistinctConnection) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT_MULTI);
  const auto [listener, id] = StartAcceptStream();
  std::vector<lio_handle> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(ConnectClient(listener));
  std::set<lio_handle> accepted;
  for (int i = 0; i < kClients; ++i) {
    std::optional<lio_completion> c = NthOf(id, static_cast<size_t>(i));
    ASSERT_TRUE(c.has_value());
    ASSERT_GE(c->result, 0);
    lio_handle h = Own(static_cast<lio_handle>(c->result));
    EXPECT_TRUE(accepted.insert(h).second) << "handle " << h << " was handed out twice";
    EXPECT_FALSE(platform::IsInheritable(h)) << "accepted handles are close-on-exec";
    EXPECT_NE(platform::IsBlocking(h), false) << "accepted handles are in blocking mode";
  }
  EndStream(id);
  // Each handle is one client's connection: a byte from client i reaches one
  // accepted handle, and every client reaches a different one.
  std::set<lio_handle> reached;
  for (size_t i = 0; i < clients.size(); ++i) {
    const char mark = static_cast<char>('a' + i);
    ASSERT_EQ(platform::Send(clients[i], &mark, 1, 0), 1);
    for (lio_handle h : accepted) {
      if (platform::Poll(h, LIO_POLL_IN, milliseconds(200)) <= 0) continue;
      char got = 0;
      ASSERT_EQ(platform::Recv(h, &got, 1, 0), 1);
      EXPECT_EQ(got, mark);
      reached.insert(h);
      break;
    }
  }
  EXPECT_EQ(reached.size(), accepted.size()) << "every accepted handle is a distinct client's connection";
}

// [multishot.accept_handles]: more clients arrive at once than the backend
// has capacity (so more completions than one wait's array can hold): each
// is still handed out once, as its own handle.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_accept_handles, MoreClientsAtOnceThanCapacity) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT_MULTI);
  ASSERT_TRUE(Reopen({.capacity = 4}));
  const auto [listener, id] = StartAcceptStream();
  constexpr int kStorm = 24;  // within the listener's backlog
  for (int i = 0; i < kStorm; ++i) ConnectClient(listener);
  std::set<lio_handle> accepted;
  for (int i = 0; i < kStorm; ++i) {
    std::optional<lio_completion> c = NthOf(id, static_cast<size_t>(i));
    ASSERT_TRUE(c.has_value()) << "client " << i;
    ASSERT_GE(c->result, 0) << "client " << i;
    EXPECT_NE(c->flags & LIO_COMPLETION_MORE, 0u) << "client " << i;
    EXPECT_TRUE(accepted.insert(Own(static_cast<lio_handle>(c->result))).second);
  }
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kStorm));
  EndStream(id);
}

// [multishot.cancel]: cancel ends an accept stream with one final completion.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_cancel, CancelEndsAcceptStreamOnce) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT_MULTI);
  const AcceptStream stream = StartAcceptStream();
  const uint64_t id = stream.id;
  ASSERT_TRUE(ConnectAndAccept(stream).has_value());
  ASSERT_TRUE(in_flight(id)) << "the stream ended by itself";
  EXPECT_EQ(Cancel(id), 0);
  EXPECT_EQ(Cancel(id), 0) << "[cancel.twice]";
  std::optional<lio_completion> final = FinalOf(id);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->flags & LIO_COMPLETION_MORE, 0u);
  if (final->result >= 0) {
    Own(static_cast<lio_handle>(final->result));
  } else {
    EXPECT_EQ(Result{final->result}, -LIO_ECANCELED);
  }
  ExpectNothingMoreFor(id);
  const Result again = Cancel(id);
  EXPECT_TRUE(AnswersUnknownId(again)) << "the id is free after its final completion, but cancel answered "
                                       << ::testing::PrintToString(again);
}

// [multishot.cancel]: a recv stream waiting for data ends the same way.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_cancel, CancelEndsRecvStreamOnce) {
  LIO_REQUIRE_OPS(LIO_OP_RECV_MULTI);
  LIO_REQUIRE_BUFFER_GROUPS();
  const auto [pair, base, id] = StartRecvStream(1, 4, 64);
  ASSERT_NE(base, nullptr);
  PeerSend(pair.peer, "ping");
  ASSERT_TRUE(NthOf(id, 0).has_value());
  EXPECT_EQ(Cancel(id), 0);
  std::optional<lio_completion> final = FinalOf(id);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(final->flags & LIO_COMPLETION_MORE, 0u);
  if (final->result < 0) {
    EXPECT_EQ(Result{final->result}, -LIO_ECANCELED);
  }
  ExpectNothingMoreFor(id);
}

// [multishot.final_once]: a recv stream ends once, at the peer's shutdown
// (result 0), and its id can be pushed again right after.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_final_once, RecvStreamEndsOnceAtPeerShutdown) {
  LIO_REQUIRE_OPS(LIO_OP_RECV_MULTI);
  LIO_REQUIRE_BUFFER_GROUPS();
  constexpr uint32_t kSize = 64;
  const auto [pair, base, id] = StartRecvStream(2, 8, kSize);
  ASSERT_NE(base, nullptr);
  std::string received;
  const std::string sent = "one-two-three";
  PeerSend(pair.peer, sent);
  while (received.size() < sent.size() && !HasFailure()) {
    std::optional<lio_completion> c = NextOf(id);
    ASSERT_TRUE(c.has_value());
    ASSERT_GT(c->result, 0);
    ASSERT_NE(c->flags & LIO_COMPLETION_MORE, 0u) << "data, and the peer is still there: more follow";
    received += BytesOf(*c, base, kSize);
    EXPECT_EQ(backend().return_buffer(2, LIO_COMPLETION_BUFFER_ID(c->flags)), std::error_code{});
  }
  EXPECT_EQ(received, sent);
  ASSERT_EQ(platform::Shutdown(pair.peer, 1), 0);
  std::optional<lio_completion> final = FinalOf(id);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(Result{final->result}, 0) << "the peer's shutdown ends the stream";
  EXPECT_EQ(final->flags & LIO_COMPLETION_MORE, 0u);
  ExpectNothingMoreFor(id);
  // The id is free: the same id may be pushed again.
  EXPECT_EQ(Push(id, Op::RecvMulti(pair.tested, 2)), 0) << "[multishot.final_once] the id is free after its final one";
  Flush();
  std::optional<lio_completion> again = FinalOf(id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Result{again->result}, 0) << "still at end of stream";
}

// [multishot.final_once]: of an accept stream's completions exactly one
// lacks MORE — the last.
LIO_CONFORMANCE_CASE(MultishotTest, multishot_final_once, AcceptStreamEndsOnceWhenCancelled) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT_MULTI);
  const AcceptStream stream = StartAcceptStream();
  const uint64_t id = stream.id;
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(ConnectAndAccept(stream).has_value()) << "client " << i;
  EXPECT_EQ(Cancel(id), 0);
  ASSERT_TRUE(FinalOf(id).has_value());
  size_t finals = 0;
  for (const lio_completion& c : completions_of(id)) finals += (c.flags & LIO_COMPLETION_MORE) == 0 ? 1 : 0;
  EXPECT_EQ(finals, 1u) << "exactly one completion of the stream lacks MORE, and it is the last";
  EXPECT_EQ(completions_of(id).back().flags & LIO_COMPLETION_MORE, 0u);
  ExpectNothingMoreFor(id);
}

// [send_zc.notice]: a zero-copy send completes with the bytes sent and, when
// that completion carries MORE, exactly one notice follows (result 0, NOTIF,
// no MORE); the peer gets every byte.
LIO_CONFORMANCE_CASE(MultishotTest, send_zc_notice, ResultThenOneNotice) {
  LIO_REQUIRE_OPS(LIO_OP_SEND_ZC);
  TcpPair pair = OwnedTcpPair();
  constexpr size_t kLen = 16 * 1024;
  std::span<char> data = Buffer(kLen);
  for (size_t i = 0; i < kLen; ++i) data[i] = static_cast<char>('a' + i % 26);
  std::string got;
  std::thread reader([&] {
    std::vector<char> chunk(kLen);
    while (got.size() < kLen) {
      int64_t n = platform::Recv(pair.peer, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      got.append(chunk.data(), static_cast<size_t>(n));
    }
  });
  const uint64_t id = PushNew(Op::SendZc(pair.tested, data.data(), kLen));
  Flush();
  std::optional<lio_completion> final = FinalOf(id);
  reader.join();
  ASSERT_TRUE(final.has_value());
  const std::vector<lio_completion>& all = completions_of(id);
  const lio_completion& result = all.front();
  EXPECT_EQ(Result{result.result}, static_cast<int64_t>(kLen));
  EXPECT_EQ(result.flags & LIO_COMPLETION_NOTIF, 0u) << "the first completion is the result, not the notice";
  if (result.flags & LIO_COMPLETION_MORE) {
    ASSERT_EQ(all.size(), 2u) << "a result with MORE is followed by exactly one notice";
    EXPECT_EQ(all[1].flags, uint32_t{LIO_COMPLETION_NOTIF});
    EXPECT_EQ(Result{all[1].result}, 0);
  } else {
    EXPECT_EQ(all.size(), 1u) << "a result without MORE has no notice";
  }
  EXPECT_EQ(got, std::string(data.data(), kLen));
  ExpectNothingMoreFor(id);
}

// [send_zc.notice]: a send that fails still ends once; a notice, if one is
// promised by MORE, is the last completion.
LIO_CONFORMANCE_CASE(MultishotTest, send_zc_notice, FailedSendEndsOnce) {
  LIO_REQUIRE_OPS(LIO_OP_SEND_ZC);
  std::span<char> data = Buffer(16, 'x');
  const uint64_t id = PushNew(Op::SendZc(platform::KnownClosedHandle(), data.data(), data.size()));
  Flush();
  ASSERT_TRUE(FinalOf(id).has_value());
  const std::vector<lio_completion>& all = completions_of(id);
  EXPECT_EQ(Result{all.front().result}, -LIO_EBADF);
  if (all.front().flags & LIO_COMPLETION_MORE) {
    ASSERT_EQ(all.size(), 2u);
    EXPECT_NE(all[1].flags & LIO_COMPLETION_NOTIF, 0u);
  } else {
    EXPECT_EQ(all.size(), 1u);
  }
}

}  // namespace
}  // namespace lio::testing
