// Sockets over loopback TCP and UDP: socket, accept, connect, send, recv,
// sendmsg, recvmsg, shutdown — each result compared with the blocking call.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class SocketTest : public ConformanceTest {
 protected:
  // An owned TCP socket, not connected.
  lio_handle NewTcpSocket() {
    int64_t h = platform::Socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(h, 0);
    return Own(static_cast<lio_handle>(h));
  }

  // Bytes the peer receives (bounded by platform::kBlockingBound).
  std::string ReceiveAtPeer(lio_handle peer, size_t max = 256) {
    std::string bytes(max, '\0');
    int64_t n = platform::Recv(peer, bytes.data(), bytes.size(), 0);
    EXPECT_GE(n, 0) << "blocking recv at the peer";
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return bytes;
  }

  lio_msghdr& Message(std::vector<lio_iovec>& iov, void* name, uint32_t namelen) {
    lio_msghdr& msg = Keep<lio_msghdr>();
    msg.name = name;
    msg.namelen = namelen;
    msg.iov = iov.data();
    msg.iovcnt = static_cast<uint32_t>(iov.size());
    return msg;
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(SocketTest);

std::string_view View(std::span<const char> bytes, int64_t n) { return {bytes.data(), static_cast<size_t>(n)}; }

// ---- socket ----

LIO_CONFORMANCE_CASE(SocketTest, result_new_handle, SocketCreatesTcpSocket) {
  LIO_REQUIRE_OPS(LIO_OP_SOCKET);
  Result created = Complete(Op::Socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(created, 0);
  lio_handle s = Own(created);
  sockaddr_in any = LoopbackAddress(0);
  EXPECT_EQ(platform::Bind(s, AsSockaddr(any), sizeof any), 0) << "the new handle is a usable socket";
}

LIO_CONFORMANCE_CASE(SocketTest, result_errors, SocketOfUnknownFamilyMatchesSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_SOCKET);
  constexpr int kNoSuchFamily = 4000;
  int64_t expected = platform::Socket(kNoSuchFamily, SOCK_STREAM, 0);
  ASSERT_LT(expected, 0);
  EXPECT_EQ(Complete(Op::Socket(kNoSuchFamily, SOCK_STREAM, 0)), expected);
}

LIO_CONFORMANCE_CASE(SocketTest, handles_created_mode, SocketHandleIsCloseOnExecAndBlocking) {
  LIO_REQUIRE_OPS(LIO_OP_SOCKET);
  Result created = Complete(Op::Socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(created, 0);
  lio_handle s = Own(created);
  EXPECT_FALSE(platform::IsInheritable(s)) << "handles the backend creates are close-on-exec";
  EXPECT_NE(platform::IsBlocking(s), false) << "handles the backend creates are in blocking mode";
}

// ---- accept / connect ----

LIO_CONFORMANCE_CASE(SocketTest, accept_address, AcceptReturnsPeerAddress) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  Listener listener = OwnedListener();
  auto& peer = Keep<sockaddr_storage>();
  uint32_t& peer_len = Keep<uint32_t>(static_cast<uint32_t>(sizeof peer));
  uint64_t id = PushNew(Op::Accept(listener.handle, &peer, &peer_len));
  Flush();
  lio_handle client = NewTcpSocket();
  ASSERT_EQ(platform::Connect(client, AsSockaddr(listener.address), sizeof listener.address), 0);
  sockaddr_in client_address{};
  ASSERT_EQ(platform::LocalAddress(client, &client_address), 0);

  Result accepted = WaitForId(id);
  ASSERT_GE(accepted, 0);
  lio_handle server = Own(accepted);
  ASSERT_EQ(peer_len, sizeof(sockaddr_in));
  EXPECT_TRUE(SameAddress(reinterpret_cast<const sockaddr_in&>(peer), client_address))
      << "accept's address is the client's";
  EXPECT_EQ(platform::Send(client, "hi", 2, 0), 2);
  char got[2] = {};
  EXPECT_EQ(platform::Recv(server, got, 2, 0), 2) << "the accepted handle is the connection";
}

LIO_CONFORMANCE_CASE(SocketTest, accept_address, AcceptWithoutAddressBuffer) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  Listener listener = OwnedListener();
  lio_handle client = NewTcpSocket();
  ASSERT_EQ(platform::Connect(client, AsSockaddr(listener.address), sizeof listener.address), 0);
  Result accepted = Complete(Op::Accept(listener.handle));
  ASSERT_GE(accepted, 0);
  Own(accepted);
}

