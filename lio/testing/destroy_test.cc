// destroy with operations in flight: they are cancelled and waited for, not
// delivered; no buffer is touched after destroy returns; nothing leaks
// (checked by LeakSanitizer under --config=asan).
#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

constexpr char kCanary = '#';

bool AllCanary(std::span<const char> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == kCanary; });
}

class DestroyTest : public ConformanceTest {};
LIO_INSTANTIATE_CONFORMANCE_SUITE(DestroyTest);

LIO_CONFORMANCE_CASE(DestroyTest, destroy_in_flight, WaitingRecvIsCancelledAndItsBufferLeftAlone) {
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64, kCanary);
  PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  Flush();
  ASSERT_TRUE(ReapFor(milliseconds(30)).empty());
  Clock::time_point start = Clock::now();
  DestroyBackend();
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "destroy took long";
  ASSERT_EQ(platform::Send(pair.peer, "after", 5, 0), 5);
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_TRUE(AllCanary(buf)) << "a recv wrote its buffer after destroy returned";
  char got[8] = {};
  EXPECT_EQ(platform::Recv(pair.tested, got, sizeof got, 0), 5) << "a recv consumed data after destroy returned";
}

LIO_CONFORMANCE_CASE(DestroyTest, destroy_in_flight, UnflushedOpsAreDropped) {
  LIO_REQUIRE_OPS(LIO_OP_NOP, LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64, kCanary);
  for (int i = 0; i < 8; ++i) PushNew(Op::Nop());
  PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
  DestroyBackend();
  ASSERT_EQ(platform::Send(pair.peer, "after", 5, 0), 5);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_TRUE(AllCanary(buf));
}

LIO_CONFORMANCE_CASE(DestroyTest, destroy_in_flight, CompletedButUnreapedOpsAreDropped) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  for (int i = 0; i < 32; ++i) PushNew(Op::Nop());
  Flush();
  std::this_thread::sleep_for(milliseconds(20));
  DestroyBackend();
}

LIO_CONFORMANCE_CASE(DestroyTest, destroy_in_flight, ManyKindsInFlightAreCancelledPromptly) {
  ASSERT_TRUE(Reopen({.capacity = 512}));
  std::vector<std::span<char>> recv_buffers;
  if (declares(LIO_OP_TIMEOUT)) {
    for (int i = 0; i < 64; ++i) PushNew(Op::Timeout(Ns(seconds(30))));
  }
  if (declares(LIO_OP_RECV)) {
    for (int i = 0; i < 32; ++i) {
      TcpPair pair = OwnedTcpPair();
      ASSERT_TRUE(pair.ok());
      std::span<char> buf = Buffer(64, kCanary);
      PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
      recv_buffers.push_back(buf);
    }
  }
  if (declares(LIO_OP_READ)) {
    lio_handle file = OpenOwned(WriteFile("big", std::string(1 << 20, 'b')), platform::Access::kReadOnly);
    for (int i = 0; i < 32; ++i) {
      std::span<char> buf = Buffer(1 << 20);
      PushNew(Op::Read(file, buf.data(), buf.size(), 0));
    }
  }
  if (declares(LIO_OP_NOP)) {
    for (int i = 0; i < 64; ++i) PushNew(Op::Nop());
  }
  if (in_flight_count() == 0) GTEST_SKIP() << "backend declares none of timeout, recv, read, nop";
  Flush();
  Clock::time_point start = Clock::now();
  DestroyBackend();
  EXPECT_LE(Ms(Since(start)), Ms(kLateSlack)) << "destroy waited for 30 s timeouts instead of cancelling them";
  for (std::span<char> buf : recv_buffers) EXPECT_TRUE(AllCanary(buf));
}

LIO_CONFORMANCE_CASE(DestroyTest, destroy_in_flight, FileReadsFinishBeforeDestroyReturns) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  // More reads than any worker pool runs at once, so some are still queued
  // or running when destroy is called: a destroy that does not cancel and
  // wait for them lets them write after it returned.
  constexpr size_t kSize = 256 * 1024;
  lio_handle file = OpenOwned(WriteFile("reads", std::string(kSize, 'r')), platform::Access::kReadOnly);
  constexpr uint32_t kReads = 128;
  ASSERT_TRUE(Reopen({.capacity = kReads}));
  std::vector<std::span<char>> buffers;
  for (uint32_t i = 0; i < kReads; ++i) {
    std::span<char> buf = Buffer(kSize);
    PushNew(Op::Read(file, buf.data(), buf.size(), 0));
    buffers.push_back(buf);
  }
  Flush();
  DestroyBackend();
  for (std::span<char> buf : buffers) std::fill(buf.begin(), buf.end(), kCanary);
  std::this_thread::sleep_for(milliseconds(100));
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_TRUE(AllCanary(buffers[i])) << "read " << i << " wrote its buffer after destroy returned";
  }
}

}  // namespace
}  // namespace lio::testing

