// Can io_uring run here, and if not, why — in a sentence a user can act on.
//
// probe() gathers ProbeFacts (environment switch, sysctl, a tiny ring, the
// kernel's opcode list) and explain() turns them into the verdict; they are
// split so every message can be tested without the machine that causes it.
#ifndef LIO_PLUGINS_IO_URING_PROBE_H_
#define LIO_PLUGINS_IO_URING_PROBE_H_

#include <cstddef>

namespace lio::io_uring_plugin {

// Set non-empty, probe fails with -LIO_ENOSYS (tests exercise the "backend
// unavailable" paths of the core with it).
inline constexpr char kForceProbeFailureEnv[] = "LIO_IO_URING_FORCE_PROBE_FAILURE";

struct ProbeFacts {
  bool forced_failure = false;  // kForceProbeFailureEnv is set non-empty
  int disabled_sysctl = -1;     // /proc/sys/kernel/io_uring_disabled; -1 when absent
  int setup_error = 0;          // 0, or -errno from setting up a tiny ring
  bool opcode_list = false;     // the kernel answered IORING_REGISTER_PROBE
  const char* missing_op = nullptr;    // first needed opcode the kernel lacks
  const char* missing_since = nullptr; // the Linux release that added it
  char release[65] = "";               // uname -r
};

// What probe() sees on this machine. Stops gathering at the first fact that
// decides the verdict (no ring is set up when the sysctl forbids it).
ProbeFacts gather_probe_facts();

// 0, or a negative LIO_E* code with the reason written to `why` (truncated
// to why_size, always NUL-terminated when why_size > 0).
int explain(const ProbeFacts& facts, char* why, size_t why_size);

// The vtable's probe: explain(gather_probe_facts()).
int probe(char* why, size_t why_size);

// The opcodes the running kernel knows (IORING_REGISTER_PROBE), asked once
// per process on first use — a tiny ring, then cached; all false when no
// ring can be set up. Opcodes past the list the kernel returned are false.
struct KernelOpcodes {
  bool known[256] = {};
  bool has(unsigned opcode) const { return opcode < 256 && known[opcode]; }
};
const KernelOpcodes& kernel_opcodes();

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_PROBE_H_
