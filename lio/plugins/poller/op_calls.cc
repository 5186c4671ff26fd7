// The poller's per-operation calls: each op's non-blocking attempt, its
// blocking form for the worker pool, and the inline fast paths for files
// (cached reads, openat2 RESOLVE_CACHED, close where it cannot block).
// (Over 500 lines: one function per op and per path, each short; split by op
// family they would share every helper through a header.)
#include "lio/plugins/poller/op_calls.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>

#include "lio/plugins/common/boundary.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/fs_calls.h"
#include "lio/plugins/poller/errno_map.h"
#include "lio/plugins/poller/nonblocking_scope.h"

namespace lio::poller {
namespace {

// lio_iovec is documented to have struct iovec's layout; the casts rely on it.
static_assert(sizeof(lio_iovec) == sizeof(iovec));
static_assert(offsetof(lio_iovec, base) == offsetof(iovec, iov_base));
static_assert(offsetof(lio_iovec, len) == offsetof(iovec, iov_len));
static_assert(sizeof(socklen_t) == sizeof(uint32_t));
static_assert(LIO_POLL_IN == POLLIN && LIO_POLL_OUT == POLLOUT && LIO_POLL_ERR == POLLERR &&
              LIO_POLL_HUP == POLLHUP);

// Continuation rounds of a partial transfer pass at most this many iovecs.
constexpr int kIovWindow = 64;

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// Repeats a call interrupted by a signal before it did anything.
template <class Call>
auto retry_on_eintr(Call&& call) {
  for (;;) {
    auto r = call();
    if (r >= 0 || errno != EINTR) return r;
  }
}

const iovec* to_iovec(const lio_iovec* iov) { return reinterpret_cast<const iovec*>(iov); }
iovec* mutable_iovec(const lio_iovec* iov) { return const_cast<iovec*>(to_iovec(iov)); }

size_t clamp_len(uint64_t len) { return static_cast<size_t>(std::min(len, kMaxTransfer)); }

uint64_t iov_total(const iovec* iov, size_t iovcnt) {
  uint64_t total = 0;
  for (size_t i = 0; i < iovcnt && total < kMaxTransfer; ++i) total += iov[i].iov_len;
  return std::min(total, kMaxTransfer);
}

// The bytes of `iov` after the first `skip`, at most `budget` of them, as up
// to kIovWindow entries of `window`. Returns the entry count.
int iov_window(const iovec* iov, size_t iovcnt, uint64_t skip, uint64_t budget, iovec* window) {
  int n = 0;
  for (size_t i = 0; i < iovcnt && n < kIovWindow && budget > 0; ++i) {
    uint64_t len = iov[i].iov_len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    uint64_t take = std::min(len - skip, budget);
    window[n++] = iovec{static_cast<char*>(iov[i].iov_base) + skip, static_cast<size_t>(take)};
    budget -= take;
    skip = 0;
  }
  return n;
}

// The error of a failed round: kWouldBlock to wait, else the bytes already
// moved (the kernel reports those rather than a later error), else -errno.
int64_t failed_round(const Progress& progress) {
  if (would_block(errno)) return kWouldBlock;
  if (progress.transferred > 0) return static_cast<int64_t>(progress.transferred);
  return last_lio_error();
}

// Writes every byte of iov[0..iovcnt), as a blocking write does, across as
// many rounds as readiness takes. call(iov, count, first) makes one system
// call; `first` is true until some bytes went out (sendmsg passes its
// address and ancillary data only then).
template <class Call>
int64_t write_fully(const iovec* iov, size_t iovcnt, Progress& progress, Call&& call) {
  for (;;) {
    ssize_t n;
    if (progress.transferred == 0) {
      n = call(iov, iovcnt, true);
    } else {
      iovec window[kIovWindow];
      int count = iov_window(iov, iovcnt, progress.transferred, progress.total - progress.transferred, window);
      n = call(window, static_cast<size_t>(count), false);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed_round(progress);
    }
    if (progress.transferred == 0) progress.total = iov_total(iov, iovcnt);
    progress.transferred += static_cast<uint64_t>(n);
    if (n == 0 || progress.transferred >= progress.total) return static_cast<int64_t>(progress.transferred);
  }
}

// Reads once, or — `wait_all`, MSG_WAITALL on a stream socket — until the
// buffers are full or the peer stopped sending.
template <class Call>
int64_t read_some(const iovec* iov, size_t iovcnt, bool wait_all, Progress& progress, Call&& call) {
  for (;;) {
    ssize_t n;
    if (progress.transferred == 0) {
      n = call(iov, iovcnt, true);
    } else {
      iovec window[kIovWindow];
      int count = iov_window(iov, iovcnt, progress.transferred, progress.total - progress.transferred, window);
      n = call(window, static_cast<size_t>(count), false);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed_round(progress);
    }
    if (!wait_all) return n;
    if (progress.transferred == 0) progress.total = iov_total(iov, iovcnt);
    progress.transferred += static_cast<uint64_t>(n);
    if (n == 0 || progress.transferred >= progress.total) return static_cast<int64_t>(progress.transferred);
  }
}

// MSG_WAITALL is honoured by the kernel on stream sockets only.
bool waits_for_all(int fd, int flags, Progress& progress) {
  if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK)) return false;
  if (progress.stream < 0) progress.stream = is_stream_socket(fd) ? 1 : 0;
  return progress.stream == 1;
}

