// Thousands of operations in flight at once: each completes exactly once,
// under its own id, with its own result.
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class ManyInFlightTest : public ConformanceTest {
 protected:
  static constexpr uint32_t kMany = 4096;

  void SetUp() override {
    ConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(Reopen({.capacity = kMany}));
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(ManyInFlightTest);

LIO_CONFORMANCE_CASE(ManyInFlightTest, wait_exactly_once, ThousandsOfNops) {
  LIO_REQUIRE_OPS(LIO_OP_NOP);
  std::set<uint64_t> pushed;
  for (uint32_t i = 0; i < kMany; ++i) {
    uint64_t id = NextId();
    ASSERT_EQ(Push(id, Op::Nop()), 0) << "push " << i + 1 << " of capacity " << kMany;
    pushed.insert(id);
  }
  EXPECT_EQ(Push(NextId(), Op::Nop()), -LIO_EAGAIN);
  EXPECT_EQ(Flush(), static_cast<int>(kMany));
  std::set<uint64_t> completed;
  for (const lio_completion& c : WaitFor(kMany)) {
    completed.insert(c.id);
    EXPECT_EQ(Result{c.result}, 0);
  }
  EXPECT_EQ(completed, pushed);
}

LIO_CONFORMANCE_CASE(ManyInFlightTest, wait_exactly_once, ThousandsOfTimeouts) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  std::set<uint64_t> pushed;
  for (uint32_t i = 0; i < kMany; ++i) {
    uint64_t id = NextId();
    ASSERT_EQ(Push(id, Op::Timeout(Ns(milliseconds(1 + i % 50)))), 0) << "push " << i + 1;
    pushed.insert(id);
  }
  Flush();
  std::set<uint64_t> completed;
  for (const lio_completion& c : WaitFor(kMany)) {
    completed.insert(c.id);
    EXPECT_EQ(Result{c.result}, -LIO_ETIME);
  }
  EXPECT_EQ(completed, pushed);
}

LIO_CONFORMANCE_CASE(ManyInFlightTest, wait_exactly_once, ThousandsOfFileReads) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  constexpr size_t kChunk = 8;
  std::string content(kMany * kChunk, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i / kChunk * 31 + i);
  lio_handle file = OpenOwned(WriteFile("chunks", content), platform::Access::kReadOnly);
  std::span<char> buffers = Buffer(content.size(), '#');
  std::map<uint64_t, uint32_t> chunk_of;
  for (uint32_t i = 0; i < kMany; ++i) {
    uint64_t id = NextId();
    ASSERT_EQ(Push(id, Op::Read(file, buffers.data() + i * kChunk, kChunk, i * kChunk)), 0) << "push " << i + 1;
    chunk_of[id] = i;
  }
  Flush();
  for (const lio_completion& c : WaitFor(kMany)) {
    auto it = chunk_of.find(c.id);
    if (it == chunk_of.end()) continue;  // reported by the invariant checks
    EXPECT_EQ(Result{c.result}, static_cast<int64_t>(kChunk)) << "chunk " << it->second;
  }
  EXPECT_TRUE(std::memcmp(buffers.data(), content.data(), content.size()) == 0) << "each read filled its chunk";
}

}  // namespace
}  // namespace lio::testing
