/*
 * lio plugin ABI — the one header a backend plugin includes.
 *
 * Read this top to bottom: every clause of the backend contract is written
 * beside the field it governs, labelled with a stable identifier in square
 * brackets: a group, a dot, a name. The conformance suite (lio/testing/) names, for every case,
 * the one identifier it checks; `lio conformance --clauses` prints the map. C only; no C++ type, exception or ownership of
 * memory crosses this boundary. Strings are NUL-terminated UTF-8 and are owned
 * by the side that made them.
 *
 * Versioning. LIO_ABI_VERSION is (major << 16) | minor. Every struct that
 * crosses the boundary begins with `struct_size` and `abi_version` so either
 * side can grow it at its end within a major version:
 * [abi.struct_size] a reader only touches the fields that fit in the
 * `struct_size` it was given, and treats missing fields as zero.
 * [abi.host_refuses_major] A different major version is refused by the host.
 *
 * [completion.layout_frozen] One exception: `lio_completion` is an array
 * element whose stride must be known without reading it, so its layout is
 * frozen for a major version.
 */
#ifndef LIO_CORE_PLUGIN_ABI_H_
#define LIO_CORE_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIO_ABI_VERSION_MAJOR 1
#define LIO_ABI_VERSION_MINOR 0
#define LIO_ABI_VERSION ((LIO_ABI_VERSION_MAJOR << 16) | LIO_ABI_VERSION_MINOR)
#define LIO_ABI_MAJOR(v) ((uint32_t)(v) >> 16)
#define LIO_ABI_MINOR(v) ((uint32_t)(v)&0xffffu)

/* The only symbol a plugin exports. */
#define LIO_PLUGIN_REGISTER_SYMBOL "lio_plugin_register"

#if defined(_WIN32)
#define LIO_PLUGIN_EXPORT __declspec(dllexport)
#else
#define LIO_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------
 * Error codes. [result.errors] Results are negative error numbers with Linux
 * errno numbering on every OS (a Windows plugin maps its errors to these), so
 * a program and the conformance suite compare against the same values
 * everywhere: an operation's error is the one its blocking system call
 * reports, negated.
 * ---------------------------------------------------------------------- */
#define LIO_EPERM 1
#define LIO_ENOENT 2
#define LIO_EINTR 4
#define LIO_EIO 5
#define LIO_EBADF 9
#define LIO_EAGAIN 11
#define LIO_ENOMEM 12
#define LIO_EACCES 13
#define LIO_EFAULT 14
#define LIO_EBUSY 16
#define LIO_EEXIST 17
#define LIO_ENOTDIR 20
#define LIO_EISDIR 21
#define LIO_EINVAL 22
#define LIO_EMFILE 24
#define LIO_ENOSPC 28
#define LIO_EPIPE 32
#define LIO_ENOSYS 38
#define LIO_ENAMETOOLONG 36
#define LIO_ETIME 62
#define LIO_ENOTSOCK 88
#define LIO_EMSGSIZE 90
#define LIO_EOPNOTSUPP 95
#define LIO_EAFNOSUPPORT 97
#define LIO_EADDRINUSE 98
#define LIO_EADDRNOTAVAIL 99
#define LIO_ENETUNREACH 101
#define LIO_ECONNABORTED 103
#define LIO_ECONNRESET 104
#define LIO_ENOBUFS 105
#define LIO_EISCONN 106
#define LIO_ENOTCONN 107
#define LIO_ETIMEDOUT 110
#define LIO_ECONNREFUSED 111
#define LIO_EHOSTUNREACH 113
#define LIO_EALREADY 114
#define LIO_EINPROGRESS 115
#define LIO_ECANCELED 125

/* ------------------------------------------------------------------------
 * Operations
 * ---------------------------------------------------------------------- */
