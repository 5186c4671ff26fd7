#include "lio/plugins/poller/worker_pool.h"

#include <signal.h>

#include <new>
#include <system_error>

namespace lio::poller {
namespace {

// Blocks every signal on the calling thread for its lifetime, so threads it
// starts inherit a full mask; restores the old mask when it goes.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

}  // namespace

int WorkerPool::start(uint32_t capacity, uint32_t threads, Execute execute, Notify notify, void* context) noexcept {
  execute_ = execute;
  notify_ = notify;
  context_ = context;
  try {
    jobs_.assign(capacity, Job{});
    threads_.reserve(threads);
    AllSignalsBlocked blocked;
    for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run_worker(); });
  } catch (const std::bad_alloc&) {
    stop();
    return -LIO_ENOMEM;
  } catch (const std::system_error&) {  // the OS refused another thread
    stop();
    return -LIO_EAGAIN;
  }
  return 0;
}

void WorkerPool::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void WorkerPool::submit(uint32_t slot, const lio_op& op) noexcept {
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_[slot];
    job.op = op;
    job.state = State::kQueued;
    job.prev = queue_tail_;
    job.next = kNone;
    if (queue_tail_ != kNone) {
      jobs_[queue_tail_].next = slot;
    } else {
      queue_head_ = slot;
    }
    queue_tail_ = slot;
  }
  work_available_.notify_one();
}

WorkerPool::CancelOutcome WorkerPool::cancel(uint32_t slot) noexcept {
  std::lock_guard lock(mutex_);
  switch (jobs_[slot].state) {
    case State::kQueued:
      unlink_queued(slot);
      jobs_[slot].state = State::kIdle;
      return CancelOutcome::kRemoved;
    case State::kRunning:
    case State::kDone:
      return CancelOutcome::kStarted;
    case State::kIdle:
      break;
  }
  return CancelOutcome::kNotFound;
}

void WorkerPool::unlink_queued(uint32_t job) noexcept {
  Job& j = jobs_[job];
  if (j.prev != kNone) {
    jobs_[j.prev].next = j.next;
  } else {
    queue_head_ = j.next;
  }
  if (j.next != kNone) {
    jobs_[j.next].prev = j.prev;
  } else {
    queue_tail_ = j.prev;
  }
  j.prev = j.next = kNone;
}

uint32_t WorkerPool::take_done() noexcept {
  std::lock_guard lock(mutex_);
  uint32_t head = done_head_;
  done_head_ = done_tail_ = kNone;
  // The next finished job must notify again: the owner may already be past
  // its last look at the done list.
  notified_ = false;
  return head;
}

void WorkerPool::run_worker() noexcept {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_available_.wait(lock, [this] { return stopping_ || queue_head_ != kNone; });
    if (stopping_) return;
    uint32_t slot = queue_head_;
    unlink_queued(slot);
    jobs_[slot].state = State::kRunning;
    lio_op op = jobs_[slot].op;
    lock.unlock();

    int64_t result = execute_(op);

    lock.lock();
    Job& job = jobs_[slot];
    job.result = result;
    job.state = State::kDone;
    job.next = kNone;
    if (done_tail_ != kNone) {
      jobs_[done_tail_].next = slot;
    } else {
      done_head_ = slot;
    }
    done_tail_ = slot;
    if (!notified_) {
      notified_ = true;
      // Outside the lock: the owner may be draining. Its reactor outlives us
      // (the owner stops the pool before closing the reactor).
      lock.unlock();
      notify_(context_);
      lock.lock();
    }
  }
}

}  // namespace lio::poller
