// Buffer groups (ABI 1.1, LIO_FEATURE_BUFFER_GROUPS): a recv takes a buffer of
// the group, names it in its completion and the caller gives it back; an
// empty or unknown group answers -ENOBUFS and loses no data.
#include <set>
#include <string>

#include "lio/testing/stream_test.h"

namespace lio::testing {
namespace {

class BufferGroupTest : public StreamTest {
 protected:
  std::error_code Return(uint32_t group, uint32_t id) { return backend().return_buffer(group, id); }

  // One RECV that takes a buffer of `group`; its completion.
  std::optional<lio_completion> RecvOnce(lio_handle h, uint32_t group) {
    const uint64_t id = PushNew(Op::RecvFromGroup(h, group));
    Flush();
    return FinalOf(id);
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(BufferGroupTest);

std::error_code Errc(int lio_error) { return make_error(-lio_error); }

// [bufgroup.add]: the arguments are checked; a group id is taken once.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_add, ChecksArgumentsAndRefusesATakenGroup) {
  LIO_REQUIRE_BUFFER_GROUPS();
  std::span<char> memory = Buffer(64 * 64);
  struct Bad {
    uint32_t group;
    void* base;
    uint32_t count;
    uint32_t size;
    const char* what;
  };
  for (const Bad& bad : {Bad{1, memory.data(), 3, 64, "a count not a power of two"},
                         Bad{1, memory.data(), 0, 64, "count 0"},
                         Bad{1, memory.data(), 65536, 1, "count above 32,768"},
                         Bad{1, memory.data(), 4, 0, "size 0"},
                         Bad{65536, memory.data(), 4, 64, "group 65,536"},
                         Bad{1, nullptr, 4, 64, "a NULL base"}}) {
    EXPECT_EQ(backend().add_buffer_group(bad.group, bad.base, bad.count, bad.size), Errc(LIO_EINVAL)) << bad.what;
  }
  EXPECT_EQ(backend().add_buffer_group(1, memory.data(), 64, 64), std::error_code{});
  EXPECT_EQ(backend().add_buffer_group(1, memory.data(), 64, 64), Errc(LIO_EEXIST)) << "group 1 is in use";
  EXPECT_EQ(backend().add_buffer_group(65535, memory.data(), 1, 64), std::error_code{}) << "the highest group id";
  EXPECT_EQ(backend().remove_buffer_group(1), std::error_code{});
  EXPECT_EQ(backend().remove_buffer_group(65535), std::error_code{});
}

// [bufgroup.take]: recvs without returns in between each name another buffer.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_take, EachRecvNamesAnotherBuffer) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  constexpr uint32_t kCount = 4;
  ASSERT_NE(AddGroup(3, kCount, 32), nullptr);
  std::set<uint32_t> named;
  for (uint32_t i = 0; i < kCount; ++i) {
    PeerSend(pair.peer, "x");
    std::optional<lio_completion> c = RecvOnce(pair.tested, 3);
    ASSERT_TRUE(c.has_value());
    ASSERT_EQ(Result{c->result}, 1);
    ASSERT_NE(c->flags & LIO_COMPLETION_BUFFER, 0u);
    const uint32_t buffer = LIO_COMPLETION_BUFFER_ID(c->flags);
    EXPECT_LT(buffer, kCount) << "a buffer of the group";
    EXPECT_TRUE(named.insert(buffer).second) << "buffer " << buffer << " named twice before it was returned";
  }
}

// [bufgroup.take]: a multishot recv takes a buffer per completion, never one
// that is lent out.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_take, RecvMultiTakesABufferPerCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_RECV_MULTI);
  LIO_REQUIRE_BUFFER_GROUPS();
  constexpr uint32_t kSize = 16;
  const auto [pair, base, id] = StartRecvStream(4, 8, kSize);
  ASSERT_NE(base, nullptr);
  std::set<uint32_t> lent;
  std::string got;
  for (int i = 0; i < 4; ++i) {
    PeerSend(pair.peer, std::string(5, static_cast<char>('a' + i)));
    while (got.size() < static_cast<size_t>(5 * (i + 1)) && !HasFailure()) {
      std::optional<lio_completion> c = NextOf(id);
      ASSERT_TRUE(c.has_value());
      ASSERT_GT(c->result, 0);
      ASSERT_NE(c->flags & LIO_COMPLETION_BUFFER, 0u);
      EXPECT_TRUE(lent.insert(LIO_COMPLETION_BUFFER_ID(c->flags)).second) << "a lent buffer was named again";
      got += BytesOf(*c, base, kSize);
    }
  }
  EXPECT_EQ(got, "aaaaabbbbbcccccddddd");
  EndStream(id);
}

// [bufgroup.completion]: the completion says BUFFER and which one; the bytes
// are at that buffer's start.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_completion, BytesAreAtTheNamedBuffersStart) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  constexpr uint32_t kSize = 64;
  char* base = AddGroup(5, 2, kSize);
  ASSERT_NE(base, nullptr);
  for (const char* message : {"hello", "again!"}) {
    PeerSend(pair.peer, message);
    std::optional<lio_completion> c = RecvOnce(pair.tested, 5);
    ASSERT_TRUE(c.has_value());
    ASSERT_EQ(Result{c->result}, static_cast<int64_t>(std::strlen(message)));
    ASSERT_NE(c->flags & LIO_COMPLETION_BUFFER, 0u);
    EXPECT_EQ(c->flags & LIO_COMPLETION_MORE, 0u) << "a plain RECV has one completion";
    EXPECT_EQ(BytesOf(*c, base, kSize), message);
  }
}

