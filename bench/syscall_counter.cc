#include "bench/syscall_counter.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lio::bench {

namespace {

// The tracepoint's id from tracefs, or -1.
long long TracepointId(const std::string& event) {
  for (const char* root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"}) {
    std::ifstream f(std::string(root) + event + "/id");
    long long id = -1;
    if (f >> id) return id;
  }
  return -1;
}

}  // namespace

SyscallCounter::SyscallCounter(const std::string& name) {
  const std::string event = name.empty() ? "raw_syscalls/sys_enter" : "syscalls/sys_enter_" + name;
  long long id = TracepointId(event);
  if (id < 0) {
    why_ = "no tracepoint " + event + " in /sys/kernel/tracing (tracefs not mounted?)";
    return;
  }
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = static_cast<uint64_t>(id);
  attr.disabled = 1;
  attr.sample_period = 0;
  // This thread only: the loop under test runs on it.
  fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd_ < 0) {
    why_ = "perf_event_open(" + event + "): " + std::strerror(errno) + " (needs root or perf_event_paranoid <= -1)";
    return;
  }
  // What Start() + Stop() count by themselves (the disabling ioctl, when
  // counting every system call), subtracted from every count.
  Start();
  baseline_ = Stop();
}

SyscallCounter::~SyscallCounter() {
  if (fd_ >= 0) close(fd_);
}

void SyscallCounter::Start() {
  if (fd_ < 0) return;
  ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
  ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
}

uint64_t SyscallCounter::Stop() {
  if (fd_ < 0) return 0;
  ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
  uint64_t n = Read();
  return n > baseline_ ? n - baseline_ : 0;
}

uint64_t SyscallCounter::Read() const {
  uint64_t count = 0;
  if (fd_ < 0 || read(fd_, &count, sizeof count) != sizeof count) return 0;
  return count;
}

}  // namespace lio::bench
