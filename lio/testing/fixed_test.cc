// ABI 1.1 registered resources: register_files / register_buffers replace
// their table and answer -EBUSY while an op uses it ([fixed.register]);
// LIO_OPF_FIXED_FILE reaches the registered handle ([fixed.file]);
// READ_FIXED / WRITE_FIXED act within a registered buffer ([fixed.buffer]).
// Cases skip on a backend without LIO_FEATURE_FIXED_FILES / _BUFFERS.
#include <string>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class FixedTest : public ConformanceTest {
 protected:
  int RegisterFiles(std::initializer_list<lio_handle> handles) {
    return -backend().register_files(std::span(handles.begin(), handles.size())).value();
  }
  int RegisterBuffers(std::initializer_list<lio_iovec> buffers) {
    return -backend().register_buffers(std::span(buffers.begin(), buffers.size())).value();
  }
  // An owned read-only handle to a new file holding `content`.
  lio_handle FileHolding(std::string_view name, std::string_view content) {
    return OpenOwned(WriteFile(name, content), platform::Access::kReadOnly);
  }
  // The text a fixed-file read of `index` gets (or the error, as text).
  std::string ReadThroughIndex(lio_handle index) {
    std::span<char> buf = Buffer(16);
    Result n = Complete(Op::Read(index, buf.data(), buf.size(), 0).FixedFile());
    if (n < 0) return "error " + std::to_string(n.value);
    return std::string(buf.data(), static_cast<size_t>(n.value));
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(FixedTest);

#define LIO_REQUIRE_FEATURE(feature)          \
  if (!backend().has_feature(feature)) \
  GTEST_SKIP() << "backend does not declare " #feature

// ---- [fixed.register] ----

LIO_CONFORMANCE_CASE(FixedTest, fixed_register, EachCallReplacesTheWholeFileTable) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle a = FileHolding("a", "alpha");
  lio_handle b = FileHolding("b", "beta");
  ASSERT_EQ(RegisterFiles({a, b}), 0);
  EXPECT_EQ(ReadThroughIndex(1), "beta");
  ASSERT_EQ(RegisterFiles({b}), 0);
  EXPECT_EQ(ReadThroughIndex(0), "beta");
  EXPECT_EQ(ReadThroughIndex(1), "error -" + std::to_string(LIO_EBADF)) << "index 1 outlived its table";
  ASSERT_EQ(RegisterFiles({}), 0);
  EXPECT_EQ(ReadThroughIndex(0), "error -" + std::to_string(LIO_EBADF)) << "count 0 did not drop the table";
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_register, FileTableIsBusyWhileAnOpUsesIt) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_RECV);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(RegisterFiles({pair.tested}), 0);
  std::span<char> buf = Buffer(8);
  uint64_t recv = PushNew(Op::Recv(0, buf.data(), buf.size()).FixedFile());
  Flush();
  EXPECT_EQ(RegisterFiles({pair.tested, pair.tested}), -LIO_EBUSY);
  EXPECT_EQ(RegisterFiles({}), -LIO_EBUSY);
  ASSERT_EQ(platform::Send(pair.peer, "hi", 2, 0), 2);
  EXPECT_EQ(WaitForId(recv), 2);
  EXPECT_EQ(RegisterFiles({}), 0) << "still busy after the op completed";
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_register, BufferTableIsBusyWhileAnOpUsesIt) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_BUFFERS);
  LIO_REQUIRE_OPS(LIO_OP_READ_FIXED);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  std::span<char> buf = Buffer(64);
  ASSERT_EQ(RegisterBuffers({{buf.data(), buf.size()}}), 0);
  uint64_t read = PushNew(Op::ReadFixed(pair.tested, buf.data(), 8, LIO_OFFSET_CURRENT, 0));
  Flush();
  EXPECT_EQ(RegisterBuffers({}), -LIO_EBUSY);
  ASSERT_EQ(platform::Send(pair.peer, "hi", 2, 0), 2);
  EXPECT_EQ(WaitForId(read), 2);
  EXPECT_EQ(std::string(buf.data(), 2), "hi");
  EXPECT_EQ(RegisterBuffers({}), 0) << "still busy after the op completed";
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_register, MoreThan65536EntriesIsEinval) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  std::vector<lio_handle> empty(65537, LIO_INVALID_HANDLE);
  EXPECT_EQ(-backend().register_files(empty).value(), -LIO_EINVAL);
  const lio_handle* none = nullptr;
  EXPECT_EQ(-backend().register_files(std::span(none, 3)).value(), -LIO_EINVAL) << "a NULL array with a count";
}

// ---- [fixed.file] ----