LIO_CONFORMANCE_CASE(SocketTest, handles_created_mode, AcceptedHandleIsCloseOnExecAndBlocking) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  Listener listener = OwnedListener();
  lio_handle client = NewTcpSocket();
  ASSERT_EQ(platform::Connect(client, AsSockaddr(listener.address), sizeof listener.address), 0);
  Result accepted = Complete(Op::Accept(listener.handle));
  ASSERT_GE(accepted, 0);
  lio_handle server = Own(accepted);
  EXPECT_FALSE(platform::IsInheritable(server)) << "handles the backend creates are close-on-exec";
  EXPECT_NE(platform::IsBlocking(server), false) << "handles the backend creates are in blocking mode";
  EXPECT_NE(platform::IsBlocking(listener.handle), false) << "the caller's listener keeps its mode";
}

LIO_CONFORMANCE_CASE(SocketTest, result_zero, ConnectReachesListener) {
  LIO_REQUIRE_OPS(LIO_OP_CONNECT);
  Listener listener = OwnedListener();
  lio_handle client = NewTcpSocket();
  const sockaddr_in& address = Keep<sockaddr_in>(listener.address);
  EXPECT_EQ(Complete(Op::Connect(client, &address, sizeof address)), 0);
  int64_t server = platform::Accept(listener.handle, nullptr, nullptr);
  ASSERT_GE(server, 0) << "the listener sees the connection";
  Own(static_cast<lio_handle>(server));
  EXPECT_NE(platform::IsBlocking(client), false) << "the caller's socket keeps its mode";
}

LIO_CONFORMANCE_CASE(SocketTest, result_errors, ConnectToClosedPortIsEconnrefused) {
  LIO_REQUIRE_OPS(LIO_OP_CONNECT);
  const sockaddr_in& nobody = Keep<sockaddr_in>(LoopbackAddress(UnusedLoopbackPort()));
  int64_t expected = platform::Connect(NewTcpSocket(), AsSockaddr(nobody), sizeof nobody);
  ASSERT_EQ(Result{expected}, -LIO_ECONNREFUSED);
  EXPECT_EQ(Complete(Op::Connect(NewTcpSocket(), &nobody, sizeof nobody)), expected);
}

// ---- send / recv ----

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_written, SendDeliversBytes) {
  LIO_REQUIRE_OPS(LIO_OP_SEND);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const std::string& text = Keep<std::string>("ping");
  EXPECT_EQ(Complete(Op::Send(pair.tested, text.data(), text.size())), 4);
  EXPECT_EQ(ReceiveAtPeer(pair.peer), "ping");
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_read, RecvReturnsArrivedBytes) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "pong", 4, 0), 4);
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, seconds(5)), 0);
  std::span<char> buf = Buffer(64);
  Result n = Complete(Op::Recv(pair.tested, buf.data(), buf.size()));
  ASSERT_EQ(n, 4);
  EXPECT_EQ(View(buf, 4), "pong");
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_read, RecvWaitsForData) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64);
  uint64_t id = PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(50)).empty()) << "recv completed before any data was sent";
  ASSERT_EQ(platform::Send(pair.peer, "later", 5, 0), 5);
  ASSERT_EQ(WaitForId(id), 5);
  EXPECT_EQ(View(buf, 5), "later");
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_read, RecvAfterPeerShutdownIsZero) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Shutdown(pair.peer, 1), 0);
  std::span<char> buf = Buffer(64);
  EXPECT_EQ(Complete(Op::Recv(pair.tested, buf.data(), buf.size())), 0) << "orderly shutdown reads as 0";
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_read, RecvWithPeekLeavesData) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "peek", 4, 0), 4);
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, seconds(5)), 0);
  std::span<char> buf = Buffer(64);
  EXPECT_EQ(Complete(Op::Recv(pair.tested, buf.data(), buf.size(), MSG_PEEK)), 4);
  EXPECT_EQ(Complete(Op::Recv(pair.tested, buf.data(), buf.size())), 4) << "MSG_PEEK left the bytes queued";
  EXPECT_EQ(View(buf, 4), "peek");
}

LIO_CONFORMANCE_CASE(SocketTest, result_errors, RecvOnNonSocketMatchesSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  lio_handle file = OpenOwned(WriteFile("not_a_socket", "x"), platform::Access::kReadOnly);
  std::span<char> buf = Buffer(8);
  int64_t expected = platform::Recv(file, buf.data(), buf.size(), 0);
  ASSERT_EQ(Result{expected}, -LIO_ENOTSOCK);
  EXPECT_EQ(Complete(Op::Recv(file, buf.data(), buf.size())), expected);
}

