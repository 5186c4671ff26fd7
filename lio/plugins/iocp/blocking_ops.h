// The operations Windows has no overlapped form for — openat (CreateFileW)
// and fsync (FlushFileBuffers) — as plain blocking functions, and what a
// worker thread lends them. The iocp backend runs them on the kit's worker
// pool (lio/plugins/common/worker_pool.h); they are separate so they can be
// tested directly.
#ifndef LIO_PLUGINS_IOCP_BLOCKING_OPS_H_
#define LIO_PLUGINS_IOCP_BLOCKING_OPS_H_

#include <windows.h>

#include <cstddef>
#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::iocp {

// Room for the longest Windows path (32767 UTF-16 units and the NUL), twice:
// the UTF-16 form of the caller's path and the joined/normalised full path.
// Allocated once per worker thread, so openat allocates nothing.
struct PathScratch {
  static constexpr size_t kUnits = 32768;
  wchar_t path[kUnits];
  wchar_t full[kUnits];
};

// The path an *at call names, as Windows takes it: `path` (UTF-8, '/' or '\'
// separated) converted, resolved against `dir` (a directory handle) when it
// is relative and `dir` is not LIO_AT_FDCWD. *out points into `scratch`.
// 0, or -LIO_EFAULT (NULL), -LIO_ENOENT (""), -LIO_EBADF (a negative dir),
// -LIO_ENOTDIR (dir is no directory), -LIO_ENAMETOOLONG, ...
int64_t ResolvePath(lio_handle dir, const char* path, PathScratch& scratch, const wchar_t** out);

// What a job may use on its worker thread: one per thread, made in create.
struct WorkerThreadScratch {
  PathScratch paths;
  PathScratch second;  // the other path of a rename or link
  // A manual-reset event for blocking calls that take an OVERLAPPED (set its
  // handle's low bit in OVERLAPPED::hEvent so no completion port hears of
  // them).
  HANDLE event = nullptr;
};

// openat(2) on Windows: `path` is UTF-8, '/' or '\' separated. Relative
// paths resolve against `dir` (a directory handle) or, for LIO_AT_FDCWD, the
// current directory; absolute paths ("C:\x", "\\server\share\x", "\x")
// ignore `dir`. LIO_OPEN_* map to CreateFileW's access, disposition and
// flags; `mode` without any write bit creates a read-only file. The handle is
// opened for overlapped I/O (what an iocp backend does its I/O with; Windows
// files have no non-blocking mode), shares read/write/delete as POSIX files
// do, and is not inheritable. Returns the handle or -LIO_E*.
int64_t OpenAt(lio_handle dir, const char* path, uint32_t lio_open_flags, uint32_t mode, PathScratch& scratch);

// fsync(2): FlushFileBuffers. Windows has no data-only flush for ordinary
// handles, so `data_only` flushes everything too. 0 or -LIO_E*.
int64_t Fsync(lio_handle handle, bool data_only);

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_BLOCKING_OPS_H_