// [bufgroup.completion]: a recv that reads nothing (end of stream) takes no buffer.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_completion, EndOfStreamTakesNoBuffer) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  ASSERT_NE(AddGroup(6, 1, 16), nullptr);
  ASSERT_EQ(platform::Shutdown(pair.peer, 1), 0);
  std::optional<lio_completion> c = RecvOnce(pair.tested, 6);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Result{c->result}, 0);
  EXPECT_EQ(c->flags & LIO_COMPLETION_BUFFER, 0u);
  EXPECT_EQ(Return(6, 0), Errc(LIO_EINVAL)) << "buffer 0 was never lent";
}

// [bufgroup.enobufs]: with every buffer lent, a recv answers -ENOBUFS and the
// data stays readable.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_enobufs, EmptyGroupLosesNoData) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  ASSERT_NE(AddGroup(7, 1, 16), nullptr);
  PeerSend(pair.peer, "first");
  std::optional<lio_completion> first = RecvOnce(pair.tested, 7);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(Result{first->result}, 5);
  PeerSend(pair.peer, "second");
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(1000)), 0);
  std::optional<lio_completion> second = RecvOnce(pair.tested, 7);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Result{second->result}, -LIO_ENOBUFS);
  EXPECT_EQ(second->flags & LIO_COMPLETION_BUFFER, 0u);
  char left[16] = {};
  EXPECT_EQ(platform::Recv(pair.tested, left, sizeof left, 0), 6) << "the data is still there";
  EXPECT_EQ(std::string(left, 6), "second");
}

