// How one lio_op becomes one io_uring SQE.
//
// The plugin kit (lio/plugins/common/boundary.h) has read and checked the op
// before push sees it; prep_sqe() fills the SQE and cannot fail. What the kernel reads
// after push returns (a converted msghdr, a timespec) lives in the op's
// KernelArgs, one per in-flight slot, so push never allocates.
#ifndef LIO_PLUGINS_IO_URING_OP_PREP_H_
#define LIO_PLUGINS_IO_URING_OP_PREP_H_

#include <liburing.h>
#include <sys/socket.h>

#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::io_uring_plugin {

// What the kernel reads after push returns (a converted msghdr, which
// recvmsg also writes; a timespec), one per in-flight slot. Kept apart from
// OpStorage: push and reap touch OpStorage for every op, and with 100,000
// ops in flight a slot half the size is half the cache misses.
union KernelArgs {
  msghdr msg;              // SENDMSG, RECVMSG
  __kernel_timespec time;  // TIMEOUT
};

// Per in-flight op: what completion and cancel need.
struct OpStorage {
  uint64_t user_data = 0;       // the SQE's user_data while in flight, else 0
  bool cancel_pending = false;  // a cancel SQE for this op is queued or running
  bool cancel_asked = false;    // cancel was called for this op (stays set)
  uint32_t poll_reportable = 0;  // poll: the events poll(2) would report, else 0
  lio_msghdr* recvmsg_out = nullptr;  // recvmsg: where namelen/controllen/flags go back
  uint8_t fixed_uses = 0;  // kUsesFixedFiles | kUsesFixedBuffers: the tables it holds busy

  // Ready for a new op (OpTable calls this instead of assigning a new one).
  void reset() noexcept {
    user_data = 0;
    cancel_pending = false;
    cancel_asked = false;
    poll_reportable = 0;
    recvmsg_out = nullptr;
    fixed_uses = 0;
  }
};

// OpStorage::fixed_uses bits: the op reads a registered table
// ([fixed.register]: replacing it is -EBUSY until the op completed).
inline constexpr uint8_t kUsesFixedFiles = 0x1;
inline constexpr uint8_t kUsesFixedBuffers = 0x2;

// Fills `sqe` for a checked op; user_data is left to the caller. The generic
// flags (LIO_OPF_*) are apply_generic_flags' job.
void prep_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// LIO_OPF_LINK -> IOSQE_IO_LINK; LIO_OPF_FIXED_FILE -> IOSQE_FIXED_FILE on
// the ops that have a handle to act on (the flag means nothing to NOP,
// TIMEOUT, LINK_TIMEOUT and SOCKET, so it is dropped there; OPENAT and CLOSE
// keep it and the kernel answers -EBADF, as [fixed.file] says).
void apply_generic_flags(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
