// WorkerPool: a fixed set of threads that run the operations readiness cannot
// serve — regular-file I/O, fsync, openat, close — as ordinary blocking calls.
//
// Jobs are numbered by the backend's op slot, so the pool's job array is
// allocated once for `capacity` and can never overflow; submit, cancel and
// drain never allocate. A worker that finishes a job appends it to the done
// list and, if that list was empty, calls `notify` (the reactor's eventfd
// write) so the owner's wait wakes up and drains it. One notification covers
// every job finished before the owner drains; none is lost (see drain()).
//
// Threading: submit/cancel/drain/stop are for the owning thread only; the
// mutex orders them against the workers. A job's op and result are written
// under the mutex by whichever side owns the job at that moment, so no field
// is touched by two threads without it.
#ifndef LIO_PLUGINS_POLLER_WORKER_POOL_H_
#define LIO_PLUGINS_POLLER_WORKER_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "lio/core/plugin_abi.h"

namespace lio::poller {

class WorkerPool {
 public:
  // Runs one job on a worker thread: the blocking call, its LIO result.
  using Execute = int64_t (*)(const lio_op& op);
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

  // Allocates jobs [0, capacity) and starts `threads` workers with every
  // signal blocked (signals go to the program's own threads, and no blocking
  // call is cut short with EINTR). 0 or a negative LIO_E* code.
  int start(uint32_t capacity, uint32_t threads, Execute execute, Notify notify, void* context) noexcept;

  // Stops taking jobs and joins every worker once its current job is done.
  // Jobs not started are dropped (never run); finished ones stay drainable.
  void stop() noexcept;

  // Queues job `slot` (not already queued or running) to run `op`.
  void submit(uint32_t slot, const lio_op& op) noexcept;

  CancelOutcome cancel(uint32_t slot) noexcept;

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
    lio_op op{};
    int64_t result = 0;
    State state = State::kIdle;
    uint32_t prev = kNone;  // queue links; `next` also links the done list
    uint32_t next = kNone;
  };

  void run_worker() noexcept;
  uint32_t take_done() noexcept;  // detaches the whole done list, returns its head
  void unlink_queued(uint32_t job) noexcept;

  Execute execute_ = nullptr;
  Notify notify_ = nullptr;
  void* context_ = nullptr;

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::vector<Job> jobs_;
  uint32_t queue_head_ = kNone, queue_tail_ = kNone;  // submitted, not started
  uint32_t done_head_ = kNone, done_tail_ = kNone;    // finished, not drained
  bool notified_ = false;  // a notify for the current done list was sent
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_WORKER_POOL_H_
