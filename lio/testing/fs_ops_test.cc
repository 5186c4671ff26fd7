// The 1.1 file-system ops — ftruncate, linkat, symlinkat, renameat,
// unlinkat, mkdirat, statx, fallocate, fadvise — against their blocking
// calls ([result.as_blocking_call]) and statx's buffer ([statx.buffer]).
//
// Twin trees: each scenario builds the same small tree twice, runs the
// blocking call (platform::FsCall) on one and the backend's op on the other,
// and expects the same result and the same tree afterwards. Each scenario
// states the Linux answer too: on POSIX it is checked against the blocking
// call (so the case itself is right); where the OS has no such call
// (Windows) the backend is held to it.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

namespace fs = std::filesystem;

// A scenario whose answer depends on the file system under the temporary
// directory (hole punching, RENAME_EXCHANGE): only the twin comparison applies.
constexpr int64_t kDependsOnFilesystem = INT64_MIN + 1;

// One side of a twin: the tree's root, and the path strings and handles the
// op names (kept until the backend is gone).
struct Side {
  fs::path root;
};

using MakeOp = std::function<lio_op(const Side&)>;

// "f" (5 bytes), "g" (6 bytes), empty directory "d", directory "full" with
// "full/x", and where the OS lets us, symlink "s" -> "f".
void Populate(const fs::path& root) {
  fs::create_directories(root / "d");
  fs::create_directories(root / "full");
  auto write = [](const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  };
  write(root / "f", "hello");
  write(root / "g", "world!");
  write(root / "full" / "x", "x");
  std::error_code ignored;
  fs::create_symlink("f", root / "s", ignored);
}

// Everything a tree holds, one line per entry, sorted: path, kind,
// permissions, and a file's bytes or a link's target.
std::string Describe(const fs::path& root) {
  std::map<std::string, std::string> lines;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    const fs::path& p = it->path();
    std::ostringstream line;
    const fs::file_status st = fs::symlink_status(p);
    line << static_cast<int>(st.type()) << " " << std::oct << static_cast<unsigned>(st.permissions() & fs::perms::mask);
    if (fs::is_symlink(st)) {
      line << " -> " << fs::read_symlink(p).generic_string();
    } else if (fs::is_regular_file(st)) {
      std::ifstream in(p, std::ios::binary);
      line << " [" << std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) << "]";
    }
    lines[fs::relative(p, root).generic_string()] = line.str();
  }
  std::string all;
  for (const auto& [path, line] : lines) all += path + ": " + line + "\n";
  return all;
}

class FsOpsTest : public ConformanceTest {
 protected:
  // A path string that lives until the backend is gone.
  const char* Kept(const fs::path& p) { return Keep<std::string>(p.string()).c_str(); }

  // A fresh twin: two roots holding the same tree.
  std::pair<Side, Side> Twins() {
    const std::string n = std::to_string(++twins_);
    Side ref{TempPath() / ("ref" + n)};
    Side lio{TempPath() / ("lio" + n)};
    Populate(ref.root);
    Populate(lio.root);
    return {ref, lio};
  }

  // The op `make` builds, as the blocking call on one twin and through the
  // backend on the other: the same result, the Linux answer, the same tree.
  void ExpectAsBlockingCall(std::string_view what, int64_t linux_answer, const MakeOp& make) {
    SCOPED_TRACE(std::string(what));
    auto [ref, lio] = Twins();
    const std::optional<int64_t> reference = platform::FsCall(make(ref));
    const Result got = Complete(make(lio));
    if (reference) {
      EXPECT_EQ(got, Result{*reference}) << what << ": the blocking call answered differently";
      if (linux_answer != kDependsOnFilesystem) {
        EXPECT_EQ(Result{*reference}, Result{linux_answer}) << "the case states a wrong Linux answer";
      }
      EXPECT_EQ(Describe(lio.root), Describe(ref.root)) << what << ": the trees differ afterwards";
      return;
    }
    if (linux_answer != kDependsOnFilesystem) {
      EXPECT_EQ(got, Result{linux_answer}) << what;
    }
  }

  // Whether this OS let Populate make the symlink "s".
  bool HasSymlinks() { return fs::is_symlink(fs::symlink_status(Twins().first.root / "s")); }

