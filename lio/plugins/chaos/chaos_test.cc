// The chaos plugin with its knobs turned up, over io_uring and poller: what
// it changes, it changes only where the contract allows, and a program that
// handles what the contract allows still gets every byte through.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"

namespace lio {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kChaosPlugin = "lio/plugins/chaos/liblio_chaos.so";

Registry& TheRegistry() {
  static Registry* registry = [] {
    // The inner plugins' directories (runfiles), searched as LIO_PLUGIN_PATH
    // would be: chaos finds its inner backend by name through the host.
    auto* r = new Registry({std::filesystem::absolute("lio/plugins/io_uring"),
                            std::filesystem::absolute("lio/plugins/poller")});
    auto loaded = r->LoadPlugin(kChaosPlugin);
    EXPECT_TRUE(loaded.has_value()) << loaded.error().message;
    return r;
  }();
  return *registry;
}

// A pair of connected sockets, closed at the end of the test.
struct SocketPair {
  explicit SocketPair(int type) { EXPECT_EQ(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    close(fd[0]);
    close(fd[1]);
  }
  int fd[2] = {-1, -1};
};

class ChaosTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto found = TheRegistry().Find("chaos:" + GetParam());
    ASSERT_TRUE(found.has_value()) << found.error().message;
    info_ = *found;
    auto inner = TheRegistry().Find(GetParam());
    ASSERT_TRUE(inner.has_value()) << inner.error().message;
    ProbeResult probe = Backend::Probe(*info_);
    EXPECT_EQ(probe.ok(), Backend::Probe(**inner).ok()) << "chaos probes as its inner backend does";
    EXPECT_EQ(info_->capabilities, (*inner)->capabilities) << "chaos declares what it wraps";
    if (!probe.ok()) GTEST_SKIP() << probe.why;
  }

  Backend Open(const std::string& options, uint32_t capacity = 64) {
    auto created = Backend::Create(*info_, {.capacity = capacity, .options = options});
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return std::move(created).value();
  }

  // Waits (bounded) until `id` completes; every other completion goes to
  // `others`. Each id must arrive once.
  int64_t WaitFor(Backend& b, uint64_t id, std::map<uint64_t, int64_t>* others = nullptr) {
    Clock::time_point end = Clock::now() + seconds(5);
    std::optional<int64_t> result;
    while (!result && Clock::now() < end) {
      auto batch = b.wait(milliseconds(100));
      EXPECT_TRUE(batch.has_value());
      if (!batch) break;
      for (const lio_completion& c : *batch) {
        EXPECT_TRUE(seen_.insert(c.id).second) << "id " << c.id << " completed twice";
        if (c.id == id) {
          result = c.result;
        } else if (others != nullptr) {
          (*others)[c.id] = c.result;
        } else {
          ADD_FAILURE() << "unexpected completion " << c.id;
        }
      }
    }
    EXPECT_TRUE(result.has_value()) << "id " << id << " never completed";
    return result.value_or(INT64_MIN);
  }

  int64_t Complete(Backend& b, const lio_op& op) {
    uint64_t id = next_id_++;
    EXPECT_FALSE(b.push(id, op));
    EXPECT_TRUE(b.flush().has_value());
    return WaitFor(b, id);
  }

  uint64_t next_id_ = 1;
  std::set<uint64_t> seen_;
  const BackendInfo* info_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Inner, ChaosTest, ::testing::Values("io_uring", "poller"));

