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
  lio_op emulated;         // an op run as a blocking call when its NOP comes back
};
static_assert(sizeof(lio_op) <= sizeof(msghdr), "an emulated op must not grow every slot");

// Per in-flight op: what completion and cancel need.
struct OpStorage {
  uint64_t user_data = 0;       // the SQE's user_data while in flight, else 0
  bool cancel_pending = false;  // a cancel SQE for this op is queued or running
  bool cancel_asked = false;    // cancel was called for this op (stays set)
  uint32_t poll_reportable = 0;  // poll: the events poll(2) would report, else 0
  lio_msghdr* recvmsg_out = nullptr;  // recvmsg: where namelen/controllen/flags go back
  bool emulated = false;  // a NOP stands in the ring; KernelArgs::emulated is the real op

  // Ready for a new op (OpTable calls this instead of assigning a new one).
  void reset() noexcept {
    user_data = 0;
    cancel_pending = false;
    cancel_asked = false;
    poll_reportable = 0;
    recvmsg_out = nullptr;
    emulated = false;
  }
};

// Fills `sqe` for a checked op; user_data is left to the caller. `native`:
// the LIO_CAP bits of the codes this ring issues as their own opcode. A
// file-system op (fs_calls.h) outside it becomes a NOP SQE, and the blocking
// call runs on the calling thread when that NOP completes (run_emulated):
// a kernel without the opcode still gets the op done, in push order.
void prep_sqe(const lio_op& op, uint64_t native, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// The result of an emulated op whose NOP completed with `nop_result`.
int64_t run_emulated(int64_t nop_result, const KernelArgs& args);

// Of the codes io_uring serves, those the running kernel has an opcode for
// (kernel_opcodes(), probe.h). One line per code, so codes are added by
// adding lines.
uint64_t native_codes();

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
