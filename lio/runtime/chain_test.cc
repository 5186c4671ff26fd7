// lio::Chain and the Loop's registration calls, on every backend: a chain
// runs in order and fails forward, a timeout cuts the op it guards, a chain
// that cannot start drops its callbacks and gives its slots back, and
// registered files and buffers are reached through the Loop.
#include "lio/runtime/chain.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

using namespace std::chrono_literals;
using testing::RunUntil;

class ChainTest : public testing::LoopTest {
 protected:
  void SetUp() override {
    loop_ = MakeLoop();
    ASSERT_NE(loop_, nullptr);
    if (!loop_->has_feature(LIO_FEATURE_LINK)) GTEST_SKIP() << backend() << " has no links";
  }
  // A callback that records its result (the value, or the negated error).
  auto Record(std::vector<int64_t>* results) {
    return [results](Expected<int64_t> r) { results->push_back(r ? *r : -r.error().value()); };
  }
  std::unique_ptr<Loop> loop_;
};

TEST_P(ChainTest, RunsInOrderAndFailsForward) {
  std::vector<int64_t> results;
  char buf[8];
  std::error_code ec = loop_->link()
                           .then(Op::Nop(), Record(&results))
                           .then(Op::Read(LIO_INVALID_HANDLE, buf, sizeof buf), Record(&results))
                           .then(Op::Nop(), Record(&results))
                           .submit();
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return results.size() == 3; }));
  EXPECT_EQ(results, (std::vector<int64_t>{0, -LIO_EBADF, -LIO_ECANCELED}));
  EXPECT_EQ(loop_->stats().slots_in_use, 0u);
}

TEST_P(ChainTest, WritesLandInChainOrder) {
  const std::filesystem::path path = TempDir() / "chain";
  std::ofstream(path).close();
  int64_t fd = -1;
  loop_->submit(Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_WRONLY), [&](Expected<int64_t> r) {
    fd = r ? *r : -1;
  });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return fd >= 0; }));
  std::vector<int64_t> results;
  const std::string parts[] = {"one,", "two,", "three"};
  Chain chain = loop_->link();
  for (const std::string& part : parts) chain.then(Op::Write(fd, part.data(), part.size()), Record(&results));
  ASSERT_FALSE(chain.submit());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return results.size() == 3; }));
  EXPECT_EQ(results, (std::vector<int64_t>{4, 4, 5}));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "one,two,three");
  bool closed = false;
  loop_->close(fd, [&](std::error_code) { closed = true; });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed; }));
}

TEST_P(ChainTest, TimeoutCutsTheOpAndTheRest) {
  auto pair = testing::MakeSocketPair();
  ASSERT_NE(pair, nullptr);
  std::vector<int64_t> results;
  int64_t timeout_result = 1;
  char buf[8];
  ASSERT_FALSE(loop_->link()
                   .then(Op::Recv(pair->a, buf, sizeof buf), Record(&results))
                   .timeout(20ms, [&](Expected<int64_t> r) { timeout_result = r ? *r : -r.error().value(); })
                   .then(Op::Nop(), Record(&results))
                   .submit());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return results.size() == 2 && timeout_result != 1; }));
  EXPECT_EQ(results, (std::vector<int64_t>{-LIO_ECANCELED, -LIO_ECANCELED}));
  EXPECT_EQ(timeout_result, -LIO_ETIME);
}

TEST_P(ChainTest, ChainThatCannotStartDropsItsCallbacks) {
  int called = 0;
  auto count = [&](Expected<int64_t>) { ++called; };
  EXPECT_EQ(loop_->link().submit(), make_error(-LIO_EINVAL)) << "an empty chain";
  EXPECT_EQ(loop_->link().timeout(10ms).then(Op::Nop(), count).submit(), make_error(-LIO_EINVAL))
      << "a timeout with no op before it";
  Chain too_long = loop_->link();
  for (size_t i = 0; i <= Chain::kMaxOps; ++i) too_long.then(Op::Nop(), count);
  EXPECT_EQ(too_long.submit(), make_error(-LIO_EAGAIN));
  {
    Chain abandoned = loop_->link();
    abandoned.then(Op::Nop(), count);
  }
  EXPECT_EQ(loop_->stats().slots_in_use, 0u) << "slots of chains never pushed were kept";
  loop_->poll();
  EXPECT_EQ(called, 0);
}

TEST_P(ChainTest, RegisteredFileAndBufferThroughTheLoop) {
  if (!loop_->has_feature(LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS)) {
    GTEST_SKIP() << backend() << " has no registered files and buffers";
  }
  const std::filesystem::path path = TempDir() / "data";
  std::ofstream(path) << "registered";
  int64_t fd = -1;
  loop_->submit(Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_RDONLY), [&](Expected<int64_t> r) {
    fd = r ? *r : -1;
  });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return fd >= 0; }));
  std::vector<char> memory(4096, '.');
  const lio_handle files[] = {LIO_INVALID_HANDLE, fd};
  const lio_iovec buffers[] = {{memory.data(), memory.size()}};
  ASSERT_FALSE(loop_->register_files(files));
  ASSERT_FALSE(loop_->register_buffers(buffers));
  std::vector<int64_t> results;
  loop_->submit(Op::ReadFixed(1, memory.data() + 100, 10, 0, 0).FixedFile(), Record(&results));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return results.size() == 1; }));
  EXPECT_EQ(results[0], 10);
  EXPECT_EQ(std::string(memory.data() + 100, 10), "registered");
  EXPECT_FALSE(loop_->register_files({}));
  EXPECT_FALSE(loop_->register_buffers({}));
  bool closed = false;
  loop_->close(fd, [&](std::error_code) { closed = true; });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed; }));
}

LIO_INSTANTIATE_LOOP_TEST(ChainTest);

}  // namespace
}  // namespace lio
