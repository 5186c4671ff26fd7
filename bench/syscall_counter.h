// Counts system calls made by the calling thread, in the kernel, with a perf
// tracepoint counter (perf_event_open on syscalls:sys_enter_<name> or
// raw_syscalls:sys_enter). This sees what liburing issues itself — liburing
// 2.3 makes io_uring_enter with an inline `syscall` instruction, so wrapping
// libc's syscall() would miss it. Needs tracefs (/sys/kernel/tracing) and
// permission to open tracepoint events (root, or perf_event_paranoid <= -1);
// otherwise ok() is false and why() says which.
#ifndef LIO_BENCH_SYSCALL_COUNTER_H_
#define LIO_BENCH_SYSCALL_COUNTER_H_

#include <cstdint>
#include <string>

namespace lio::bench {

class SyscallCounter {
 public:
  // `name`: "io_uring_enter" for one system call, "" for all of them.
  explicit SyscallCounter(const std::string& name);
  ~SyscallCounter();
  SyscallCounter(const SyscallCounter&) = delete;
  SyscallCounter& operator=(const SyscallCounter&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& why() const { return why_; }

  void Start();           // reset and enable
  uint64_t Stop();        // disable; the count since Start
  uint64_t Read() const;  // the count so far, without stopping

 private:
  int fd_ = -1;
  uint64_t baseline_ = 0;
  std::string why_;
};

}  // namespace lio::bench

#endif  // LIO_BENCH_SYSCALL_COUNTER_H_
