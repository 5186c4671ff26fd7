// The Loop's file-system calls (ABI 1.1), on every backend that declares
// them: callbacks and co_await, the errors of their blocking calls, paths
// copied into the slot (the caller's strings may go at once), and a statx
// buffer filled before the callback runs.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "lio/runtime/io.h"
#include "lio/runtime/loop.h"
#include "lio/runtime/task.h"
#include "lio/testing/loop_test_support.h"

namespace lio {
namespace {

namespace fs = std::filesystem;

class LoopFsTest : public testing::LoopTest {
 protected:
  bool Declares(Loop& loop, uint32_t code) { return loop.backend().info().supports(code); }
};
LIO_INSTANTIATE_LOOP_TEST(LoopFsTest);

std::error_code Lio(int error) { return make_error(-error); }

TEST_P(LoopFsTest, CallbacksActAsTheBlockingCalls) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  if (!Declares(*loop, LIO_OP_MKDIRAT) || !Declares(*loop, LIO_OP_RENAMEAT) || !Declares(*loop, LIO_OP_STATX)) {
    GTEST_SKIP() << "backend does not declare the file-system ops";
  }
  const fs::path dir = TempDir();
  std::ofstream(dir / "f") << "hello";
  std::error_code made, again, renamed, missing, stat_result, removed;
  lio_statx st;
  std::memset(&st, 0xA5, sizeof st);
  {
    std::string sub = (dir / "sub").string();  // gone before the ops run: the slot has its copy
    loop->mkdirat(LIO_AT_FDCWD, sub, 0700, [&](std::error_code ec) { made = ec; });
  }
  ASSERT_TRUE(testing::Drain(*loop));
  loop->mkdirat(LIO_AT_FDCWD, (dir / "sub").string(), 0700, [&](std::error_code ec) { again = ec; });
  loop->renameat(LIO_AT_FDCWD, (dir / "f").string(), LIO_AT_FDCWD, (dir / "sub" / "g").string(), 0,
                 [&](std::error_code ec) { renamed = ec; });
  ASSERT_TRUE(testing::Drain(*loop));
  loop->renameat(LIO_AT_FDCWD, (dir / "f").string(), LIO_AT_FDCWD, (dir / "h").string(), 0,
                 [&](std::error_code ec) { missing = ec; });
  loop->statx(LIO_AT_FDCWD, (dir / "sub" / "g").string(), st, LIO_STATX_BASIC_STATS, 0, [&](std::error_code ec) {
    stat_result = ec;
    EXPECT_EQ(st.size, 5u) << "the buffer is filled before the callback runs";
  });
  loop->unlinkat(LIO_AT_FDCWD, (dir / "sub").string(), LIO_UNLINK_REMOVEDIR, [&](std::error_code ec) { removed = ec; });
  ASSERT_TRUE(testing::Drain(*loop));
  EXPECT_FALSE(made) << made.message();
  EXPECT_EQ(again, Lio(LIO_EEXIST));
  EXPECT_FALSE(renamed) << renamed.message();
  EXPECT_EQ(missing, Lio(LIO_ENOENT));
  EXPECT_FALSE(stat_result) << stat_result.message();
  EXPECT_EQ(st.size, 5u);
  EXPECT_EQ(removed, Lio(LIO_ENOTEMPTY));
  EXPECT_TRUE(fs::exists(dir / "sub" / "g"));
}

// `ranges`: fallocate and fadvise too (iocp has no honest form of them).
Task<void> TidyUp(fs::path dir, bool ranges, std::string& log) {
  auto note = [&log](const char* what, std::error_code ec) { log += std::string(what) + "=" + std::to_string(ec.value()) + " "; };
  {
    // Closed before its names are unlinked: Windows without POSIX delete
    // semantics (Wine) keeps an open file's name until it closes.
    Expected<File> file = co_await open((dir / "data").string(), LIO_OPEN_RDWR | LIO_OPEN_CREATE, 0644);
    if (!file) {
      log += "open failed";
      co_return;
    }
    note("ftruncate", co_await ftruncate(*file, ranges ? 4096 : 8192));
    if (ranges) {
      note("fallocate", co_await fallocate(*file, 0, 8192));
      note("fadvise", co_await fadvise(*file, 0, 0, LIO_FADV_SEQUENTIAL));
    }
  }
  lio_statx st{};
  note("stat", co_await stat((dir / "data").string(), st));
  log += "size=" + std::to_string(st.size) + " ";
  note("symlink", co_await symlinkat("data", LIO_AT_FDCWD, (dir / "link").string()));
  note("link", co_await linkat(LIO_AT_FDCWD, (dir / "data").string(), LIO_AT_FDCWD, (dir / "hard").string()));
  note("mkdir", co_await mkdir((dir / "d").string()));
  note("rename", co_await rename((dir / "hard").string(), (dir / "d" / "hard").string()));
  note("unlink", co_await unlink((dir / "d" / "hard").string()));
  note("rmdir", co_await rmdir((dir / "d").string()));
  note("unlink", co_await unlink((dir / "d").string()));
}

TEST_P(LoopFsTest, CoroutinesAwaitEachOp) {
  auto loop = MakeLoop();
  ASSERT_TRUE(loop);
  for (uint32_t code : {LIO_OP_FTRUNCATE, LIO_OP_STATX, LIO_OP_SYMLINKAT, LIO_OP_LINKAT, LIO_OP_MKDIRAT,
                        LIO_OP_RENAMEAT, LIO_OP_UNLINKAT}) {
    if (!Declares(*loop, code)) GTEST_SKIP() << "backend does not declare " << op_name(code);
  }
  const bool ranges = Declares(*loop, LIO_OP_FALLOCATE) && Declares(*loop, LIO_OP_FADVISE);
  std::string log;
  loop->spawn(TidyUp(TempDir(), ranges, log));
  ASSERT_TRUE(testing::Drain(*loop));
  EXPECT_EQ(log, std::string("ftruncate=0 ") + (ranges ? "fallocate=0 fadvise=0 " : "") +
                     "stat=0 size=8192 symlink=0 link=0 mkdir=0 rename=0 unlink=0 rmdir=0 unlink=" +
                     std::to_string(LIO_ENOENT) + " ");
}

}  // namespace
}  // namespace lio
