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
  struct {                 // SEND_ZC: what a copying send needs if the socket has no zero copy
    void* buf;
    unsigned len;
    int flags;
    int fd;
  } send_zc;
};

// Per in-flight op: what completion and cancel need.
struct OpStorage {
  uint64_t user_data = 0;       // the SQE's user_data while in flight, else 0
  bool cancel_pending = false;  // a cancel SQE for this op is queued or running
  bool cancel_asked = false;    // cancel was called for this op (stays set)
  uint32_t poll_reportable = 0;  // poll: the events poll(2) would report, else 0
  lio_msghdr* recvmsg_out = nullptr;  // recvmsg: where namelen/controllen/flags go back
  // 1.1 ([multishot.*], [bufgroup.*], [send_zc.notice]): the op's CQEs carry
  // flags lio passes on (MORE, BUFFER, NOTIF); plain ops keep 0 and their
  // completion path is unchanged.
  bool flagged = false;
  bool takes_buffer = false;   // reads into buf_group (RECV_MULTI, RECV with select)
  bool group_counted = false;  // counted in its group's ops in flight (remove answers -EBUSY)
  uint32_t buf_group = 0;
  int32_t forced_result = 0;   // < 0: completes with this, not the kernel's (a NOP ran)
  // SEND_ZC on a socket without zero copy (AF_UNIX): the kernel's
  // -EOPNOTSUPP is swallowed and, after its notice, a plain send runs.
  bool zero_copy = false;  // SEND_ZC
  bool zc_refused = false;

  // Ready for a new op (OpTable calls this instead of assigning a new one).
  void reset() noexcept {
    user_data = 0;
    cancel_pending = false;
    cancel_asked = false;
    poll_reportable = 0;
    recvmsg_out = nullptr;
    flagged = false;
    takes_buffer = false;
    group_counted = false;
    forced_result = 0;
    zero_copy = false;
    zc_refused = false;
  }
};

// Fills `sqe` for a checked op; user_data is left to the caller.
void prep_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// The 1.1 ops whose CQEs carry flags (ACCEPT_MULTI, RECV_MULTI, SEND_ZC, RECV
// with LIO_RECV_BUFFER_SELECT); sets storage.flagged (op_prep_multishot.cc).
void prep_flagged_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// The lio completion flags of a flagged op's CQE ([multishot.more],
// [bufgroup.completion], [send_zc.notice]).
uint32_t completion_flags(uint32_t cqe_flags);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
