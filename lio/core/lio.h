/*
 * lio.h — the C API for applications: open a backend by name, push
 * operations, flush them in one system call, wait for their completions.
 *
 * C only (C99 or later; C++ may include it too). It is a thin layer over
 * lio::Registry and lio::Backend (lio/core/backend.h): no C++ type and no
 * exception crosses it. Operations and completions are the plugin ABI's own
 * `lio_op` and `lio_completion` (lio/core/plugin_abi.h), whose comments give
 * each operation's fields and result.
 *
 * Results: >= 0 success, < 0 a negative error number with Linux errno
 * numbering on every OS (-LIO_EBADF, ...; see plugin_abi.h). A NULL
 * `lio_instance*` or `lio_op*` is answered -LIO_EINVAL.
 *
 * Threads: a `lio_instance` belongs to the thread that opened it; only
 * lio_wake may be called from another thread. lio_open may be called from
 * any thread: calls serialize with each other on the process-wide registry
 * (not with C++ code that uses lio::Registry::Default() at the same time).
 *
 *   char why[256];
 *   lio_instance* io;
 *   if (lio_open("auto", 64, NULL, &io, why, sizeof why) < 0) { puts(why); return 1; }
 *   char buf[4096];
 *   lio_op op = lio_op_read(fd, buf, sizeof buf, 0);
 *   lio_push(io, 1, &op);
 *   lio_flush(io);
 *   const lio_completion* done;
 *   int n = lio_wait(io, -1, &done);        // blocks for at least one
 *   for (int i = 0; i < n; ++i) printf("%llu -> %lld\n", done[i].id, done[i].result);
 *   lio_close(io);
 *
 * Link with -llio_core (pkg-config --libs lio).
 */
#ifndef LIO_CORE_LIO_H_
#define LIO_CORE_LIO_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lio/core/plugin_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the C API are exported even from a library built with hidden
 * visibility. */
#if defined(_WIN32)
#define LIO_API
#else
#define LIO_API __attribute__((visibility("default")))
#endif

/* One open backend instance. Opaque; made by lio_open, ended by lio_close. */
typedef struct lio_instance lio_instance;

/* Open a backend and create an instance of it.
 *
 *   name      "io_uring", "poller", ..., "auto" (the best backend whose probe
 *             passes), or "" / NULL for $LIO_BACKEND if set, else "auto".
 *             Plugins are searched in $LIO_PLUGIN_PATH's absolute
 *             entries (a relative one is refused), then in the directory
 *             lio was installed with (<prefix>/lib/lio).
 *   capacity  operations in flight at once (pushed and not yet returned by
 *             lio_wait); must be >= 1.
 *   options   backend-specific "key=value,..." or NULL. Copied; the caller
 *             keeps ownership.
 *   out       set to the new instance on success; left untouched on failure.
 *   error     NULL, or a buffer the caller owns, of error_size bytes. On
 *             failure it receives a NUL-terminated sentence saying what went
 *             wrong and what to do (truncated to fit); on success error[0] is
 *             set to NUL. Nothing is kept after the call returns.
 *
 * Returns 0, or a negative error: -LIO_EINVAL (capacity 0, out NULL, bad
 * options), -LIO_ENOENT (no such backend / no plugin found), -LIO_ENOSYS (no
 * backend can run here), -LIO_ENOMEM, or what the backend's create returned. */
LIO_API int lio_open(const char* name, uint32_t capacity, const char* options, lio_instance** out, char* error,
                     size_t error_size);

/* Destroy the instance: operations still in flight are cancelled and waited
 * for (no buffer is touched after this returns); their completions are not
 * delivered. NULL is allowed and does nothing. */
LIO_API void lio_close(lio_instance* io);

/* The backend's name ("io_uring"). Owned by lio; valid until lio_close.
 * "" for NULL. */
LIO_API const char* lio_backend_name(const lio_instance* io);

/* Whether the backend implements `op_code` (LIO_OP_*): 1 or 0. */
LIO_API int lio_supports(const lio_instance* io, uint32_t op_code);

/* Queue one operation, no system call. `op` is read during the call and not
 * kept; the buffers it points to stay the caller's and must stay valid until
 * the completion is returned by lio_wait. `id` is the caller's token, unique
 * among operations in flight. Returns 0, or: -LIO_EAGAIN full (`capacity`
 * in flight: lio_wait, then push again), -LIO_EEXIST id in flight,
 * -LIO_EOPNOTSUPP op not implemented by this backend, -LIO_EINVAL malformed
 * op (fill struct_size and abi_version: use the lio_op_* builders below). */
LIO_API int lio_push(lio_instance* io, uint64_t id, const lio_op* op);

/* Hand every queued operation to the OS in one system call. Returns how many
 * were handed over, or a negative error. */
LIO_API int lio_flush(lio_instance* io);