// Everything up: short I/O always, half the calls interrupted, most
// completions delayed and reordered. A caller that retries -EINTR and carries
// on after short counts moves every byte, in order, both ways at once.
TEST_P(ChaosTest, StreamTransferSurvivesShortIoAndEintr) {
  Backend b = Open("seed=7,short=1,eintr=0.5,delay=0.5,delay_max_us=500,reorder=1");
  SocketPair pair(SOCK_STREAM);
  constexpr size_t kTotal = 256 * 1024;
  std::string out(kTotal, '\0');
  for (size_t i = 0; i < kTotal; ++i) out[i] = static_cast<char>(i * 131 + i / 251);
  std::string in;
  std::vector<char> buf(16 * 1024);
  size_t sent = 0;
  int shorts = 0, interrupted = 0, rounds = 0;
  // One send (alternately send and writev) and one recv (alternately recv and
  // readv) in flight at a time.
  lio_iovec write_iov[3];
  lio_iovec read_iov[2];
  auto push_send = [&](uint64_t id) {
    size_t left = std::min<size_t>(kTotal - sent, 64 * 1024);
    if (id % 2) {
      ASSERT_FALSE(b.push(id, Op::Send(pair.fd[0], out.data() + sent, left)));
    } else {
      size_t a = left / 3, c = left / 3, m = left - a - c;
      write_iov[0] = {out.data() + sent, a};
      write_iov[1] = {out.data() + sent + a, m};
      write_iov[2] = {out.data() + sent + a + m, c};
      ASSERT_FALSE(b.push(id, Op::Writev(pair.fd[0], write_iov, 3)));
    }
  };
  auto push_recv = [&](uint64_t id) {
    if (id % 2) {
      ASSERT_FALSE(b.push(id, Op::Recv(pair.fd[1], buf.data(), buf.size())));
    } else {
      read_iov[0] = {buf.data(), 100};
      read_iov[1] = {buf.data() + 100, buf.size() - 100};
      ASSERT_FALSE(b.push(id, Op::Readv(pair.fd[1], read_iov, 2)));
    }
  };
  uint64_t send_id = 1000, recv_id = 1;
  push_send(send_id);
  push_recv(recv_id);
  bool sending = true;
  Clock::time_point end = Clock::now() + seconds(60);
  while (in.size() < kTotal && Clock::now() < end) {
    auto batch = b.wait(milliseconds(100));
    ASSERT_TRUE(batch.has_value());
    for (const lio_completion& c : *batch) {
      ++rounds;
      if (c.id == send_id) {
        if (c.result == -LIO_EINTR) {
          ++interrupted;
        } else {
          ASSERT_GT(c.result, 0) << "send";
          size_t asked = std::min<size_t>(kTotal - sent, 64 * 1024);
          if (static_cast<size_t>(c.result) < asked) ++shorts;
          sent += static_cast<size_t>(c.result);
        }
        sending = sent < kTotal;
        if (sending) push_send(++send_id);
      } else if (c.id == recv_id) {
        if (c.result == -LIO_EINTR) {
          ++interrupted;
        } else {
          ASSERT_GT(c.result, 0) << "recv";
          in.append(buf.data(), static_cast<size_t>(c.result));
        }
        if (in.size() < kTotal) push_recv(++recv_id);
      } else {
        FAIL() << "unknown id " << c.id;
      }
    }
  }
  ASSERT_EQ(in.size(), kTotal);
  EXPECT_TRUE(in == out) << "bytes lost, invented or reordered";
  EXPECT_GT(shorts, 0) << "short=1 never shortened a stream send";
  EXPECT_GT(interrupted, 0) << "eintr=0.5 never interrupted a call";
}

// Datagrams are never cut and regular files never read or written short,
// even with short=1: the blocking calls would not do that either.
TEST_P(ChaosTest, DatagramsAndFilesAreNeverShortened) {
  Backend b = Open("short=1,eintr=0,delay=1,reorder=1");
  SocketPair pair(SOCK_DGRAM);
  std::string datagram(1000, 'd');
  char got[2000];
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Complete(b, Op::Send(pair.fd[0], datagram.data(), datagram.size())), 1000);
    EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], got, sizeof got)), 1000);
  }
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(tmpdir ? tmpdir : "/tmp") + "/chaos_XXXXXX";
  int fd = mkstemp(templ.data());
  ASSERT_GE(fd, 0);
  std::string text(4096, 'f');
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Complete(b, Op::Write(fd, text.data(), text.size(), 0)), 4096);
    EXPECT_EQ(Complete(b, Op::Read(fd, got, sizeof got, 0)), static_cast<int64_t>(sizeof got));
  }
  close(fd);
  unlink(templ.c_str());
}

// eintr=1 interrupts only calls that would block on a socket or pipe, and the
// interrupted call moved nothing.
TEST_P(ChaosTest, EintrOnlyWhereASignalCouldInterrupt) {
  Backend b = Open("eintr=1,short=0");
  std::string templ = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/eintr_XXXXXX";
  int fd = mkstemp(templ.data());
  ASSERT_GE(fd, 0);
  char byte = 'x';
  EXPECT_EQ(Complete(b, Op::Write(fd, &byte, 1, 0)), 1) << "regular file";
  EXPECT_EQ(Complete(b, Op::Read(fd, &byte, 1, 0)), 1) << "regular file";
  EXPECT_EQ(Complete(b, Op::Nop()), 0);
  EXPECT_EQ(Complete(b, Op::Timeout(1000)), -LIO_ETIME);
  close(fd);
  unlink(templ.c_str());
  SocketPair pair(SOCK_STREAM);
  EXPECT_EQ(Complete(b, Op::Send(pair.fd[0], &byte, 1)), 1) << "a send with room never blocks, so never EINTR";
  EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], &byte, 1)), 1) << "a recv with data never blocks, so never EINTR";
  EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], &byte, 1)), -LIO_EINTR) << "a recv that would block is interruptible";
  ASSERT_EQ(send(pair.fd[0], "y", 1, 0), 1);
  char got = 0;
  EXPECT_EQ(recv(pair.fd[1], &got, 1, 0), 1);
  EXPECT_EQ(got, 'y') << "the interrupted recv consumed nothing";
}

