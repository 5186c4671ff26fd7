// The poller's 1.1 socket, pipe and process calls: bind, listen and pipe2
// inline; tee and splice by readiness of the end that holds them up; waitid
// by pidfd readiness (or inline, or on a worker). op_calls.h says how each
// is chosen. tee, splice, pipe2 and pidfds are Linux's: elsewhere only bind
// and listen are built (and declared).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <cerrno>
#include <cstring>
#include <optional>

#include "lio/plugins/common/boundary.h"
#include "lio/plugins/poller/errno_map.h"
#include "lio/plugins/poller/nonblocking_scope.h"
#include "lio/plugins/poller/op_calls.h"

namespace lio::poller {
namespace {

int64_t zero_or_error(int returned) { return returned == 0 ? 0 : last_lio_error(); }

#if defined(__linux__)

static_assert(LIO_SPLICE_MOVE == SPLICE_F_MOVE && LIO_SPLICE_MORE == SPLICE_F_MORE);

int64_t make_pipe(lio_handle* out) {
  if (out == nullptr) return -LIO_EFAULT;  // pipe2(NULL): EFAULT (libc declares it non-null)
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return last_lio_error();
  out[0] = fds[0];
  out[1] = fds[1];
  return 0;
}

// -1 (LIO_OFFSET_CURRENT): no offset (NULL); else the offset, which splice
// reads and advances in `*slot` (the caller's offset is a value, not a place).
loff_t* offset_of(int64_t offset, loff_t* slot) {
  if (offset == LIO_OFFSET_CURRENT) return nullptr;
  *slot = offset;
  return slot;
}

ssize_t splice_call(const lio_op& op, unsigned flags) {
  const int in = plugin::to_fd(op.handle);
  const int out = plugin::to_fd(op.u.splice.out);
  if (op.code == LIO_OP_TEE) return tee(in, out, op.u.splice.len, flags);
  loff_t off_in = 0;
  loff_t off_out = 0;
  return splice(in, offset_of(op.u.splice.off_in, &off_in), out, offset_of(op.u.splice.off_out, &off_out),
                op.u.splice.len, flags);
}

// After EAGAIN: the end to wait on. The input when it has nothing to read,
// else the output (full). poll(2) with a zero timeout says which.
void wait_on_blocking_end(const lio_op& op, Progress& progress) {
  const int in = plugin::to_fd(op.handle);
  const int out = plugin::to_fd(op.u.splice.out);
  pollfd ends[1] = {{in, POLLIN, 0}};
  const bool readable = poll(ends, 1, 0) == 1 && (ends[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  progress.wait_fd = readable ? out : in;
  progress.wait_events = readable ? LIO_POLL_OUT : LIO_POLL_IN;
}

int64_t attempt_splice(const lio_op& op, Progress& progress) {
  // A socket end gets O_NONBLOCK for this call (SPLICE_F_NONBLOCK covers the
  // pipe side only); the caller's flags come back when the scopes end.
  std::optional<NonblockingScope> in_scope, out_scope;
  if (progress.nonblock_ends & kInEnd) in_scope.emplace(plugin::to_fd(op.handle));
  if (progress.nonblock_ends & kOutEnd) out_scope.emplace(plugin::to_fd(op.u.splice.out));
  if (in_scope && in_scope->error() != 0) return in_scope->error();
  if (out_scope && out_scope->error() != 0) return out_scope->error();
  for (;;) {
    const ssize_t moved = splice_call(op, op.flags | SPLICE_F_NONBLOCK);
    if (moved >= 0) return moved;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return last_lio_error();
    wait_on_blocking_end(op, progress);
    return kWouldBlock;
  }
}

// waitid(WNOHANG) as asked; with `nohang_added`, si_pid 0 (nothing to
// report) means "not yet". `info` may be NULL for the caller; ours then.
int64_t waitid_nohang(const lio_op& op, idtype_t idtype, id_t id, bool nohang_added) {
  siginfo_t own{};
  auto* info = op.u.waitid.info != nullptr ? static_cast<siginfo_t*>(op.u.waitid.info) : &own;
  info->si_pid = 0;
  if (waitid(idtype, id, info, op.u.waitid.options | WNOHANG) != 0) return last_lio_error();
  if (nohang_added && info->si_pid == 0) return kWouldBlock;
  return 0;
}

// The pidfd became readable (the process exited): ask through it.
int64_t attempt_waitid(const lio_op& op, Progress& progress) {
  return waitid_nohang(op, P_PIDFD, static_cast<id_t>(progress.wait_fd), true);
}

#endif  // __linux__

}  // namespace

int64_t run_net_inline(const lio_op& op) noexcept {
  const int fd = plugin::to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_BIND:
      return zero_or_error(bind(fd, static_cast<const sockaddr*>(op.u.bind.addr), op.u.bind.addrlen));
    case LIO_OP_LISTEN:
      return zero_or_error(listen(fd, op.u.listen.backlog));
#if defined(__linux__)
    case LIO_OP_PIPE:
      return make_pipe(op.u.pipe.fds);
#endif
    default:
      return -LIO_EINVAL;
  }
}

#if defined(__linux__)

int splice_ends(const lio_op& op, uint8_t* nonblock_ends) noexcept {
  *nonblock_ends = 0;
  const int ends[2] = {plugin::to_fd(op.handle), plugin::to_fd(op.u.splice.out)};
  for (int i = 0; i < 2; ++i) {
    struct stat st;
    // A bad handle: the call itself gives the error (EBADF), by readiness
    // or not; it fails at once either way.
    if (ends[i] < 0 || fstat(ends[i], &st) != 0) continue;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return -1;
    if (!S_ISFIFO(st.st_mode)) *nonblock_ends |= (i == 0 ? kInEnd : kOutEnd);
  }
  return 0;
}

WaitidRoute waitid_route(const lio_op& op) noexcept {
  const int options = op.u.waitid.options;
  if (options & WNOHANG) return WaitidRoute::kInline;
  // A pidfd becomes readable when its process exits: nothing else.
  if ((options & (WSTOPPED | WCONTINUED)) || !(options & WEXITED)) {
    // No event asked at all is EINVAL at once: inline gives it.
    return (options & (WEXITED | WSTOPPED | WCONTINUED)) ? WaitidRoute::kWorker : WaitidRoute::kInline;
  }
  if (op.u.waitid.idtype == P_PID || op.u.waitid.idtype == P_PIDFD) return WaitidRoute::kPidfd;
  return WaitidRoute::kWorker;
}

int64_t start_waitid(const lio_op& op, Progress& progress) noexcept {
  const auto idtype = static_cast<idtype_t>(op.u.waitid.idtype);
  const auto id = static_cast<id_t>(op.u.waitid.id);
  if (waitid_route(op) == WaitidRoute::kInline) return waitid_nohang(op, idtype, id, false);
  // Already exited, not a child, a bad pidfd: answered now.
  const int64_t now = waitid_nohang(op, idtype, id, true);
  if (now != kWouldBlock) return now;
  if (idtype == P_PIDFD) {
    progress.wait_fd = static_cast<int>(id);
  } else {
    const long pidfd = syscall(SYS_pidfd_open, static_cast<pid_t>(id), 0u);
    if (pidfd < 0) return kWorkerInstead;  // (a kernel before 5.3, or out of fds)
    progress.wait_fd = static_cast<int>(pidfd);
    progress.owned_fd = progress.wait_fd;
  }
  progress.wait_events = LIO_POLL_IN;
  return kWouldBlock;
}

int64_t attempt_net(const lio_op& op, Progress& progress) noexcept {
  if (op.code == LIO_OP_WAITID) return attempt_waitid(op, progress);
  return attempt_splice(op, progress);
}

int64_t run_net_blocking(const lio_op& op) noexcept {
  if (op.code != LIO_OP_WAITID) {
    for (;;) {
      const ssize_t moved = splice_call(op, op.flags);
      if (moved >= 0) return moved;
      if (errno != EINTR) return last_lio_error();
    }
  }
  siginfo_t own{};
  auto* info = op.u.waitid.info != nullptr ? static_cast<siginfo_t*>(op.u.waitid.info) : &own;
  for (;;) {
    if (waitid(static_cast<idtype_t>(op.u.waitid.idtype), static_cast<id_t>(op.u.waitid.id), info,
               op.u.waitid.options) == 0) {
      return 0;
    }
    if (errno != EINTR) return last_lio_error();
  }
}

#else  // not Linux: bind and listen only (the others are not declared)

int splice_ends(const lio_op&, uint8_t*) noexcept { return -LIO_EINVAL; }
WaitidRoute waitid_route(const lio_op&) noexcept { return WaitidRoute::kInline; }
int64_t start_waitid(const lio_op&, Progress&) noexcept { return -LIO_EINVAL; }
int64_t attempt_net(const lio_op&, Progress&) noexcept { return -LIO_EINVAL; }
int64_t run_net_blocking(const lio_op&) noexcept { return -LIO_EINVAL; }

#endif

}  // namespace lio::poller
