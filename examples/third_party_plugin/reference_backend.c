/*
 * reference: an out-of-tree lio backend plugin, in plain C.
 *
 * It includes nothing of lio but plugin_abi.h and builds with one compiler
 * command (see README.md). It is the simplest honest backend: no threads and
 * no kernel queue. flush performs the queued operations with ordinary
 * blocking system calls and keeps their results; wait hands them out, and
 * sleeps in poll(2) for timers and for wake. Because it blocks, it declares
 * only operations that finish on their own: file I/O, openat/close, nop and
 * timeout (not sockets, whose recv could block forever).
 *
 * Capacity and unique ids are kept with a linear scan: fine for a reference,
 * not for speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "plugin_abi.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_TIMER, SLOT_DONE };

struct slot {
  enum slot_state state;
  uint64_t id;
  lio_op op;
  int64_t deadline_ns; /* timers */
  int64_t result;      /* done */
};

struct lio_backend {
  uint32_t capacity;
  struct slot* slots;
  lio_completion* batch;
  int wake_pipe[2]; /* wake() writes a byte; wait() polls the read end */
};

static const uint64_t kCapabilities =
    LIO_CAP(LIO_OP_NOP) | LIO_CAP(LIO_OP_READ) | LIO_CAP(LIO_OP_WRITE) | LIO_CAP(LIO_OP_READV) |
    LIO_CAP(LIO_OP_WRITEV) | LIO_CAP(LIO_OP_FSYNC) | LIO_CAP(LIO_OP_OPENAT) | LIO_CAP(LIO_OP_CLOSE) |
    LIO_CAP(LIO_OP_TIMEOUT);

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* now + ns, saturating: a timeout of centuries must not wrap to the past. */
static int64_t deadline_after(int64_t ns) {
  int64_t now = now_ns();
  if (ns < 0) ns = 0;
  return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}

/* [handles.out_of_range]: a handle that is not an int is no open fd; -1 makes
 * the call fail with EBADF instead of acting on a truncated number. */
static int to_fd(lio_handle handle) { return handle < 0 || handle > INT_MAX ? -1 : (int)handle; }

static int64_t result_of(ssize_t rc) { return rc < 0 ? -(int64_t)errno : (int64_t)rc; }

static int open_flags(uint32_t f) {
  int flags = O_CLOEXEC;
  switch (f & LIO_OPEN_ACCMODE) {
    case LIO_OPEN_WRONLY: flags |= O_WRONLY; break;
    case LIO_OPEN_RDWR: flags |= O_RDWR; break;
    default: flags |= O_RDONLY; break;
  }
  if (f & LIO_OPEN_CREATE) flags |= O_CREAT;
  if (f & LIO_OPEN_EXCL) flags |= O_EXCL;
  if (f & LIO_OPEN_TRUNC) flags |= O_TRUNC;
  if (f & LIO_OPEN_APPEND) flags |= O_APPEND;
  if (f & LIO_OPEN_DIRECT) flags |= O_DIRECT;
  if (f & LIO_OPEN_DIRECTORY) flags |= O_DIRECTORY;
  return flags;
}

/* The blocking system call an op stands for; its result as the contract
 * wants it (bytes / handle / 0, or -errno). */
static int64_t perform(const lio_op* op) {
  int fd = to_fd(op->handle);
  switch (op->code) {
    case LIO_OP_NOP:
      return 0;
    case LIO_OP_READ:
      return result_of(op->u.rw.offset == LIO_OFFSET_CURRENT
                           ? read(fd, op->u.rw.buf, op->u.rw.len)
                           : pread(fd, op->u.rw.buf, op->u.rw.len, op->u.rw.offset));
    case LIO_OP_WRITE:
      return result_of(op->u.rw.offset == LIO_OFFSET_CURRENT
                           ? write(fd, op->u.rw.buf, op->u.rw.len)
                           : pwrite(fd, op->u.rw.buf, op->u.rw.len, op->u.rw.offset));
    case LIO_OP_READV: {
      const struct iovec* iov = (const struct iovec*)op->u.rwv.iov;
      int n = (int)op->u.rwv.iovcnt;
      return result_of(op->u.rwv.offset == LIO_OFFSET_CURRENT ? readv(fd, iov, n)
                                                              : preadv(fd, iov, n, op->u.rwv.offset));
    }
    case LIO_OP_WRITEV: {
      const struct iovec* iov = (const struct iovec*)op->u.rwv.iov;
      int n = (int)op->u.rwv.iovcnt;
      return result_of(op->u.rwv.offset == LIO_OFFSET_CURRENT ? writev(fd, iov, n)
                                                              : pwritev(fd, iov, n, op->u.rwv.offset));
    }
    case LIO_OP_FSYNC:
      return result_of((op->flags & LIO_FSYNC_DATASYNC) ? fdatasync(fd) : fsync(fd));
    case LIO_OP_OPENAT: {
      if (op->u.open.path == NULL) return -LIO_EFAULT; /* libc declares it non-null; the kernel says EFAULT */
      int dir = op->handle == LIO_AT_FDCWD ? AT_FDCWD : fd;
      return result_of(openat(dir, op->u.open.path, open_flags(op->u.open.flags), (mode_t)op->u.open.mode));
    }
    case LIO_OP_CLOSE:
      return result_of(close(fd));
    default:
      return -LIO_EOPNOTSUPP;
  }
}

