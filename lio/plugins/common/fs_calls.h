// The 1.1 file-system operations as the blocking Linux system calls they
// stand for ([result.as_blocking_call]): FTRUNCATE, LINKAT, SYMLINKAT,
// RENAMEAT, UNLINKAT, MKDIRAT, STATX, FALLOCATE, FADVISE.
//
// Written once for every backend that runs them as calls: the poller's
// worker pool, and io_uring where the running kernel lacks the opcode. The
// flag translations are here too, so io_uring's SQEs and these calls read a
// lio_op the same way. Linux only (statx, renameat2 and fallocate are Linux
// calls): elsewhere kFsCallCodes is 0 and nothing is declared.
#ifndef LIO_PLUGINS_COMMON_FS_CALLS_H_
#define LIO_PLUGINS_COMMON_FS_CALLS_H_

#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::plugin {

#if defined(__linux__)
// The codes run_fs_call serves.
inline constexpr uint64_t kFsCallCodes = LIO_CAP(LIO_OP_FTRUNCATE) | LIO_CAP(LIO_OP_LINKAT) |
                                         LIO_CAP(LIO_OP_SYMLINKAT) | LIO_CAP(LIO_OP_RENAMEAT) |
                                         LIO_CAP(LIO_OP_UNLINKAT) | LIO_CAP(LIO_OP_MKDIRAT) |
                                         LIO_CAP(LIO_OP_STATX) | LIO_CAP(LIO_OP_FALLOCATE) |
                                         LIO_CAP(LIO_OP_FADVISE);
#else
inline constexpr uint64_t kFsCallCodes = 0;
#endif

constexpr bool is_fs_call(uint32_t code) noexcept { return code < 64 && (kFsCallCodes & LIO_CAP(code)) != 0; }

// lio_op.flags as the Linux call's flags argument.
int linkat_flags(uint32_t lio_flags) noexcept;   // AT_SYMLINK_FOLLOW
int unlinkat_flags(uint32_t lio_flags) noexcept; // AT_REMOVEDIR
int statx_flags(uint32_t lio_flags) noexcept;    // AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH
// RENAMEAT (RENAME_*) and FALLOCATE (FALLOC_FL_*) flags are Linux's values.

// The blocking call of a checked op of one of those codes, on this thread:
// its result (0, or -errno). Paths go to the kernel as given (a NULL path is
// the kernel's -EFAULT, not libc's undefined behaviour).
int64_t run_fs_call(const lio_op& op) noexcept;

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_FS_CALLS_H_
