// Worker: a few threads that run what Windows cannot do as overlapped I/O —
// openat (CreateFileW), fsync (FlushFileBuffers), and reads and writes on
// handles opened without FILE_FLAG_OVERLAPPED (stdin, a file from fopen) —
// and post each finished job back to the backend's completion port, where
// wait() reaps it like any other completion.
//
// Jobs travel through a private completion port, so queueing one allocates
// nothing in the process and needs no lock: a job is the OVERLAPPED of the
// operation's record. Threads, their path scratch and their events are made
// in Start. A job in progress can be interrupted with CancelRunning
// (CancelSynchronousIo on the thread running it).
#ifndef LIO_PLUGINS_IOCP_WORKER_H_
#define LIO_PLUGINS_IOCP_WORKER_H_

#include <windows.h>

#include <cstdint>
#include <memory>

#include "lio/plugins/iocp/blocking_ops.h"

namespace lio::iocp {

// What a job may use on its thread.
struct WorkerThreadScratch {
  PathScratch paths;
  PathScratch second;  // the other path of a rename or link
  // A manual-reset event for blocking calls that take an OVERLAPPED (set its
  // handle's low bit in OVERLAPPED::hEvent so no completion port hears of
  // them).
  HANDLE event = nullptr;
};

class Worker {
 public:
  using RunFn = void (*)(void* context, OVERLAPPED* job, WorkerThreadScratch& scratch);

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { Stop(); }

  // Starts `threads` threads that run jobs with `run(context, ...)` and then
  // post them to `done_port` with completion key `done_key`. 0 or -LIO_E*.
  int Start(unsigned threads, RunFn run, void* context, HANDLE done_port, ULONG_PTR done_key);

  // Queues `job`. 0 or -LIO_E*.
  int Post(OVERLAPPED* job);

  // If a thread is running `job` right now, interrupts the blocking call it
  // is in (CancelSynchronousIo: the call fails with ERROR_OPERATION_ABORTED).
  // A job between two calls is not interrupted; jobs check their own cancel
  // flag before each call.
  void CancelRunning(OVERLAPPED* job);

  // Lets every thread finish the job in hand, then joins them. Jobs still
  // queued are not run (the backend drains its in-flight jobs first).
  void Stop();

 private:
  struct Thread {
    Worker* worker = nullptr;
    HANDLE handle = nullptr;
    CRITICAL_SECTION lock;  // guards `running`
    OVERLAPPED* running = nullptr;
    WorkerThreadScratch scratch;
  };
  static DWORD WINAPI ThreadMain(void* thread);

  HANDLE jobs_ = nullptr;
  RunFn run_ = nullptr;
  void* context_ = nullptr;
  HANDLE done_port_ = nullptr;
  ULONG_PTR done_key_ = 0;
  unsigned count_ = 0;     // threads started
  unsigned prepared_ = 0;  // Thread entries whose lock exists
  unsigned allocated_ = 0;  // Thread entries
  std::unique_ptr<Thread[]> threads_;
};

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_WORKER_H_