  int twins_ = 0;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(FsOpsTest);

// ---- renameat ----

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Renameat) {
  LIO_REQUIRE_OPS(LIO_OP_RENAMEAT);
  auto rename = [this](const char* from, const char* to, uint32_t flags = 0) {
    return [=, this](const Side& s) {
      return Op::Renameat(LIO_AT_FDCWD, Kept(s.root / from), LIO_AT_FDCWD, Kept(s.root / to), flags);
    };
  };
  ExpectAsBlockingCall("rename a file", 0, rename("f", "f2"));
  ExpectAsBlockingCall("rename over a file", 0, rename("f", "g"));
  ExpectAsBlockingCall("rename a directory into another", 0, rename("d", "full/d"));
  ExpectAsBlockingCall("missing source", -LIO_ENOENT, rename("missing", "f2"));
  ExpectAsBlockingCall("missing target directory", -LIO_ENOENT, rename("f", "missing/f"));
  ExpectAsBlockingCall("NOREPLACE over a file", -LIO_EEXIST, rename("f", "g", LIO_RENAME_NOREPLACE));
  ExpectAsBlockingCall("NOREPLACE to a free name", 0, rename("f", "h", LIO_RENAME_NOREPLACE));
  // Not every file system can exchange (Linux answers EINVAL there; so does Windows).
  ExpectAsBlockingCall("EXCHANGE two files", kDependsOnFilesystem, rename("f", "g", LIO_RENAME_EXCHANGE));
  ExpectAsBlockingCall("EXCHANGE with nothing", kDependsOnFilesystem, rename("f", "missing", LIO_RENAME_EXCHANGE));
  ExpectAsBlockingCall("NOREPLACE and EXCHANGE", -LIO_EINVAL,
                       rename("f", "g", LIO_RENAME_NOREPLACE | LIO_RENAME_EXCHANGE));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, rename("f/x", "h"));
  ExpectAsBlockingCall("a directory over a file", -LIO_ENOTDIR, rename("d", "f"));
  ExpectAsBlockingCall("a file over a directory", -LIO_EISDIR, rename("f", "d"));
  ExpectAsBlockingCall("a directory over a full one", -LIO_ENOTEMPTY, rename("d", "full"));
  ExpectAsBlockingCall("a directory into itself", -LIO_EINVAL, rename("full", "full/inner"));
}

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, RenameatRelativeToDirectories) {
  LIO_REQUIRE_OPS(LIO_OP_RENAMEAT);
  ExpectAsBlockingCall("relative to directory handles", 0, [this](const Side& s) {
    lio_handle from = Own(platform::OpenDirectory(s.root));
    lio_handle to = Own(platform::OpenDirectory(s.root / "d"));
    return Op::Renameat(from, "f", to, "moved");
  });
  ExpectAsBlockingCall("relative to a closed handle", -LIO_EBADF, [](const Side&) {
    return Op::Renameat(platform::KnownClosedHandle(), "f", LIO_AT_FDCWD, "moved");
  });
}

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, RenameatAcrossFilesystemsIsExdev) {
  LIO_REQUIRE_OPS(LIO_OP_RENAMEAT);
  std::optional<fs::path> other = platform::DirectoryOnAnotherFilesystem(TempPath());
  if (!other) GTEST_SKIP() << "no writable directory on another file system than " << TempPath();
  const std::string stem = "lio-exdev-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  ExpectAsBlockingCall("across file systems", -LIO_EXDEV, [&, this](const Side& s) {
    return Op::Renameat(LIO_AT_FDCWD, Kept(s.root / "f"), LIO_AT_FDCWD,
                        Kept(*other / (stem + s.root.filename().string())));
  });
  for (const char* side : {"ref", "lio"}) {  // a wrong success leaves a file there
    std::error_code ignored;
    fs::remove(*other / (stem + side + std::to_string(twins_)), ignored);
  }
}

