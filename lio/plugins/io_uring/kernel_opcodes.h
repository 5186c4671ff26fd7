// io_uring opcodes newer than the liburing this project builds with (Debian
// 12's liburing 2.3, whose header stops at IORING_OP_SENDMSG_ZC), from the
// kernel's include/uapi/linux/io_uring.h, each with the kernel that added it
// (checked against that enum's order: SENDMSG_ZC 48, READ_MULTISHOT 49,
// WAITID 50, FUTEX_* 51-53, FIXED_FD_INSTALL 54, FTRUNCATE 55, BIND 56,
// LISTEN 57, RECV_ZC 58, EPOLL_WAIT 59, READV/WRITEV_FIXED 60-61, PIPE 62).
// Their SQEs are filled by hand (liburing 2.3 has no prep helper for them);
// the running kernel is asked with io_uring_get_probe before any is used.
#ifndef LIO_PLUGINS_IO_URING_KERNEL_OPCODES_H_
#define LIO_PLUGINS_IO_URING_KERNEL_OPCODES_H_

#include <cstdint>

namespace lio::io_uring_plugin::kernel_op {

inline constexpr uint8_t kReadMultishot = 49;  // 6.7
inline constexpr uint8_t kWaitid = 50;         // 6.7
inline constexpr uint8_t kFtruncate = 55;      // 6.9
inline constexpr uint8_t kBind = 56;           // 6.11
inline constexpr uint8_t kListen = 57;         // 6.11
inline constexpr uint8_t kPipe = 62;           // 6.16

}  // namespace lio::io_uring_plugin::kernel_op

#endif  // LIO_PLUGINS_IO_URING_KERNEL_OPCODES_H_