typedef enum lio_op_code {
  LIO_OP_NOP = 0,
  LIO_OP_READ = 1,
  LIO_OP_WRITE = 2,
  LIO_OP_READV = 3,
  LIO_OP_WRITEV = 4,
  LIO_OP_FSYNC = 5,
  LIO_OP_OPENAT = 6,
  LIO_OP_CLOSE = 7,
  LIO_OP_SOCKET = 8,
  LIO_OP_ACCEPT = 9,
  LIO_OP_CONNECT = 10,
  LIO_OP_SEND = 11,
  LIO_OP_RECV = 12,
  LIO_OP_SENDMSG = 13,
  LIO_OP_RECVMSG = 14,
  LIO_OP_SHUTDOWN = 15,
  LIO_OP_TIMEOUT = 16,
  LIO_OP_POLL = 17,
  LIO_OP_COUNT = 18 /* not an operation: the number of codes */
} lio_op_code;

/* Capability mask: bit LIO_CAP(code) set = the backend implements that op.
 * [register.capabilities] Only bits of real codes (below LIO_OP_COUNT) are
 * set.
 * The conformance suite skips (and says so) what is not declared, and fails
 * what is declared and wrong. */
#define LIO_CAP(code) (UINT64_C(1) << (code))
#define LIO_CAP_ALL_OPS (LIO_CAP(LIO_OP_COUNT) - 1)

/* Handles are intptr_t so a Windows HANDLE or SOCKET fits.
 * [handles.out_of_range] A value no open handle can have — negative (other
 * than LIO_AT_FDCWD as openat's `dir`), or beyond an int on POSIX — makes the
 * op complete with -LIO_EBADF; it is never cut down to a number that may be
 * open (2^32 + 3 is not fd 3). */
typedef intptr_t lio_handle;
#define LIO_INVALID_HANDLE ((lio_handle)-1)
/* [openat.at_fdcwd] openat's `dir`: relative paths resolve against the
 * current directory. */
#define LIO_AT_FDCWD ((lio_handle)-100)

/* [offset.current] Offsets: a byte offset, or LIO_OFFSET_CURRENT for the
 * file position (which the operation then advances, as read(2)/write(2) do). */
#define LIO_OFFSET_CURRENT ((int64_t)-1)

/* Same layout as POSIX struct iovec (base, length). */
typedef struct lio_iovec {
  void* base;
  size_t len;
} lio_iovec;

/* sendmsg/recvmsg message. Portable stand-in for struct msghdr / WSAMSG.
 * `name` and `control` may be NULL. [recvmsg.msghdr_out] For recvmsg the
 * backend writes back
 * `namelen`, `controllen` and `flags` (MSG_TRUNC, ...) before the completion
 * is returned; the caller keeps the struct, the iovecs and every buffer they
 * point to alive until then. */
typedef struct lio_msghdr {
  void* name;              /* struct sockaddr*, native layout */
  uint32_t namelen;        /* in: buffer size; out (recvmsg): address size */
  uint32_t iovcnt;
  const lio_iovec* iov;
  void* control;           /* ancillary data, native layout */
  uint64_t controllen;     /* in: buffer size; out (recvmsg): bytes used */
  int32_t flags;           /* out (recvmsg): native MSG_* flags received */
  uint32_t reserved;
} lio_msghdr;

/* [openat.flags] Portable open flags (openat). Plugins map them to their OS:
 * each has the effect of its POSIX O_* namesake. */
#define LIO_OPEN_RDONLY 0x0000u
#define LIO_OPEN_WRONLY 0x0001u
#define LIO_OPEN_RDWR 0x0002u
#define LIO_OPEN_ACCMODE 0x0003u
#define LIO_OPEN_CREATE 0x0010u
#define LIO_OPEN_EXCL 0x0020u
#define LIO_OPEN_TRUNC 0x0040u
#define LIO_OPEN_APPEND 0x0080u
#define LIO_OPEN_DIRECT 0x0100u /* O_DIRECT / FILE_FLAG_NO_BUFFERING */
#define LIO_OPEN_DIRECTORY 0x0200u