// eagain=1 fires only on non-blocking handles (or MSG_DONTWAIT) that are not
// ready, and the refused op did not happen.
TEST_P(ChaosTest, EagainOnlyWhereTheCallCouldNotBlock) {
  Backend b = Open("eagain=1,eintr=0,short=0");
  SocketPair pair(SOCK_STREAM);
  char buf[16];
  ASSERT_EQ(send(pair.fd[0], "abcd", 4, 0), 4);
  EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], buf, 16, MSG_DONTWAIT)), 4) << "data ready: the real result";
  EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], buf, 16, MSG_DONTWAIT)), -LIO_EAGAIN);
  ASSERT_EQ(fcntl(pair.fd[1], F_SETFL, fcntl(pair.fd[1], F_GETFL) | O_NONBLOCK), 0);
  EXPECT_EQ(Complete(b, Op::Recv(pair.fd[1], buf, 16)), -LIO_EAGAIN);
  ASSERT_EQ(fcntl(pair.fd[1], F_SETFL, fcntl(pair.fd[1], F_GETFL) & ~O_NONBLOCK), 0);
  uint64_t id = next_id_++;
  ASSERT_FALSE(b.push(id, Op::Recv(pair.fd[1], buf, 16)));
  ASSERT_TRUE(b.flush().has_value());
  auto batch = b.wait(milliseconds(30));
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE(batch->empty()) << "a blocking handle is never refused with EAGAIN";
  ASSERT_EQ(send(pair.fd[0], "ef", 2, 0), 2);
  EXPECT_EQ(WaitFor(b, id), 2);
}

// Delayed and shuffled completions: timeouts still complete in deadline
// order, and everything exactly once.
TEST_P(ChaosTest, TimeoutsKeepDeadlineOrderThroughDelaysAndShuffles) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    Backend b = Open("seed=" + std::to_string(seed) + ",delay=1,delay_max_us=20000,reorder=1");
    std::vector<uint64_t> pushed;
    for (int i = 0; i < 20; ++i) {
      uint64_t id = next_id_++;
      ASSERT_FALSE(b.push(id, Op::Timeout(1'000'000 * (i / 2 + 1))));  // pairs share a deadline
      pushed.push_back(id);
      ASSERT_FALSE(b.push(next_id_++, Op::Nop()));  // shuffled among them
    }
    ASSERT_TRUE(b.flush().has_value());
    std::vector<uint64_t> timeouts;
    size_t nops = 0;
    Clock::time_point end = Clock::now() + seconds(5);
    while (timeouts.size() + nops < 40 && Clock::now() < end) {
      auto batch = b.wait(milliseconds(100));
      ASSERT_TRUE(batch.has_value());
      for (const lio_completion& c : *batch) {
        ASSERT_TRUE(seen_.insert(c.id).second);
        if (c.result == -LIO_ETIME) timeouts.push_back(c.id);
        else ++nops;
      }
    }
    EXPECT_EQ(nops, 20u);
    EXPECT_EQ(timeouts, pushed) << "seed " << seed;
  }
}

