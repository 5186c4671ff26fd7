// The 1.1 ops whose CQEs carry flags: multishot accept and recv, recv into a
// provided buffer ring, zero-copy send. Apart from op_prep.cc so the plain
// ops' preparation stays as it was.
#include <liburing.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/boundary.h"
#include "lio/plugins/io_uring/direct_prep.h"
#include "lio/plugins/io_uring/op_prep.h"

namespace lio::io_uring_plugin {
namespace {

// The kernel's buffer group id is 16 bits (sqe->buf_group).
constexpr uint32_t kMaxGroup = 0xffff;

// A recv whose buffer the kernel picks from group `group` of the ring's
// provided buffer rings. len 0 means "the buffer's size" for the kernel too.
void prep_select_recv(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe, bool multishot) {
  storage.takes_buffer = true;
  storage.buf_group = op.u.sr.buf_group;
  if (op.u.sr.buf_group > kMaxGroup) {
    // No such group can exist ([bufgroup.enobufs]); cutting the number to
    // 16 bits would name another one.
    io_uring_prep_nop(sqe);
    storage.forced_result = -LIO_ENOBUFS;
    return;
  }
  const int fd = plugin::to_fd(op.handle);
  if (multishot) {
    io_uring_prep_recv_multishot(sqe, fd, nullptr, clamp_len(op.u.sr.len), op.u.sr.flags);
  } else {
    io_uring_prep_recv(sqe, fd, nullptr, clamp_len(op.u.sr.len), op.u.sr.flags);
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = static_cast<uint16_t>(op.u.sr.buf_group);
}

}  // namespace

void prep_flagged_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe) {
  storage.flagged = true;
  const int fd = plugin::to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_ACCEPT_MULTI:
      // Each client's handle is close-on-exec and blocking, as accept's.
      io_uring_prep_multishot_accept(sqe, fd, static_cast<sockaddr*>(op.u.accept.addr),
                                     reinterpret_cast<socklen_t*>(op.u.accept.addrlen), SOCK_CLOEXEC);
      return;
    case LIO_OP_RECV_MULTI:
      prep_select_recv(op, storage, sqe, /*multishot=*/true);
      return;
    case LIO_OP_RECV:  // with LIO_RECV_BUFFER_SELECT
      prep_select_recv(op, storage, sqe, /*multishot=*/false);
      return;
    case LIO_OP_SEND_ZC:
      io_uring_prep_send_zc(sqe, fd, op.u.sr.buf, clamp_len(op.u.sr.len), op.u.sr.flags, 0);
      args.send_zc = {op.u.sr.buf, clamp_len(op.u.sr.len), op.u.sr.flags, fd};
      storage.zero_copy = true;
      return;
    default:
      return;
  }
}

// IORING_CQE_F_SOCK_NONEMPTY and other kernel hints are not lio's to pass on.
uint32_t completion_flags(uint32_t cqe_flags) {
  uint32_t flags = 0;
  if (cqe_flags & IORING_CQE_F_MORE) flags |= LIO_COMPLETION_MORE;
  if (cqe_flags & IORING_CQE_F_NOTIF) flags |= LIO_COMPLETION_NOTIF;
  if (cqe_flags & IORING_CQE_F_BUFFER) {
    flags |= LIO_COMPLETION_BUFFER | ((cqe_flags >> IORING_CQE_BUFFER_SHIFT) << 16);
  }
  return flags;
}

}  // namespace lio::io_uring_plugin
