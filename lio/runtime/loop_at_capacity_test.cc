// lio::Loop when every slot is taken (LOOP.md, "At capacity"), on every
// backend: kGrow lets idle connections never lock a new client out, the
// reserve keeps accept and close going under kQueue, kFail answers at once.
// Clients are plain blocking sockets on loopback, driven from the test.
#include "lio/runtime/loop.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "lio/runtime/runtime.h"
#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

using testing::Drain;
using testing::RunUntil;

class LoopAtCapacityTest : public testing::LoopTest {};

// A blocking client socket connected to `port` on 127.0.0.1 (the kernel
// completes the handshake from the listen backlog, before any accept).
struct Client {
  int fd = -1;
  explicit Client(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Client() {
    if (fd >= 0) ::close(fd);
  }
  // What has arrived, without waiting.
  std::string Poll() {
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
};

// A server: every accepted connection waits in a recv (an idle client holds
// an operation slot) and answers "ok" to whatever it receives.
struct Server {
  int accepted = 0;
  int answered = 0;
  uint16_t port = 0;

  bool Start(Loop& loop) {
    auto listener = TcpListener::Bind(loop, SocketAddress::Loopback(0));
    if (!listener) return false;
    port = listener->local_address()->port();
    loop.spawn(Accept(loop, std::move(*listener), this));
    return true;
  }
  static Task<void> Accept(Loop& loop, TcpListener listener, Server* self) {
    for (;;) {
      auto conn = co_await accept(listener);
      if (!conn) co_return;
      ++self->accepted;
      loop.spawn(Answer(std::move(*conn), self));
    }
  }
  static Task<void> Answer(TcpStream conn, Server* self) {
    auto [n, buf] = co_await recv(conn, Buffer(64));
    if (!n || *n == 0) co_return;
    auto [sent, unused] = co_await send_all(conn, Buffer::CopyOf("ok"));
    if (sent) ++self->answered;
  }
};

LoopOptions WithPolicy(LoopOptions options, AtCapacity policy, uint32_t reserve) {
  options.at_capacity = policy;
  options.reserve = reserve;
  return options;
}

TEST_P(LoopAtCapacityTest, GrowIsTheDefaultAndIdleClientsNeverLockANewOneOut) {
  EXPECT_EQ(LoopOptions{}.at_capacity, AtCapacity::kGrow);
  constexpr uint32_t kCapacity = 8;
  auto loop = Loop::Open(WithPolicy(Options(kCapacity), AtCapacity::kGrow, LoopOptions::kAutoReserve));
  ASSERT_TRUE(loop) << loop.error().message;
  Server server;
  ASSERT_TRUE(server.Start(**loop));
  // Three times the capacity of idle clients, each holding a recv.
  std::vector<std::unique_ptr<Client>> idle;
  for (uint32_t i = 0; i < 3 * kCapacity; ++i) {
    idle.push_back(std::make_unique<Client>(server.port));
    ASSERT_GE(idle.back()->fd, 0);
  }
  ASSERT_TRUE(RunUntil(**loop, [&] { return server.accepted == static_cast<int>(3 * kCapacity); }))
      << "accepted " << server.accepted << " of " << 3 * kCapacity;
  Client fresh(server.port);
  ASSERT_GE(fresh.fd, 0);
  ASSERT_EQ(::send(fresh.fd, "hi", 2, 0), 2);
  std::string reply;
  EXPECT_TRUE(RunUntil(**loop, [&] { return (reply += fresh.Poll()) == "ok"; })) << "the new client got no answer";
  Loop::Stats stats = (*loop)->stats();
  EXPECT_GT(stats.grown, 0u);
  EXPECT_GT(stats.capacity, kCapacity);
  EXPECT_LE(stats.capacity, stats.max_capacity);
  EXPECT_EQ(stats.max_capacity, 16 * kCapacity) << "the default: 16 x capacity";
  EXPECT_EQ(stats.waiting_for_slot, 0u);
  idle.clear();  // the idle clients leave: their recvs complete with 0
  EXPECT_TRUE(RunUntil(**loop, [&] { return (*loop)->stats().slots_in_use == 1; })) << "only the accept is left";
}

TEST_P(LoopAtCapacityTest, GrowthStopsAtMaxCapacityThenQueues) {
  LoopOptions options = WithPolicy(Options(4), AtCapacity::kGrow, 0);
  options.max_capacity = 8;
  auto loop = Loop::Open(options);
  ASSERT_TRUE(loop) << loop.error().message;
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  int done = 0;
  auto receive = [](lio_handle h, int* done) -> Task<void> {
    (void)co_await recv(h, Buffer(1));
    ++*done;
  };
  for (int i = 0; i < 10; ++i) (*loop)->spawn(receive(pair->a, &done));
  Loop::Stats stats = (*loop)->stats();
  EXPECT_EQ(stats.capacity, 8u);
  EXPECT_EQ(stats.slots_in_use, 8u);
  EXPECT_EQ(stats.waiting_for_slot, 2u);
  EXPECT_EQ(stats.queued_for_slot, 2u);
  ASSERT_EQ(testing::SendAll(pair->b, "0123456789"), 10);
  EXPECT_TRUE(RunUntil(**loop, [&] { return done == 10; })) << done << " of 10 received";
  EXPECT_EQ((*loop)->stats().capacity, 8u) << "slots stay once grown";
}

TEST_P(LoopAtCapacityTest, QueueKeepsTheReserveForAcceptAndClose) {
  constexpr uint32_t kCapacity = 8, kReserve = 2;
  constexpr int kClients = 10;
  auto loop = Loop::Open(WithPolicy(Options(kCapacity), AtCapacity::kQueue, kReserve));
  ASSERT_TRUE(loop) << loop.error().message;
  EXPECT_EQ((*loop)->stats().reserve, kReserve);
  Server server;
  ASSERT_TRUE(server.Start(**loop));
  // More idle clients than slots: their recvs queue once only the reserve is
  // left, but the accept takes a reserved slot each time, so every client is
  // accepted.
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < kClients; ++i) idle.push_back(std::make_unique<Client>(server.port));
  ASSERT_TRUE(RunUntil(**loop, [&] { return server.accepted == kClients; }))
      << "accepted " << server.accepted << " of " << kClients << ": the accept was locked out";
  Loop::Stats stats = (*loop)->stats();
  EXPECT_EQ(stats.capacity, kCapacity) << "kQueue never grows";
  // Recvs hold every slot but the reserve; the accept holds a reserved one.
  EXPECT_EQ(stats.slots_in_use, kCapacity - kReserve + 1);
  const uint32_t queued = stats.waiting_for_slot;
  EXPECT_EQ(queued, kClients - (kCapacity - kReserve)) << "every recv that found only the reserve";
  EXPECT_EQ(stats.queued_for_slot, queued);
  // The first client leaves: its recv completes, its connection is closed
  // (close may use the reserve), and the first queued recv gets the slot.
  // (Under kQueue nothing else is promised: an answer to a client would
  // queue behind the idle ones' recvs — which is why kGrow is the default.)
  idle.front().reset();
  EXPECT_TRUE(RunUntil(**loop, [&] { return (*loop)->stats().waiting_for_slot == queued - 1; }));
  idle.clear();
  EXPECT_TRUE(RunUntil(**loop, [&] { return (*loop)->stats().slots_in_use == 1; })) << "only the accept is left";
}

TEST_P(LoopAtCapacityTest, FailAnswersAtOnceWithTryAgainAndTheBufferBack) {
  auto loop = Loop::Open(WithPolicy(Options(2), AtCapacity::kFail, 0));
  ASSERT_TRUE(loop) << loop.error().message;
  auto pair = testing::MakeSocketPair();
  ASSERT_TRUE(pair);
  int done = 0;
  auto receive = [](lio_handle h, int* done) -> Task<void> {
    (void)co_await recv(h, Buffer(1));
    ++*done;
  };
  (*loop)->spawn(receive(pair->a, &done));
  (*loop)->spawn(receive(pair->a, &done));
  BufResult third = (*loop)->block_on([](lio_handle h) -> Task<BufResult> {
    co_return co_await recv(h, Buffer(16));
  }(pair->a));
  ASSERT_FALSE(third.bytes);
  EXPECT_EQ(third.bytes.error(), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(third.buffer.capacity(), 16u) << "the buffer comes back";
  Loop::Stats stats = (*loop)->stats();
  EXPECT_EQ(stats.refused_for_slot, 1u);
  EXPECT_EQ(stats.waiting_for_slot, 0u);
  EXPECT_EQ(stats.capacity, 2u);
  ASSERT_EQ(testing::SendAll(pair->b, "ab"), 2);
  EXPECT_TRUE(RunUntil(**loop, [&] { return done == 2; }));
  EXPECT_TRUE(Drain(**loop));
}

TEST_P(LoopAtCapacityTest, OpenRefusesIdsThatWouldNotFit) {
  LoopOptions options = Options(1u << 28);
  options.at_capacity = AtCapacity::kGrow;
  options.max_capacity = UINT32_MAX / 2;
  auto loop = Loop::Open(options);
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().message.find("capacity + timers"), std::string::npos) << loop.error().message;
}

LIO_INSTANTIATE_LOOP_TEST(LoopAtCapacityTest);

}  // namespace
}  // namespace lio