msghdr data_only_message(const iovec* iov, size_t iovcnt) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iovcnt;
  return msg;
}

int64_t send_buffer(int fd, const void* buf, uint64_t len, int flags, Progress& progress) {
  iovec whole{const_cast<void*>(buf), clamp_len(len)};
  return write_fully(&whole, 1, progress, [&](const iovec* iov, size_t, bool) {
    return send(fd, iov[0].iov_base, iov[0].iov_len, flags | MSG_DONTWAIT);
  });
}

int64_t recv_buffer(int fd, void* buf, uint64_t len, int flags, Progress& progress) {
  iovec whole{buf, clamp_len(len)};
  bool wait_all = waits_for_all(fd, flags, progress);
  return read_some(&whole, 1, wait_all, progress, [&](const iovec* iov, size_t, bool) {
    return recv(fd, iov[0].iov_base, iov[0].iov_len, flags | MSG_DONTWAIT);
  });
}

// sendmsg; `message` may be null (data-only writev on a socket).
int64_t send_message(int fd, const lio_msghdr* message, const iovec* iov, size_t iovcnt, int flags,
                     Progress& progress) {
  return write_fully(iov, iovcnt, progress, [&](const iovec* part, size_t count, bool first) {
    msghdr msg = data_only_message(part, count);
    if (first && message != nullptr) {  // address and ancillary data go with the first bytes only
      msg.msg_name = message->name;
      msg.msg_namelen = message->namelen;
      msg.msg_control = message->control;
      msg.msg_controllen = static_cast<size_t>(message->controllen);
    }
    return sendmsg(fd, &msg, flags | MSG_DONTWAIT);
  });
}

// recvmsg; `message` (may be null: data-only readv on a socket) gets
// namelen, controllen and flags back.
int64_t recv_message(int fd, lio_msghdr* message, const iovec* iov, size_t iovcnt, int flags, Progress& progress) {
  bool wait_all = waits_for_all(fd, flags, progress);
  return read_some(iov, iovcnt, wait_all, progress, [&](const iovec* part, size_t count, bool first) {
    msghdr msg = data_only_message(part, count);
    if (first && message != nullptr) {
      msg.msg_name = message->name;
      msg.msg_namelen = message->namelen;
      msg.msg_control = message->control;
      msg.msg_controllen = static_cast<size_t>(message->controllen);
    }
    ssize_t n = recvmsg(fd, &msg, flags | MSG_DONTWAIT);
    if (n >= 0 && message != nullptr) {
      if (first) {
        message->namelen = msg.msg_namelen;
        message->controllen = msg.msg_controllen;
        message->flags = msg.msg_flags;
      } else {
        message->flags |= msg.msg_flags;
      }
    }
    return n;
  });
}

int64_t read_pollable(int fd, const iovec* iov, size_t iovcnt) {
  NonblockingScope nonblocking(fd);
  if (nonblocking.error() != 0) return nonblocking.error();
  Progress single_round;
  return read_some(iov, iovcnt, false, single_round, [&](const iovec* part, size_t count, bool) {
    return readv(fd, part, static_cast<int>(count));
  });
}