/* [fsync.datasync] fsync flag: data only (fdatasync). */
#define LIO_FSYNC_DATASYNC 0x1u
/* [timeout.absolute] timeout flag: `ns` is a deadline on the steady clock (CLOCK_MONOTONIC on
 * POSIX, QueryPerformanceCounter on Windows: what std::chrono::steady_clock
 * reads), not a duration. */
#define LIO_TIMEOUT_ABSOLUTE 0x1u

/* poll events (Linux values). [result.poll] The result of a poll is the asked
 * events that are ready, plus LIO_POLL_ERR / LIO_POLL_HUP unasked, and no
 * other bit. */
#define LIO_POLL_IN 0x001u
#define LIO_POLL_OUT 0x004u
#define LIO_POLL_ERR 0x008u
#define LIO_POLL_HUP 0x010u

/* One operation. The caller fills `struct_size` = sizeof(lio_op) and
 * `abi_version` = LIO_ABI_VERSION (lio::Op in the core does it).
 * [push.op_not_kept] The backend reads the op during push and must not keep
 * a pointer to it (the caller may reuse it as soon as push returns);
 * [buffers.untouched_after_completion] the buffers, iovec arrays, paths,
 * addresses and msghdrs it points to belong to the caller and stay valid
 * until the operation's completion is returned by wait. The backend never
 * touches them after that.
 *
 * Results on completion, per code (>= 0 success, < 0 -LIO_E*):
 *   NOP                      0                        [result.nop]
 *   READ, READV, RECV,
 *   RECVMSG                  bytes read (0 at end of file / orderly shutdown)
 *                                                     [result.bytes_read]
 *   WRITE, WRITEV, SEND,
 *   SENDMSG                  bytes written            [result.bytes_written]
 *   FSYNC, CLOSE, CONNECT,
 *   SHUTDOWN                 0                        [result.zero]
 *   OPENAT, SOCKET, ACCEPT   the new handle           [result.new_handle]
 *   TIMEOUT                  -LIO_ETIME when it expires, not earlier
 *                                                     [result.timeout]
 *   POLL                     the ready events (LIO_POLL_*)   [result.poll]
 * Any op may complete with -LIO_ECANCELED after cancel ([cancel.completes_once]).
 *
 * [result.bad_input] Bad arguments that pass push's checks never crash or
 * hang the backend: a zero or huge length, a NULL buffer with a non-zero
 * length, a handle of the wrong kind (accept on a file), an iovec count of 0
 * or above 1024 (IOV_MAX), a NULL, empty or over-long path — the op completes
 * with what its blocking call returns (0 or -LIO_E*). A negative timeout
 * expires at once (-LIO_ETIME), as a zero one does; poll bits lio does not
 * define are never reported.
 *
 * [handles.created_mode] Handles a backend creates (OPENAT, SOCKET, ACCEPT)
 * are close-on-exec and in the OS's default (blocking) mode;
 * [handles.caller_mode_kept] a backend that needs non-blocking I/O arranges
 * it per call, not by changing the caller's handle behind its back, or
 * restores what it changed. */