// [bufgroup.enobufs]: a multishot recv on an empty group ends with -ENOBUFS
// (its final completion), the data still there.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_enobufs, RecvMultiEndsWithEnobufsLosingNothing) {
  LIO_REQUIRE_OPS(LIO_OP_RECV_MULTI);
  LIO_REQUIRE_BUFFER_GROUPS();
  const auto [pair, base, id] = StartRecvStream(8, 1, 8);
  ASSERT_NE(base, nullptr);
  PeerSend(pair.peer, "12345678");
  std::optional<lio_completion> first = NthOf(id, 0);
  ASSERT_TRUE(first.has_value());
  if (first->result > 0) {
    EXPECT_EQ(BytesOf(*first, base, 8), "12345678");
  }
  PeerSend(pair.peer, "more");
  std::optional<lio_completion> final = FinalOf(id);
  ASSERT_TRUE(final.has_value());
  EXPECT_EQ(Result{final->result}, -LIO_ENOBUFS);
  EXPECT_EQ(final->flags & LIO_COMPLETION_MORE, 0u);
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(1000)), 0);
  char left[8] = {};
  EXPECT_EQ(platform::Recv(pair.tested, left, sizeof left, 0), 4);
  EXPECT_EQ(std::string(left, 4), "more");
}

// [bufgroup.enobufs]: a group that does not exist answers -ENOBUFS too.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_enobufs, UnknownGroupLosesNoData) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  PeerSend(pair.peer, "data");
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(1000)), 0);
  for (uint32_t group : {9u, 70000u}) {
    std::optional<lio_completion> c = RecvOnce(pair.tested, group);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(Result{c->result}, -LIO_ENOBUFS) << "group " << group;
  }
  char left[8] = {};
  EXPECT_EQ(platform::Recv(pair.tested, left, sizeof left, 0), 4);
}

// [bufgroup.return]: a returned buffer is taken again; returning what is not
// lent, or to no group, is refused.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_return, ReturnedBufferIsTakenAgain) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  constexpr uint32_t kSize = 16;
  char* base = AddGroup(10, 1, kSize);
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(Return(10, 0), Errc(LIO_EINVAL)) << "buffer 0 is not lent out";
  EXPECT_EQ(Return(10, 1), Errc(LIO_EINVAL)) << "buffer 1 is outside the group";
  EXPECT_EQ(Return(11, 0), Errc(LIO_ENOENT)) << "group 11 does not exist";
  for (const char* message : {"one", "two", "three"}) {
    PeerSend(pair.peer, message);
    std::optional<lio_completion> c = RecvOnce(pair.tested, 10);
    ASSERT_TRUE(c.has_value());
    ASSERT_EQ(Result{c->result}, static_cast<int64_t>(std::strlen(message)));
    ASSERT_EQ(LIO_COMPLETION_BUFFER_ID(c->flags), 0u);
    EXPECT_EQ(BytesOf(*c, base, kSize), message);
    EXPECT_EQ(Return(10, 0), std::error_code{});
    EXPECT_EQ(Return(10, 0), Errc(LIO_EINVAL)) << "returned twice";
  }
}

// [bufgroup.remove]: busy while an op on it is in flight; gone after.
LIO_CONFORMANCE_CASE(BufferGroupTest, bufgroup_remove, BusyWhileAnOpWaitsThenRemoved) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  LIO_REQUIRE_BUFFER_GROUPS();
  TcpPair pair = OwnedTcpPair();
  ASSERT_NE(AddGroup(12, 2, 16), nullptr);
  const uint64_t id = PushNew(Op::RecvFromGroup(pair.tested, 12));
  Flush();
  ReapFor(milliseconds(20));
  EXPECT_EQ(backend().remove_buffer_group(12), Errc(LIO_EBUSY));
  EXPECT_EQ(Cancel(id), 0);
  std::optional<lio_completion> c = FinalOf(id);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Result{c->result}, -LIO_ECANCELED);
  EXPECT_EQ(backend().remove_buffer_group(12), std::error_code{});
  EXPECT_EQ(backend().remove_buffer_group(12), Errc(LIO_ENOENT));
  EXPECT_EQ(Return(12, 0), Errc(LIO_ENOENT));
  // A removed group is like one never added.
  PeerSend(pair.peer, "z");
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, milliseconds(1000)), 0);
  std::optional<lio_completion> after = RecvOnce(pair.tested, 12);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(Result{after->result}, -LIO_ENOBUFS);
}

}  // namespace
}  // namespace lio::testing