int64_t write_pollable(int fd, const iovec* iov, size_t iovcnt, Progress& progress) {
  NonblockingScope nonblocking(fd);
  if (nonblocking.error() != 0) return nonblocking.error();
  return write_fully(iov, iovcnt, progress, [&](const iovec* part, size_t count, bool) {
    return writev(fd, part, static_cast<int>(count));
  });
}

int64_t attempt_accept(int fd, const lio_op& op) {
  NonblockingScope nonblocking(fd);
  if (nonblocking.error() != 0) return nonblocking.error();
  auto* addr = static_cast<sockaddr*>(op.u.accept.addr);
  auto* addrlen = reinterpret_cast<socklen_t*>(op.u.accept.addrlen);
#if defined(__APPLE__)
  // No accept4; the new socket inherits O_NONBLOCK from the listener there.
  int client = retry_on_eintr([&] { return accept(fd, addr, addrlen); });
  if (client >= 0) {
    fcntl(client, F_SETFD, FD_CLOEXEC);
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) & ~O_NONBLOCK);
  }
#else
  int client = retry_on_eintr([&] { return accept4(fd, addr, addrlen, SOCK_CLOEXEC); });
#endif
  if (client >= 0) return client;
  return would_block(errno) ? kWouldBlock : last_lio_error();
}

int64_t finish_connect(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) return last_lio_error();
  return error == 0 ? 0 : lio_error(error);
}

int64_t attempt_connect(int fd, const lio_op& op, Progress& progress) {
  if (progress.connecting) return finish_connect(fd);
  NonblockingScope nonblocking(fd);
  if (nonblocking.error() != 0) return nonblocking.error();
  if (connect(fd, static_cast<const sockaddr*>(op.u.connect.addr), op.u.connect.addrlen) == 0) return 0;
  // EINTR: the connection goes on in the background, like EINPROGRESS.
  if (errno == EINPROGRESS || errno == EINTR) {
    progress.connecting = true;
    return kWouldBlock;
  }
  // EAGAIN: an AF_UNIX listener's backlog is full; connect again when writable.
  return would_block(errno) ? kWouldBlock : last_lio_error();
}

int64_t attempt_poll(int fd, uint32_t events) {
  pollfd p{fd, static_cast<short>(events), 0};
  int n = retry_on_eintr([&] { return poll(&p, 1, 0); });
  if (n < 0) return last_lio_error();
  if (n == 0) return kWouldBlock;
  if (p.revents & POLLNVAL) return -LIO_EBADF;
  return static_cast<uint16_t>(p.revents);
}

int open_flags(uint32_t lio_flags) {
  int flags = O_CLOEXEC;
  switch (lio_flags & LIO_OPEN_ACCMODE) {
    case LIO_OPEN_RDONLY: flags |= O_RDONLY; break;
    case LIO_OPEN_WRONLY: flags |= O_WRONLY; break;
    case LIO_OPEN_RDWR: flags |= O_RDWR; break;
    default: flags |= O_ACCMODE; break;  // open(2) answers EINVAL for it, as it would be asked
  }
  if (lio_flags & LIO_OPEN_CREATE) flags |= O_CREAT;
  if (lio_flags & LIO_OPEN_EXCL) flags |= O_EXCL;
  if (lio_flags & LIO_OPEN_TRUNC) flags |= O_TRUNC;
  if (lio_flags & LIO_OPEN_APPEND) flags |= O_APPEND;
#ifdef O_DIRECT
  if (lio_flags & LIO_OPEN_DIRECT) flags |= O_DIRECT;
#endif
  if (lio_flags & LIO_OPEN_DIRECTORY) flags |= O_DIRECTORY;
  return flags;
}

int64_t open_at(const lio_op& op) {
  // libc declares the path non-null; the system call answers EFAULT.
  if (op.u.open.path == nullptr) return -LIO_EFAULT;
  int dir = plugin::to_dir_fd(op.handle);
  int fd = retry_on_eintr([&] { return openat(dir, op.u.open.path, open_flags(op.u.open.flags), op.u.open.mode); });
  if (fd < 0) return last_lio_error();
#if defined(__APPLE__)
  if (op.u.open.flags & LIO_OPEN_DIRECT) fcntl(fd, F_NOCACHE, 1);  // macOS has no O_DIRECT
#endif
  return fd;
}