typedef struct lio_op {
  uint32_t struct_size;
  uint32_t abi_version;
  uint32_t code;   /* lio_op_code */
  uint32_t flags;  /* per-op flags above (LIO_FSYNC_*, LIO_TIMEOUT_*) */
  lio_handle handle; /* the fd / HANDLE / SOCKET operated on;
                      * [openat.dir] openat: the directory a relative path
                      * resolves against */
  union {
    struct { /* READ, WRITE */
      void* buf;
      uint64_t len;
      int64_t offset; /* or LIO_OFFSET_CURRENT */
    } rw;
    struct { /* READV, WRITEV */
      const lio_iovec* iov;
      uint32_t iovcnt;
      int64_t offset; /* or LIO_OFFSET_CURRENT */
    } rwv;
    struct { /* OPENAT */
      const char* path; /* UTF-8 */
      uint32_t flags;   /* LIO_OPEN_* */
      uint32_t mode;    /* permission bits when creating (0644 style);
                         * [openat.mode] the file is created with exactly
                         * these bits less the process umask, as open(2) */
    } open;
    struct { /* SOCKET: native AF_*, SOCK_*, IPPROTO_* values */
      int32_t domain;
      int32_t type;
      int32_t protocol;
    } socket;
    struct { /* ACCEPT: [accept.address] addr/addrlen may be NULL */
      void* addr;         /* struct sockaddr*, native layout, out */
      uint32_t* addrlen;  /* in: size of addr; out: size of the address */
    } accept;
    struct { /* CONNECT */
      const void* addr;   /* struct sockaddr*, native layout */
      uint32_t addrlen;
    } connect;
    struct { /* SEND, RECV: native MSG_* flags */
      void* buf;
      uint64_t len;
      int32_t flags;
    } sr;
    struct { /* SENDMSG, RECVMSG: native MSG_* flags */
      lio_msghdr* msg;
      int32_t flags;
    } msg;
    struct { /* SHUTDOWN: 0 read side, 1 write side, 2 both */
      int32_t how;
    } shutdown;
    struct { /* TIMEOUT */
      int64_t ns; /* duration, or deadline with LIO_TIMEOUT_ABSOLUTE */
    } timeout;
    struct { /* POLL */
      uint32_t events; /* LIO_POLL_IN | LIO_POLL_OUT */
    } poll;
    uint64_t reserved[4];
  } u;
} lio_op;

/* One completion. Layout frozen for ABI major 1 (see top).
 * [completion.id] `id` is the caller's token given to push, all 64 bits of
 * it; no completion carries an id that is not in flight.
 * [completion.result_matches_id] `result` is the result of the op pushed
 * under that id, whatever else completes in the same wait. */
typedef struct lio_completion {
  uint64_t id;     /* the caller's token given to push */
  int64_t result;  /* see lio_op */
  uint32_t flags;  /* [completion.flags_zero] reserved, 0 */
  uint32_t reserved;
} lio_completion;

/* ------------------------------------------------------------------------
 * Backends
 * ---------------------------------------------------------------------- */

/* The opaque instance a backend creates; each plugin defines it. */
typedef struct lio_backend lio_backend;

typedef struct lio_backend_vtable lio_backend_vtable;

/* What the host offers a backend (for backends that wrap others). */
typedef struct lio_host {
  uint32_t struct_size;
  uint32_t abi_version;
  void* context;
  /* The registered backend called `name`, or NULL. The vtable stays valid
   * while the host lives. */
  const lio_backend_vtable* (*find_backend)(void* context, const char* name);
} lio_host;

/* Passed to create.
 * [create.config_read] The backend reads the config up to its struct_size,
 * which must reach `capacity` (else -LIO_EINVAL); the fields it lacks are
 * zero/NULL, and nothing past struct_size is read. Another ABI major, or a
 * NULL config, is -LIO_EINVAL.
 * [create.capacity_zero] capacity 0 is -LIO_EINVAL. */
typedef struct lio_backend_config {
  uint32_t struct_size;
  uint32_t abi_version;
  /* [capacity.in_flight] Operations in flight at once (pushed and not yet
   * returned by wait): this many can be.
   * [create.preallocated] Everything the submit/complete path needs is
   * allocated for this many in create; push answers "full" past it
   * ([push.full]). */
  uint32_t capacity;
  /* Promises and hints of the caller; none are defined in 1.0.
   * [create.flags_ignored] A backend ignores bits it does not know (a later
   * minor version may add them). */
  uint32_t flags;
  /* [create.options] Backend-specific settings "key=value,key=value" (e.g.
   * "workers=4"), or NULL or "" (none). Unknown keys, and text that is not
   * key=value, are an error (-LIO_EINVAL) so typos are caught. */
  const char* options;
  const lio_host* host; /* [create.host_optional] may be NULL */
} lio_backend_config;

