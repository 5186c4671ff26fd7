// BIND, LISTEN, TEE, SPLICE, PIPE and WAITID on io_uring (ABI 1.1).
//
// liburing 2.3 has prep helpers for tee and splice only; bind, listen
// (Linux 6.11), waitid (6.7) and pipe (6.16) are filled by hand from the
// kernel's SQE layout (include/uapi/linux/io_uring.h):
//   BIND    fd, addr = sockaddr, off = addrlen
//   LISTEN  fd, len = backlog
//   WAITID  fd = id, len = idtype, file_index = options, addr2 = siginfo,
//           waitid_flags (the rw_flags word) = 0
//   PIPE    addr = int[2], pipe_flags (the rw_flags word) = O_CLOEXEC
// An opcode the running kernel lacks is emulated (see op_prep.h), so a
// declared op never fails for want of it.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lio/plugins/common/boundary.h"
#include "lio/plugins/common/fs_calls.h"
#include "lio/plugins/io_uring/kernel_opcodes.h"
#include "lio/plugins/io_uring/kernel_support.h"
#include "lio/plugins/io_uring/op_prep.h"

namespace lio::io_uring_plugin {
namespace {

static_assert(LIO_SPLICE_MOVE == SPLICE_F_MOVE && LIO_SPLICE_MORE == SPLICE_F_MORE);

// How often an emulated waitid asks again (kernels before 6.7 only).
constexpr __kernel_timespec kWaitidRetry = {.tv_sec = 0, .tv_nsec = 5'000'000};

uint8_t opcode_of(uint32_t code) {
  switch (code) {
    case LIO_OP_BIND: return kernel_op::kBind;
    case LIO_OP_LISTEN: return kernel_op::kListen;
    case LIO_OP_PIPE: return kernel_op::kPipe;
    case LIO_OP_WAITID: return kernel_op::kWaitid;
    default: return IORING_OP_NOP;
  }
}

// An SQE with only the opcode and fd set (the others zero), as liburing's
// io_uring_prep_rw leaves it.
void prep_plain(io_uring_sqe* sqe, uint8_t opcode, int fd) {
  std::memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->fd = fd;
}

int64_t to_result(int returned) { return returned == 0 ? 0 : -errno; }

int64_t pipe_now(lio_handle* out) {
  if (out == nullptr) return -LIO_EFAULT;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
  out[0] = fds[0];
  out[1] = fds[1];
  return 0;
}

// waitid without blocking; kNotReady when the caller would have waited.
int64_t waitid_now(const lio_op& op) {
  siginfo_t own{};
  auto* info = op.u.waitid.info != nullptr ? static_cast<siginfo_t*>(op.u.waitid.info) : &own;
  const bool caller_nohang = (op.u.waitid.options & WNOHANG) != 0;
  // si_pid stays 0 when nothing was ready (waitid(2) clears it with WNOHANG).
  info->si_pid = 0;
  const int returned = waitid(static_cast<idtype_t>(op.u.waitid.idtype), static_cast<id_t>(op.u.waitid.id), info,
                              op.u.waitid.options | WNOHANG);
  if (returned != 0) return -errno;
  if (!caller_nohang && info->si_pid == 0) return kNotReady;
  return 0;
}

void prep_native(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe) {
  const int fd = plugin::to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_BIND:
      prep_plain(sqe, kernel_op::kBind, fd);
      sqe->addr = reinterpret_cast<uintptr_t>(op.u.bind.addr);
      sqe->off = op.u.bind.addrlen;
      break;
    case LIO_OP_LISTEN:
      prep_plain(sqe, kernel_op::kListen, fd);
      sqe->len = static_cast<uint32_t>(op.u.listen.backlog);
      break;
    case LIO_OP_TEE:
      io_uring_prep_tee(sqe, fd, plugin::to_fd(op.u.splice.out), op.u.splice.len, op.flags);
      break;
    case LIO_OP_SPLICE:  // -1 (LIO_OFFSET_CURRENT) is io_uring's "no offset" too
      io_uring_prep_splice(sqe, fd, op.u.splice.off_in, plugin::to_fd(op.u.splice.out), op.u.splice.off_out,
                           op.u.splice.len, op.flags);
      break;
    case LIO_OP_PIPE:
      prep_plain(sqe, kernel_op::kPipe, 0);
      sqe->addr = reinterpret_cast<uintptr_t>(args.pipe_fds);
      sqe->rw_flags = O_CLOEXEC;
      storage.pipe_out = op.u.pipe.fds;
      break;
    case LIO_OP_WAITID:
      prep_plain(sqe, kernel_op::kWaitid, op.u.waitid.id);
      sqe->len = static_cast<uint32_t>(op.u.waitid.idtype);
      sqe->file_index = static_cast<uint32_t>(op.u.waitid.options);
      sqe->addr2 = reinterpret_cast<uintptr_t>(op.u.waitid.info);
      break;
  }
}

bool runs_native(const lio_op& op) {
  // In every kernel this backend runs on (5.19+: tee 5.8, splice 5.7).
  if (op.code == LIO_OP_TEE || op.code == LIO_OP_SPLICE) return true;
  // PIPE with no array: the blocking call's EFAULT, from the emulation (the
  // kernel would write into this slot's array and succeed).
  if (op.code == LIO_OP_PIPE && op.u.pipe.fds == nullptr) return false;
  return kernel_has_opcode(opcode_of(op.code));
}

}  // namespace

