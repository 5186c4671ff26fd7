#include "lio/plugins/common/fs_calls.h"

#if defined(__linux__)
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#endif

#include "lio/plugins/common/boundary.h"

namespace lio::plugin {

#if defined(__linux__)
namespace {

// The layout and values plugin_abi.h promises are Linux's own.
static_assert(sizeof(lio_statx) == sizeof(struct statx));
static_assert(offsetof(lio_statx, ino) == offsetof(struct statx, stx_ino));
static_assert(offsetof(lio_statx, mtime) == offsetof(struct statx, stx_mtime));
static_assert(offsetof(lio_statx, dev_minor) == offsetof(struct statx, stx_dev_minor));
static_assert(LIO_STATX_BASIC_STATS == STATX_BASIC_STATS && LIO_STATX_BTIME == STATX_BTIME);
static_assert(LIO_RENAME_NOREPLACE == RENAME_NOREPLACE && LIO_RENAME_EXCHANGE == RENAME_EXCHANGE);
static_assert(LIO_FALLOCATE_KEEP_SIZE == FALLOC_FL_KEEP_SIZE && LIO_FALLOCATE_PUNCH_HOLE == FALLOC_FL_PUNCH_HOLE);
static_assert(LIO_FADV_DONTNEED == POSIX_FADV_DONTNEED && LIO_FADV_NOREUSE == POSIX_FADV_NOREUSE);

int64_t syscall_result(long r) { return r >= 0 ? r : -errno; }

// Repeats a call a signal interrupted (the blocking call's caller would).
template <class Call>
int64_t retry_on_eintr(Call&& call) {
  for (;;) {
    const long r = call();
    if (r >= 0 || errno != EINTR) return syscall_result(r);
  }
}

int64_t link_call(const lio_op& op) {
  const int old_dir = to_dir_fd(op.handle);
  const int new_dir = to_dir_fd(op.u.link.new_dir);
  const char* from = op.u.link.old_path;
  const char* to = op.u.link.new_path;
  switch (op.code) {
    case LIO_OP_LINKAT:
      return retry_on_eintr([&] { return syscall(SYS_linkat, old_dir, from, new_dir, to, linkat_flags(op.flags)); });
    case LIO_OP_SYMLINKAT:
      return retry_on_eintr([&] { return syscall(SYS_symlinkat, from, new_dir, to); });
    default:  // RENAMEAT
      return retry_on_eintr(
          [&] { return syscall(SYS_renameat2, old_dir, from, new_dir, to, static_cast<unsigned>(op.flags & ~LIO_OPF_GENERIC)); });
  }
}

int64_t fadvise_call(const lio_op& op) {
  // posix_fadvise answers with the error number itself, not -1 and errno.
  const int error = posix_fadvise(to_fd(op.handle), op.u.range.offset, op.u.range.len, op.u.range.advice);
  return -error;
}

}  // namespace

int linkat_flags(uint32_t lio_flags) noexcept { return (lio_flags & LIO_LINKAT_FOLLOW) ? AT_SYMLINK_FOLLOW : 0; }

int unlinkat_flags(uint32_t lio_flags) noexcept { return (lio_flags & LIO_UNLINK_REMOVEDIR) ? AT_REMOVEDIR : 0; }

int statx_flags(uint32_t lio_flags) noexcept {
  int flags = AT_STATX_SYNC_AS_STAT;
  if (lio_flags & LIO_STATX_NOFOLLOW) flags |= AT_SYMLINK_NOFOLLOW;
  if (lio_flags & LIO_STATX_EMPTY_PATH) flags |= AT_EMPTY_PATH;
  return flags;
}

int64_t run_fs_call(const lio_op& op) noexcept {
  const int fd = to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_FTRUNCATE:
      return retry_on_eintr([&] { return ftruncate(fd, op.u.truncate.length); });
    case LIO_OP_LINKAT:
    case LIO_OP_SYMLINKAT:
    case LIO_OP_RENAMEAT:
      return link_call(op);
    case LIO_OP_UNLINKAT:
      return syscall_result(syscall(SYS_unlinkat, to_dir_fd(op.handle), op.u.path.path, unlinkat_flags(op.flags)));
    case LIO_OP_MKDIRAT:
      return syscall_result(syscall(SYS_mkdirat, to_dir_fd(op.handle), op.u.path.path, op.u.path.mode));
    case LIO_OP_STATX:
      return syscall_result(syscall(SYS_statx, to_dir_fd(op.handle), op.u.statx.path, statx_flags(op.flags),
                                    op.u.statx.mask, op.u.statx.buf));
    case LIO_OP_FALLOCATE:
      return retry_on_eintr([&] { return fallocate(fd, static_cast<int>(op.flags & ~LIO_OPF_GENERIC), op.u.range.offset, op.u.range.len); });
    case LIO_OP_FADVISE:
      return fadvise_call(op);
    default:
      return -LIO_EINVAL;
  }
}

#else

int linkat_flags(uint32_t) noexcept { return 0; }
int unlinkat_flags(uint32_t) noexcept { return 0; }
int statx_flags(uint32_t) noexcept { return 0; }
int64_t run_fs_call(const lio_op&) noexcept { return -LIO_EINVAL; }

#endif

}  // namespace lio::plugin