int64_t sync_file(int fd, bool data_only) {
#if defined(__APPLE__)
  (void)data_only;  // macOS has no fdatasync(2)
  return fsync(fd) == 0 ? 0 : last_lio_error();
#else
  return (data_only ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : last_lio_error();
#endif
}

#if defined(RWF_NOWAIT)
// Bytes a READ/READV asks for; false when the worker should judge the op
// (too many iovecs: the blocking call's EINVAL is the worker's to give).
bool requested_bytes(const lio_op& op, uint64_t* total) {
  if (op.code == LIO_OP_READ) {
    *total = clamp_len(op.u.rw.len);
    return true;
  }
  if (op.u.rwv.iovcnt > IOV_MAX || (op.u.rwv.iovcnt > 0 && op.u.rwv.iov == nullptr)) return false;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < op.u.rwv.iovcnt; ++i) sum += op.u.rwv.iov[i].len;
  *total = sum;
  return true;
}
#endif

// read/write/readv/writev at an offset, or at the file position when -1.
int64_t transfer_blocking(const lio_op& op, int fd) {
  ssize_t n = -1;
  switch (op.code) {
    case LIO_OP_READ: {
      size_t len = clamp_len(op.u.rw.len);
      n = op.u.rw.offset == LIO_OFFSET_CURRENT ? read(fd, op.u.rw.buf, len)
                                                : pread(fd, op.u.rw.buf, len, op.u.rw.offset);
      break;
    }
    case LIO_OP_WRITE: {
      size_t len = clamp_len(op.u.rw.len);
      n = op.u.rw.offset == LIO_OFFSET_CURRENT ? write(fd, op.u.rw.buf, len)
                                                : pwrite(fd, op.u.rw.buf, len, op.u.rw.offset);
      break;
    }
    case LIO_OP_READV: {
      int count = static_cast<int>(std::min<uint32_t>(op.u.rwv.iovcnt, INT_MAX));
      n = op.u.rwv.offset == LIO_OFFSET_CURRENT ? readv(fd, to_iovec(op.u.rwv.iov), count)
                                                 : preadv(fd, to_iovec(op.u.rwv.iov), count, op.u.rwv.offset);
      break;
    }
    case LIO_OP_WRITEV: {
      int count = static_cast<int>(std::min<uint32_t>(op.u.rwv.iovcnt, INT_MAX));
      n = op.u.rwv.offset == LIO_OFFSET_CURRENT ? writev(fd, to_iovec(op.u.rwv.iov), count)
                                                 : pwritev(fd, to_iovec(op.u.rwv.iov), count, op.u.rwv.offset);
      break;
    }
  }
  return n >= 0 ? n : last_lio_error();
}

}  // namespace

int classify_handle(int fd, HandleKind* kind) noexcept {
  struct stat st;
  if (fstat(fd, &st) != 0) return last_lio_error();
  if (S_ISSOCK(st.st_mode)) {
    *kind = HandleKind::kSocket;
  } else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode)) {
    *kind = HandleKind::kFile;
  } else {
    *kind = HandleKind::kPollable;
  }
  return 0;
}

uint32_t wanted_events(const lio_op& op) noexcept {
  switch (op.code) {
    case LIO_OP_ACCEPT:
    case LIO_OP_ACCEPT_MULTI:
    case LIO_OP_RECV_MULTI:
    case LIO_OP_RECV:
    case LIO_OP_RECVMSG:
    case LIO_OP_READ:
    case LIO_OP_READV:
      return LIO_POLL_IN;
    case LIO_OP_CONNECT:
    case LIO_OP_SEND:
    case LIO_OP_SEND_ZC:
    case LIO_OP_SENDMSG:
    case LIO_OP_WRITE:
    case LIO_OP_WRITEV:
      return LIO_POLL_OUT;
    case LIO_OP_POLL:
      return op.u.poll.events & (LIO_POLL_IN | LIO_POLL_OUT);
    default:
      return 0;
  }
}

bool is_readiness_op(uint32_t code) noexcept {
  switch (code) {
    case LIO_OP_ACCEPT_MULTI:
    case LIO_OP_RECV_MULTI:
    case LIO_OP_SEND_ZC:
    case LIO_OP_ACCEPT:
    case LIO_OP_CONNECT:
    case LIO_OP_SEND:
    case LIO_OP_RECV:
    case LIO_OP_SENDMSG:
    case LIO_OP_RECVMSG:
    case LIO_OP_POLL:
    case LIO_OP_READ:
    case LIO_OP_WRITE:
    case LIO_OP_READV:
    case LIO_OP_WRITEV:
      return true;
    default:
      return false;
  }
}

