// Files: read/write/readv/writev at an offset and at the file position,
// fsync, openat, close — each result compared with the blocking system call.
#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

class FileIoTest : public ConformanceTest {
 protected:
  static constexpr size_t kFileSize = 8192;

  // kFileSize bytes that differ from their neighbours.
  static std::string Pattern() {
    std::string text(kFileSize, '\0');
    for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    return text;
  }

  // A file holding Pattern(), opened with `access` (owned).
  lio_handle PatternFile(platform::Access access = platform::Access::kReadWrite) {
    path_ = WriteFile("pattern", Pattern());
    return OpenOwned(path_, access);
  }

  // A path string that lives until the backend is gone.
  const char* StablePath(const std::filesystem::path& path) { return Keep<std::string>(path.string()).c_str(); }

  std::string Contents() { return ReadFile(path_); }

  std::filesystem::path path_;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(FileIoTest);

std::string_view View(std::span<const char> bytes) { return {bytes.data(), bytes.size()}; }

// ---- read ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadAtOffset) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = PatternFile();
  std::span<char> buf = Buffer(100);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), 1000)), 100);
  EXPECT_EQ(View(buf), Pattern().substr(1000, 100));
  EXPECT_EQ(platform::FilePosition(file), 0) << "a read at an offset leaves the file position alone";
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadAtCurrentPositionAdvancesIt) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = PatternFile();
  std::span<char> buf = Buffer(100);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), LIO_OFFSET_CURRENT)), 100);
  EXPECT_EQ(View(buf), Pattern().substr(0, 100));
  EXPECT_EQ(platform::FilePosition(file), 100);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), LIO_OFFSET_CURRENT)), 100);
  EXPECT_EQ(View(buf), Pattern().substr(100, 100));
  EXPECT_EQ(platform::FilePosition(file), 200);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadIsShortAtEndOfFile) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = PatternFile();
  std::span<char> buf = Buffer(100);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), kFileSize - 30)), 30);
  EXPECT_EQ(View(buf.first(30)), Pattern().substr(kFileSize - 30));
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), kFileSize)), 0) << "at end of file";
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), kFileSize + 4096)), 0) << "past end of file";
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadOfClosedHandleIsEbadf) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  std::span<char> buf = Buffer(16);
  lio_handle closed = platform::KnownClosedHandle();
  int64_t expected = platform::PositionedRead(closed, buf.data(), buf.size(), 0);
  ASSERT_EQ(Result{expected}, -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Read(closed, buf.data(), buf.size(), 0)), expected);
}

// [handles.out_of_range]: a handle is an intptr_t; one that no open handle
// can equal — beyond an int on POSIX, negative everywhere — is -EBADF, never
// cut down to a number that is open (2^32 + fd must not read fd).
LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, HandleOutOfRangeIsEbadfNotTruncated) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = PatternFile();
  std::span<char> buf = Buffer(16);
  std::vector<lio_handle> beyond = {-5, LIO_INVALID_HANDLE};
  if constexpr (sizeof(lio_handle) > 4) beyond.push_back(file + (lio_handle{1} << 32));
  for (lio_handle h : beyond) {
    std::fill(buf.begin(), buf.end(), '#');
    EXPECT_EQ(Complete(Op::Read(h, buf.data(), buf.size(), 0)), -LIO_EBADF) << "handle " << h;
    EXPECT_EQ(View(buf), std::string(buf.size(), '#')) << "handle " << h << " read something";
  }
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadOfDirectoryIsEisdir) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle dir = Own(platform::OpenDirectory(TempPath()));
  if (dir < 0) GTEST_SKIP() << "this OS has no directory handles";
  std::span<char> buf = Buffer(16);
  int64_t expected = platform::PositionedRead(dir, buf.data(), buf.size(), 0);
  EXPECT_EQ(Complete(Op::Read(dir, buf.data(), buf.size(), 0)), expected);
}

