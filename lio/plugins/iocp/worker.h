// Worker: a few threads that run what Windows cannot do as overlapped I/O
// (openat, fsync) and post each finished job back to the backend's
// completion port, where wait() reaps it like any other completion.
//
// Jobs travel through a private completion port, so queueing one allocates
// nothing in the process and needs no lock: a job is the OVERLAPPED of the
// operation's record. Threads and their path scratch are made in Start.
#ifndef LIO_PLUGINS_IOCP_WORKER_H_
#define LIO_PLUGINS_IOCP_WORKER_H_

#include <windows.h>

#include <cstdint>
#include <memory>

#include "lio/plugins/iocp/blocking_ops.h"

namespace lio::iocp {

class Worker {
 public:
  // Runs job `job` on a worker thread; `scratch` is that thread's own.
  using RunFn = void (*)(void* context, OVERLAPPED* job, PathScratch& scratch);

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { Stop(); }

  // Starts `threads` threads that run jobs with `run(context, ...)` and then
  // post them to `done_port` with completion key `done_key`. 0 or -LIO_E*.
  int Start(unsigned threads, RunFn run, void* context, HANDLE done_port, ULONG_PTR done_key);

  // Queues `job`. 0 or -LIO_E*. Thread-affine to the backend's thread only by
  // convention: the port itself is thread-safe.
  int Post(OVERLAPPED* job);

  // Lets every thread finish the job in hand, then joins them. Jobs still
  // queued are not run (the backend drains its in-flight jobs first).
  void Stop();

 private:
  struct Thread {
    Worker* worker;
    PathScratch scratch;
  };
  static DWORD WINAPI ThreadMain(void* thread);

  HANDLE jobs_ = nullptr;
  RunFn run_ = nullptr;
  void* context_ = nullptr;
  HANDLE done_port_ = nullptr;
  ULONG_PTR done_key_ = 0;
  unsigned count_ = 0;
  std::unique_ptr<HANDLE[]> threads_;
  std::unique_ptr<Thread[]> thread_state_;
};

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_WORKER_H_
