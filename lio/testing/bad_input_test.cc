// [result.bad_input]: arguments a caller gets wrong, which push cannot see
// are wrong (they are well-formed), complete as the blocking call would — a
// result or a negative error — and never crash or hang the backend.
#include <string>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

std::string_view View(std::span<const char> bytes) { return {bytes.data(), bytes.size()}; }

class BadInputTest : public ConformanceTest {
 protected:
  lio_handle FileWith(std::string_view content) {
    return OpenOwned(WriteFile("bad_input", content), platform::Access::kReadWrite);
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(BadInputTest);

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, ZeroLengthReadAndWrite) {
  LIO_REQUIRE_OPS(LIO_OP_READ, LIO_OP_WRITE);
  lio_handle file = FileWith("content");
  std::span<char> buf = Buffer(8, '#');
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), 0, 0)), platform::PositionedRead(file, buf.data(), 0, 0));
  EXPECT_EQ(Complete(Op::Write(file, buf.data(), 0, 0)), platform::PositionedWrite(file, buf.data(), 0, 0));
  EXPECT_EQ(View(buf), std::string(8, '#'));
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, HugeLengthAtEndOfFileIsTheCallsAnswer) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = FileWith("");
  std::span<char> buf = Buffer(16, '#');
  // 1 GiB asked into 16 bytes at the end of an empty file: POSIX reads 0;
  // Windows checks the whole buffer first and refuses it. Either way the
  // backend answers what the blocking call does.
  constexpr uint64_t kHuge = uint64_t{1} << 30;
  int64_t expected = platform::PositionedRead(file, buf.data(), kHuge, 0);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), kHuge, 0)), expected) << "1 GiB asked of an empty file";
  EXPECT_EQ(View(buf), std::string(16, '#'));
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, NullBufferWithALengthIsTheCallsError) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = FileWith("sixteen bytes...");
  int64_t expected = platform::PositionedRead(file, nullptr, 16, 0);
  ASSERT_LT(expected, 0) << "the blocking call itself read into NULL";
  EXPECT_EQ(Complete(Op::Read(file, nullptr, 16, 0)), expected);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, AcceptOnAFileIsEnotsock) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  lio_handle file = FileWith("not a socket");
  EXPECT_EQ(Complete(Op::Accept(file)), -LIO_ENOTSOCK);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, ReadvOfNoIovecsIsZero) {
  LIO_REQUIRE_OPS(LIO_OP_READV);
  lio_handle file = FileWith("content");
  EXPECT_EQ(Complete(Op::Readv(file, nullptr, 0, 0)), 0);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, ReadvAboveIovMaxIsEinval) {
  LIO_REQUIRE_OPS(LIO_OP_READV);
  lio_handle file = FileWith("content");
  std::span<char> byte = Buffer(1, '#');
  auto& iov = Keep<std::vector<lio_iovec>>(1025, lio_iovec{byte.data(), 1});
  EXPECT_EQ(Complete(Op::Readv(file, iov.data(), static_cast<uint32_t>(iov.size()), 0)), -LIO_EINVAL);
  EXPECT_EQ(byte[0], '#');
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, OpenatOfNullPathIsEfault) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, nullptr, LIO_OPEN_RDONLY)), -LIO_EFAULT);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, OpenatOfEmptyPathIsEnoent) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, "", LIO_OPEN_RDONLY)), -LIO_ENOENT);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, OpenatOfOverlongPathIsTheCallsError) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  const std::string& path = Keep<std::string>((TempPath() / std::string(5000, 'a')).string());
  int64_t expected = platform::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_RDONLY, 0);
  ASSERT_LT(expected, 0);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, path.c_str(), LIO_OPEN_RDONLY)), expected);
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, NegativeTimeoutExpiresAtOnce) {
  LIO_REQUIRE_OPS(LIO_OP_TIMEOUT);
  uint64_t id = PushNew(Op::Timeout(-1'000'000'000));
  Flush();
  EXPECT_EQ(WaitForId(id, seconds(2)), -LIO_ETIME) << "a timeout of -1 s is already due";
}

LIO_CONFORMANCE_CASE(BadInputTest, result_bad_input, UndefinedPollBitsAreNeverReported) {
  LIO_REQUIRE_OPS(LIO_OP_POLL);
  TcpPair pair = OwnedTcpPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(platform::Send(pair.peer, "x", 1, 0), 1);
  EXPECT_EQ(Complete(Op::Poll(pair.tested, LIO_POLL_IN | 0x100000u)), LIO_POLL_IN);
}

}  // namespace
}  // namespace lio::testing
