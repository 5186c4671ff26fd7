// Exhaustion on the iocp backend (Windows; run under Wine): the worker pool
// saturated — its one thread (workers=1) blocked in a read of an anonymous
// pipe nobody writes to (a synchronous handle: Windows has no overlapped read
// for it, so a worker makes the call) — and lio keeps going:
//   - socket ops and a nop still complete, each once;
//   - openat jobs queued behind the blocked one cancel exactly once
//     (-ECANCELED, or opened if a thread got to them first);
//   - the blocked read completes when its writer comes, and a blocked read
//     that is cancelled instead is cut short (CancelSynchronousIo);
//   - destroy with a worker blocked returns: it interrupts the call.
// What exhaustion_test.cc also checks on POSIX has no Windows form here:
// Windows has no per-process handle limit a test can lower (RLIMIT_NOFILE),
// so "out of fds in accept" cannot be staged, and no address-space limit
// (RLIMIT_AS) to make create's allocation fail safely.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"

namespace lio {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const BackendInfo& Iocp() {
  static Registry* registry = new Registry({fs::absolute("lio/plugins/iocp")});
  static const BackendInfo* info = [] {
    auto found = registry->Find("iocp");
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : nullptr;
  }();
  return *info;
}

lio_handle AsLio(HANDLE h) { return static_cast<lio_handle>(reinterpret_cast<intptr_t>(h)); }
lio_handle AsLio(SOCKET s) { return static_cast<lio_handle>(s); }

// A connected loopback TCP pair (blocking calls), closed at the end.
struct TcpPair {
  SOCKET tested = INVALID_SOCKET, peer = INVALID_SOCKET;
  TcpPair() {
    SOCKET listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(listener, 1) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      peer = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(peer, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) tested = accept(listener, nullptr, nullptr);
    }
    closesocket(listener);
  }
  ~TcpPair() {
    for (SOCKET s : {tested, peer}) {
      if (s != INVALID_SOCKET) closesocket(s);
    }
  }
  bool ok() const { return tested != INVALID_SOCKET && peer != INVALID_SOCKET; }
};

// An anonymous pipe: synchronous handles, so a read of it goes to a worker.
struct Pipe {
  HANDLE read_end = nullptr, write_end = nullptr;
  Pipe() { CreatePipe(&read_end, &write_end, nullptr, 0); }
  ~Pipe() {
    for (HANDLE h : {read_end, write_end}) {
      if (h != nullptr) CloseHandle(h);
    }
  }
};

class IocpExhaustionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
  }

  Backend Open() {
    auto created = Backend::Create(Iocp(), {.capacity = 64, .options = "workers=1"});
    EXPECT_TRUE(created) << created.error().message;
    return std::move(*created);
  }

  // Waits (bounded) until `until` says enough arrived; every completion is
  // checked to come once and for a waited-for id.
  void Reap(Backend& b, const std::vector<uint64_t>& ids, std::map<uint64_t, int64_t>& results,
            bool (*until)(const std::map<uint64_t, int64_t>&, const std::vector<uint64_t>&)) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!until(results, ids) && std::chrono::steady_clock::now() < give_up) {
      auto done = b.wait(milliseconds(100));
      ASSERT_TRUE(done) << done.error().message();
      for (const lio_completion& c : *done) {
        EXPECT_NE(std::find(ids.begin(), ids.end(), c.id), ids.end()) << "completion for id " << c.id;
        EXPECT_TRUE(results.emplace(c.id, c.result).second) << "id " << c.id << " completed twice";
      }
    }
  }
  static bool All(const std::map<uint64_t, int64_t>& results, const std::vector<uint64_t>& ids) {
    return std::all_of(ids.begin(), ids.end(), [&](uint64_t id) { return results.contains(id); });
  }

  fs::path TempFile() {
    fs::path file = fs::temp_directory_path() / "lio_exhaustion_file";
    std::ofstream(file) << "x";
    return file;
  }
};

