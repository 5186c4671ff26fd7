// How one lio_op becomes one io_uring SQE.
//
// check_op() decides, before anything is queued, whether push may accept an
// op; prep_sqe() then fills the SQE and cannot fail. What the kernel reads
// after push returns (a converted msghdr, a timespec) lives in the op's
// OpStorage, one per in-flight slot, so push never allocates.
#ifndef LIO_PLUGINS_IO_URING_OP_PREP_H_
#define LIO_PLUGINS_IO_URING_OP_PREP_H_

#include <liburing.h>
#include <sys/socket.h>

#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::io_uring_plugin {

// Per in-flight op: what must outlive push, and what completion needs.
struct OpStorage {
  uint64_t user_data = 0;       // the SQE's user_data while in flight, else 0
  bool cancel_pending = false;  // a cancel SQE for this op is queued or running
  bool cancel_asked = false;    // cancel was called for this op (stays set)
  lio_msghdr* recvmsg_out = nullptr;  // recvmsg: where namelen/controllen/flags go back
  uint32_t poll_reportable = 0;  // poll: the events poll(2) would report, else 0
  union {
    msghdr msg;              // SENDMSG, RECVMSG
    __kernel_timespec time;  // TIMEOUT
  } kernel{};
};

// The caller's op with every field past its struct_size read as zero, as the
// ABI prescribes for structs from an older minor version.
bool read_op(const lio_op* op, lio_op* out);

// 0 when push may accept `op` (already normalised by read_op), else
// -LIO_EINVAL: another ABI major, a code past LIO_OP_COUNT, or flag bits the
// op does not define. (Every real code is supported: no -LIO_EOPNOTSUPP.)
int check_op(const lio_op& op);

// Fills `sqe` for a checked op; user_data is left to the caller.
void prep_sqe(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_OP_PREP_H_
