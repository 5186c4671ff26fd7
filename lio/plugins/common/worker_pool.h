// WorkerPool: a fixed set of threads that run, as ordinary blocking calls,
// the operations a backend's OS mechanism cannot make asynchronous — regular
// files, fsync, openat on the poller; openat, fsync and synchronous handles
// on iocp. One pool for every emulating backend, so they queue, cancel and
// hand back results the same way.
//
// Jobs are numbered by the backend's op slot: the pool's job array is
// allocated once for `capacity`, so submit, cancel, interrupt and drain never
// allocate and can never overflow. What a job does is the backend's: the
// pool calls `run(context, slot, worker)` on a worker thread, and `run`
// looks at its own record of op `slot` and returns the op's LIO result
// (`worker`, 0..threads-1, indexes whatever per-thread scratch the backend
// keeps). A worker that finishes a job appends it to the done list and, if
// that list was empty, calls `notify(context)` (the poller's eventfd write,
// a packet to iocp's completion port), so the owner's wait wakes up and
// drains it. One notification covers every job finished before the owner
// drains; none is lost (see take_done()).
//
// Threading: submit/cancel/interrupt/drain/stop are for the owning thread
// only; one mutex orders them against the workers. A job's result is written
// under it; the backend's record of the op is written by the owner before
// submit and read by `run` after it, which the mutex orders too.
//
// The parts that differ by OS are in worker_pool_posix.cc and
// worker_pool_windows.cc: how a thread is started (POSIX: every signal
// blocked) and how a running blocking call is cut short (Windows:
// CancelSynchronousIo; POSIX has no such call, and interrupt does nothing).
#ifndef LIO_PLUGINS_COMMON_WORKER_POOL_H_
#define LIO_PLUGINS_COMMON_WORKER_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace lio::plugin {

class WorkerPool {
 public:
  // Runs job `slot` on worker thread `worker`: the blocking call, its LIO
  // result (a negative LIO_E* code for an error).
  using Run = int64_t (*)(void* context, uint32_t slot, uint32_t worker);
  // Thread-safe wake-up of the owner; called from worker threads.
  using Notify = void (*)(void* context);

  enum class CancelOutcome {
    kRemoved,   // it had not started: dropped, the owner completes it now
    kStarted,   // running or finished: it completes with its real result
    kNotFound,  // not a job of this pool
  };

  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { stop(); }

  // Allocates jobs [0, capacity) and starts `threads` workers. 0 or a
  // negative LIO_E* code (-LIO_ENOMEM, or -LIO_EAGAIN when the OS refuses a
  // thread); on an error no thread is left running.
  int start(uint32_t capacity, uint32_t threads, Run run, Notify notify, void* context) noexcept;

  // Stops taking jobs and joins every worker once its current job is done.
  // Jobs not started are dropped (never run); finished ones stay drainable.
  void stop() noexcept;

  // Queues job `slot` (not already queued, running or undrained).
  void submit(uint32_t slot) noexcept;

  // Drops job `slot` if no worker took it yet.
  CancelOutcome cancel(uint32_t slot) noexcept;

  // If a worker is in job `slot`'s blocking call now, cuts that call short
  // (it fails as cancelled: ERROR_OPERATION_ABORTED on Windows). A job
  // between two calls is not interrupted: `run` checks the backend's own
  // cancel flag before each call. Does nothing where the OS has no way
  // (POSIX). Returns whether a call was interrupted.
  bool interrupt(uint32_t slot) noexcept;

  // Calls on_done(slot, result) for every finished job, oldest first, outside
  // the lock. The owner calls it whenever it likes; after a notify it must.
  template <class OnDone>
  void drain(OnDone&& on_done) {
    uint32_t job = take_done();
    while (job != kNone) {
      uint32_t next = jobs_[job].next;  // read before on_done may resubmit the slot
      int64_t result = jobs_[job].result;
      jobs_[job].state = State::kIdle;
      on_done(job, result);
      job = next;
    }
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  enum class State : uint8_t { kIdle, kQueued, kRunning, kDone };

  struct Job {
    int64_t result = 0;
    State state = State::kIdle;
    uint32_t prev = kNone;  // queue links; `next` also links the done list
    uint32_t next = kNone;
  };

  // A worker thread as the OS part knows it (for interrupt), and its job.
  struct Worker {
    void* os_thread = nullptr;  // set by the worker itself; Windows: a HANDLE
    uint32_t running = kNone;   // the slot it is in, under mutex_
  };

  void run_worker(uint32_t worker) noexcept;
  uint32_t take_done() noexcept;  // detaches the whole done list, returns its head
  void unlink_queued(uint32_t job) noexcept;
  void finish(uint32_t slot, int64_t result, std::unique_lock<std::mutex>& lock) noexcept;

  Run run_ = nullptr;
  Notify notify_ = nullptr;
  void* context_ = nullptr;

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::vector<Job> jobs_;
  std::vector<Worker> workers_;
  uint32_t queue_head_ = kNone, queue_tail_ = kNone;  // submitted, not started
  uint32_t done_head_ = kNone, done_tail_ = kNone;    // finished, not drained
  bool notified_ = false;  // a notify for the current done list was sent
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// ---- the OS part (worker_pool_posix.cc, worker_pool_windows.cc) ----------------
namespace worker_os {

// Held while the pool starts its threads: on POSIX every signal is blocked,
// so the threads inherit a full mask (signals go to the program's own
// threads, and no blocking call is cut short with EINTR); the old mask comes
// back when it goes. Nothing on Windows.
class StartingThreads {
 public:
  StartingThreads() noexcept;
  ~StartingThreads();
  StartingThreads(const StartingThreads&) = delete;
  StartingThreads& operator=(const StartingThreads&) = delete;

 private:
  alignas(16) unsigned char saved_[128];  // a sigset_t on POSIX
};

// On a worker thread: what `interrupt` needs to reach it later (Windows: a
// handle to this thread), or nullptr.
void* current_thread() noexcept;
// Lets go of what current_thread() returned, after the thread was joined.
void release_thread(void* thread) noexcept;
// Cuts short the blocking call `thread` is in; whether there was one.
bool interrupt_thread(void* thread) noexcept;

}  // namespace worker_os
}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_WORKER_POOL_H_
