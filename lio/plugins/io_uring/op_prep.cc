#include "lio/plugins/io_uring/op_prep.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstddef>

#include "lio/plugins/common/boundary.h"
#include "lio/plugins/common/fs_calls.h"
#include "lio/plugins/io_uring/direct_prep.h"
#include "lio/plugins/io_uring/kernel_opcodes.h"
#include "lio/plugins/io_uring/probe.h"

namespace lio::io_uring_plugin {
namespace {

// lio_iovec is documented to have struct iovec's layout; the casts below rely on it.
static_assert(sizeof(lio_iovec) == sizeof(iovec));
static_assert(alignof(lio_iovec) == alignof(iovec));
static_assert(offsetof(lio_iovec, base) == offsetof(iovec, iov_base));
static_assert(offsetof(lio_iovec, len) == offsetof(iovec, iov_len));
static_assert(sizeof(socklen_t) == sizeof(uint32_t));
// The LIO_* values are Linux's own, so they pass through unchanged.
static_assert(LIO_AT_FDCWD == AT_FDCWD);
static_assert(LIO_POLL_IN == POLLIN && LIO_POLL_OUT == POLLOUT);
static_assert(LIO_POLL_ERR == POLLERR && LIO_POLL_HUP == POLLHUP);

int open_flags(uint32_t lio_flags) {
  // The access mode values (0, 1, 2) are Linux's; 3 passes through as open(2) would take it.
  int flags = static_cast<int>(lio_flags & LIO_OPEN_ACCMODE) | O_CLOEXEC;
  if (lio_flags & LIO_OPEN_CREATE) flags |= O_CREAT;
  if (lio_flags & LIO_OPEN_EXCL) flags |= O_EXCL;
  if (lio_flags & LIO_OPEN_TRUNC) flags |= O_TRUNC;
  if (lio_flags & LIO_OPEN_APPEND) flags |= O_APPEND;
  if (lio_flags & LIO_OPEN_DIRECT) flags |= O_DIRECT;
  if (lio_flags & LIO_OPEN_DIRECTORY) flags |= O_DIRECTORY;
  return flags;
}

iovec* to_iovec(const lio_iovec* iov) { return reinterpret_cast<iovec*>(const_cast<lio_iovec*>(iov)); }

// The kernel reads (and for recvmsg writes) a native msghdr until the op
// completes, so it lives in the slot; NULL stays NULL and fails with -EFAULT.
msghdr* to_msghdr(const lio_msghdr* in, KernelArgs& args) {
  if (in == nullptr) return nullptr;
  msghdr& msg = args.msg;
  msg = msghdr{};
  msg.msg_name = in->name;
  msg.msg_namelen = in->namelen;
  msg.msg_iov = to_iovec(in->iov);
  msg.msg_iovlen = in->iovcnt;
  msg.msg_control = in->control;
  msg.msg_controllen = static_cast<size_t>(in->controllen);
  return &msg;
}

__kernel_timespec* to_timespec(int64_t ns, KernelArgs& args) {
  // A duration or deadline in the past expires at once, as a zero one does.
  ns = std::max<int64_t>(ns, 0);
  args.time.tv_sec = ns / 1'000'000'000;
  args.time.tv_nsec = ns % 1'000'000'000;
  return &args.time;
}

// The LIO_CAP bit of `code` when the kernel knows `opcode`.
uint64_t native_if(const KernelOpcodes& kernel, uint32_t code, unsigned opcode) {
  return kernel.has(opcode) ? LIO_CAP(code) : 0;
}

// FADVISE's length travels in the SQE's 32-bit len field (kernels before
// 6.12 read no other); a longer or negative one is left to the blocking call.
bool fits_sqe(const lio_op& op) {
  return op.code != LIO_OP_FADVISE || (op.u.range.len >= 0 && op.u.range.len <= INT64_C(0xffffffff));
}

// The file-system ops of ABI 1.1 (fs_calls.h), as io_uring SQEs.
void prep_fs_sqe(const lio_op& op, io_uring_sqe* sqe) {
  const int fd = plugin::to_fd(op.handle);
  const int dir = plugin::to_dir_fd(op.handle);
  switch (op.code) {
    case LIO_OP_FTRUNCATE:  // liburing 2.3 has no helper: the length goes in `off`, the rest stays 0
      io_uring_prep_rw(kernel_op::kFtruncate, sqe, fd, nullptr, 0, static_cast<uint64_t>(op.u.truncate.length));
      break;
    case LIO_OP_LINKAT:
      io_uring_prep_linkat(sqe, dir, op.u.link.old_path, plugin::to_dir_fd(op.u.link.new_dir), op.u.link.new_path,
                           plugin::linkat_flags(op.flags));
      break;
    case LIO_OP_SYMLINKAT:
      io_uring_prep_symlinkat(sqe, op.u.link.old_path, plugin::to_dir_fd(op.u.link.new_dir), op.u.link.new_path);
      break;
    case LIO_OP_RENAMEAT:
      io_uring_prep_renameat(sqe, dir, op.u.link.old_path, plugin::to_dir_fd(op.u.link.new_dir), op.u.link.new_path,
                             op.flags & ~LIO_OPF_GENERIC);
      break;
    case LIO_OP_UNLINKAT:
      io_uring_prep_unlinkat(sqe, dir, op.u.path.path, plugin::unlinkat_flags(op.flags));
      break;
    case LIO_OP_MKDIRAT:
      io_uring_prep_mkdirat(sqe, dir, op.u.path.path, op.u.path.mode);
      break;
    case LIO_OP_STATX:  // lio_statx has struct statx's layout (fs_calls.cc checks it)
      io_uring_prep_statx(sqe, dir, op.u.statx.path, plugin::statx_flags(op.flags), op.u.statx.mask,
                          reinterpret_cast<struct statx*>(op.u.statx.buf));
      break;
    case LIO_OP_FALLOCATE:
      io_uring_prep_fallocate(sqe, fd, static_cast<int>(op.flags & ~LIO_OPF_GENERIC), op.u.range.offset, op.u.range.len);
      break;
    case LIO_OP_FADVISE:
      io_uring_prep_fadvise(sqe, fd, static_cast<uint64_t>(op.u.range.offset), op.u.range.len, op.u.range.advice);
      break;
  }
}
// The SQE's buffer index is 16 bits, and a table holds at most 65,536
// buffers. An index past that names no buffer: it goes as the last index with
// address 0, which lies in no registered buffer, so the kernel answers
// -EFAULT as for any index outside the table.
constexpr uint32_t kMaxBufferIndex = 0xffff;
int fixed_index(const lio_op& op) { return static_cast<int>(std::min(op.u.rw.buf_index, kMaxBufferIndex)); }
void* fixed_address(const lio_op& op) { return op.u.rw.buf_index > kMaxBufferIndex ? nullptr : op.u.rw.buf; }

}  // namespace

uint64_t native_codes() {
  const KernelOpcodes& kernel = kernel_opcodes();
  uint64_t native = LIO_CAP_OPS_1_0;
  native |= native_if(kernel, LIO_OP_FTRUNCATE, kernel_op::kFtruncate);
  native |= native_if(kernel, LIO_OP_LINKAT, IORING_OP_LINKAT);
  native |= native_if(kernel, LIO_OP_SYMLINKAT, IORING_OP_SYMLINKAT);
  native |= native_if(kernel, LIO_OP_RENAMEAT, IORING_OP_RENAMEAT);
  native |= native_if(kernel, LIO_OP_UNLINKAT, IORING_OP_UNLINKAT);
  native |= native_if(kernel, LIO_OP_MKDIRAT, IORING_OP_MKDIRAT);
  native |= native_if(kernel, LIO_OP_STATX, IORING_OP_STATX);
  native |= native_if(kernel, LIO_OP_FALLOCATE, IORING_OP_FALLOCATE);
  native |= native_if(kernel, LIO_OP_FADVISE, IORING_OP_FADVISE);
  return native;
}

void prep_sqe(const lio_op& op, uint64_t native, bool open_async, OpStorage& storage, KernelArgs& args,
              io_uring_sqe* sqe) {
  const int fd = plugin::to_fd(op.handle);
  if (plugin::is_fs_call(op.code)) {
    if ((native & LIO_CAP(op.code)) != 0 && fits_sqe(op)) return prep_fs_sqe(op, sqe);
    storage.emulated = true;
    args.emulated = op;
    io_uring_prep_nop(sqe);
    return;
  }
  if (direct_preppable(op)) return prep_direct_sqe(op, sqe);
  switch (op.code) {
    case LIO_OP_OPENAT:
      io_uring_prep_openat(sqe, plugin::to_dir_fd(op.handle), op.u.open.path, open_flags(op.u.open.flags), op.u.open.mode);
      // Inline, io_uring first tries the open as if O_NONBLOCK were set, and
      // that changes the answer for FIFOs and some devices (a reader does not
      // wait for a writer; a writer without reader gets -ENXIO). A worker
      // thread opens exactly as blocking open(2) does. open_async=0 trades
      // that for no thread hop on a cached regular file.
      if (open_async) sqe->flags |= IOSQE_ASYNC;
      break;
    case LIO_OP_RECV:  // with LIO_RECV_BUFFER_SELECT (plain recv is direct_preppable)
      prep_flagged_sqe(op, storage, args, sqe);
      break;
    case LIO_OP_SENDMSG:
      io_uring_prep_sendmsg(sqe, fd, to_msghdr(op.u.msg.msg, args), static_cast<unsigned>(op.u.msg.flags));
      break;
    case LIO_OP_RECVMSG:
      storage.recvmsg_out = op.u.msg.msg;
      io_uring_prep_recvmsg(sqe, fd, to_msghdr(op.u.msg.msg, args), static_cast<unsigned>(op.u.msg.flags));
      break;
    case LIO_OP_TIMEOUT:  // count 0: a pure timer; ABS deadlines are on CLOCK_MONOTONIC
      io_uring_prep_timeout(sqe, to_timespec(op.u.timeout.ns, args), 0,
                            (op.flags & LIO_TIMEOUT_ABSOLUTE) ? IORING_TIMEOUT_ABS : 0);
      break;
    // ---- 1.1 multi-completion ops: op_prep_multishot.cc ----
    case LIO_OP_ACCEPT_MULTI:
    case LIO_OP_RECV_MULTI:
    case LIO_OP_SEND_ZC:
      prep_flagged_sqe(op, storage, args, sqe);
      break;
    case LIO_OP_POLL:  // single-shot; the result is the ready events
      io_uring_prep_poll_add(sqe, fd, op.u.poll.events);
      // io_uring reports more than was asked (POLLRDHUP at a peer's
      // shutdown); poll(2) reports what was asked plus ERR, HUP and NVAL.
      storage.poll_reportable = op.u.poll.events | POLLERR | POLLHUP | POLLNVAL;
      break;
    case LIO_OP_BIND:
    case LIO_OP_LISTEN:
    case LIO_OP_TEE:
    case LIO_OP_SPLICE:
    case LIO_OP_PIPE:
    case LIO_OP_WAITID:
      prep_net_sqe(op, storage, args, sqe);
      break;
    case LIO_OP_LINK_TIMEOUT:  // [link.timeout]; the kernel answers -EINVAL when no linked op precedes it
      io_uring_prep_link_timeout(sqe, to_timespec(op.u.timeout.ns, args),
                                 (op.flags & LIO_TIMEOUT_ABSOLUTE) ? IORING_TIMEOUT_ABS : 0);
      break;
    case LIO_OP_READ_FIXED:  // [fixed.buffer]: the kernel checks the range (-EFAULT)
      io_uring_prep_read_fixed(sqe, fd, fixed_address(op), clamp_len(op.u.rw.len),
                               static_cast<uint64_t>(op.u.rw.offset), fixed_index(op));
      storage.fixed_uses = kUsesFixedBuffers;
      break;
    case LIO_OP_WRITE_FIXED:
      io_uring_prep_write_fixed(sqe, fd, fixed_address(op), clamp_len(op.u.rw.len),
                                static_cast<uint64_t>(op.u.rw.offset), fixed_index(op));
      storage.fixed_uses = kUsesFixedBuffers;
      break;
  }
}

void apply_generic_flags(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe) {
  if (op.flags & LIO_OPF_LINK) sqe->flags |= IOSQE_IO_LINK;
  if (!(op.flags & LIO_OPF_FIXED_FILE)) return;
  switch (op.code) {
    case LIO_OP_NOP:
    case LIO_OP_TIMEOUT:
    case LIO_OP_LINK_TIMEOUT:
    case LIO_OP_SOCKET:
      return;
    default:
      sqe->flags |= IOSQE_FIXED_FILE;
      storage.fixed_uses |= kUsesFixedFiles;
  }
}

}  // namespace lio::io_uring_plugin