// ---- linkat, symlinkat ----

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Linkat) {
  LIO_REQUIRE_OPS(LIO_OP_LINKAT);
  auto link = [this](const char* from, const char* to, uint32_t flags = 0) {
    return [=, this](const Side& s) {
      return Op::Linkat(LIO_AT_FDCWD, Kept(s.root / from), LIO_AT_FDCWD, Kept(s.root / to), flags);
    };
  };
  ExpectAsBlockingCall("link a file", 0, link("f", "h"));
  ExpectAsBlockingCall("missing source", -LIO_ENOENT, link("missing", "h"));
  ExpectAsBlockingCall("onto a file", -LIO_EEXIST, link("f", "g"));
  ExpectAsBlockingCall("onto a directory", -LIO_EEXIST, link("f", "d"));
  ExpectAsBlockingCall("a directory", -LIO_EPERM, link("d", "h"));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, link("f/x", "h"));
  ExpectAsBlockingCall("into a missing directory", -LIO_ENOENT, link("f", "missing/h"));
  if (HasSymlinks()) {
    ExpectAsBlockingCall("a symlink itself", 0, link("s", "h"));
    ExpectAsBlockingCall("a symlink followed", 0, link("s", "h", LIO_LINKAT_FOLLOW));
  }
  ExpectAsBlockingCall("relative to a closed handle", -LIO_EBADF, [](const Side&) {
    return Op::Linkat(platform::KnownClosedHandle(), "f", LIO_AT_FDCWD, "h");
  });
}

// Windows lets only privileged (or developer-mode) processes make symbolic
// links: there SYMLINKAT may answer -LIO_EPERM where Linux makes the link.
LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Symlinkat) {
  LIO_REQUIRE_OPS(LIO_OP_SYMLINKAT);
  auto symlink = [this](const char* target, const char* at) {
    return [=, this](const Side& s) { return Op::Symlinkat(target, LIO_AT_FDCWD, Kept(s.root / at)); };
  };
#if defined(_WIN32)
  const Result privilege = Complete(Op::Symlinkat("f", LIO_AT_FDCWD, Kept(Twins().second.root / "probe")));
  if (privilege == -LIO_EPERM) {
    GTEST_SKIP() << "this process may not make symbolic links here (-EPERM, a clear error as the clause allows)";
  }
#endif
  ExpectAsBlockingCall("a link to a file", 0, symlink("f", "t"));
  ExpectAsBlockingCall("a dangling link", 0, symlink("nowhere/at/all", "t"));
  ExpectAsBlockingCall("onto a file", -LIO_EEXIST, symlink("f", "g"));
  ExpectAsBlockingCall("onto a directory", -LIO_EEXIST, symlink("f", "d"));
  ExpectAsBlockingCall("into a missing directory", -LIO_ENOENT, symlink("f", "missing/t"));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, symlink("f", "f/t"));
  ExpectAsBlockingCall("relative to a directory handle", 0, [this](const Side& s) {
    return Op::Symlinkat("../f", Own(platform::OpenDirectory(s.root / "d")), "t");
  });
}

// ---- unlinkat, mkdirat ----

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Unlinkat) {
  LIO_REQUIRE_OPS(LIO_OP_UNLINKAT);
  auto unlink = [this](const char* what, uint32_t flags = 0) {
    return [=, this](const Side& s) { return Op::Unlinkat(LIO_AT_FDCWD, Kept(s.root / what), flags); };
  };
  ExpectAsBlockingCall("a file", 0, unlink("f"));
  ExpectAsBlockingCall("a file in a directory", 0, unlink("full/x"));
  ExpectAsBlockingCall("missing", -LIO_ENOENT, unlink("missing"));
  ExpectAsBlockingCall("a directory without REMOVEDIR", -LIO_EISDIR, unlink("d"));
  ExpectAsBlockingCall("an empty directory", 0, unlink("d", LIO_UNLINK_REMOVEDIR));
  ExpectAsBlockingCall("a full directory", -LIO_ENOTEMPTY, unlink("full", LIO_UNLINK_REMOVEDIR));
  ExpectAsBlockingCall("a file with REMOVEDIR", -LIO_ENOTDIR, unlink("f", LIO_UNLINK_REMOVEDIR));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, unlink("f/x"));
  ExpectAsBlockingCall("missing with REMOVEDIR", -LIO_ENOENT, unlink("missing", LIO_UNLINK_REMOVEDIR));
  ExpectAsBlockingCall("relative to a directory handle", 0,
                       [this](const Side& s) { return Op::Unlinkat(Own(platform::OpenDirectory(s.root / "full")), "x"); });
  ExpectAsBlockingCall("relative to a closed handle", -LIO_EBADF,
                       [](const Side&) { return Op::Unlinkat(platform::KnownClosedHandle(), "f"); });
}

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Mkdirat) {
  LIO_REQUIRE_OPS(LIO_OP_MKDIRAT);
  auto mkdir = [this](const char* what, uint32_t mode = 0755) {
    return [=, this](const Side& s) { return Op::Mkdirat(LIO_AT_FDCWD, Kept(s.root / what), mode); };
  };
  ExpectAsBlockingCall("a directory", 0, mkdir("n"));
  ExpectAsBlockingCall("a private directory (mode kept, less the umask)", 0, mkdir("n", 0700));
  ExpectAsBlockingCall("inside another", 0, mkdir("full/n"));
  ExpectAsBlockingCall("over a file", -LIO_EEXIST, mkdir("f"));
  ExpectAsBlockingCall("over a directory", -LIO_EEXIST, mkdir("d"));
  ExpectAsBlockingCall("in a missing directory", -LIO_ENOENT, mkdir("missing/n"));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, mkdir("f/n"));
  ExpectAsBlockingCall("relative to a directory handle", 0,
                       [this](const Side& s) { return Op::Mkdirat(Own(platform::OpenDirectory(s.root / "d")), "n"); });
  ExpectAsBlockingCall("relative to a closed handle", -LIO_EBADF,
                       [](const Side&) { return Op::Mkdirat(platform::KnownClosedHandle(), "n"); });
}

