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
  int pipe_fds[2];         // PIPE: the kernel writes ints, the caller reads lio_handles
  lio_op emulated;         // an op run by emulation (a blocking call when its stand-in SQE completes)
  struct {                 // SEND_ZC: what a copying send needs if the socket has no zero copy
    void* buf;
    unsigned len;
    int flags;
    int fd;
  } send_zc;
};
static_assert(sizeof(lio_op) <= sizeof(msghdr), "an emulated op must not grow every slot");

// Per in-flight op: what completion and cancel need.
struct OpStorage {
  uint64_t user_data = 0;       // the SQE's user_data while in flight, else 0
  bool cancel_pending = false;  // a cancel SQE for this op is queued or running
  bool cancel_asked = false;    // cancel was called for this op (stays set)
  uint32_t poll_reportable = 0;  // poll: the events poll(2) would report, else 0
  lio_msghdr* recvmsg_out = nullptr;  // recvmsg: where namelen/controllen/flags go back
  lio_handle* pipe_out = nullptr;     // pipe: where the two handles go back
  bool emulated = false;  // the SQE is a stand-in; the op runs when it completes
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
  uint8_t fixed_uses = 0;  // kUsesFixedFiles | kUsesFixedBuffers: the tables it holds busy

  // Ready for a new op (OpTable calls this instead of assigning a new one).
  void reset() noexcept {
    user_data = 0;
    cancel_pending = false;
    cancel_asked = false;
    poll_reportable = 0;
    recvmsg_out = nullptr;
    pipe_out = nullptr;
    emulated = false;
    flagged = false;
    takes_buffer = false;
    group_counted = false;
    forced_result = 0;
    zero_copy = false;
    zc_refused = false;
    fixed_uses = 0;
  }
};

// OpStorage::fixed_uses bits: the op reads a registered table
// ([fixed.register]: replacing it is -EBUSY until the op completed).
inline constexpr uint8_t kUsesFixedFiles = 0x1;
inline constexpr uint8_t kUsesFixedBuffers = 0x2;

// Fills `sqe` for a checked op; user_data is left to the caller. `native`:
// the LIO_CAP bits of the codes this ring issues as their own opcode. A
// file-system op (fs_calls.h) outside it becomes a NOP SQE, and the blocking
// call runs on the calling thread when that NOP completes (run_emulated):
// a kernel without the opcode still gets the op done, in push order.
// `open_async`: OPENAT goes to an io-wq worker at once (the option
// open_async, io_uring_backend.cc).
void prep_sqe(const lio_op& op, uint64_t native, bool open_async, OpStorage& storage, KernelArgs& args,
              io_uring_sqe* sqe);

// Of the codes io_uring serves, those the running kernel has an opcode for
// (kernel_opcodes(), probe.h). One line per code, so codes are added by
// adding lines.
uint64_t native_codes();

// ---- BIND, LISTEN, TEE, SPLICE, PIPE, WAITID (net_op_prep.cc) ----
// Native where the running kernel has the opcode (kernel_support.h). Else the
// SQE is a stand-in and storage.emulated is set: a NOP for bind, listen and
// pipe2 (they do not block; the call runs on this thread when the NOP
// completes), a short timer for waitid (each time it fires, waitid runs with
// WNOHANG; not ready yet, the timer is armed again).
void prep_net_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// The LIO_CAP bits of the codes above that run natively on this kernel.
uint64_t native_net_ops() noexcept;

// run_emulated's "not ready: arm the stand-in again".
inline constexpr int64_t kNotReady = INT64_MIN;

// An emulated op whose stand-in completed: its result, or kNotReady. The
// file-system ops (fs_calls.h) and bind, listen, pipe2, waitid.
int64_t run_emulated(const lio_op& op) noexcept;

// Arms the stand-in of an emulated op again (waitid not ready yet).
void prep_standin(const lio_op& op, io_uring_sqe* sqe);

// After a PIPE's CQE: the handles the kernel wrote, to the caller's array.
void deliver_pipe(const OpStorage& storage, const KernelArgs& args);

// The 1.1 ops whose CQEs carry flags (ACCEPT_MULTI, RECV_MULTI, SEND_ZC, RECV
// with LIO_RECV_BUFFER_SELECT); sets storage.flagged (op_prep_multishot.cc).
void prep_flagged_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

// The lio completion flags of a flagged op's CQE ([multishot.more],
// [bufgroup.completion], [send_zc.notice]).
uint32_t completion_flags(uint32_t cqe_flags);

// LIO_OPF_LINK -> IOSQE_IO_LINK; LIO_OPF_FIXED_FILE -> IOSQE_FIXED_FILE on
// the ops that have a handle to act on (the flag means nothing to NOP,
// TIMEOUT, LINK_TIMEOUT and SOCKET, so it is dropped there; OPENAT and CLOSE
// keep it and the kernel answers -EBADF, as [fixed.file] says).
void apply_generic_flags(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