LIO_CONFORMANCE_CASE(SocketTest, result_errors, SendOnUnconnectedSocketMatchesSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_SEND);
  const std::string& text = Keep<std::string>("lost");
  int64_t expected = platform::Send(NewTcpSocket(), text.data(), text.size(), 0);
  ASSERT_LT(expected, 0);
  EXPECT_EQ(Complete(Op::Send(NewTcpSocket(), text.data(), text.size())), expected);
}

LIO_CONFORMANCE_CASE(SocketTest, handles_caller_mode_kept, CallerSocketKeepsItsMode) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  if (!platform::IsBlocking(pair.tested)) GTEST_SKIP() << "this OS cannot tell whether a handle blocks";
  ASSERT_TRUE(*platform::IsBlocking(pair.tested));
  std::span<char> buf = Buffer(8);
  uint64_t id = PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  ReapFor(milliseconds(20));  // the backend has had to wait for readiness
  ASSERT_EQ(platform::Send(pair.peer, "x", 1, 0), 1);
  EXPECT_EQ(WaitForId(id), 1);
  EXPECT_NE(platform::IsBlocking(pair.tested), false) << "the backend left the caller's socket non-blocking";
}

// ---- read / write / readv / writev on a stream socket (at the "current position") ----

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_read, WriteAndReadOnSocket) {
  LIO_REQUIRE_OPS(LIO_OP_WRITE, LIO_OP_READ);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const std::string& text = Keep<std::string>("stream");
  EXPECT_EQ(Complete(Op::Write(pair.tested, text.data(), text.size(), LIO_OFFSET_CURRENT)), 6);
  EXPECT_EQ(ReceiveAtPeer(pair.peer), "stream");
  ASSERT_EQ(platform::Send(pair.peer, "back", 4, 0), 4);
  std::span<char> buf = Buffer(64);
  ASSERT_EQ(Complete(Op::Read(pair.tested, buf.data(), buf.size(), LIO_OFFSET_CURRENT)), 4);
  EXPECT_EQ(View(buf, 4), "back");
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_written, WritevAndReadvOnSocket) {
  LIO_REQUIRE_OPS(LIO_OP_WRITEV, LIO_OP_READV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  const std::string& head = Keep<std::string>("scatter");
  const std::string& tail = Keep<std::string>("-gather");
  auto& out = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{
      {const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(tail.data()), tail.size()}});
  EXPECT_EQ(Complete(Op::Writev(pair.tested, out.data(), out.size(), LIO_OFFSET_CURRENT)), 14);
  std::string received;
  while (received.size() < 14) {
    std::string more = ReceiveAtPeer(pair.peer);
    if (more.empty()) break;
    received += more;
  }
  EXPECT_EQ(received, "scatter-gather");

  ASSERT_EQ(platform::Send(pair.peer, "0123456789", 10, 0), 10);
  ASSERT_GT(platform::Poll(pair.tested, LIO_POLL_IN, seconds(5)), 0);
  std::span<char> a = Buffer(4), b = Buffer(6);
  auto& in = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{{a.data(), a.size()}, {b.data(), b.size()}});
  Result n = Complete(Op::Readv(pair.tested, in.data(), in.size(), LIO_OFFSET_CURRENT));
  ASSERT_GT(n, 0);
  ASSERT_LE(n, 10);
  std::string scattered = std::string(View(a, 4)) + std::string(View(b, 6));
  EXPECT_EQ(scattered.substr(0, static_cast<size_t>(n.value)), std::string("0123456789").substr(0, n.value));
}

// ---- shutdown ----

LIO_CONFORMANCE_CASE(SocketTest, result_zero, ShutdownOfWriteSideGivesPeerEof) {
  LIO_REQUIRE_OPS(LIO_OP_SHUTDOWN);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(Complete(Op::Shutdown(pair.tested, 1)), 0);
  char byte = 0;
  EXPECT_EQ(platform::Recv(pair.peer, &byte, 1, 0), 0) << "the peer reads end of stream";
}

LIO_CONFORMANCE_CASE(SocketTest, result_errors, ShutdownOfUnconnectedSocketMatchesSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_SHUTDOWN);
  int64_t expected = platform::Shutdown(NewTcpSocket(), 2);
  ASSERT_EQ(Result{expected}, -LIO_ENOTCONN);
  EXPECT_EQ(Complete(Op::Shutdown(NewTcpSocket(), 2)), expected);
}