/* [register.name] A backend name is 1 to LIO_BACKEND_NAME_MAX bytes of
 * a-z, 0-9, '_', '-' and ':', begins with a letter or a digit, and is not
 * "auto" (which means "choose"). A ':' separates a wrapper from what it wraps
 * ("chaos:io_uring"); the part before the first ':' names the plugin file
 * (liblio_chaos.so). The host refuses any other name with -LIO_EINVAL; this
 * function is the rule, used by the host, the plugin kit and the suite. */
#define LIO_BACKEND_NAME_MAX 64
static inline int lio_backend_name_valid(const char* name) {
  size_t n = 0;
  if (name == NULL) return 0;
  for (; name[n] != '\0'; ++n) {
    char c = name[n];
    int letter_or_digit = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (n >= LIO_BACKEND_NAME_MAX) return 0;
    if (n == 0 && !letter_or_digit) return 0;
    if (!letter_or_digit && c != '_' && c != '-' && c != ':') return 0;
  }
  if (n == 0) return 0;
  return !(n == 4 && name[0] == 'a' && name[1] == 'u' && name[2] == 't' && name[3] == 'o');
}

struct lio_backend_vtable {
  uint32_t struct_size;  /* sizeof(lio_backend_vtable) as the plugin saw it */
  uint32_t abi_version;  /* LIO_ABI_VERSION the plugin was built with */
  const char* name;        /* unique among loaded backends; [register.name] */
  const char* description; /* [register.description] one non-empty line for `lio backends` */
  uint64_t capabilities;   /* LIO_CAP(...) bits */
  /* [register.priority] Rank for "auto": the highest-priority backend whose
   * probe passes wins. */
  int32_t priority;
  uint32_t reserved;

  /* Can this backend run here? 0 yes; [probe.explains] otherwise a negative
   * error, and a sentence in `why` (NUL-terminated, truncated to why_size)
   * that tells the user the reason: kernel too old, disabled by sysctl,
   * blocked by seccomp, wrong OS. Called before create;
   * [probe.no_side_effects] may be called often; no side effects: it answers
   * the same every time. Writing past why_size is caught by the host and the
   * backend refused. */
  int (*probe)(char* why, size_t why_size);

  /* init(cap): make an instance [create.owner_thread] owned by the calling
   * thread. [create.out_untouched] 0 and *out set, or a negative error and
   * *out untouched; [create.errors] the error is -LIO_EINVAL for a bad
   * config, -LIO_ENOMEM, or the error that made the OS mechanism unusable. */
  int (*create)(const lio_backend_config* config, lio_backend** out);

  /* [destroy.releases_everything] Release everything create made (handles,
   * threads, memory). [destroy.in_flight] Operations still in flight are
   * cancelled and waited for, so no buffer is touched after destroy returns;
   * their completions are not delivered. */
  void (*destroy)(lio_backend* b);

  /* Queue one operation, [push.no_syscall] no system call. 0 queued, or,
   * [push.order] checked in this
   * order (the first that applies is the answer):
   *   -LIO_EINVAL  [push.malformed] a struct_size too small to reach `u`,
   *                another ABI major, or a code >= LIO_OP_COUNT.
   *   -LIO_EOPNOTSUPP  [push.undeclared] the code is not in the capability
   *                mask, whatever the rest of the op holds.
   *                [push.declared_implemented] A declared code is never
   *                refused this way, and never completes with
   *                -LIO_ENOSYS / -LIO_EOPNOTSUPP for being unsupported.
   *   -LIO_EINVAL  [push.undefined_flags] flag bits the code does not define (in
   *                `flags`, or openat's LIO_OPEN_* flags).
   *   -LIO_EAGAIN  [push.full] full: `capacity` operations are in
   *                flight (flush and wait, then push again); nothing was
   *                queued. [push.full_first] Full is answered before a
   *                duplicate id.
   *   -LIO_EEXIST  [push.duplicate] `id` is already in flight (ids must be
   *                unique while in flight; an id is free again once wait
   *                returned its completion).
   * [push.minor_versions] An op of another minor version (shorter or
   * longer) is read up to its struct_size; fields it lacks are zero.
   * [push.op_errors_complete] Errors of the operation itself (bad handle,
   * ...) are never returned here: they arrive as the op's completion. */
  int (*push)(lio_backend* b, uint64_t id, const lio_op* op);