/* Reap completions. timeout_ns < 0 blocks until at least one (or a wake), 0
 * polls, > 0 waits up to that long. Returns how many completions are in
 * *out (0 on timeout or wake) or a negative error. The array is owned by lio
 * and valid until the next lio_wait, lio_push or lio_close; `out` must not be
 * NULL (-LIO_EINVAL). Also flushes what was pushed and not flushed. Every
 * pushed op appears exactly once, ever. */
LIO_API int lio_wait(lio_instance* io, int64_t timeout_ns, const lio_completion** out);

/* Ask the in-flight op `id` to stop. 0 asked (it still completes exactly
 * once: -LIO_ECANCELED or its real result), -LIO_ENOENT no such op in
 * flight. */
LIO_API int lio_cancel(lio_instance* io, uint64_t id);

/* The one thread-safe call: make a blocked (or the next) lio_wait return. */
LIO_API int lio_wake(lio_instance* io);

/* ---- ABI 1.1 (plugin_abi.h says each call's rules) ---- */

/* The backend's LIO_FEATURE_* bits (0 for a 1.0 plugin). */
LIO_API uint64_t lio_features(const lio_instance* io);

/* The declared op codes (LIO_CAP bits) the OS mechanism performs itself
 * here; the other declared codes are emulated. 0 when the backend does not
 * say (a 1.0 plugin): then lio_supports is all that is known. */
LIO_API uint64_t lio_native_ops(const lio_instance* io);

/* Registered files and buffers (LIO_FEATURE_FIXED_FILES / _BUFFERS): each
 * call replaces the table; count 0 drops it. -LIO_EOPNOTSUPP without the
 * feature. */
LIO_API int lio_register_files(lio_instance* io, const lio_handle* handles, uint32_t count);
LIO_API int lio_register_buffers(lio_instance* io, const lio_iovec* buffers, uint32_t count);

/* Buffer groups (LIO_FEATURE_BUFFER_GROUPS): `count` buffers (a power of
 * two) of `size` bytes from `base`, which stays the caller's and valid until
 * lio_remove_buffer_group returned 0 or lio_close. A completion names the
 * buffer it took (LIO_COMPLETION_BUFFER_ID); give it back with
 * lio_return_buffer. -LIO_EOPNOTSUPP without the feature. */
LIO_API int lio_add_buffer_group(lio_instance* io, uint32_t group, void* base, uint32_t count, uint32_t size);
LIO_API int lio_return_buffer(lio_instance* io, uint32_t group, uint32_t buffer_id);
LIO_API int lio_remove_buffer_group(lio_instance* io, uint32_t group);

/* "EBADF" for -LIO_EBADF or LIO_EBADF; "E?" for other numbers. A static
 * string owned by lio. */
LIO_API const char* lio_error_name(int code);

/* ------------------------------------------------------------------------
 * Builders: an lio_op with struct_size and abi_version filled in. Set any
 * other field of `u` directly (plugin_abi.h lists them per code).
 * ---------------------------------------------------------------------- */
static inline lio_op lio_op_make(uint32_t code, lio_handle handle) {
  lio_op op;
  memset(&op, 0, sizeof op);
  op.struct_size = sizeof op;
  op.abi_version = LIO_ABI_VERSION;
  op.code = code;
  op.handle = handle;
  return op;
}

static inline lio_op lio_op_nop(void) { return lio_op_make(LIO_OP_NOP, LIO_INVALID_HANDLE); }

/* offset: bytes, or LIO_OFFSET_CURRENT for the file position. */
static inline lio_op lio_op_read(lio_handle h, void* buf, uint64_t len, int64_t offset) {
  lio_op op = lio_op_make(LIO_OP_READ, h);
  op.u.rw.buf = buf;
  op.u.rw.len = len;
  op.u.rw.offset = offset;
  return op;
}

static inline lio_op lio_op_write(lio_handle h, const void* buf, uint64_t len, int64_t offset) {
  lio_op op = lio_op_make(LIO_OP_WRITE, h);
  op.u.rw.buf = (void*)buf;
  op.u.rw.len = len;
  op.u.rw.offset = offset;
  return op;
}

/* `path` must stay valid until the completion (the new handle, or < 0). */
static inline lio_op lio_op_openat(lio_handle dir, const char* path, uint32_t open_flags, uint32_t mode) {
  lio_op op = lio_op_make(LIO_OP_OPENAT, dir);
  op.u.open.path = path;
  op.u.open.flags = open_flags;
  op.u.open.mode = mode;
  return op;
}

static inline lio_op lio_op_close(lio_handle h) { return lio_op_make(LIO_OP_CLOSE, h); }

/* Completes with -LIO_ETIME after `ns` nanoseconds. */
static inline lio_op lio_op_timeout(int64_t ns) {
  lio_op op = lio_op_make(LIO_OP_TIMEOUT, LIO_INVALID_HANDLE);
  op.u.timeout.ns = ns;
  return op;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LIO_CORE_LIO_H_ */