// ---- ftruncate, fallocate, fadvise: on a handle ----

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Ftruncate) {
  LIO_REQUIRE_OPS(LIO_OP_FTRUNCATE);
  auto truncate = [this](int64_t length, platform::Access access = platform::Access::kReadWrite) {
    return [=, this](const Side& s) { return Op::Ftruncate(OpenOwned(s.root / "f", access), length); };
  };
  ExpectAsBlockingCall("shorter", 0, truncate(2));
  ExpectAsBlockingCall("to nothing", 0, truncate(0));
  ExpectAsBlockingCall("longer (zeros)", 0, truncate(100));
  ExpectAsBlockingCall("negative", -LIO_EINVAL, truncate(-1));
  ExpectAsBlockingCall("read-only handle", -LIO_EINVAL, truncate(1, platform::Access::kReadOnly));
  ExpectAsBlockingCall("closed handle", -LIO_EBADF,
                       [](const Side&) { return Op::Ftruncate(platform::KnownClosedHandle(), 1); });
  ExpectAsBlockingCall("a directory", -LIO_EINVAL,
                       [this](const Side& s) { return Op::Ftruncate(Own(platform::OpenDirectory(s.root / "d")), 1); });
}

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Fallocate) {
  LIO_REQUIRE_OPS(LIO_OP_FALLOCATE);
  auto allocate = [this](int64_t offset, int64_t len, uint32_t flags = 0,
                         platform::Access access = platform::Access::kReadWrite) {
    return [=, this](const Side& s) { return Op::Fallocate(OpenOwned(s.root / "f", access), offset, len, flags); };
  };
  ExpectAsBlockingCall("grow the file", 0, allocate(0, 8192));
  ExpectAsBlockingCall("inside the file", 0, allocate(1, 2));
  ExpectAsBlockingCall("KEEP_SIZE past the end", 0, allocate(0, 8192, LIO_FALLOCATE_KEEP_SIZE));
  ExpectAsBlockingCall("PUNCH_HOLE without KEEP_SIZE", -LIO_EOPNOTSUPP, allocate(0, 2, LIO_FALLOCATE_PUNCH_HOLE));
  ExpectAsBlockingCall("PUNCH_HOLE", kDependsOnFilesystem,
                       allocate(0, 2, LIO_FALLOCATE_PUNCH_HOLE | LIO_FALLOCATE_KEEP_SIZE));
  ExpectAsBlockingCall("zero length", -LIO_EINVAL, allocate(0, 0));
  ExpectAsBlockingCall("negative offset", -LIO_EINVAL, allocate(-1, 10));
  ExpectAsBlockingCall("read-only handle", -LIO_EBADF, allocate(0, 10, 0, platform::Access::kReadOnly));
  ExpectAsBlockingCall("closed handle", -LIO_EBADF,
                       [](const Side&) { return Op::Fallocate(platform::KnownClosedHandle(), 0, 10); });
}

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, Fadvise) {
  LIO_REQUIRE_OPS(LIO_OP_FADVISE);
  auto advise = [this](int64_t offset, int64_t len, int32_t advice) {
    return [=, this](const Side& s) {
      return Op::Fadvise(OpenOwned(s.root / "f", platform::Access::kReadOnly), offset, len, advice);
    };
  };
  ExpectAsBlockingCall("sequential", 0, advise(0, 0, LIO_FADV_SEQUENTIAL));
  ExpectAsBlockingCall("dontneed", 0, advise(0, 5, LIO_FADV_DONTNEED));
  ExpectAsBlockingCall("willneed", 0, advise(0, 4096, LIO_FADV_WILLNEED));
  ExpectAsBlockingCall("a length beyond 32 bits", 0, advise(0, int64_t{1} << 33, LIO_FADV_RANDOM));
  ExpectAsBlockingCall("negative length", -LIO_EINVAL, advise(0, -1, LIO_FADV_NORMAL));
  ExpectAsBlockingCall("unknown advice", -LIO_EINVAL, advise(0, 0, 99));
  ExpectAsBlockingCall("closed handle", -LIO_EBADF, [](const Side&) {
    return Op::Fadvise(platform::KnownClosedHandle(), 0, 0, LIO_FADV_NORMAL);
  });
}