TEST_F(IocpExhaustionTest, SaturatedWorkerStillServesSocketsAndCancelsQueuedJobs) {
  Backend b = Open();
  Pipe pipe;
  ASSERT_NE(pipe.read_end, nullptr);
  const std::string file = TempFile().string();

  // The one worker blocks reading the pipe; eight opens queue behind it.
  char byte = 0;
  const uint64_t blocked = 100;
  ASSERT_FALSE(b.push(blocked, Op::Read(AsLio(pipe.read_end), &byte, 1)));
  std::vector<uint64_t> queued;
  for (uint64_t i = 0; i < 8; ++i) {
    queued.push_back(200 + i);
    ASSERT_FALSE(b.push(queued.back(), Op::Openat(LIO_AT_FDCWD, file.c_str(), LIO_OPEN_RDONLY)));
  }
  ASSERT_TRUE(b.flush());

  // Sockets and nops do not wait for the workers.
  TcpPair tcp;
  ASSERT_TRUE(tcp.ok());
  ASSERT_EQ(send(tcp.peer, "x", 1, 0), 1);
  char in = 0;
  const uint64_t recv_id = 300, nop_id = 301;
  ASSERT_FALSE(b.push(recv_id, Op::Recv(AsLio(tcp.tested), &in, 1)));
  ASSERT_FALSE(b.push(nop_id, Op::Nop()));
  ASSERT_TRUE(b.flush());
  std::vector<uint64_t> all = queued;
  all.insert(all.end(), {recv_id, nop_id, blocked});
  std::map<uint64_t, int64_t> results;
  Reap(b, all, results, [](const auto& r, const auto&) { return r.contains(300) && r.contains(301); });
  EXPECT_EQ(results[recv_id], 1) << "recv behind a saturated worker pool";
  EXPECT_EQ(in, 'x');
  EXPECT_EQ(results[nop_id], 0);
  EXPECT_FALSE(results.contains(blocked)) << "the read of an empty pipe completed";
  for (uint64_t id : queued) EXPECT_FALSE(results.contains(id)) << "an open ran while the only worker was blocked";

  // Cancel what is queued: each completes once, now.
  for (uint64_t id : queued) EXPECT_FALSE(b.cancel(id)) << "cancel of queued open " << id;
  Reap(b, all, results, [](const auto& r, const auto& ids) {
    return std::all_of(ids.begin(), ids.begin() + 8, [&](uint64_t id) { return r.contains(id); });
  });
  for (uint64_t id : queued) {
    ASSERT_TRUE(results.contains(id)) << "cancelled open " << id << " never completed";
    EXPECT_EQ(results[id], -LIO_ECANCELED) << "open " << id;
  }

  // The writer comes: the blocked read completes with its byte.
  DWORD written = 0;
  ASSERT_TRUE(WriteFile(pipe.write_end, "y", 1, &written, nullptr));
  Reap(b, all, results, [](const auto& r, const auto&) { return r.contains(100); });
  EXPECT_EQ(results[blocked], 1);
  EXPECT_EQ(byte, 'y');

  // The worker is free again: an open runs.
  const uint64_t after = 400;
  all.push_back(after);
  ASSERT_FALSE(b.push(after, Op::Openat(LIO_AT_FDCWD, file.c_str(), LIO_OPEN_RDONLY)));
  ASSERT_TRUE(b.flush());
  Reap(b, all, results, [](const auto& r, const auto&) { return r.contains(400); });
  EXPECT_GE(results[after], 0) << "open after the worker came free";
  if (results[after] >= 0) CloseHandle(reinterpret_cast<HANDLE>(static_cast<intptr_t>(results[after])));
}

TEST_F(IocpExhaustionTest, CancelCutsShortTheBlockedCallAndFreesTheWorker) {
  Backend b = Open();
  Pipe pipe;
  ASSERT_NE(pipe.read_end, nullptr);
  char byte = 0;
  const uint64_t blocked = 1, nop_id = 2;
  ASSERT_FALSE(b.push(blocked, Op::Read(AsLio(pipe.read_end), &byte, 1)));
  ASSERT_FALSE(b.push(nop_id, Op::Nop()));
  ASSERT_TRUE(b.flush());
  std::map<uint64_t, int64_t> results;
  std::vector<uint64_t> ids{blocked, nop_id};
  Reap(b, ids, results, [](const auto& r, const auto&) { return r.contains(2); });
  ASSERT_FALSE(results.contains(blocked));
  // The worker may not be inside ReadFile yet: cancel interrupts only a call
  // in progress, and the job checks its flag before the call; either way the
  // read ends cancelled, once.
  ASSERT_FALSE(b.cancel(blocked));
  Reap(b, ids, results, [](const auto& r, const auto&) { return r.contains(1); });
  ASSERT_TRUE(results.contains(blocked)) << "cancel did not end the blocked read";
  EXPECT_EQ(results[blocked], -LIO_ECANCELED);

  // The worker is free: a write to the pipe and a read of it go through it.
  const uint64_t read_again = 3;
  ids.push_back(read_again);
  DWORD written = 0;
  ASSERT_TRUE(WriteFile(pipe.write_end, "z", 1, &written, nullptr));
  ASSERT_FALSE(b.push(read_again, Op::Read(AsLio(pipe.read_end), &byte, 1)));
  ASSERT_TRUE(b.flush());
  Reap(b, ids, results, [](const auto& r, const auto&) { return r.contains(3); });
  EXPECT_EQ(results[read_again], 1);
  EXPECT_EQ(byte, 'z');
}

TEST_F(IocpExhaustionTest, DestroyWithTheWorkerBlockedReturns) {
  Pipe pipe;
  ASSERT_NE(pipe.read_end, nullptr);
  char byte = 0;
  {
    Backend b = Open();
    ASSERT_FALSE(b.push(1, Op::Read(AsLio(pipe.read_end), &byte, 1)));
    ASSERT_FALSE(b.push(2, Op::Openat(LIO_AT_FDCWD, TempFile().string().c_str(), LIO_OPEN_RDONLY)));
    ASSERT_TRUE(b.flush());
    Sleep(50);  // let the worker enter its ReadFile (if not, destroy's flag stops it before)
  }  // destroy: cancels the queued open, interrupts the read, joins the worker
  // Nothing was read: the pipe still gives what is written next to the next reader.
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(pipe.write_end, "w", 1, &n, nullptr));
  char got = 0;
  ASSERT_TRUE(ReadFile(pipe.read_end, &got, 1, &n, nullptr));
  EXPECT_EQ(got, 'w');
  EXPECT_EQ(byte, 0) << "the destroyed backend's read wrote into the buffer";
}

}  // namespace
}  // namespace lio