static struct slot* find(lio_backend* b, uint64_t id) {
  for (uint32_t i = 0; i < b->capacity; ++i) {
    if (b->slots[i].state != SLOT_FREE && b->slots[i].id == id) return &b->slots[i];
  }
  return NULL;
}

static int reference_probe(char* why, size_t why_size) {
  (void)why;
  (void)why_size;
  return 0; /* plain system calls work everywhere this builds */
}

/* The bytes of a struct up to and including `member`: how a reader checks
 * that a struct from another minor version holds the field before reading it. */
#define SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(((type*)0)->member))

/* [create.config_read]: read nothing past struct_size; it must reach
 * `capacity`; missing fields (options, host) are NULL. */
static int reference_create(const lio_backend_config* config, lio_backend** out) {
  if (config == NULL || out == NULL || config->struct_size < SIZE_THROUGH(lio_backend_config, capacity)) {
    return -LIO_EINVAL;
  }
  if (LIO_ABI_MAJOR(config->abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  if (config->capacity == 0) return -LIO_EINVAL; /* [create.capacity_zero] */
  const char* options = config->struct_size >= SIZE_THROUGH(lio_backend_config, options) ? config->options : NULL;
  if (options != NULL && options[0] != '\0') return -LIO_EINVAL; /* no options */
  lio_backend* b = calloc(1, sizeof *b);
  if (b == NULL) return -LIO_ENOMEM;
  b->capacity = config->capacity;
  b->slots = calloc(config->capacity, sizeof *b->slots);
  b->batch = calloc(config->capacity, sizeof *b->batch);
  if (b->slots == NULL || b->batch == NULL || pipe2(b->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    free(b->slots);
    free(b->batch);
    free(b);
    return -LIO_ENOMEM;
  }
  *out = b;
  return 0;
}

static void reference_destroy(lio_backend* b) {
  close(b->wake_pipe[0]);
  close(b->wake_pipe[1]);
  free(b->slots);
  free(b->batch);
  free(b);
}

/* The lio_op.flags bits each code defines; any other bit is malformed. */
static uint32_t known_op_flags(uint32_t code) {
  if (code == LIO_OP_FSYNC) return LIO_FSYNC_DATASYNC;
  if (code == LIO_OP_TIMEOUT) return LIO_TIMEOUT_ABSOLUTE;
  return 0;
}

static const uint32_t kKnownOpenFlags = LIO_OPEN_ACCMODE | LIO_OPEN_CREATE | LIO_OPEN_EXCL | LIO_OPEN_TRUNC |
                                        LIO_OPEN_APPEND | LIO_OPEN_DIRECT | LIO_OPEN_DIRECTORY;

/* [push.minor_versions], [push.malformed], [push.undeclared],
 * [push.undefined_flags]: an op from another minor version is read up to its
 * own struct_size (it must reach the union; the fields it lacks are zero),
 * then checked in the header's order. */
static int read_op(const lio_op* in, lio_op* out) {
  if (in == NULL || in->struct_size < offsetof(lio_op, u)) return -LIO_EINVAL;
  size_t n = in->struct_size < sizeof *out ? in->struct_size : sizeof *out;
  memset(out, 0, sizeof *out);
  memcpy(out, in, n);
  if (LIO_ABI_MAJOR(out->abi_version) != LIO_ABI_VERSION_MAJOR || out->code >= LIO_OP_COUNT) return -LIO_EINVAL;
  if (!(kCapabilities & LIO_CAP(out->code))) return -LIO_EOPNOTSUPP;
#ifdef LIO_OPF_LINK
  /* [push.undeclared_feature] (ABI 1.1): this backend declares no feature,
   * so a flag that needs one is not supported, rather than malformed. */
  if (out->flags & (LIO_OPF_LINK | LIO_OPF_FIXED_FILE)) return -LIO_EOPNOTSUPP;
#endif
  if (out->flags & ~known_op_flags(out->code)) return -LIO_EINVAL;
  if (out->code == LIO_OP_OPENAT && (out->u.open.flags & ~kKnownOpenFlags)) return -LIO_EINVAL;
  return 0;
}

static struct slot* free_slot(lio_backend* b) {
  for (uint32_t i = 0; i < b->capacity; ++i) {
    if (b->slots[i].state == SLOT_FREE) return &b->slots[i];
  }
  return NULL;
}

static int reference_push(lio_backend* b, uint64_t id, const lio_op* given) {
  lio_op op;
  int error = read_op(given, &op);
  if (error != 0) return error;
  struct slot* s = free_slot(b);
  if (s == NULL) return -LIO_EAGAIN; /* [push.full_first]: full is answered before a duplicate id */
  if (find(b, id) != NULL) return -LIO_EEXIST;
  s->id = id;
  s->op = op;
  if (op.code == LIO_OP_TIMEOUT) {
    s->state = SLOT_TIMER;
    s->deadline_ns = (op.flags & LIO_TIMEOUT_ABSOLUTE) ? op.u.timeout.ns : deadline_after(op.u.timeout.ns);
  } else {
    s->state = SLOT_QUEUED;
  }
  return 0;
}

static int reference_flush(lio_backend* b) {
  int handed = 0;
  for (uint32_t i = 0; i < b->capacity; ++i) {
    struct slot* s = &b->slots[i];
    if (s->state != SLOT_QUEUED) continue;
    s->result = perform(&s->op);
    s->state = SLOT_DONE;
    ++handed;
  }
  return handed;
}

/* Moves finished ops and expired timers into the batch; returns how many,
 * and the nearest pending deadline in *next_deadline (INT64_MAX: none). */
static int collect(lio_backend* b, int64_t* next_deadline) {
  int n = 0;
  int64_t now = now_ns();
  *next_deadline = INT64_MAX;
  for (uint32_t i = 0; i < b->capacity; ++i) {
    struct slot* s = &b->slots[i];
    if (s->state == SLOT_TIMER) {
      if (s->deadline_ns > now) {
        if (s->deadline_ns < *next_deadline) *next_deadline = s->deadline_ns;
        continue;
      }
      s->result = -LIO_ETIME;
      s->state = SLOT_DONE;
    }
    if (s->state != SLOT_DONE) continue;
    b->batch[n].id = s->id;
    b->batch[n].result = s->result;
    b->batch[n].flags = 0;
    b->batch[n].reserved = 0;
    ++n;
    s->state = SLOT_FREE;
  }
  return n;
}

static void drain_wake_pipe(lio_backend* b) {
  char buf[64];
  while (read(b->wake_pipe[0], buf, sizeof buf) > 0) {
  }
}

static int reference_wait(lio_backend* b, int64_t timeout_ns, const lio_completion** out) {
  if (out == NULL) return -LIO_EINVAL;
  reference_flush(b);
  *out = b->batch;
  int64_t give_up = timeout_ns < 0 ? INT64_MAX : deadline_after(timeout_ns);
  for (;;) {
    int64_t next_deadline;
    int n = collect(b, &next_deadline);
    if (n > 0 || timeout_ns == 0) return n;
    int64_t until = next_deadline < give_up ? next_deadline : give_up;
    int64_t now = now_ns();
    if (until != INT64_MAX && until <= now) {
      if (until == give_up) return 0;
      continue;
    }
    /* Round up to whole milliseconds so a timer is never woken early. */
    int ms = until == INT64_MAX ? -1 : (int)((until - now + 999999) / 1000000);
    struct pollfd pfd = {b->wake_pipe[0], POLLIN, 0};
    int rc = poll(&pfd, 1, ms);
    if (rc < 0 && errno != EINTR) return -errno;
    if (rc > 0) {
      drain_wake_pipe(b);
      return collect(b, &next_deadline);
    }
  }
}

static int reference_cancel(lio_backend* b, uint64_t id) {
  struct slot* s = find(b, id);
  if (s == NULL) return -LIO_ENOENT;
  if (s->state == SLOT_QUEUED || s->state == SLOT_TIMER) {
    s->result = -LIO_ECANCELED;
    s->state = SLOT_DONE;
  }
  return 0; /* already done: it completes with its real result */
}

static int reference_wake(lio_backend* b) {
  char byte = 1;
  ssize_t rc = write(b->wake_pipe[1], &byte, 1);
  return (rc == 1 || errno == EAGAIN) ? 0 : -errno; /* a full pipe is already awake */
}

/* Designated initializers: a later minor version of the ABI appends members
 * to the vtable, and they stay zero (NULL) here — what a plugin that does
 * not offer them declares. */
static const lio_backend_vtable kReferenceBackend = {
    .struct_size = sizeof(lio_backend_vtable),
    .abi_version = LIO_ABI_VERSION,
    .name = "reference",
    .description = "out-of-tree example: blocking system calls, no threads (file I/O, nop, timeout)",
    .capabilities = kCapabilities,
    .priority = 1, /* below every real backend, so "auto" never picks it */
    .reserved = 0,
    .probe = reference_probe,
    .create = reference_create,
    .destroy = reference_destroy,
    .push = reference_push,
    .flush = reference_flush,
    .wait = reference_wait,
    .cancel = reference_cancel,
    .wake = reference_wake,
};

/* [register.registrar_checked]: nothing is read past struct_size. */
LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  if (registrar == NULL || registrar->struct_size < SIZE_THROUGH(lio_registrar, register_backend)) return -LIO_EINVAL;
  if (LIO_ABI_MAJOR(registrar->abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  if (registrar->register_backend == NULL) return -LIO_EINVAL;
  return registrar->register_backend(registrar->context, &kReferenceBackend);
}