// ---- write ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WriteAtOffset) {
  LIO_REQUIRE_OPS(LIO_OP_WRITE);
  lio_handle file = PatternFile();
  const std::string& text = Keep<std::string>("hello");
  EXPECT_EQ(Complete(Op::Write(file, text.data(), text.size(), 10)), 5);
  std::string expected = Pattern().replace(10, 5, "hello");
  EXPECT_EQ(Contents(), expected);
  EXPECT_EQ(platform::FilePosition(file), 0) << "a write at an offset leaves the file position alone";
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WriteAtCurrentPositionAdvancesIt) {
  LIO_REQUIRE_OPS(LIO_OP_WRITE);
  lio_handle file = PatternFile();
  const std::string& abc = Keep<std::string>("abc");
  const std::string& defg = Keep<std::string>("defg");
  EXPECT_EQ(Complete(Op::Write(file, abc.data(), abc.size(), LIO_OFFSET_CURRENT)), 3);
  EXPECT_EQ(platform::FilePosition(file), 3);
  EXPECT_EQ(Complete(Op::Write(file, defg.data(), defg.size(), LIO_OFFSET_CURRENT)), 4);
  EXPECT_EQ(platform::FilePosition(file), 7);
  EXPECT_EQ(Contents(), Pattern().replace(0, 7, "abcdefg"));
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WritePastEndExtendsFile) {
  LIO_REQUIRE_OPS(LIO_OP_WRITE);
  lio_handle file = PatternFile();
  const std::string& tail = Keep<std::string>("tail");
  EXPECT_EQ(Complete(Op::Write(file, tail.data(), tail.size(), kFileSize + 100)), 4);
  std::string expected = Pattern() + std::string(100, '\0') + "tail";
  EXPECT_EQ(Contents(), expected);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WriteToReadOnlyHandleIsEbadf) {
  LIO_REQUIRE_OPS(LIO_OP_WRITE);
  lio_handle file = PatternFile(platform::Access::kReadOnly);
  const std::string& text = Keep<std::string>("nope");
  int64_t expected = platform::PositionedWrite(file, text.data(), text.size(), 0);
  ASSERT_LT(expected, 0);
  EXPECT_EQ(Complete(Op::Write(file, text.data(), text.size(), 0)), expected);
  EXPECT_EQ(Contents(), Pattern());
}

// ---- readv / writev ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadvScattersAtOffset) {
  LIO_REQUIRE_OPS(LIO_OP_READV);
  lio_handle file = PatternFile();
  std::span<char> a = Buffer(7), b = Buffer(13), c = Buffer(40);
  auto& iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{
      {a.data(), a.size()}, {nullptr, 0}, {b.data(), b.size()}, {c.data(), c.size()}});
  EXPECT_EQ(Complete(Op::Readv(file, iov.data(), iov.size(), 500)), 60);
  std::string expected = Pattern().substr(500, 60);
  EXPECT_EQ(View(a), expected.substr(0, 7));
  EXPECT_EQ(View(b), expected.substr(7, 13));
  EXPECT_EQ(View(c), expected.substr(20, 40));
  EXPECT_EQ(platform::FilePosition(file), 0);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadvAtCurrentPositionAdvancesIt) {
  LIO_REQUIRE_OPS(LIO_OP_READV);
  lio_handle file = PatternFile();
  std::span<char> a = Buffer(10), b = Buffer(20);
  auto& iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{{a.data(), a.size()}, {b.data(), b.size()}});
  EXPECT_EQ(Complete(Op::Readv(file, iov.data(), iov.size(), LIO_OFFSET_CURRENT)), 30);
  EXPECT_EQ(platform::FilePosition(file), 30);
  EXPECT_EQ(Complete(Op::Readv(file, iov.data(), iov.size(), LIO_OFFSET_CURRENT)), 30);
  EXPECT_EQ(platform::FilePosition(file), 60);
  EXPECT_EQ(std::string(View(a)) + std::string(View(b)), Pattern().substr(30, 30));
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, ReadvIsShortAtEndOfFile) {
  LIO_REQUIRE_OPS(LIO_OP_READV);
  lio_handle file = PatternFile();
  std::span<char> a = Buffer(10), b = Buffer(20);
  auto& iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{{a.data(), a.size()}, {b.data(), b.size()}});
  EXPECT_EQ(Complete(Op::Readv(file, iov.data(), iov.size(), kFileSize - 15)), 15);
  EXPECT_EQ(std::string(View(a)) + std::string(View(b.first(5))), Pattern().substr(kFileSize - 15));
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WritevGathersAtOffset) {
  LIO_REQUIRE_OPS(LIO_OP_WRITEV);
  lio_handle file = PatternFile();
  const std::string& a = Keep<std::string>("gather");
  const std::string& b = Keep<std::string>("-write");
  auto& iov = Keep<std::vector<lio_iovec>>(std::vector<lio_iovec>{
      {const_cast<char*>(a.data()), a.size()}, {nullptr, 0}, {const_cast<char*>(b.data()), b.size()}});
  EXPECT_EQ(Complete(Op::Writev(file, iov.data(), iov.size(), 4000)), 12);
  EXPECT_EQ(Contents(), Pattern().replace(4000, 12, "gather-write"));
  EXPECT_EQ(platform::FilePosition(file), 0);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, WritevAtCurrentPositionAdvancesIt) {
  LIO_REQUIRE_OPS(LIO_OP_WRITEV);
  lio_handle file = PatternFile();
  const std::string& a = Keep<std::string>("12");
  const std::string& b = Keep<std::string>("345");
  auto& iov = Keep<std::vector<lio_iovec>>(
      std::vector<lio_iovec>{{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}});
  EXPECT_EQ(Complete(Op::Writev(file, iov.data(), iov.size(), LIO_OFFSET_CURRENT)), 5);
  EXPECT_EQ(platform::FilePosition(file), 5);
  EXPECT_EQ(Complete(Op::Writev(file, iov.data(), iov.size(), LIO_OFFSET_CURRENT)), 5);
  EXPECT_EQ(platform::FilePosition(file), 10);
  EXPECT_EQ(Contents(), Pattern().replace(0, 10, "1234512345"));
}

