// The snippets of LOOP.md, compiled and run on every backend, so the guide
// cannot drift from the API.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "lio/testing/loop_test_support.h"
#include "lio/runtime/runtime.h"

namespace {

using namespace std::chrono_literals;

class GuideTest : public lio::testing::LoopTest {};

// §1 Hello loop.
TEST_P(GuideTest, HelloLoop) {
  auto loop = lio::Loop::Open({.backend = backend(), .registry = &lio::testing::LoopRegistry()});
  ASSERT_TRUE(loop) << loop.error().message;
  bool said = false;
  (*loop)->after(std::chrono::milliseconds(10), [&] { said = true; });
  (*loop)->run();
  EXPECT_TRUE(said);
}

// §2 Callbacks.
TEST_P(GuideTest, CallbacksOpenThenRead) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  std::string path = (TempDir() / "notes.txt").string();
  std::ofstream(path) << "notes";
  std::string got;
  lio::Loop& l = *loop;
  l.open(path, LIO_OPEN_RDONLY, 0, [&](lio::Expected<lio::File> f) {
    ASSERT_TRUE(f);
    l.read(*f, lio::Buffer(4096), 0, [&](lio::BufResult r) {
      if (r.bytes) got = std::string(r.buffer.view());
    });
  });
  l.run();
  EXPECT_EQ(got, "notes");
}

// §6 Coroutines: the echo pair.
lio::Task<void> echo(lio::TcpStream conn) {
  lio::Buffer buf(16 * 1024);
  for (;;) {
    auto [n, data] = co_await lio::recv(conn, std::move(buf));
    if (!n || *n == 0) co_return;
    auto [sent, back] = co_await lio::send_all(conn, std::move(data));
    if (!sent) co_return;
    buf = std::move(back);
  }
}

lio::Task<void> serve(lio::Loop& loop, lio::TcpListener listener) {
  for (;;) {
    lio::Expected<lio::TcpStream> conn = co_await lio::accept(listener);
    if (conn) loop.spawn(echo(std::move(*conn)));
  }
}

lio::Task<std::string> ask(lio::SocketAddress at, std::string question) {
  auto conn = co_await lio::connect(at);
  if (!conn) co_return "connect: " + conn.error().message();
  auto [sent, unused] = co_await lio::send_all(*conn, lio::Buffer::CopyOf(question));
  if (!sent) co_return "send failed";
  // §7 Time: a receive with a deadline.
  lio::Buffer buf(64);
  auto [n, answer] = co_await lio::with_timeout(5s, lio::recv(*conn, std::move(buf)));
  if (!n) co_return n.error().message();
  co_return std::string(answer.view());
}

TEST_P(GuideTest, CoroutineEchoServer) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  auto listener = lio::TcpListener::Bind(*loop, lio::SocketAddress::Loopback(0));
  ASSERT_TRUE(listener);
  uint16_t port = listener->local_address()->port();
  loop->spawn(serve(*loop, std::move(*listener)));
  // §9 Blocking.
  EXPECT_EQ(ask(lio::SocketAddress::Loopback(port), "ping").wait(), "ping");
  EXPECT_FALSE(lio::nop().wait());
}

// §7 A whole task with a deadline.
lio::Task<int> slow() {
  co_await lio::sleep(10s);
  co_return 1;
}

TEST_P(GuideTest, TaskWithTimeout) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  lio::Expected<int> r = loop->block_on([]() -> lio::Task<lio::Expected<int>> {
    co_return co_await lio::with_timeout(20ms, slow());
  }());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), lio::make_error(-LIO_ETIMEDOUT));
}

LIO_INSTANTIATE_LOOP_TEST(GuideTest);

}  // namespace
