// Shared by the Loop's tests: they run once per backend plugin named on the
// command line (--plugin=PATH, repeatable; Bazel passes the io_uring and
// poller plugins), as value-parameterized GoogleTest cases.
//
//   class MyTest : public lio::testing::LoopTest {};
//   TEST_P(MyTest, Works) { auto loop = MakeLoop(); ... }
//   LIO_INSTANTIATE_LOOP_TEST(MyTest);
#ifndef LIO_TESTING_LOOP_TEST_SUPPORT_H_
#define LIO_TESTING_LOOP_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lio/runtime/loop.h"
#include "lio/core/registry.h"

namespace lio::testing {

// The backends loaded from --plugin arguments, by name.
const std::vector<std::string>& LoopBackends();
Registry& LoopRegistry();

class LoopTest : public ::testing::TestWithParam<std::string> {
 protected:
  // A loop over this case's backend; fails the test (and returns null) if it
  // cannot be opened.
  std::unique_ptr<Loop> MakeLoop(uint32_t capacity = 256, uint32_t timers = LoopOptions::kDefaultTimers);
  // LoopOptions for this case's backend (and the test registry), at
  // capacity AtCapacity::kQueue with the automatic reserve.
  LoopOptions Options(uint32_t capacity = 256, uint32_t timers = LoopOptions::kDefaultTimers) const;
  const std::string& backend() const { return GetParam(); }
  // A fresh directory for this case.
  std::filesystem::path TempDir();
};

// Runs loop turns until `done()` or `limit` passed; whether done() held.
// Turns are bounded (a 20 ms timer) so done() is checked often.
bool RunUntil(Loop& loop, const std::function<bool()>& done,
              std::chrono::milliseconds limit = std::chrono::milliseconds(10000));

// Runs the loop until nothing is left (bounded); whether it got there.
bool Drain(Loop& loop, std::chrono::milliseconds limit = std::chrono::milliseconds(10000));

// A connected pair of stream sockets, blocking: AF_UNIX on POSIX, TCP over
// loopback on Windows.
struct SocketPair {
  lio_handle a = LIO_INVALID_HANDLE;
  lio_handle b = LIO_INVALID_HANDLE;
  ~SocketPair();
};
std::unique_ptr<SocketPair> MakeSocketPair();
// Blocking helpers on raw handles.
long SendAll(lio_handle h, const std::string& data);
std::string RecvSome(lio_handle h, size_t max, int timeout_ms = 5000);
// A blocking TCP connection to 127.0.0.1:port, or LIO_INVALID_HANDLE.
lio_handle ConnectLoopback(uint16_t port);
void CloseRaw(lio_handle h);

}  // namespace lio::testing

#define LIO_INSTANTIATE_LOOP_TEST(Suite)                                                            \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(::lio::testing::LoopBackends()), \
                           [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

#endif  // LIO_TESTING_LOOP_TEST_SUPPORT_H_