int64_t run_inline(const lio_op& op) noexcept {
  switch (op.code) {
    case LIO_OP_NOP:
      return 0;
    case LIO_OP_SOCKET: {
#if defined(__APPLE__)
      int fd = socket(op.u.socket.domain, op.u.socket.type, op.u.socket.protocol);
      if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#else
      int fd = socket(op.u.socket.domain, op.u.socket.type | SOCK_CLOEXEC, op.u.socket.protocol);
#endif
      return fd >= 0 ? fd : last_lio_error();
    }
    case LIO_OP_SHUTDOWN:
      return shutdown(plugin::to_fd(op.handle), op.u.shutdown.how) == 0 ? 0 : last_lio_error();
    case LIO_OP_BIND:
    case LIO_OP_LISTEN:
    case LIO_OP_PIPE:
      return run_net_inline(op);
    default:
      return -LIO_EINVAL;
  }
}

bool is_stream_socket(int fd) noexcept {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

int64_t attempt(const lio_op& op, Progress& progress) noexcept {
  if (op.code == LIO_OP_WAITID) return attempt_net(op, progress);  // no handle
  int fd = plugin::to_fd(op.handle);
  if (fd < 0) return -LIO_EBADF;
  const bool on_socket = progress.kind == HandleKind::kSocket;
  switch (op.code) {
    case LIO_OP_ACCEPT:
    case LIO_OP_ACCEPT_MULTI:  // one client per round; the backend posts each
      return attempt_accept(fd, op);
    case LIO_OP_CONNECT:
      return attempt_connect(fd, op, progress);
    case LIO_OP_SEND:
    case LIO_OP_SEND_ZC:  // emulated: a copying send; the notice follows at once
      return send_buffer(fd, op.u.sr.buf, op.u.sr.len, op.u.sr.flags, progress);
    case LIO_OP_RECV:
      return recv_buffer(fd, op.u.sr.buf, op.u.sr.len, op.u.sr.flags, progress);
    case LIO_OP_SENDMSG: {
      const lio_msghdr* msg = op.u.msg.msg;
      if (msg == nullptr) return -LIO_EFAULT;
      return send_message(fd, msg, to_iovec(msg->iov), msg->iovcnt, op.u.msg.flags, progress);
    }
    case LIO_OP_RECVMSG: {
      lio_msghdr* msg = op.u.msg.msg;
      if (msg == nullptr) return -LIO_EFAULT;
      return recv_message(fd, msg, to_iovec(msg->iov), msg->iovcnt, op.u.msg.flags, progress);
    }
    case LIO_OP_READ: {
      if (on_socket) return recv_buffer(fd, op.u.rw.buf, op.u.rw.len, 0, progress);
      iovec whole{op.u.rw.buf, clamp_len(op.u.rw.len)};
      return read_pollable(fd, &whole, 1);
    }
    case LIO_OP_WRITE: {
      if (on_socket) return send_buffer(fd, op.u.rw.buf, op.u.rw.len, 0, progress);
      iovec whole{op.u.rw.buf, clamp_len(op.u.rw.len)};
      return write_pollable(fd, &whole, 1, progress);
    }
    case LIO_OP_READV:
      // recvmsg/sendmsg would say EMSGSIZE where readv/writev say EINVAL.
      if (on_socket && op.u.rwv.iovcnt > IOV_MAX) return -LIO_EINVAL;
      if (on_socket) return recv_message(fd, nullptr, to_iovec(op.u.rwv.iov), op.u.rwv.iovcnt, 0, progress);
      return read_pollable(fd, mutable_iovec(op.u.rwv.iov), op.u.rwv.iovcnt);
    case LIO_OP_WRITEV:
      if (on_socket && op.u.rwv.iovcnt > IOV_MAX) return -LIO_EINVAL;
      if (on_socket) return send_message(fd, nullptr, to_iovec(op.u.rwv.iov), op.u.rwv.iovcnt, 0, progress);
      return write_pollable(fd, to_iovec(op.u.rwv.iov), op.u.rwv.iovcnt, progress);
    case LIO_OP_POLL:
      return attempt_poll(fd, op.u.poll.events);
    case LIO_OP_TEE:
    case LIO_OP_SPLICE:
    case LIO_OP_WAITID:
      return attempt_net(op, progress);
    default:
      return -LIO_EINVAL;
  }
}

int64_t run_blocking(const lio_op& op) noexcept {
  int fd = plugin::to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_READ:
    case LIO_OP_WRITE:
    case LIO_OP_READV:
    case LIO_OP_WRITEV:
      return transfer_blocking(op, fd);
    case LIO_OP_FSYNC:
      return sync_file(fd, (op.flags & LIO_FSYNC_DATASYNC) != 0);
    case LIO_OP_OPENAT:
      return open_at(op);
    case LIO_OP_CLOSE:
      // Not retried on EINTR: the fd is gone either way (and may be reused).
      return close(fd) == 0 ? 0 : last_lio_error();
    case LIO_OP_TEE:
    case LIO_OP_SPLICE:
    case LIO_OP_WAITID:
      return run_net_blocking(op);
    default:
      // The 1.1 file-system ops: their blocking calls, shared with io_uring.
      return plugin::is_fs_call(op.code) ? plugin::run_fs_call(op) : -LIO_EINVAL;
  }
}

