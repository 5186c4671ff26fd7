// The kqueue reactor on its own, over libkqueue on Linux: edges (EV_CLEAR),
// watching again, a number closed and reused, batches smaller than what is
// ready, a refused connect, notify. Several cases are where libkqueue's
// emulation differs from real kqueue and the reactor or the build works
// around it (reactor_kqueue.cc under LIO_POLLER_LIBKQUEUE,
// third_party/libkqueue/libkqueue_fixes.c); the same cases hold on real kqueue.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <thread>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/reactor.h"

namespace lio::poller {
namespace {

std::unique_ptr<Reactor> MakeReactor() {
  std::unique_ptr<Reactor> reactor;
  EXPECT_EQ(Reactor::Create(16, &reactor), 0);
  return reactor;
}

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    close(read_end);
    close(write_end);
  }
};

struct SocketPair {
  int a = -1, b = -1;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    close(a);
    if (b >= 0) close(b);
  }
};

TEST(KqueueReactor, ProbePasses) {
  char why[128] = "";
  EXPECT_EQ(Reactor::Probe(why, sizeof why), 0) << why;
}

TEST(KqueueReactor, ReportsAWatchedHandleOnEachEdgeWithoutRewatching) {
  auto reactor = MakeReactor();
  Pipe pipe;
  ReadyEvent events[4];
  bool notified = false;
  ASSERT_EQ(reactor->watch(pipe.read_end, LIO_POLL_IN, false), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0);
  ASSERT_EQ(write(pipe.write_end, "x", 1), 1);
  ASSERT_EQ(reactor->wait(0, events, &notified), 1);
  EXPECT_EQ(events[0].fd, pipe.read_end);
  EXPECT_EQ(events[0].events, LIO_POLL_IN);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0) << "an edge is reported once while still readable";
  ASSERT_EQ(write(pipe.write_end, "y", 1), 1);
  EXPECT_EQ(reactor->wait(0, events, &notified), 1) << "new data, a new edge: still watched";
}

// libkqueue: an EV_ADD of a filter it has does not report it ready now.
TEST(KqueueReactor, WatchingAgainReportsAHandleThatIsReadyNow) {
  auto reactor = MakeReactor();
  Pipe pipe;
  ReadyEvent events[4];
  bool notified = false;
  ASSERT_EQ(write(pipe.write_end, "x", 1), 1);
  ASSERT_EQ(reactor->watch(pipe.read_end, LIO_POLL_IN, false), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 1) << "ready when first watched";
  EXPECT_EQ(reactor->wait(0, events, &notified), 0);
  ASSERT_EQ(reactor->watch(pipe.read_end, LIO_POLL_IN, true), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 1) << "watched again while readable: reported again";
}

// libkqueue: a filter outlives the close of its descriptor, and an EV_ADD
// for the number's next file would only update it.
TEST(KqueueReactor, WatchWorksAfterForgetAndAfterCloseAndReuse) {
  auto reactor = MakeReactor();
  ReadyEvent events[4];
  bool notified = false;
  auto first = std::make_unique<Pipe>();
  int number = first->read_end;
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, false), 0);
  reactor->forget(number);
  reactor->forget(number);  // twice: not an error
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, true), 0);
  first.reset();  // closed behind the reactor's back
  Pipe reused;    // lowest numbers first: the same one again
  ASSERT_EQ(reused.read_end, number);
  ASSERT_EQ(reactor->watch(reused.read_end, LIO_POLL_IN, true), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0);
  ASSERT_EQ(write(reused.write_end, "x", 1), 1);
  ASSERT_EQ(reactor->wait(0, events, &notified), 1) << "the new file is the one watched";
  EXPECT_EQ(events[0].fd, number);
}