LIO_CONFORMANCE_CASE(FixedTest, fixed_file, IndexReachesTheRegisteredHandle) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle a = FileHolding("a", "alpha");
  lio_handle b = FileHolding("b", "beta");
  ASSERT_EQ(RegisterFiles({LIO_INVALID_HANDLE, b, a}), 0);
  EXPECT_EQ(ReadThroughIndex(2), "alpha");
  EXPECT_EQ(ReadThroughIndex(1), "beta");
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_file, SocketOpsTakeTheIndexToo) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_SEND);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(RegisterFiles({LIO_INVALID_HANDLE, LIO_INVALID_HANDLE, pair.tested}), 0);
  EXPECT_EQ(Complete(Op::Send(2, "fixed", 5).FixedFile()), 5);
  char got[8] = {};
  EXPECT_EQ(platform::Recv(pair.peer, got, 5, 0), 5);
  EXPECT_EQ(std::string(got, 5), "fixed");
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_file, BadIndexOrEmptyEntryIsEbadf) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle a = FileHolding("a", "alpha");
  const std::string ebadf = "error -" + std::to_string(LIO_EBADF);
  EXPECT_EQ(ReadThroughIndex(0), ebadf) << "no table registered";
  ASSERT_EQ(RegisterFiles({LIO_INVALID_HANDLE, a}), 0);
  EXPECT_EQ(ReadThroughIndex(0), ebadf) << "an empty entry";
  EXPECT_EQ(ReadThroughIndex(2), ebadf) << "past the table";
  EXPECT_EQ(ReadThroughIndex(-5), ebadf) << "a negative index";
  EXPECT_EQ(ReadThroughIndex(lio_handle{1} << 40), ebadf) << "an index beyond 32 bits";
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_file, CloseDoesNotTakeAnIndex) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_FILES);
  LIO_REQUIRE_OPS(LIO_OP_CLOSE, LIO_OP_READ);
  lio_handle a = FileHolding("a", "alpha");
  ASSERT_EQ(RegisterFiles({a}), 0);
  EXPECT_EQ(Complete(Op::Close(0).FixedFile()), -LIO_EBADF);
  EXPECT_EQ(ReadThroughIndex(0), "alpha") << "the registered file was closed";
}

// ---- [fixed.buffer] ----

LIO_CONFORMANCE_CASE(FixedTest, fixed_buffer, ReadAndWriteFixedMoveBytesAsReadAndWrite) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_BUFFERS);
  LIO_REQUIRE_OPS(LIO_OP_READ_FIXED, LIO_OP_WRITE_FIXED);
  std::span<char> region = Buffer(4096, '.');
  ASSERT_EQ(RegisterBuffers({{region.data(), 1024}, {region.data() + 1024, 3072}}), 0);
  lio_handle file = OpenOwned(WriteFile("data", "0123456789"), platform::Access::kReadWrite);
  EXPECT_EQ(Complete(Op::ReadFixed(file, region.data() + 2000, 6, 2, 1)), 6);
  EXPECT_EQ(std::string(region.data() + 2000, 6), "234567");
  std::memcpy(region.data() + 10, "XYZ", 3);
  EXPECT_EQ(Complete(Op::WriteFixed(file, region.data() + 10, 3, 8, 0)), 3);
  EXPECT_EQ(ReadFile(TempPath() / "data"), "01234567XYZ");
}

LIO_CONFORMANCE_CASE(FixedTest, fixed_buffer, RangeOutsideTheBufferIsEfault) {
  LIO_REQUIRE_FEATURE(LIO_FEATURE_FIXED_BUFFERS);
  LIO_REQUIRE_OPS(LIO_OP_READ_FIXED, LIO_OP_WRITE_FIXED);
  std::span<char> region = Buffer(8192, '.');
  ASSERT_EQ(RegisterBuffers({{region.data(), 4096}}), 0);
  lio_handle file = OpenOwned(WriteFile("data", std::string(64, 'd')), platform::Access::kReadWrite);
  EXPECT_EQ(Complete(Op::ReadFixed(file, region.data() + 4090, 10, 0, 0)), -LIO_EFAULT) << "runs past the end";
  EXPECT_EQ(Complete(Op::ReadFixed(file, region.data() + 5000, 10, 0, 0)), -LIO_EFAULT) << "after the buffer";
  EXPECT_EQ(Complete(Op::WriteFixed(file, region.data(), 10, 0, 1)), -LIO_EFAULT) << "an index past the table";
  EXPECT_EQ(Complete(Op::ReadFixed(file, region.data(), 10, 0, 70000)), -LIO_EFAULT) << "an index past 16 bits";
  EXPECT_EQ(std::string(region.data() + 4090, 16), std::string(16, '.')) << "a refused read wrote";
  EXPECT_EQ(Complete(Op::ReadFixed(file, region.data() + 4086, 10, 0, 0)), 10) << "the last bytes are in range";
}

}  // namespace
}  // namespace lio::testing