// ---- statx ----

LIO_CONFORMANCE_CASE(FsOpsTest, result_as_blocking_call, StatxResults) {
  LIO_REQUIRE_OPS(LIO_OP_STATX);
  auto stat = [this](const char* what, uint32_t flags = 0) {
    return [=, this](const Side& s) {
      return Op::Statx(LIO_AT_FDCWD, Kept(s.root / what), &Keep<lio_statx>(), LIO_STATX_BASIC_STATS, flags);
    };
  };
  ExpectAsBlockingCall("a file", 0, stat("f"));
  ExpectAsBlockingCall("a directory", 0, stat("d"));
  ExpectAsBlockingCall("missing", -LIO_ENOENT, stat("missing"));
  ExpectAsBlockingCall("through a file", -LIO_ENOTDIR, stat("f/x"));
  if (HasSymlinks()) {
    ExpectAsBlockingCall("a symlink, not followed", 0, stat("s", LIO_STATX_NOFOLLOW));
    ExpectAsBlockingCall("a symlink, followed", 0, stat("s"));
  }
  ExpectAsBlockingCall("a handle itself (EMPTY_PATH)", 0, [this](const Side& s) {
    return Op::Statx(OpenOwned(s.root / "f", platform::Access::kReadOnly), "", &Keep<lio_statx>(),
                     LIO_STATX_BASIC_STATS, LIO_STATX_EMPTY_PATH);
  });
  ExpectAsBlockingCall("an empty path without EMPTY_PATH", -LIO_ENOENT, [this](const Side&) {
    return Op::Statx(LIO_AT_FDCWD, "", &Keep<lio_statx>());
  });
  ExpectAsBlockingCall("relative to a closed handle", -LIO_EBADF, [this](const Side&) {
    return Op::Statx(platform::KnownClosedHandle(), "f", &Keep<lio_statx>());
  });
}

// The fields of the same file as statx(2) reports them (Linux), or as the
// file is (elsewhere: size and type).
void ExpectDescribes(const lio_statx& got, const std::optional<lio_statx>& reference, uint64_t size) {
  ASSERT_NE(got.mask & LIO_STATX_SIZE, 0u) << "mask " << got.mask << " says the size was not filled";
  EXPECT_EQ(got.size, size);
  EXPECT_EQ(got.mode & 0170000u, 0100000u) << "not a regular file: mode " << std::oct << got.mode;
  EXPECT_GE(got.nlink, 1u);
  if (!reference) return;
  EXPECT_EQ(got.mask, reference->mask);
  EXPECT_EQ(got.mode, reference->mode);
  EXPECT_EQ(got.ino, reference->ino);
  EXPECT_EQ(got.nlink, reference->nlink);
  EXPECT_EQ(got.uid, reference->uid);
  EXPECT_EQ(got.gid, reference->gid);
  EXPECT_EQ(got.blocks, reference->blocks);
  EXPECT_EQ(got.dev_major, reference->dev_major);
  EXPECT_EQ(got.dev_minor, reference->dev_minor);
  EXPECT_EQ(got.mtime.tv_sec, reference->mtime.tv_sec);
  EXPECT_EQ(got.mtime.tv_nsec, reference->mtime.tv_nsec);
}