// Handles ready for reading and writing at once, more than a wait has room
// for: each is reported once with both, none is lost. libkqueue dropped the
// events that did not fit (libkqueue_fixes.c, 1).
TEST(KqueueReactor, HandlesReadyBothWaysBeyondTheBatchWaitForTheNextOne) {
  for (size_t room : {1, 2, 3}) {
    auto reactor = MakeReactor();
    SocketPair pairs[5];
    for (SocketPair& p : pairs) {
      ASSERT_EQ(write(p.b, "x", 1), 1);
      ASSERT_EQ(reactor->watch(p.a, LIO_POLL_IN | LIO_POLL_OUT, false), 0);
    }
    std::map<int, uint32_t> seen;
    ReadyEvent events[3];
    bool notified = false;
    for (int waits = 0; waits < 20; ++waits) {
      int n = reactor->wait(0, std::span<ReadyEvent>(events, room), &notified);
      ASSERT_GE(n, 0);
      ASSERT_LE(static_cast<size_t>(n), room);
      if (n == 0) break;
      for (int i = 0; i < n; ++i) seen[events[i].fd] |= events[i].events;
    }
    ASSERT_EQ(seen.size(), std::size(pairs)) << "room " << room;
    for (const SocketPair& p : pairs) {
      EXPECT_EQ(seen[p.a] & (LIO_POLL_IN | LIO_POLL_OUT), LIO_POLL_IN | LIO_POLL_OUT) << "room " << room;
    }
  }
}

TEST(KqueueReactor, PeerCloseIsReportedAsHangUp) {
  auto reactor = MakeReactor();
  SocketPair pair;
  ReadyEvent events[4];
  bool notified = false;
  ASSERT_EQ(reactor->watch(pair.a, LIO_POLL_IN, false), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0);
  close(pair.b);
  pair.b = -1;
  ASSERT_EQ(reactor->wait(0, events, &notified), 1);
  EXPECT_EQ(events[0].fd, pair.a);
  EXPECT_TRUE(events[0].events & LIO_POLL_IN);
  EXPECT_TRUE(events[0].events & LIO_POLL_HUP);
}

// The error of a refused connect is reported, and left on the socket for
// the caller's getsockopt. libkqueue read (and so cleared) it
// (libkqueue_fixes.c, 2).
TEST(KqueueReactor, RefusedConnectIsReportedAndItsErrorLeftOnTheSocket) {
  auto reactor = MakeReactor();
  // A bound, not listening, loopback port: a connect to it is refused.
  int closed_port = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(closed_port, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(closed_port, reinterpret_cast<sockaddr*>(&address), &length), 0);

  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int connected = connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ASSERT_TRUE(connected == 0 || errno == EINPROGRESS || errno == ECONNREFUSED);
  if (connected != 0 && errno == ECONNREFUSED) GTEST_SKIP() << "refused at once: nothing to wait for";
  ASSERT_EQ(reactor->watch(client, LIO_POLL_OUT, false), 0);
  ReadyEvent events[4];
  bool notified = false;
  ASSERT_EQ(reactor->wait(5'000'000'000, events, &notified), 1);
  EXPECT_EQ(events[0].fd, client);
  EXPECT_TRUE(events[0].events & LIO_POLL_ERR);
  int error = 0;
  socklen_t error_length = sizeof error;
  ASSERT_EQ(getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &error_length), 0);
  EXPECT_EQ(error, ECONNREFUSED);
  close(client);
  close(closed_port);
}

int OpenDescriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

// Destroying a reactor closes everything it opened, then and there; filters
// on handles still open go with it. libkqueue freed a closed kqueue later,
// from its monitoring thread.
TEST(KqueueReactor, DestroyReleasesItsDescriptorsAtOnce) {
  auto first = MakeReactor();  // whatever the process keeps for all kqueues
  SocketPair pair;
  const int before = OpenDescriptors();
  auto reactor = MakeReactor();
  ASSERT_EQ(reactor->watch(pair.a, LIO_POLL_IN | LIO_POLL_OUT, false), 0);
  ASSERT_EQ(reactor->notify(), 0);
  reactor.reset();
  EXPECT_EQ(OpenDescriptors(), before);
}

TEST(KqueueReactor, NotifyWakesAWaiterAndIsNotLostBeforeIt) {
  auto reactor = MakeReactor();
  ReadyEvent events[4];
  bool notified = false;
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(reactor->notify(), 0);
  });
  EXPECT_EQ(reactor->wait(-1, events, &notified), 0);
  EXPECT_TRUE(notified);
  notifier.join();
  EXPECT_EQ(reactor->notify(), 0);
  EXPECT_EQ(reactor->notify(), 0);
  EXPECT_EQ(reactor->wait(-1, events, &notified), 0);
  EXPECT_TRUE(notified) << "notifications before the wait are kept (and merged)";
  EXPECT_EQ(reactor->wait(0, events, &notified), 0);
  EXPECT_FALSE(notified);
}

}  // namespace
}  // namespace lio::poller