uint64_t native_net_ops() noexcept {
  uint64_t native = 0;
  if (kernel_has_opcode(kernel_op::kBind)) native |= LIO_CAP(LIO_OP_BIND);
  if (kernel_has_opcode(kernel_op::kListen)) native |= LIO_CAP(LIO_OP_LISTEN);
  native |= LIO_CAP(LIO_OP_TEE) | LIO_CAP(LIO_OP_SPLICE);  // see runs_native
  if (kernel_has_opcode(kernel_op::kPipe)) native |= LIO_CAP(LIO_OP_PIPE);
  if (kernel_has_opcode(kernel_op::kWaitid)) native |= LIO_CAP(LIO_OP_WAITID);
  return native;
}

void prep_net_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe) {
  if (runs_native(op)) return prep_native(op, storage, args, sqe);
  // Only bind, listen, pipe2 (calls that cannot block) and waitid get here.
  storage.emulated = true;
  args.emulated = op;
  prep_standin(op, sqe);
}

void prep_standin(const lio_op& op, io_uring_sqe* sqe) {
  if (op.code != LIO_OP_WAITID || (op.u.waitid.options & WNOHANG)) return io_uring_prep_nop(sqe);
  // The kernel copies the timespec when it takes the SQE.
  io_uring_prep_timeout(sqe, const_cast<__kernel_timespec*>(&kWaitidRetry), 0, 0);
}

int64_t run_emulated(const lio_op& op) noexcept {
  const int fd = plugin::to_fd(op.handle);
  switch (op.code) {
    case LIO_OP_BIND:
      return to_result(bind(fd, static_cast<const sockaddr*>(op.u.bind.addr), op.u.bind.addrlen));
    case LIO_OP_LISTEN:
      return to_result(listen(fd, op.u.listen.backlog));
    case LIO_OP_PIPE:
      return pipe_now(op.u.pipe.fds);
    case LIO_OP_WAITID:
      return waitid_now(op);
    default:  // TEE and SPLICE are always native (runs_native)
      if (plugin::is_fs_call(op.code)) return plugin::run_fs_call(op);
      return -LIO_EINVAL;
  }
}

void deliver_pipe(const OpStorage& storage, const KernelArgs& args) {
  storage.pipe_out[0] = args.pipe_fds[0];
  storage.pipe_out[1] = args.pipe_fds[1];
}

}  // namespace lio::io_uring_plugin