LIO_CONFORMANCE_CASE(FsOpsTest, statx_buffer, WrittenBeforeTheCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_STATX);
  const char* path = Kept(WriteFile("seven", "7 bytes"));
  lio_statx& buf = Keep<lio_statx>();
  std::memset(&buf, 0xA5, sizeof buf);
  lio_statx reference_buf{};
  const std::optional<int64_t> reference =
      platform::FsCall(Op::Statx(LIO_AT_FDCWD, path, &reference_buf, LIO_STATX_BASIC_STATS));
  ASSERT_EQ(Complete(Op::Statx(LIO_AT_FDCWD, path, &buf, LIO_STATX_BASIC_STATS)), 0);
  ExpectDescribes(buf, reference ? std::optional(reference_buf) : std::nullopt, 7);
}

LIO_CONFORMANCE_CASE(FsOpsTest, statx_buffer, UntouchedAfterTheCompletion) {
  LIO_REQUIRE_OPS(LIO_OP_STATX);
  const char* path = Kept(WriteFile("seven", "7 bytes"));
  lio_statx& buf = Keep<lio_statx>();
  lio_statx& other = Keep<lio_statx>();
  ASSERT_EQ(Complete(Op::Statx(LIO_AT_FDCWD, path, &buf, LIO_STATX_BASIC_STATS)), 0);
  std::memset(&buf, 0x5A, sizeof buf);  // the caller's again: nothing may write it now
  lio_statx pattern;
  std::memset(&pattern, 0x5A, sizeof pattern);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Complete(Op::Statx(LIO_AT_FDCWD, path, &other, LIO_STATX_BASIC_STATS)), 0);
    ReapFor(milliseconds(5));
  }
  EXPECT_EQ(std::memcmp(&buf, &pattern, sizeof buf), 0) << "the statx buffer was written after its completion";
}

// ---- bad input ----

// [result.bad_input]: a NULL path (or statx buffer) is the kernel's -EFAULT,
// never a crash. (No reference call: libc declares these arguments non-null.)
LIO_CONFORMANCE_CASE(FsOpsTest, result_bad_input, NullPathsAreEfault) {
  const char* file = Kept(WriteFile("f", "hello"));
  const char* other = Kept(TempPath() / "other");
  struct Case {
    uint32_t code;
    lio_op op;
  };
  const Case cases[] = {
      {LIO_OP_RENAMEAT, Op::Renameat(LIO_AT_FDCWD, nullptr, LIO_AT_FDCWD, other)},
      {LIO_OP_RENAMEAT, Op::Renameat(LIO_AT_FDCWD, file, LIO_AT_FDCWD, nullptr)},
      {LIO_OP_LINKAT, Op::Linkat(LIO_AT_FDCWD, nullptr, LIO_AT_FDCWD, other)},
      {LIO_OP_SYMLINKAT, Op::Symlinkat(nullptr, LIO_AT_FDCWD, other)},
      {LIO_OP_SYMLINKAT, Op::Symlinkat("f", LIO_AT_FDCWD, nullptr)},
      {LIO_OP_UNLINKAT, Op::Unlinkat(LIO_AT_FDCWD, nullptr)},
      {LIO_OP_MKDIRAT, Op::Mkdirat(LIO_AT_FDCWD, nullptr)},
      {LIO_OP_STATX, Op::Statx(LIO_AT_FDCWD, nullptr, &Keep<lio_statx>())},
      {LIO_OP_STATX, Op::Statx(LIO_AT_FDCWD, file, nullptr)},
  };
  int run = 0;
  for (const Case& c : cases) {
    if (!declares(c.code)) continue;
    ++run;
    EXPECT_EQ(Complete(c.op), -LIO_EFAULT) << op_name(c.code) << " case " << run;
  }
  if (run == 0) GTEST_SKIP() << "backend declares none of the path ops";
  EXPECT_EQ(ReadFile(file), "hello");
}

}  // namespace
}  // namespace lio::testing
