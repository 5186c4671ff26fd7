#include "lio/plugins/common/worker_pool.h"

#include <new>
#include <system_error>

#include "lio/core/plugin_abi.h"

namespace lio::plugin {

int WorkerPool::start(uint32_t capacity, uint32_t threads, Run run, Notify notify, void* context) noexcept {
  run_ = run;
  notify_ = notify;
  context_ = context;
  try {
    jobs_.assign(capacity, Job{});
    workers_.assign(threads, Worker{});
    threads_.reserve(threads);
    worker_os::StartingThreads starting;
    for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run_worker(i); });
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
  for (Worker& worker : workers_) {
    worker_os::release_thread(worker.os_thread);
    worker.os_thread = nullptr;
  }
}

void WorkerPool::submit(uint32_t slot) noexcept {
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_[slot];
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
  if (slot >= jobs_.size()) return CancelOutcome::kNotFound;
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

bool WorkerPool::interrupt(uint32_t slot) noexcept {
  // Holding the lock keeps the worker on this job until the call is made:
  // it must take the lock to finish the job and take another.
  std::lock_guard lock(mutex_);
  for (Worker& worker : workers_) {
    if (worker.running == slot && worker.os_thread != nullptr) return worker_os::interrupt_thread(worker.os_thread);
  }
  return false;
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

void WorkerPool::run_worker(uint32_t worker) noexcept {
  void* os_thread = worker_os::current_thread();
  std::unique_lock lock(mutex_);
  workers_[worker].os_thread = os_thread;
  for (;;) {
    work_available_.wait(lock, [this] { return stopping_ || queue_head_ != kNone; });
    if (stopping_) return;
    uint32_t slot = queue_head_;
    unlink_queued(slot);
    jobs_[slot].state = State::kRunning;
    workers_[worker].running = slot;
    lock.unlock();

    int64_t result = run_(context_, slot, worker);

    lock.lock();
    workers_[worker].running = kNone;
    finish(slot, result, lock);
  }
}

// Appends a job to the done list and notifies the owner if the list was
// waiting for one. Called and returns with `lock` held.
void WorkerPool::finish(uint32_t slot, int64_t result, std::unique_lock<std::mutex>& lock) noexcept {
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
  if (notified_) return;
  notified_ = true;
  // Outside the lock: the owner may be draining. What it notifies outlives
  // us (the owner stops the pool before letting go of it).
  lock.unlock();
  notify_(context_);
  lock.lock();
}

}  // namespace lio::plugin
