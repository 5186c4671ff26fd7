// The 1.1 file-system operations on Windows, as blocking functions the
// worker threads run ([result.as_blocking_call]): each answers as its Linux
// call would on the same arguments, with Linux errno numbers.
//
//   FTRUNCATE  SetFileInformationByHandle(FileEndOfFileInfo)
//   RENAMEAT   MoveFileExW (REPLACE_EXISTING unless NOREPLACE). Replacing an
//              empty directory removes it first, so that rename is not
//              atomic; RENAME_EXCHANGE has no Windows form: -EINVAL, as a
//              Linux file system without it answers.
//   UNLINKAT   DeleteFileW, or RemoveDirectoryW with LIO_UNLINK_REMOVEDIR
//              (a read-only file is deleted too, as unlink(2) ignores modes)
//   MKDIRAT    CreateDirectoryW (no mode bits on Windows)
//   LINKAT     CreateHardLinkW
//   SYMLINKAT  CreateSymbolicLinkW: needs a privilege or developer mode;
//              without it the op completes with -EPERM, never a copy
//   STATX      GetFileInformationByHandle(Ex): type, mode (from the
//              attributes), nlink, ino (file index), size, blocks, times;
//              no uid/gid (not in the mask)
// FALLOCATE and FADVISE have no honest Windows equivalent: not declared.
//
// Linux answers a lookup that fails on the way (a component that is a file)
// with ENOTDIR where Windows says "path not found": the functions check.
#ifndef LIO_PLUGINS_IOCP_FS_OPS_H_
#define LIO_PLUGINS_IOCP_FS_OPS_H_

#include <cstdint>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/iocp/blocking_ops.h"

namespace lio::iocp {

// The codes RunFsOp serves.
inline constexpr uint64_t kFsOpCodes = LIO_CAP(LIO_OP_FTRUNCATE) | LIO_CAP(LIO_OP_LINKAT) |
                                       LIO_CAP(LIO_OP_SYMLINKAT) | LIO_CAP(LIO_OP_RENAMEAT) |
                                       LIO_CAP(LIO_OP_UNLINKAT) | LIO_CAP(LIO_OP_MKDIRAT) | LIO_CAP(LIO_OP_STATX);

constexpr bool IsFsOp(uint32_t code) { return code < 64 && (kFsOpCodes & LIO_CAP(code)) != 0; }

// Whether `code` acts on `handle` itself (the others take it as the
// directory a relative path resolves against, LIO_AT_FDCWD allowed).
constexpr bool FsOpTakesHandle(uint32_t code) { return code == LIO_OP_FTRUNCATE; }

// The op (code, flags, handle and its arguments): 0 or -LIO_E*.
int64_t RunFsOp(uint32_t code, uint32_t flags, lio_handle handle, const decltype(lio_op::u)& u,
                WorkerThreadScratch& scratch);

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_FS_OPS_H_
