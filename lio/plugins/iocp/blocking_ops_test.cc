// openat/fsync as the iocp backend's workers run them (the pool itself:
// //lio/plugins/iocp:worker_pool_test).
#include "lio/plugins/iocp/blocking_ops.h"

#include <gtest/gtest.h>
#include <windows.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

namespace lio::iocp {
namespace {

namespace fs = std::filesystem;

class BlockingOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bazel_tmp = std::getenv("TEST_TMPDIR");
    fs::path root = bazel_tmp ? fs::path(bazel_tmp) : fs::temp_directory_path();
    dir_ = root / ("blocking_ops_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (HANDLE h : opened_) CloseHandle(h);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // OpenAt, remembering a handle to close.
  int64_t Open(lio_handle at, const std::string& path, uint32_t flags, uint32_t mode = 0644) {
    int64_t r = OpenAt(at, path.c_str(), flags, mode, *scratch_);
    if (r >= 0) opened_.push_back(reinterpret_cast<HANDLE>(r));
    return r;
  }
  std::string Utf8(const fs::path& p) {
    std::u8string u = p.u8string();
    return std::string(u.begin(), u.end());
  }
  void WriteText(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
  std::string ReadText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // A synchronous write through an overlapped handle at `offset`.
  DWORD WriteAt(int64_t handle, const std::string& text, uint64_t offset) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    HANDLE h = reinterpret_cast<HANDLE>(handle);
    DWORD done = 0;
    if (WriteFile(h, text.data(), static_cast<DWORD>(text.size()), nullptr, &ov) || GetLastError() == ERROR_IO_PENDING) {
      GetOverlappedResult(h, &ov, &done, TRUE);
    }
    CloseHandle(ov.hEvent);
    return done;
  }

  fs::path dir_;
  std::unique_ptr<PathScratch> scratch_ = std::make_unique<PathScratch>();
  std::vector<HANDLE> opened_;
};

TEST_F(BlockingOpsTest, CreatesAFileThatChildrenDoNotInherit) {
  int64_t h = Open(LIO_AT_FDCWD, Utf8(dir_ / "new"), LIO_OPEN_CREATE | LIO_OPEN_RDWR);
  ASSERT_GE(h, 0);
  EXPECT_TRUE(fs::exists(dir_ / "new"));
  DWORD flags = 0;
  ASSERT_TRUE(GetHandleInformation(reinterpret_cast<HANDLE>(h), &flags));
  EXPECT_EQ(flags & HANDLE_FLAG_INHERIT, 0u);
  EXPECT_EQ(WriteAt(h, "data", 0), 4u) << "opened for overlapped writing";
  EXPECT_EQ(ReadText(dir_ / "new"), "data");
}

TEST_F(BlockingOpsTest, ConvertsUtf8PathsToUtf16) {
  const std::string name = "h\xC3\xA9llo-\xE6\x97\xA5\xE6\x9C\xAC.txt";  // héllo-日本.txt
  int64_t h = Open(LIO_AT_FDCWD, Utf8(dir_) + "/" + name, LIO_OPEN_CREATE | LIO_OPEN_WRONLY);
  ASSERT_GE(h, 0);
  EXPECT_TRUE(fs::exists(dir_ / fs::path(L"h\u00e9llo-\u65e5\u672c.txt")));
}

TEST_F(BlockingOpsTest, RefusesInvalidUtf8) {
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_) + "/bad\xFF", LIO_OPEN_CREATE | LIO_OPEN_WRONLY), -LIO_EINVAL);
}

TEST_F(BlockingOpsTest, ResolvesRelativePathsAgainstTheDirectoryHandle) {
  fs::create_directories(dir_ / "sub");
  WriteText(dir_ / "sub" / "inner", "inner");
  WriteText(dir_ / "outer", "outer");
  int64_t d = Open(LIO_AT_FDCWD, Utf8(dir_ / "sub"), LIO_OPEN_RDONLY | LIO_OPEN_DIRECTORY);
  ASSERT_GE(d, 0);
  EXPECT_GE(Open(d, "inner", LIO_OPEN_RDONLY), 0);
  EXPECT_GE(Open(d, "../outer", LIO_OPEN_RDONLY), 0) << "'..' resolves from the directory";
  EXPECT_GE(Open(d, "./created", LIO_OPEN_CREATE | LIO_OPEN_WRONLY), 0);
  EXPECT_TRUE(fs::exists(dir_ / "sub" / "created"));
  EXPECT_GE(Open(d, Utf8(dir_ / "outer"), LIO_OPEN_RDONLY), 0) << "an absolute path ignores the directory";
  EXPECT_EQ(Open(d, "missing", LIO_OPEN_RDONLY), -LIO_ENOENT);
}