namespace lio::testing::platform {
// Found by gtest through the type's namespace.
void PrintTo(const ResourceCounts& c, std::ostream* out) {
  *out << c.handles << " handles, " << c.threads << " threads, " << c.mappings << " mappings";
}
}  // namespace lio::testing::platform

namespace lio::testing {
namespace {

std::string Describe(const platform::ResourceCounts& c) {
  std::ostringstream out;
  platform::PrintTo(c, &out);
  return out.str();
}

// What this process holds once every thread a destroy joined has left (a
// joined thread may linger in /proc for a moment): the counts, as soon as
// they match `expected`, else the last ones after a bounded while.
platform::ResourceCounts SettledCounts(const platform::ResourceCounts& expected) {
  platform::ResourceCounts now = platform::CountResources();
  for (Clock::time_point start = Clock::now(); !(now == expected) && Since(start) < kLateSlack;) {
    std::this_thread::sleep_for(milliseconds(10));
    now = platform::CountResources();
  }
  return now;
}

class DestroyReleasesTest : public ConformanceTest {
 protected:
  // One life of an instance: create, use what makes a backend grow (a nop, a
  // file read for the worker pool, a timer, a recv left in flight), destroy.
  // The file and sockets are the life's own, closed after destroy: on
  // Windows a handle stays tied to the first completion port it met.
  void OneLife(const std::filesystem::path& file_path) {
    ASSERT_TRUE(Reopen({.capacity = kDefaultCapacity, .options = DefaultBackendOptions()}));
    lio_handle file = platform::OpenFile(file_path, platform::Access::kReadOnly);
    ASSERT_NE(file, LIO_INVALID_HANDLE);
    TcpPair pair = declares(LIO_OP_RECV) ? ConnectedTcpPair() : TcpPair{};
    if (declares(LIO_OP_NOP)) {
      EXPECT_EQ(Complete(Op::Nop()), 0);
    }
    if (declares(LIO_OP_READ)) {
      std::span<char> buf = Buffer(16);
      EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), 0)), 5);
    }
    if (declares(LIO_OP_TIMEOUT)) {
      EXPECT_EQ(Complete(Op::Timeout(Ns(milliseconds(1)))), -LIO_ETIME);
    }
    if (pair.ok()) {
      std::span<char> buf = Buffer(16);
      PushNew(Op::Recv(pair.tested, buf.data(), buf.size()));
      Flush();
      ReapFor(milliseconds(5));
    }
    DestroyBackend();
    platform::CloseHandle(file);
    if (pair.tested >= 0) platform::CloseHandle(pair.tested);
    if (pair.peer >= 0) platform::CloseHandle(pair.peer);
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(DestroyReleasesTest);

// [destroy.releases_everything]: counted, not guessed. The first life warms
// up what the process keeps on purpose after a thread ends (allocator arenas,
// cached thread stacks); from then on, every life must end where it began.
LIO_CONFORMANCE_CASE(DestroyReleasesTest, destroy_releases_everything, CreateThenDestroyLeavesNothingBehind) {
  std::filesystem::path file = WriteFile("five", "12345");
  DestroyBackend();
  platform::ResourceCounts before = platform::CountResources();
  if (before.handles < 0 && before.threads < 0 && before.mappings < 0) {
    GTEST_SKIP() << "this OS gives no count of handles, threads or mappings";
  }
  OneLife(file);
  if (HasFatalFailure()) return;
  before = SettledCounts(before);
  for (int life = 0; life < 3 && !HasFailure(); ++life) {
    OneLife(file);
    if (HasFatalFailure()) return;
    platform::ResourceCounts after = SettledCounts(before);
    EXPECT_EQ(after, before) << "after create + destroy number " << life + 2 << ": " << Describe(after)
                             << " where there were " << Describe(before)
                             << " (on Windows under Wine the handle count is approximate)";
  }
}

}  // namespace
}  // namespace lio::testing