int64_t read_if_cached(const lio_op& op, StatusFlagsCache& status_flags) noexcept {
#if defined(RWF_NOWAIT)
  const bool vectored = op.code == LIO_OP_READV;
  if (op.code != LIO_OP_READ && !vectored) return kWouldBlock;
  const int64_t offset = vectored ? op.u.rwv.offset : op.u.rw.offset;
  if (offset < 0) return kWouldBlock;  // the file position: a retry could not undo the first read
  const int fd = plugin::to_fd(op.handle);
  uint64_t total = 0;
  if (fd < 0 || !requested_bytes(op, &total) || total == 0) return kWouldBlock;
  // O_DIRECT bypasses the page cache, and RWF_NOWAIT does not stop a direct
  // read from waiting for the device: it would block this thread.
  const int flags = status_flags.get(fd, plugin::monotonic_ns());
  if (flags < 0 || (flags & O_DIRECT) != 0) return kWouldBlock;
  iovec one{op.u.rw.buf, static_cast<size_t>(total)};
  const iovec* iov = vectored ? to_iovec(op.u.rwv.iov) : &one;
  const int count = vectored ? static_cast<int>(op.u.rwv.iovcnt) : 1;
  const ssize_t n = preadv2(fd, iov, count, offset, RWF_NOWAIT);
  if (n < 0) return kWouldBlock;
  // All asked for: what the blocking read returns too.
  if (static_cast<uint64_t>(n) == total) return n;
  // Short (or nothing): the end of the file (a whole small file read with a
  // big buffer), or only part of the range was cached — then the worker
  // reads it whole. Even 0 is checked: only the file's size says it is the end.
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= offset + n) return n;
  return kWouldBlock;
#else
  (void)op;
  (void)status_flags;
  return kWouldBlock;
#endif
}

// --- openat and close on the calling thread ------------------------------------

#if defined(__linux__) && defined(SYS_openat2) && defined(RESOLVE_CACHED)
namespace {

// ENOSYS once (a kernel before 5.6, or a seccomp filter that says so): every
// open goes to a worker from then on, at no extra cost.
std::atomic<bool> openat2_missing{false};

// Errors the cached lookup gives as the blocking call would: the path was
// resolved (or failed to) entirely from the dentry cache.
bool final_open_error(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case EACCES:
    case ELOOP:
    case ENAMETOOLONG:
    case EISDIR:
    case EMFILE:
    case ENFILE:
      return true;
    default:
      return false;
  }
}

// Filesystems whose ->flush and ->release start writeback at most, never
// wait for a device or a server. NFS, CIFS and FUSE wait for theirs on every
// close (close-to-open consistency, FUSE_FLUSH), so they stay on a worker.
bool local_filesystem(int64_t type) {
  switch (type) {
    case EXT4_SUPER_MAGIC:  // ext2, ext3, ext4
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case RAMFS_MAGIC:
    case F2FS_SUPER_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:  // containers' root: flushes the (local) layer below
      return true;
    default:
      return false;
  }
}

