// Which io_uring opcodes the running kernel has: asked once per process
// (io_uring_get_probe), then answered from memory. An op whose opcode is
// missing runs emulated (emulated_ops.h), never fails for that reason.
//
// Environment: LIO_IO_URING_HIDE_OPCODES="50,56" makes the answer "missing"
// for those opcode numbers, so the emulated paths can be tested on a kernel
// that has every opcode. Read once, with the probe.
#ifndef LIO_PLUGINS_IO_URING_KERNEL_SUPPORT_H_
#define LIO_PLUGINS_IO_URING_KERNEL_SUPPORT_H_

#include <cstdint>

namespace lio::io_uring_plugin {

inline constexpr char kHideOpcodesEnv[] = "LIO_IO_URING_HIDE_OPCODES";

// True when the running kernel knows `opcode` (and it is not hidden).
bool kernel_has_opcode(uint8_t opcode) noexcept;

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_KERNEL_SUPPORT_H_
