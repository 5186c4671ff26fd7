// Loop streams (ABI 1.1) on every backend: accept_each, recv_each with a
// buffer group whose leases go back by RAII, send_zc holding its buffer
// until the notice. Skipped, with the reason, where the backend lacks them.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "lio/runtime/loop.h"
#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

using namespace std::chrono_literals;
using testing::CloseRaw;
using testing::ConnectLoopback;
using testing::Drain;
using testing::RecvSome;
using testing::RunUntil;
using testing::SendAll;

class LoopStreamTest : public testing::LoopTest {};

TEST_P(LoopStreamTest, AcceptEachCallsOncePerClientThenOnceMoreAtCancel) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  if (!loop->backend().supports(LIO_OP_ACCEPT_MULTI)) GTEST_SKIP() << "backend has no multishot accept";
  auto listener = TcpListener::Bind(*loop, SocketAddress::Loopback(0));
  ASSERT_TRUE(listener) << listener.error().message();
  const uint16_t port = listener->local_address()->port();
  std::vector<TcpStream> clients;
  int finals = 0;
  std::error_code final_error;
  OpId id = loop->accept_each(*listener, [&](Expected<TcpStream> client, bool more) {
    if (!more) {
      ++finals;
      if (!client) final_error = client.error();
      return;
    }
    ASSERT_TRUE(client) << client.error().message();
    clients.push_back(std::move(*client));
  });
  ASSERT_TRUE(id);
  std::vector<lio_handle> raw;
  for (int i = 0; i < 3; ++i) raw.push_back(ConnectLoopback(port));
  ASSERT_TRUE(RunUntil(*loop, [&] { return clients.size() == 3; }));
  EXPECT_EQ(finals, 0);
  EXPECT_EQ(loop->stats().slots_in_use, 1u) << "one slot for the whole stream";
  EXPECT_FALSE(loop->cancel(id));
  ASSERT_TRUE(RunUntil(*loop, [&] { return finals == 1; }));
  EXPECT_EQ(final_error, make_error(-LIO_ECANCELED));
  clients.clear();
  ASSERT_TRUE(Drain(*loop));
  EXPECT_EQ(finals, 1);
  EXPECT_EQ(loop->stats().slots_in_use, 0u);
  EXPECT_EQ(loop->stats().stale_completions, 0u);
  for (lio_handle h : raw) CloseRaw(h);
}

// An echo server's inner loop: each chunk is a leased buffer, sent straight
// back; it returns to the group when the send completed.
TEST_P(LoopStreamTest, RecvEachEchoesLeasesAndReturnsThemToTheGroup) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  if (!loop->backend().supports(LIO_OP_RECV_MULTI)) GTEST_SKIP() << "backend has no multishot recv";
  auto group = BufferGroup::Add(*loop, 7, 8, 16);
  ASSERT_TRUE(group) << group.error().message();
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  bool ended = false;
  std::error_code end_error;
  size_t chunks = 0;
  OpId id = loop->recv_each(pair->a, **group, [&](Expected<Buffer> chunk, bool more) {
    if (!more) {
      ended = true;
      if (!chunk) end_error = chunk.error();
      return;
    }
    ASSERT_TRUE(chunk) << chunk.error().message();
    ++chunks;
    EXPECT_LE(chunk->size(), 16u);
    loop->send(pair->a, std::move(*chunk), [](BufResult sent) { EXPECT_TRUE(sent.bytes); });
  });
  ASSERT_TRUE(id);
  const std::string message = "hello, buffer rings and multishot recv";
  ASSERT_EQ(SendAll(pair->b, message), static_cast<long>(message.size()));
  std::string echoed;
  ASSERT_TRUE(RunUntil(*loop, [&] {
    if (echoed.size() < message.size()) echoed += RecvSome(pair->b, 256, 1);
    return echoed.size() >= message.size();
  }));
  EXPECT_EQ(echoed, message);
  EXPECT_GE(chunks, 3u) << "16-byte buffers: the message came in several chunks";
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*group)->leased() == 0; })) << "every lease went back";
  ::shutdown(static_cast<int>(pair->b), SHUT_WR);
  ASSERT_TRUE(RunUntil(*loop, [&] { return ended; }));
  EXPECT_FALSE(end_error) << "the peer's shutdown ends the stream with an empty chunk";
  ASSERT_TRUE(Drain(*loop));
  EXPECT_EQ((*group)->leased(), 0u);
  group->reset();  // before the loop
}

TEST_P(LoopStreamTest, SendZcHandsTheBufferBackOnceAfterTheNotice) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  if (!loop->backend().supports(LIO_OP_SEND_ZC)) GTEST_SKIP() << "backend has no send_zc";
  auto listener = TcpListener::Bind(*loop, SocketAddress::Loopback(0));
  ASSERT_TRUE(listener);
  lio_handle client = ConnectLoopback(listener->local_address()->port());
  TcpStream server;
  loop->accept(*listener, [&](Expected<TcpStream> s) {
    ASSERT_TRUE(s);
    server = std::move(*s);
  });
  ASSERT_TRUE(RunUntil(*loop, [&] { return static_cast<bool>(server); }));
  constexpr size_t kLen = 64 * 1024;
  Buffer buffer(kLen);
  buffer.resize(kLen);
  for (size_t i = 0; i < kLen; ++i) buffer.chars()[i] = static_cast<char>('a' + i % 26);
  int calls = 0;
  Expected<size_t> sent = 0;
  Buffer back;
  OpId id = loop->send_zc(server, std::move(buffer), [&](BufResult r) {
    ++calls;
    sent = r.bytes;
    back = std::move(r.buffer);
  });
  ASSERT_TRUE(id);
  std::string got;
  ASSERT_TRUE(RunUntil(*loop, [&] {
    if (got.size() < kLen) got += RecvSome(client, kLen, 1);
    return calls == 1 && got.size() >= kLen;
  }));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, kLen);
  EXPECT_EQ(back.size(), kLen) << "the buffer comes back with the callback";
  EXPECT_EQ(got.size(), kLen);
  ASSERT_TRUE(Drain(*loop));
  EXPECT_EQ(calls, 1);
  CloseRaw(client);
}

LIO_INSTANTIATE_LOOP_TEST(LoopStreamTest);

}  // namespace
}  // namespace lio