// The last device looked at, per thread: a server closes files of one or two
// filesystems, so fstatfs runs about once per filesystem, not per close.
bool on_local_filesystem(int fd, dev_t device) {
  thread_local dev_t last_device = 0;
  thread_local bool last_local = false;
  thread_local bool known = false;
  if (known && device == last_device) return last_local;
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return false;
  last_device = device;
  last_local = local_filesystem(static_cast<int64_t>(fs.f_type));
  known = true;
  return last_local;
}

// A socket with SO_LINGER on and a timeout waits in close for its unsent
// data to be acknowledged, up to that timeout.
bool lingers(int fd) {
  linger l{};
  socklen_t len = sizeof l;
  if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0) return true;
  return l.l_onoff != 0 && l.l_linger > 0;
}

bool closes_without_waiting(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;  // the worker's close gives the error
  if (S_ISFIFO(st.st_mode)) return true;  // a pipe end: nothing to flush
  if (S_ISSOCK(st.st_mode)) return !lingers(fd);
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return on_local_filesystem(fd, st.st_dev);
  return false;  // devices (a tty drains its output on close), anonymous inodes
}

}  // namespace

int64_t open_if_cached(const lio_op& op) noexcept {
  // RESOLVE_CACHED answers EAGAIN for O_CREAT and O_TRUNC (they may write):
  // those go straight to a worker.
  if (op.u.open.flags & (LIO_OPEN_CREATE | LIO_OPEN_TRUNC)) return kWouldBlock;
  if (openat2_missing.load(std::memory_order_relaxed)) return kWouldBlock;
  const int flags = open_flags(op.u.open.flags);
  // O_NONBLOCK: opening a FIFO or a device must not wait for a peer here.
  // Not needed with O_DIRECTORY, which fails on anything but a directory
  // (ENOTDIR) before opening it: then no fstat or fcntl either, one call.
  const bool directory_only = (flags & O_DIRECTORY) != 0;
  open_how how{};
  how.flags = static_cast<uint64_t>(directory_only ? flags : flags | O_NONBLOCK);
  how.resolve = RESOLVE_CACHED;
  const int dir = op.handle == LIO_AT_FDCWD ? AT_FDCWD : plugin::to_fd(op.handle);
  const long fd = syscall(SYS_openat2, dir, op.u.open.path, &how, sizeof how);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOSYS) openat2_missing.store(true, std::memory_order_relaxed);
    return final_open_error(error) ? lio_error(error) : kWouldBlock;
  }
  const int opened = static_cast<int>(fd);
  if (directory_only) return opened;
  struct stat st;
  // Only a regular file or a directory opens the same with O_NONBLOCK; any
  // other is closed unused and opened by a worker the blocking way. Then
  // O_NONBLOCK goes (F_SETFL sets O_APPEND and O_DIRECT again as asked).
  const bool plain = fstat(opened, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
  if (!plain || fcntl(opened, F_SETFL, flags & (O_APPEND | O_DIRECT)) != 0) {
    close(opened);
    return kWouldBlock;
  }
  return opened;
}

int64_t close_if_quick(const lio_op& op) noexcept {
  const int fd = plugin::to_fd(op.handle);
  if (fd < 0 || !closes_without_waiting(fd)) return kWouldBlock;
  // Not retried on EINTR: the fd is gone either way (and may be reused).
  return close(fd) == 0 ? 0 : last_lio_error();
}

#else

int64_t open_if_cached(const lio_op&) noexcept { return kWouldBlock; }
int64_t close_if_quick(const lio_op&) noexcept { return kWouldBlock; }

#endif

bool creates_handle(uint32_t code) noexcept {
  return code == LIO_OP_OPENAT || code == LIO_OP_SOCKET || code == LIO_OP_ACCEPT || code == LIO_OP_ACCEPT_MULTI;
}

int64_t recv_into(const lio_op& op, void* buf, uint64_t len) noexcept {
  const int fd = plugin::to_fd(op.handle);
  if (fd < 0) return -LIO_EBADF;
  Progress progress;  // one round: MSG_WAITALL would keep bytes across rounds
  return recv_buffer(fd, buf, len, op.u.sr.flags & ~MSG_WAITALL, progress);
}

}  // namespace lio::poller
