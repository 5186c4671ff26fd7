// Buffers, addresses and msghdrs belong to the caller again once their
// operation completed: the backend never writes them afterwards. Checked by
// filling them with a canary after completion, giving a zombie operation
// something to write (more data on the socket), and looking again. Best
// effort: a backend can only be caught when it misbehaves within the window.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

constexpr char kCanary = '#';
constexpr nanoseconds kZombieWindow = milliseconds(100);

bool AllCanary(std::span<const char> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == kCanary; });
}

void FillCanary(std::span<char> bytes) { std::fill(bytes.begin(), bytes.end(), kCanary); }

// The bytes of a struct the backend writes (an address).
template <class T>
std::span<char> BytesOf(T& object) {
  return {reinterpret_cast<char*>(&object), sizeof object};
}

class BufferTest : public ConformanceTest {
 protected:
  // What a blocking recv at `h` finds (the data a zombie op must not have taken).
  std::string Drain(lio_handle h) {
    std::string bytes(256, '\0');
    int64_t n = platform::Recv(h, bytes.data(), bytes.size(), 0);
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return bytes;
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(BufferTest);

LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, RecvBufferAfterCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64);
  uint64_t id = PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  ASSERT_EQ(platform::Send(pair.peer, "first", 5, 0), 5);
  ASSERT_EQ(WaitForId(id), 5);
  FillCanary(buf);
  const Result cancelled = Cancel(id);
  EXPECT_TRUE(AnswersUnknownId(cancelled)) << "cancel of a completed op answered " << ::testing::PrintToString(cancelled);
  ASSERT_EQ(platform::Send(pair.peer, "second", 6, 0), 6);
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  EXPECT_TRUE(AllCanary(buf)) << "the completed recv wrote its buffer again";
  EXPECT_EQ(Drain(pair.tested), "second") << "the completed recv consumed more data";
}

LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, CancelledRecvBuffer) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64);
  uint64_t id = PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty());
  ASSERT_EQ(Cancel(id), 0);
  ASSERT_EQ(WaitForId(id), -LIO_ECANCELED);
  FillCanary(buf);
  ASSERT_EQ(platform::Send(pair.peer, "after", 5, 0), 5);
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  EXPECT_TRUE(AllCanary(buf)) << "the cancelled recv wrote its buffer";
  EXPECT_EQ(Drain(pair.tested), "after") << "the cancelled recv consumed data";
}

LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, CancelledRecvmsgBuffersAndHeader) {
  LIO_REQUIRE_OPS(LIO_OP_RECVMSG);
  UdpSocket a = OwnedUdpSocket(), b = OwnedUdpSocket();
  ASSERT_GE(a.handle, 0);
  ASSERT_GE(b.handle, 0);
  std::span<char> buf = Buffer(64);
  auto& iov = Keep<lio_iovec>(lio_iovec{buf.data(), buf.size()});
  auto& from = Keep<sockaddr_storage>();
  auto& msg = Keep<lio_msghdr>(lio_msghdr{&from, sizeof from, 1, &iov, nullptr, 0, 0, 0});
  uint64_t id = PushNew(Op::Recvmsg(b.handle, &msg));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty());
  ASSERT_EQ(Cancel(id), 0);
  ASSERT_EQ(WaitForId(id), -LIO_ECANCELED);
  FillCanary(buf);
  FillCanary(BytesOf(from));
  const lio_msghdr kept_msg{&from, 0xCAFE, 1, &iov, nullptr, 0, 0x5A5A, 0};
  msg = kept_msg;
  std::vector<lio_iovec> out{{const_cast<char*>("datagram"), 8}};
  lio_msghdr to{&b.address, sizeof b.address, 1, out.data(), nullptr, 0, 0, 0};
  ASSERT_EQ(platform::Sendmsg(a.handle, &to, 0), 8);
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  EXPECT_TRUE(AllCanary(buf)) << "the cancelled recvmsg wrote its buffer";
  EXPECT_TRUE(AllCanary(BytesOf(from))) << "the cancelled recvmsg wrote its address";
  EXPECT_EQ(msg.namelen, kept_msg.namelen) << "the cancelled recvmsg wrote namelen";
  EXPECT_EQ(msg.flags, kept_msg.flags) << "the cancelled recvmsg wrote flags";
  EXPECT_EQ(Drain(b.handle), "datagram") << "the cancelled recvmsg consumed the datagram";
}

LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, CancelledAcceptAddress) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  Listener listener = OwnedListener();
  auto& peer = Keep<sockaddr_storage>();
  uint32_t& peer_len = Keep<uint32_t>(static_cast<uint32_t>(sizeof peer));
  uint64_t id = PushNew(Op::Accept(listener.handle, &peer, &peer_len));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty());
  ASSERT_EQ(Cancel(id), 0);
  ASSERT_EQ(WaitForId(id), -LIO_ECANCELED);
  FillCanary(BytesOf(peer));
  peer_len = 0xCAFE;
  int64_t client = platform::Socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  Own(static_cast<lio_handle>(client));
  ASSERT_EQ(platform::Connect(client, AsSockaddr(listener.address), sizeof listener.address), 0);
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  EXPECT_TRUE(AllCanary(BytesOf(peer))) << "the cancelled accept wrote its address";
  EXPECT_EQ(peer_len, 0xCAFEu) << "the cancelled accept wrote addrlen";
  int64_t server = platform::Accept(listener.handle, nullptr, nullptr);
  EXPECT_GE(server, 0) << "the cancelled accept took the connection";
  if (server >= 0) Own(static_cast<lio_handle>(server));
}

// The race the clause is about: an op that completes while a cancel for it
// is on its way. Whatever wins, once wait returned it the buffer is ours.
LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, ReadRacingCancel) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  constexpr int kRounds = 50;
  constexpr size_t kSize = 64 * 1024;
  lio_handle file = OpenOwned(WriteFile("race", std::string(kSize, 'r')), platform::Access::kReadOnly);
  std::vector<std::span<char>> buffers;
  for (int round = 0; round < kRounds; ++round) {
    std::span<char> buf = Buffer(kSize);
    uint64_t id = PushNew(Op::Read(file, buf.data(), buf.size(), 0));
    Flush();
    EXPECT_EQ(Cancel(id), 0);
    Result result = WaitForId(id);
    ASSERT_TRUE(result == static_cast<int64_t>(kSize) || result == -LIO_ECANCELED)
        << ::testing::PrintToString(result);
    FillCanary(buf);
    buffers.push_back(buf);
  }
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_TRUE(AllCanary(buffers[round])) << "round " << round << ": the read wrote after it completed";
  }
}

LIO_CONFORMANCE_CASE(BufferTest, buffers_untouched_after_completion, RecvmsgHeaderAfterCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_RECVMSG);
  UdpSocket a = OwnedUdpSocket(), b = OwnedUdpSocket();
  ASSERT_GE(a.handle, 0);
  ASSERT_GE(b.handle, 0);
  std::span<char> buf = Buffer(64);
  auto& iov = Keep<lio_iovec>(lio_iovec{buf.data(), buf.size()});
  auto& from = Keep<sockaddr_storage>();
  auto& msg = Keep<lio_msghdr>(lio_msghdr{&from, sizeof from, 1, &iov, nullptr, 0, 0, 0});
  uint64_t id = PushNew(Op::Recvmsg(b.handle, &msg));
  Flush();
  std::vector<lio_iovec> out{{const_cast<char*>("one"), 3}};
  lio_msghdr to{&b.address, sizeof b.address, 1, out.data(), nullptr, 0, 0, 0};
  ASSERT_EQ(platform::Sendmsg(a.handle, &to, 0), 3);
  ASSERT_EQ(WaitForId(id), 3);
  FillCanary(buf);
  FillCanary(BytesOf(from));
  msg.namelen = 0xCAFE;
  msg.flags = 0x5A5A;
  ASSERT_EQ(platform::Sendmsg(a.handle, &to, 0), 3);
  EXPECT_TRUE(ReapFor(kZombieWindow).empty());
  EXPECT_TRUE(AllCanary(buf));
  EXPECT_TRUE(AllCanary(BytesOf(from)));
  EXPECT_EQ(msg.namelen, 0xCAFEu);
  EXPECT_EQ(msg.flags, 0x5A5A);
}

}  // namespace
}  // namespace lio::testing
