#include "lio/plugins/io_uring/probe.h"

#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/utsname.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "lio/core/plugin_abi.h"

namespace lio::io_uring_plugin {
namespace {

constexpr char kDisabledSysctlPath[] = "/proc/sys/kernel/io_uring_disabled";
// SOCKET, the newest opcode we use, sets the bar.
constexpr char kNeededRelease[] = "5.19";

struct NeededOp {
  int opcode;
  const char* name;
  const char* since;
};

// Every opcode the backend issues, oldest first, so the message names the
// earliest one the kernel lacks.
constexpr NeededOp kNeededOps[] = {
    {IORING_OP_NOP, "IORING_OP_NOP", "5.1"},
    {IORING_OP_READV, "IORING_OP_READV", "5.1"},
    {IORING_OP_WRITEV, "IORING_OP_WRITEV", "5.1"},
    {IORING_OP_FSYNC, "IORING_OP_FSYNC", "5.1"},
    {IORING_OP_POLL_ADD, "IORING_OP_POLL_ADD", "5.1"},
    {IORING_OP_SENDMSG, "IORING_OP_SENDMSG", "5.3"},
    {IORING_OP_RECVMSG, "IORING_OP_RECVMSG", "5.3"},
    {IORING_OP_TIMEOUT, "IORING_OP_TIMEOUT", "5.4"},
    {IORING_OP_ACCEPT, "IORING_OP_ACCEPT", "5.5"},
    {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL", "5.5"},
    {IORING_OP_CONNECT, "IORING_OP_CONNECT", "5.5"},
    {IORING_OP_OPENAT, "IORING_OP_OPENAT", "5.6"},
    {IORING_OP_CLOSE, "IORING_OP_CLOSE", "5.6"},
    {IORING_OP_READ, "IORING_OP_READ", "5.6"},
    {IORING_OP_WRITE, "IORING_OP_WRITE", "5.6"},
    {IORING_OP_SEND, "IORING_OP_SEND", "5.6"},
    {IORING_OP_RECV, "IORING_OP_RECV", "5.6"},
    {IORING_OP_SHUTDOWN, "IORING_OP_SHUTDOWN", "5.11"},
    {IORING_OP_SOCKET, "IORING_OP_SOCKET", "5.19"},
};

int read_disabled_sysctl() {
  FILE* file = std::fopen(kDisabledSysctlPath, "re");
  if (file == nullptr) return -1;  // kernels before 6.6 have no such switch
  int value = -1;
  if (std::fscanf(file, "%d", &value) != 1) value = -1;
  std::fclose(file);
  return value;
}

bool forced_by_environment() {
  const char* value = std::getenv(kForceProbeFailureEnv);
  return value != nullptr && value[0] != '\0';
}

void read_release(char (&release)[65]) {
  utsname name{};
  if (uname(&name) != 0) {
    std::snprintf(release, sizeof release, "(unknown)");
    return;
  }
  std::snprintf(release, sizeof release, "%s", name.release);
}

// Sets up a tiny ring and asks it which opcodes it knows.
void check_ring(ProbeFacts& facts) {
  io_uring ring{};
  facts.setup_error = io_uring_queue_init(4, &ring, 0);
  if (facts.setup_error != 0) return;
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  facts.opcode_list = probe != nullptr;
  if (probe != nullptr) {
    for (const NeededOp& op : kNeededOps) {
      if (io_uring_opcode_supported(probe, op.opcode)) continue;
      facts.missing_op = op.name;
      facts.missing_since = op.since;
      break;
    }
    io_uring_free_probe(probe);
  }
  io_uring_queue_exit(&ring);
}

[[gnu::format(printf, 4, 5)]] int fail(int code, char* why, size_t why_size, const char* format, ...) {
  if (why != nullptr && why_size > 0) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(why, why_size, format, args);
    va_end(args);
  }
  return code;
}

int explain_setup_error(const ProbeFacts& facts, char* why, size_t why_size) {
  const int error = -facts.setup_error;
  if (error == EPERM && facts.disabled_sysctl == 1) {
    return fail(-LIO_EPERM, why, why_size,
                "io_uring is restricted by sysctl kernel.io_uring_disabled=1 to privileged processes and "
                "members of the group in kernel.io_uring_group, and this process is neither");
  }
  if (error == EPERM) {
    return fail(-LIO_EPERM, why, why_size,
                "io_uring_setup was refused with EPERM: a seccomp filter or container policy (such as "
                "a container runtime's default profile) blocks io_uring for this process");
  }
  if (error == ENOSYS) {
    return fail(-LIO_ENOSYS, why, why_size,
                "io_uring_setup is not available (ENOSYS): kernel %s was built without io_uring, or a "
                "seccomp filter hides the system call",
                facts.release);
  }
  if (error == ENOMEM) {
    return fail(-LIO_ENOMEM, why, why_size,
                "io_uring_setup failed with ENOMEM: not enough memory, or a locked-memory limit "
                "(RLIMIT_MEMLOCK) too low for even a tiny ring");
  }
  const char* description = strerrordesc_np(error);
  return fail(facts.setup_error, why, why_size, "io_uring_setup failed on kernel %s: %s (errno %d)",
              facts.release, description != nullptr ? description : "unknown error", error);
}

}  // namespace

ProbeFacts gather_probe_facts() {
  ProbeFacts facts;
  facts.forced_failure = forced_by_environment();
  if (facts.forced_failure) return facts;
  read_release(facts.release);
  facts.disabled_sysctl = read_disabled_sysctl();
  if (facts.disabled_sysctl == 2) return facts;
  check_ring(facts);
  return facts;
}

int explain(const ProbeFacts& facts, char* why, size_t why_size) {
  if (facts.forced_failure) {
    return fail(-LIO_ENOSYS, why, why_size,
                "io_uring was made unavailable on purpose by the environment variable %s",
                kForceProbeFailureEnv);
  }
  if (facts.disabled_sysctl == 2) {
    return fail(-LIO_EPERM, why, why_size,
                "io_uring is disabled by sysctl kernel.io_uring_disabled=2 on this machine");
  }
  if (facts.setup_error != 0) return explain_setup_error(facts, why, why_size);
  if (!facts.opcode_list) {
    return fail(-LIO_ENOSYS, why, why_size,
                "kernel %s is too old for lio's io_uring backend: it cannot list its opcodes "
                "(IORING_REGISTER_PROBE, Linux 5.6); Linux %s or newer is needed",
                facts.release, kNeededRelease);
  }
  if (facts.missing_op != nullptr) {
    return fail(-LIO_ENOSYS, why, why_size,
                "kernel %s is too old for lio's io_uring backend: it lacks %s (added in Linux %s); "
                "Linux %s or newer is needed",
                facts.release, facts.missing_op, facts.missing_since, kNeededRelease);
  }
  if (why != nullptr && why_size > 0) why[0] = '\0';
  return 0;
}

int probe(char* why, size_t why_size) { return explain(gather_probe_facts(), why, why_size); }

namespace {

KernelOpcodes ask_kernel() {
  KernelOpcodes opcodes;
  io_uring_probe* probe = io_uring_get_probe();
  if (probe == nullptr) return opcodes;
  for (unsigned op = 0; op <= probe->last_op && op < 256; ++op) {
    opcodes.known[op] = io_uring_opcode_supported(probe, static_cast<int>(op)) != 0;
  }
  io_uring_free_probe(probe);
  return opcodes;
}

}  // namespace

const KernelOpcodes& kernel_opcodes() {
  static const KernelOpcodes opcodes = ask_kernel();  // thread-safe, once
  return opcodes;
}

}  // namespace lio::io_uring_plugin