// ---- fsync ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, FsyncCompletesWithZero) {
  LIO_REQUIRE_OPS(LIO_OP_FSYNC);
  lio_handle file = PatternFile();
  EXPECT_EQ(Complete(Op::Fsync(file)), platform::Fsync(file, false));
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, DataOnlyFsyncCompletesWithZero) {
  LIO_REQUIRE_OPS(LIO_OP_FSYNC);
  lio_handle file = PatternFile();
  EXPECT_EQ(Complete(Op::Fsync(file, /*data_only=*/true)), platform::Fsync(file, true));
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, FsyncOfClosedHandleIsEbadf) {
  LIO_REQUIRE_OPS(LIO_OP_FSYNC);
  lio_handle closed = platform::KnownClosedHandle();
  int64_t expected = platform::Fsync(closed, false);
  ASSERT_EQ(Result{expected}, -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Fsync(closed)), expected);
}

// ---- openat ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatCreatesFile) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  std::filesystem::path path = TempPath() / "created";
  Result opened =
      Complete(Op::Openat(LIO_AT_FDCWD, StablePath(path), LIO_OPEN_CREATE | LIO_OPEN_RDWR, 0644));
  ASSERT_GE(opened, 0);
  lio_handle file = Own(opened);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(platform::Write(file, "new", 3), 3) << "opened for writing";
  EXPECT_EQ(ReadFile(path), "new");
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatOfMissingFileIsEnoent) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  const char* missing = StablePath(TempPath() / "missing");
  int64_t expected = platform::Openat(LIO_AT_FDCWD, missing, LIO_OPEN_RDONLY, 0);
  ASSERT_EQ(Result{expected}, -LIO_ENOENT);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, missing, LIO_OPEN_RDONLY)), expected);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatResolvesRelativeToDirHandle) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  lio_handle dir = Own(platform::OpenDirectory(TempPath()));
  if (dir < 0) GTEST_SKIP() << "this OS has no directory handles";
  Result opened = Complete(Op::Openat(dir, "in_dir", LIO_OPEN_CREATE | LIO_OPEN_WRONLY, 0644));
  ASSERT_GE(opened, 0);
  Own(opened);
  EXPECT_TRUE(std::filesystem::exists(TempPath() / "in_dir"));
}

