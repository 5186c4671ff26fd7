#include "lio/core/op.h"

namespace lio {

const char* op_name(uint32_t code) noexcept {
  static constexpr const char* kNames[LIO_OP_COUNT] = {
      "nop",     "read",   "write",   "readv", "writev", "fsync",    "openat",  "close",   "socket",
      "accept",  "connect", "send",   "recv",  "sendmsg", "recvmsg", "shutdown", "timeout", "poll",
      // 1.1
      "bind", "listen", "ftruncate", "linkat", "symlinkat", "renameat", "unlinkat", "mkdirat", "statx",
      "fallocate", "fadvise", "tee", "splice", "pipe", "waitid", "accept_multi", "recv_multi", "send_zc",
      "link_timeout", "read_fixed", "write_fixed",
  };
  return code < LIO_OP_COUNT ? kNames[code] : "unknown";
}

}  // namespace lio