TEST_F(BlockingOpsTest, DirectoryHandleMustBeADirectory) {
  WriteText(dir_ / "file", "x");
  int64_t f = Open(LIO_AT_FDCWD, Utf8(dir_ / "file"), LIO_OPEN_RDONLY);
  ASSERT_GE(f, 0);
  EXPECT_EQ(Open(f, "x", LIO_OPEN_RDONLY), -LIO_ENOTDIR);
  EXPECT_EQ(Open(0x3FFFFFFC, "x", LIO_OPEN_RDONLY), -LIO_EBADF);
  EXPECT_EQ(Open(LIO_INVALID_HANDLE, "x", LIO_OPEN_RDONLY), -LIO_EBADF);
}

TEST_F(BlockingOpsTest, ErrorsMatchOpen) {
  WriteText(dir_ / "exists", "x");
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_ / "missing"), LIO_OPEN_RDONLY), -LIO_ENOENT);
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_ / "no" / "such"), LIO_OPEN_CREATE | LIO_OPEN_WRONLY), -LIO_ENOENT);
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_ / "exists"), LIO_OPEN_CREATE | LIO_OPEN_EXCL | LIO_OPEN_WRONLY), -LIO_EEXIST);
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_ / "exists"), LIO_OPEN_DIRECTORY), -LIO_ENOTDIR);
  EXPECT_EQ(Open(LIO_AT_FDCWD, "", LIO_OPEN_RDONLY), -LIO_ENOENT);
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_ / "exists"), LIO_OPEN_ACCMODE), -LIO_EINVAL);
}

TEST_F(BlockingOpsTest, DirectoriesOpenForReadingOnly) {
  EXPECT_GE(Open(LIO_AT_FDCWD, Utf8(dir_), LIO_OPEN_RDONLY), 0) << "as open(2) of a directory";
  EXPECT_EQ(Open(LIO_AT_FDCWD, Utf8(dir_), LIO_OPEN_WRONLY), -LIO_EISDIR);
}

TEST_F(BlockingOpsTest, TruncateAndAppend) {
  WriteText(dir_ / "log", "first;");
  int64_t a = Open(LIO_AT_FDCWD, Utf8(dir_ / "log"), LIO_OPEN_WRONLY | LIO_OPEN_APPEND);
  ASSERT_GE(a, 0);
  EXPECT_EQ(WriteAt(a, "second", 0), 6u);
  EXPECT_EQ(ReadText(dir_ / "log"), "first;second") << "an append handle writes at the end whatever the offset";

  WriteText(dir_ / "full", "some content");
  ASSERT_GE(Open(LIO_AT_FDCWD, Utf8(dir_ / "full"), LIO_OPEN_WRONLY | LIO_OPEN_TRUNC), 0);
  EXPECT_EQ(fs::file_size(dir_ / "full"), 0u);

  WriteText(dir_ / "both", "old content");
  int64_t b = Open(LIO_AT_FDCWD, Utf8(dir_ / "both"), LIO_OPEN_WRONLY | LIO_OPEN_TRUNC | LIO_OPEN_APPEND);
  ASSERT_GE(b, 0);
  EXPECT_EQ(WriteAt(b, "new", 5), 3u);
  EXPECT_EQ(ReadText(dir_ / "both"), "new");
}

TEST_F(BlockingOpsTest, ModeWithoutWriteBitsCreatesReadOnlyFile) {
  ASSERT_GE(Open(LIO_AT_FDCWD, Utf8(dir_ / "ro"), LIO_OPEN_CREATE | LIO_OPEN_WRONLY, 0444), 0);
  DWORD attributes = GetFileAttributesW((dir_ / "ro").wstring().c_str());
  EXPECT_NE(attributes & FILE_ATTRIBUTE_READONLY, 0u);
  SetFileAttributesW((dir_ / "ro").wstring().c_str(), FILE_ATTRIBUTE_NORMAL);
}

TEST_F(BlockingOpsTest, FsyncFlushesFilesOnly) {
  int64_t h = Open(LIO_AT_FDCWD, Utf8(dir_ / "f"), LIO_OPEN_CREATE | LIO_OPEN_RDWR);
  ASSERT_GE(h, 0);
  EXPECT_EQ(Fsync(h, false), 0);
  EXPECT_EQ(Fsync(h, true), 0);
  EXPECT_EQ(Fsync(0x3FFFFFFC, false), -LIO_EBADF);
  HANDLE r, w;
  ASSERT_TRUE(CreatePipe(&r, &w, nullptr, 0));
  EXPECT_EQ(Fsync(reinterpret_cast<intptr_t>(w), false), -LIO_EINVAL) << "fsync(2) of a pipe";
  CloseHandle(r);
  CloseHandle(w);
}

}  // namespace
}  // namespace lio::iocp