// The current directory, changed for one scope (the case's own temp dir, so a
// relative path needs no walk across drives).
class ScopedCurrentDirectory {
 public:
  explicit ScopedCurrentDirectory(const std::filesystem::path& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCurrentDirectory() { std::filesystem::current_path(saved_); }

 private:
  std::filesystem::path saved_;
};

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatResolvesRelativeToCurrentDirectory) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  WriteFile("relative", "from the current directory");
  Result opened = kNoCompletion;
  {
    ScopedCurrentDirectory in_temp_dir(TempPath());
    opened = Complete(Op::Openat(LIO_AT_FDCWD, "relative", LIO_OPEN_RDONLY));
  }
  ASSERT_GE(opened, 0);
  lio_handle file = Own(opened);
  char text[64] = {};
  EXPECT_EQ(platform::PositionedRead(file, text, sizeof text, 0), 26);
  EXPECT_EQ(std::string_view(text), "from the current directory");
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatExclusiveOfExistingIsEexist) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  const char* path = StablePath(WriteFile("exists", "x"));
  uint32_t flags = LIO_OPEN_CREATE | LIO_OPEN_EXCL | LIO_OPEN_WRONLY;
  int64_t expected = platform::Openat(LIO_AT_FDCWD, path, flags, 0644);
  ASSERT_EQ(Result{expected}, -LIO_EEXIST);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, path, flags, 0644)), expected);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatTruncateEmptiesFile) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  std::filesystem::path path = WriteFile("full", "some content");
  Result opened = Complete(Op::Openat(LIO_AT_FDCWD, StablePath(path), LIO_OPEN_TRUNC | LIO_OPEN_WRONLY));
  ASSERT_GE(opened, 0);
  Own(opened);
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatAppendWritesAtEnd) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  std::filesystem::path path = WriteFile("log", "first;");
  Result opened = Complete(Op::Openat(LIO_AT_FDCWD, StablePath(path), LIO_OPEN_APPEND | LIO_OPEN_WRONLY));
  ASSERT_GE(opened, 0);
  lio_handle file = Own(opened);
  EXPECT_EQ(platform::Write(file, "second", 6), 6);
  EXPECT_EQ(ReadFile(path), "first;second");
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, OpenatDirectoryFlagOnFileIsEnotdir) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  const char* path = StablePath(WriteFile("plain", "x"));
  int64_t expected = platform::Openat(LIO_AT_FDCWD, path, LIO_OPEN_DIRECTORY, 0);
  ASSERT_EQ(Result{expected}, -LIO_ENOTDIR);
  EXPECT_EQ(Complete(Op::Openat(LIO_AT_FDCWD, path, LIO_OPEN_DIRECTORY)), expected);
}

LIO_CONFORMANCE_CASE(FileIoTest, handle_modes, OpenedHandleIsCloseOnExecAndBlocking) {
  LIO_REQUIRE_OPS(LIO_OP_OPENAT);
  const char* path = StablePath(WriteFile("modes", "x"));
  Result opened = Complete(Op::Openat(LIO_AT_FDCWD, path, LIO_OPEN_RDONLY));
  ASSERT_GE(opened, 0);
  lio_handle file = Own(opened);
  EXPECT_FALSE(platform::IsInheritable(file)) << "handles the backend creates are close-on-exec";
  EXPECT_NE(platform::IsBlocking(file), false) << "handles the backend creates are in blocking mode";
}

LIO_CONFORMANCE_CASE(FileIoTest, handle_modes, CallerFileKeepsItsMode) {
  LIO_REQUIRE_OPS(LIO_OP_READ);
  lio_handle file = PatternFile();
  if (!platform::IsBlocking(file)) GTEST_SKIP() << "this OS cannot tell whether a handle blocks";
  ASSERT_TRUE(*platform::IsBlocking(file));
  std::span<char> buf = Buffer(64);
  EXPECT_EQ(Complete(Op::Read(file, buf.data(), buf.size(), 0)), 64);
  EXPECT_NE(platform::IsBlocking(file), false) << "the backend left the caller's file non-blocking";
}

// ---- close ----

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, CloseClosesHandle) {
  LIO_REQUIRE_OPS(LIO_OP_CLOSE);
  // Not owned: the close under test is the only one.
  std::filesystem::path path = WriteFile("to_close", "x");
  lio_handle file = platform::OpenFile(path, platform::Access::kReadOnly);
  ASSERT_GE(file, 0);
  ASSERT_TRUE(platform::IsOpenOn(file, path));
  EXPECT_EQ(Complete(Op::Close(file)), 0);
  EXPECT_FALSE(platform::IsOpenOn(file, path)) << "the handle is still open on its file";
}

LIO_CONFORMANCE_CASE(FileIoTest, result_matches_syscall, CloseOfClosedHandleIsEbadf) {
  LIO_REQUIRE_OPS(LIO_OP_CLOSE);
  lio_handle closed = platform::KnownClosedHandle();
  int64_t expected = platform::Close(closed);
  ASSERT_EQ(Result{expected}, -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Close(closed)), expected);
}

}  // namespace
}  // namespace lio::testing