// A multishot accept and zero-copy sends through delays, shuffles and late
// cancels: each stream's MORE completions all come before its one final
// completion, and nothing of it after ([multishot.final_once]).
TEST_P(ChaosTest, StreamsKeepMoreBeforeFinalThroughDelaysAndShuffles) {
  if (!info_->supports(LIO_OP_ACCEPT_MULTI) || !info_->supports(LIO_OP_SEND_ZC)) {
    GTEST_SKIP() << "the inner backend has no multishot accept or send_zc";
  }
  for (uint64_t seed : {1, 2, 3}) {
    Backend b = Open("seed=" + std::to_string(seed) +
                     ",delay=1,delay_max_us=20000,reorder=1,cancel_race=1,cancel_delay_max_us=5000,eintr=0,short=0");
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(listener, 64), 0);
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    SocketPair pair(SOCK_STREAM);
    char data[256] = {};
    const uint64_t accept_id = next_id_++;
    ASSERT_FALSE(b.push(accept_id, Op::AcceptMulti(listener)));
    std::vector<uint64_t> sends;
    for (int i = 0; i < 4; ++i) {
      sends.push_back(next_id_++);
      ASSERT_FALSE(b.push(sends.back(), Op::SendZc(pair.fd[0], data, sizeof data)));
      ASSERT_FALSE(b.push(next_id_++, Op::Nop()));  // shuffled among them
    }
    ASSERT_TRUE(b.flush().has_value());
    std::vector<int> clients;
    for (int i = 0; i < 6; ++i) {
      clients.push_back(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      ASSERT_EQ(connect(clients.back(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    }
    std::map<uint64_t, std::vector<lio_completion>> streams;
    std::set<uint64_t> ended;
    bool cancelled = false;
    Clock::time_point end = Clock::now() + seconds(5);
    while (ended.size() < 9 && Clock::now() < end) {
      auto batch = b.wait(milliseconds(20));
      ASSERT_TRUE(batch.has_value());
      for (const lio_completion& c : *batch) {
        ASSERT_FALSE(ended.contains(c.id)) << "a completion after the final one (seed " << seed << ")";
        streams[c.id].push_back(c);
        if ((c.flags & LIO_COMPLETION_MORE) == 0) ended.insert(c.id);
        if (c.id == accept_id && c.result >= 0) close(static_cast<int>(c.result));
      }
      if (!cancelled && streams[accept_id].size() >= 6) {
        ASSERT_FALSE(b.cancel(accept_id));
        cancelled = true;
      }
    }
    EXPECT_EQ(ended.size(), 9u) << "seed " << seed;
    EXPECT_GE(streams[accept_id].size(), 7u) << "six clients, then the final completion";
    for (uint64_t id : sends) {
      const std::vector<lio_completion>& s = streams[id];
      ASSERT_FALSE(s.empty());
      EXPECT_EQ(s.front().result, static_cast<int64_t>(sizeof data));
      if (s.front().flags & LIO_COMPLETION_MORE) {
        ASSERT_EQ(s.size(), 2u);
        EXPECT_EQ(s[1].flags, uint32_t{LIO_COMPLETION_NOTIF});
      }
    }
    for (int client : clients) close(client);
    close(listener);
  }
}

// cancel_race=1: every cancel reaches the inner backend late. An op that
// finishes meanwhile completes with its real result; one that would wait
// forever is still cancelled. Exactly once either way.
TEST_P(ChaosTest, LateCancelsStillCancelAndLoseRacesHonestly) {
  Backend b = Open("cancel_race=1,cancel_delay_max_us=20000,delay=0,eintr=0,short=0");
  SocketPair pair(SOCK_STREAM);
  char buf[16];
  uint64_t waiting = next_id_++;
  ASSERT_FALSE(b.push(waiting, Op::Recv(pair.fd[1], buf, sizeof buf)));
  ASSERT_TRUE(b.flush().has_value());
  EXPECT_FALSE(b.cancel(waiting));
  EXPECT_FALSE(b.cancel(waiting)) << "asking twice is fine";
  EXPECT_EQ(WaitFor(b, waiting), -LIO_ECANCELED);
  EXPECT_EQ(b.cancel(waiting).value(), LIO_ENOENT);

  int won = 0;
  for (int i = 0; i < 20; ++i) {
    uint64_t id = next_id_++;
    ASSERT_FALSE(b.push(id, Op::Recv(pair.fd[1], buf, sizeof buf)));
    ASSERT_TRUE(b.flush().has_value());
    EXPECT_FALSE(b.cancel(id));
    ASSERT_EQ(send(pair.fd[0], "x", 1, 0), 1);
    int64_t result = WaitFor(b, id);
    EXPECT_TRUE(result == 1 || result == -LIO_ECANCELED) << result;
    if (result == 1) {
      ++won;
    } else {
      ASSERT_EQ(recv(pair.fd[1], buf, 1, 0), 1) << "a cancelled recv left the byte";
    }
  }
  EXPECT_GT(won, 0) << "no recv ever beat its late cancel";
}

// wait keeps its meaning while chaos holds completions back.
TEST_P(ChaosTest, WaitAndWakeKeepTheirMeaning) {
  Backend b = Open("delay=1,delay_max_us=50000");
  uint64_t id = next_id_++;
  ASSERT_FALSE(b.push(id, Op::Nop()));
  ASSERT_TRUE(b.flush().has_value());
  auto polled = b.wait(std::chrono::nanoseconds(0));
  ASSERT_TRUE(polled.has_value());
  Clock::time_point start = Clock::now();
  std::vector<lio_completion> got(polled->begin(), polled->end());
  while (got.empty()) {
    auto batch = b.wait();  // no timeout: returns once the held nop is due
    ASSERT_TRUE(batch.has_value());
    got.assign(batch->begin(), batch->end());
  }
  EXPECT_LT(Clock::now() - start, seconds(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);

  EXPECT_FALSE(b.wake());
  start = Clock::now();
  auto woken = b.wait(seconds(10));
  ASSERT_TRUE(woken.has_value());
  EXPECT_TRUE(woken->empty());
  EXPECT_LT(Clock::now() - start, seconds(1)) << "a wake before the wait ends it";
  start = Clock::now();
  auto timed = b.wait(milliseconds(50));
  ASSERT_TRUE(timed.has_value());
  EXPECT_TRUE(timed->empty());
  EXPECT_GE(Clock::now() - start, milliseconds(49)) << "one wake ends one wait";
}

// Found by lio/testing/fuzz (backend_ops_fuzzer): a wait ended by a wake
// before reaching the inner backend left the pushed ops unflushed, so the
// next flush handed over ops a wait had already flushed.
TEST_P(ChaosTest, WaitEndedByAWakeStillFlushes) {
  Backend b = Open("delay=0,reorder=0");
  const uint64_t first = next_id_++, second = next_id_++;
  ASSERT_FALSE(b.push(first, Op::Nop()));
  ASSERT_FALSE(b.push(second, Op::Nop()));
  ASSERT_FALSE(b.wake());
  auto woken = b.wait();
  ASSERT_TRUE(woken.has_value());
  size_t seen = woken->size();
  auto handed = b.flush();
  ASSERT_TRUE(handed.has_value());
  EXPECT_EQ(*handed, 0) << "wait flushes what was pushed";
  while (seen < 2) {
    auto batch = b.wait(seconds(5));
    ASSERT_TRUE(batch.has_value());
    ASSERT_FALSE(batch->empty()) << "the flushed nops complete";
    seen += batch->size();
  }
  EXPECT_EQ(seen, 2u);
}

// The same seed makes the same decisions for the same program: two children
// forked from one state (so they create the same n-th instance) agree; another
// seed, or the next instance, decides otherwise.
TEST_P(ChaosTest, SameSeedSameDecisions) {
  // Whether each of 32 recvs on an empty socket is "interrupted".
  auto decisions = [&](const std::string& seed) {
    Backend b = Open("seed=" + seed + ",eintr=0.5,short=0,delay=0,reorder=0,cancel_race=0");
    SocketPair pair(SOCK_STREAM);
    std::string pattern;
    char byte = 0;
    for (int i = 0; i < 32; ++i) {
      uint64_t id = next_id_++;
      EXPECT_FALSE(b.push(id, Op::Recv(pair.fd[1], &byte, 1)));
      EXPECT_TRUE(b.flush().has_value());
      auto batch = b.wait(std::chrono::nanoseconds(0));
      bool interrupted = batch && batch->size() == 1 && (*batch)[0].result == -LIO_EINTR;
      pattern += interrupted ? 'I' : '.';
      if (!interrupted) {
        EXPECT_FALSE(b.cancel(id));
        EXPECT_EQ(WaitFor(b, id), -LIO_ECANCELED);
      }
    }
    return pattern;
  };
  auto in_child = [&](const std::string& seed) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
      std::string pattern = decisions(seed);
      ssize_t written = write(fds[1], pattern.data(), pattern.size());
      _exit(written == static_cast<ssize_t>(pattern.size()) ? 0 : 1);
    }
    close(fds[1]);
    char buf[64] = {};
    ssize_t n = read(fds[0], buf, sizeof buf);
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  };
  std::string first = in_child("11");
  ASSERT_EQ(first.size(), 32u);
  EXPECT_EQ(in_child("11"), first) << "same seed, same n-th instance";
  EXPECT_NE(in_child("12"), first) << "another seed (2^-32 odds of a false alarm)";
  EXPECT_NE(decisions("11"), decisions("11")) << "consecutive instances draw different streams";
  EXPECT_NE(first.find('I'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_P(ChaosTest, OptionsAreChecked) {
  for (const char* bad : {"bogus=1", "short=2", "seed", "inner.bogus=1"}) {
    auto created = Backend::Create(*info_, {.capacity = 8, .options = bad});
    ASSERT_FALSE(created.has_value()) << bad;
    EXPECT_EQ(created.error().code.value(), LIO_EINVAL) << bad;
  }
}

}  // namespace
}  // namespace lio
