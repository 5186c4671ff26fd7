// The epoll reactor on its own: interest changes, notify from another thread,
// and timeout precision — with epoll_pwait2, and without it (a child whose
// seccomp filter answers ENOSYS, as on a pre-5.11 kernel), where a short
// timeout must round up to 1 ms rather than down to a 0 ms busy-loop.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/reactor.h"

namespace lio::poller {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

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

TEST(EpollReactor, ProbePasses) {
  char why[128] = "";
  EXPECT_EQ(Reactor::Probe(why, sizeof why), 0) << why;
}

TEST(EpollReactor, ReportsAWatchedHandleOnEachEdgeWithoutRewatching) {
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
  char buf[4];
  ASSERT_EQ(read(pipe.read_end, buf, sizeof buf), 2);
  ASSERT_EQ(write(pipe.write_end, "z", 1), 1);
  EXPECT_EQ(reactor->wait(0, events, &notified), 1) << "readable again after it was drained";
}

TEST(EpollReactor, WatchingAgainReportsAHandleThatIsReadyNow) {
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
  ASSERT_EQ(reactor->watch(pipe.read_end, LIO_POLL_IN, false), 0) << "registered after all (EEXIST): changed";
  EXPECT_EQ(reactor->wait(0, events, &notified), 1);
}

// `kept` says whether the registration watched is one made before for the
// file the number names now: only then may the backend keep what it learnt.
TEST(EpollReactor, WatchSaysWhetherItKeptTheRegistrationOfTheSameFile) {
  auto reactor = MakeReactor();
  bool kept = true;
  auto first = std::make_unique<Pipe>();
  const int number = first->read_end;
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, false, &kept), 0);
  EXPECT_FALSE(kept) << "made now";
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN | LIO_POLL_OUT, true, &kept), 0);
  EXPECT_TRUE(kept) << "changed: the same file's";
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, false, &kept), 0);
  EXPECT_FALSE(kept) << "found by an ADD: not vouched for";
  first.reset();
  Pipe reused;
  ASSERT_EQ(reused.read_end, number);
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, true, &kept), 0);
  EXPECT_FALSE(kept) << "the old file's went with it: made anew for the new file";
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, true, &kept), 0);
  EXPECT_TRUE(kept);
}

TEST(EpollReactor, WatchedForNothingReportsHangUp) {
  auto reactor = MakeReactor();
  auto pipe = std::make_unique<Pipe>();
  ReadyEvent events[4];
  bool notified = false;
  ASSERT_EQ(write(pipe->write_end, "x", 1), 1);
  ASSERT_EQ(reactor->watch(pipe->read_end, 0, false), 0);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0) << "readable, but not watched for it";
  close(pipe->write_end);
  pipe->write_end = open("/dev/null", O_RDONLY | O_CLOEXEC);  // keeps ~Pipe's close harmless
  ASSERT_EQ(reactor->wait(0, events, &notified), 1);
  EXPECT_TRUE(events[0].events & LIO_POLL_HUP);
}

TEST(EpollReactor, WatchWorksAfterForgetAndAfterCloseAndReuse) {
  auto reactor = MakeReactor();
  ReadyEvent events[4];
  bool notified = false;
  auto first = std::make_unique<Pipe>();
  int number = first->read_end;
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, false), 0);
  reactor->forget(number);
  reactor->forget(number);  // twice: not an error
  ASSERT_EQ(reactor->watch(number, LIO_POLL_IN, true), 0) << "believed registered, but forgotten (ENOENT): added";
  first.reset();  // closing drops the registration
  Pipe reused;    // lowest numbers first: the same one again
  ASSERT_EQ(reused.read_end, number);
  ASSERT_EQ(write(reused.write_end, "x", 1), 1);
  EXPECT_EQ(reactor->wait(0, events, &notified), 0) << "the registration went with the old file";
  ASSERT_EQ(reactor->watch(reused.read_end, LIO_POLL_IN, true), 0);
  ASSERT_EQ(reactor->wait(0, events, &notified), 1);
  EXPECT_EQ(events[0].fd, number);
}

TEST(EpollReactor, RegularFilesCannotBeWatched) {
  auto reactor = MakeReactor();
  int file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(reactor->watch(file, LIO_POLL_IN, false), -LIO_EPERM);
  EXPECT_EQ(reactor->watch(file, LIO_POLL_IN, true), -LIO_EPERM);
  close(file);
}

TEST(EpollReactor, ReadyHandlesBeyondTheBatchWaitForTheNextOne) {
  auto reactor = MakeReactor();
  Pipe pipes[3];
  for (Pipe& p : pipes) {
    ASSERT_EQ(write(p.write_end, "x", 1), 1);
    ASSERT_EQ(reactor->watch(p.read_end, LIO_POLL_IN, false), 0);
  }
  ReadyEvent events[2];
  bool notified = false;
  EXPECT_EQ(reactor->wait(0, events, &notified), 2);
  EXPECT_EQ(reactor->wait(0, std::span<ReadyEvent>(events, 2), &notified), 1) << "the third, not lost";
}

TEST(EpollReactor, NotifyWakesAWaiterAndIsNotLostBeforeIt) {
  auto reactor = MakeReactor();
  ReadyEvent events[4];
  bool notified = false;
  std::thread notifier([&] {
    std::this_thread::sleep_for(milliseconds(20));
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

// How long a wait of `timeout` with nothing ready takes.
Clock::duration TimedWait(Reactor& reactor, std::chrono::nanoseconds timeout) {
  ReadyEvent events[4];
  bool notified = false;
  auto start = Clock::now();
  reactor.wait(timeout.count(), events, &notified);
  return Clock::now() - start;
}

TEST(EpollReactor, SubMillisecondTimeoutsWithEpollPwait2) {
  auto reactor = MakeReactor();
  auto waited = TimedWait(*reactor, microseconds(200));
  EXPECT_GE(waited, microseconds(200));
  EXPECT_LT(waited, milliseconds(50));
}

// epoll_pwait2 -> ENOSYS; every other call allowed.
bool HideEpollPwait2() {
#if defined(__x86_64__)
  constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
  return false;
#endif
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 441 /* __NR_epoll_pwait2 */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

// Child exit codes.
enum : int { kRoundedUp = 0, kReturnedEarly = 1, kNoSeccomp = 2, kReactorFailed = 3 };

int WaitWithoutEpollPwait2() {
  if (!HideEpollPwait2()) return kNoSeccomp;
  std::unique_ptr<Reactor> reactor;
  if (Reactor::Create(4, &reactor) != 0) return kReactorFailed;
  // Both a 1 us and a 1 ms timeout become epoll_wait(1 ms): never 0.
  for (auto timeout : {std::chrono::nanoseconds(1000), std::chrono::nanoseconds(1'000'000)}) {
    for (int i = 0; i < 3; ++i) {
      if (TimedWait(*reactor, timeout) < milliseconds(1)) return kReturnedEarly;
    }
  }
  return kRoundedUp;
}

TEST(EpollReactor, WithoutEpollPwait2ShortTimeoutsRoundUpToOneMillisecond) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(WaitWithoutEpollPwait2());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kNoSeccomp) GTEST_SKIP() << "cannot install a seccomp filter here";
  EXPECT_NE(WEXITSTATUS(status), kReactorFailed);
  EXPECT_EQ(WEXITSTATUS(status), kRoundedUp) << "a short timeout returned before 1 ms: rounded down";
}

}  // namespace
}  // namespace lio::poller