// ---- UDP: sendmsg / recvmsg / send / recv ----

LIO_CONFORMANCE_CASE(SocketTest, recvmsg_msghdr_out, SendmsgRecvmsgCarryPeerAddress) {
  LIO_REQUIRE_OPS(LIO_OP_SENDMSG, LIO_OP_RECVMSG);
  UdpSocket a = OwnedUdpSocket(), b = OwnedUdpSocket();
  ASSERT_GE(a.handle, 0);
  ASSERT_GE(b.handle, 0);

  const std::string& head = Keep<std::string>("dat");
  const std::string& tail = Keep<std::string>("agram");
  auto& out_iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{
      {const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(tail.data()), tail.size()}});
  sockaddr_in& to = Keep<sockaddr_in>(b.address);
  EXPECT_EQ(Complete(Op::Sendmsg(a.handle, &Message(out_iov, &to, sizeof to))), 8);

  std::span<char> first = Buffer(4), rest = Buffer(60);
  auto& in_iov = Keep<std::vector<lio_iovec>>(
      std::vector<lio_iovec>{{first.data(), first.size()}, {rest.data(), rest.size()}});
  auto& from = Keep<sockaddr_storage>();
  lio_msghdr& in = Message(in_iov, &from, sizeof from);
  ASSERT_EQ(Complete(Op::Recvmsg(b.handle, &in)), 8);
  EXPECT_EQ(std::string(View(first, 4)) + std::string(View(rest, 4)), "datagram");
  ASSERT_EQ(in.namelen, sizeof(sockaddr_in)) << "recvmsg writes back the address size";
  EXPECT_TRUE(SameAddress(reinterpret_cast<const sockaddr_in&>(from), a.address)) << "the sender's address";
  EXPECT_EQ(in.flags, 0);
}

LIO_CONFORMANCE_CASE(SocketTest, recvmsg_msghdr_out, RecvmsgOfTruncatedDatagramMatchesSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_RECVMSG);
  UdpSocket a = OwnedUdpSocket(), b = OwnedUdpSocket();
  ASSERT_GE(a.handle, 0);
  ASSERT_GE(b.handle, 0);
  std::string datagram(32, 'd');
  for (int i = 0; i < 2; ++i) {
    std::vector<lio_iovec> iov{{datagram.data(), datagram.size()}};
    lio_msghdr to{&b.address, sizeof b.address, 1, iov.data(), nullptr, 0, 0, 0};
    ASSERT_EQ(platform::Sendmsg(a.handle, &to, 0), 32);
  }
  std::span<char> small = Buffer(10);
  auto& iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{{small.data(), small.size()}});
  lio_msghdr& expected_msg = Message(iov, nullptr, 0);
  int64_t expected = platform::Recvmsg(b.handle, &expected_msg, 0);
  ASSERT_EQ(expected, 10);
  ASSERT_EQ(expected_msg.flags & platform::MessageTruncatedFlag(), platform::MessageTruncatedFlag());

  lio_msghdr& msg = Message(iov, nullptr, 0);
  EXPECT_EQ(Complete(Op::Recvmsg(b.handle, &msg)), expected);
  EXPECT_EQ(msg.flags, expected_msg.flags) << "recvmsg writes back MSG_TRUNC";
}

LIO_CONFORMANCE_CASE(SocketTest, result_bytes_written, SendRecvOnConnectedUdpSockets) {
  LIO_REQUIRE_OPS(LIO_OP_SEND, LIO_OP_RECV);
  UdpSocket a = OwnedUdpSocket(), b = OwnedUdpSocket();
  ASSERT_GE(a.handle, 0);
  ASSERT_GE(b.handle, 0);
  ASSERT_EQ(platform::Connect(a.handle, AsSockaddr(b.address), sizeof b.address), 0);
  ASSERT_EQ(platform::Connect(b.handle, AsSockaddr(a.address), sizeof a.address), 0);
  const std::string& text = Keep<std::string>("udp!");
  EXPECT_EQ(Complete(Op::Send(a.handle, text.data(), text.size())), 4);
  std::span<char> buf = Buffer(16);
  ASSERT_EQ(Complete(Op::Recv(b.handle, buf.data(), buf.size())), 4);
  EXPECT_EQ(View(buf, 4), "udp!");
}

}  // namespace
}  // namespace lio::testing