  /* Hand every queued operation to the OS [flush.one_syscall] in one system
   * call (none if nothing is queued). [flush.count] Returns exactly how many
   * were handed over (0 when nothing was queued), or a negative error. */
  int (*flush)(lio_backend* b);

  /* Reap completions. [wait.forever_blocks] timeout_ns < 0: block until at
   * least one completion (or a wake); [wait.zero_does_not_block] 0: do not
   * block (return what is ready now); [wait.duration] > 0: wait up to that
   * long, returning as soon as a completion arrives. Returns the number of
   * completions in *out (0 on timeout or wake) or a negative error.
   * [wait.array_lifetime] The array belongs to the backend and stays valid
   * until the next wait or push. [wait.exactly_once] Each pushed op appears
   * exactly once, ever. [wait.flushes] wait also flushes anything pushed and
   * not yet flushed. */
  int (*wait)(lio_backend* b, int64_t timeout_ns, const lio_completion** out);

  /* Ask the in-flight op `id` to stop. [cancel.completes_once] 0: asked (it
   * still completes exactly once, promptly: -LIO_ECANCELED, or its real
   * result if it won the race), and no other op is touched.
   * [cancel.enoent] -LIO_ENOENT: no op with that id is in flight (never
   * pushed, or already returned by wait). [cancel.twice] Cancelling again
   * before wait returned the op answers 0 and changes nothing. */
  int (*cancel)(lio_backend* b, uint64_t id);

  /* [wake.thread_safe] The one thread-safe call: make a blocked
   * [wake.before_wait] (or the next) wait return, possibly with no
   * completions. [wake.one_ends_one] One wake ends one wait: wakes that pile
   * up before a wait may be merged, and the wait after that one blocks as
   * usual. 0 or a negative error. */
  int (*wake)(lio_backend* b);
};

/* ------------------------------------------------------------------------
 * Registration
 * ---------------------------------------------------------------------- */
typedef struct lio_registrar {
  uint32_t struct_size;
  uint32_t abi_version; /* the host's LIO_ABI_VERSION */
  void* context;
  /* Register one backend. [register.vtable_lifetime] The vtable (and the
   * strings it points to) must live as long as the plugin stays loaded.
   * [register.host_answers] 0 or a negative error: -LIO_EINVAL malformed
   * vtable, -LIO_EEXIST name taken. Valid only while lio_plugin_register
   * runs: a later call (through this struct or a copy) registers nothing and
   * answers -LIO_EINVAL. */
  int (*register_backend)(void* context, const lio_backend_vtable* vtable);
  const lio_host* host;
} lio_registrar;

/* The exported entry point: [register.returns] register every backend of the
 * plugin and return 0, or return a negative error (the host then unloads the
 * plugin). [register.vtable_major] The vtable's ABI major is the host's: the
 * host refuses one whose major differs from its own, naming both versions.
 * [register.registrar_checked] The plugin reads nothing of the registrar past
 * its struct_size, and refuses — returning -LIO_EINVAL without registering
 * anything — a registrar that is NULL, too short to hold register_backend,
 * of another ABI major, or whose register_backend is NULL. */
typedef int (*lio_plugin_register_fn)(const lio_registrar* registrar);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LIO_CORE_PLUGIN_ABI_H_ */
