// How one lio_op becomes one io_uring SQE.
//
// check_op() decides, before anything is queued, whether push may accept an
// op; prep_sqe() then fills the SQE and cannot fail. What the kernel reads
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

  // Ready for a new op (OpTable calls this instead of assigning a new one).
  void reset() noexcept {
    user_data = 0;
    cancel_pending = false;
    cancel_asked = false;
    poll_reportable = 0;
    recvmsg_out = nullptr;
  }
};

// The caller's op with every field past its struct_size read as zero, as the
// ABI prescribes for structs from an older minor version.
bool read_op(const lio_op* op, lio_op* out);

// The lio_op.flags bits each code understands; any other bit is malformed.
constexpr uint32_t known_op_flags(uint32_t code) {
  switch (code) {
    case LIO_OP_FSYNC: return LIO_FSYNC_DATASYNC;
    case LIO_OP_TIMEOUT: return LIO_TIMEOUT_ABSOLUTE;
    default: return 0;
  }
}

inline constexpr uint32_t kKnownOpenFlags = LIO_OPEN_ACCMODE | LIO_OPEN_CREATE | LIO_OPEN_EXCL | LIO_OPEN_TRUNC |
                                            LIO_OPEN_APPEND | LIO_OPEN_DIRECT | LIO_OPEN_DIRECTORY;

// 0 when push may accept `op` (already normalised by read_op), else
// -LIO_EINVAL: another ABI major, a code past LIO_OP_COUNT, or flag bits the
// op does not define. (Every real code is supported: no -LIO_EOPNOTSUPP.)
// Inline: it runs on every push.
inline int check_op(const lio_op& op) {
  if (LIO_ABI_MAJOR(op.abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  // Every code below LIO_OP_COUNT is supported; any other is not an op at all.
  if (op.code >= LIO_OP_COUNT) return -LIO_EINVAL;
  if (op.flags & ~known_op_flags(op.code)) return -LIO_EINVAL;
  if (op.code == LIO_OP_OPENAT && (op.u.open.flags & ~kKnownOpenFlags)) return -LIO_EINVAL;
  return 0;
}

// Fills `sqe` for a checked op; user_data is left to the caller.
void prep_sqe(const lio_op& op, OpStorage& storage, KernelArgs& args, io_uring_sqe* sqe);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
