#include "lio/plugins/iocp/worker.h"

#include <new>

#include "lio/plugins/iocp/errno_map.h"

namespace lio::iocp {
namespace {

// Completion key of the packet that tells a thread to stop.
constexpr ULONG_PTR kQuitKey = 1;

}  // namespace

int Worker::Start(unsigned threads, RunFn run, void* context, HANDLE done_port, ULONG_PTR done_key) {
  run_ = run;
  context_ = context;
  done_port_ = done_port;
  done_key_ = done_key;
  jobs_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  if (jobs_ == nullptr) return static_cast<int>(ErrorResult(GetLastError()));
  threads_.reset(new (std::nothrow) Thread[threads]);
  if (!threads_) {
    Stop();
    return -LIO_ENOMEM;
  }
  allocated_ = threads;
  for (unsigned i = 0; i < threads; ++i) {
    Thread& t = threads_[i];
    t.worker = this;
    t.scratch.event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (t.scratch.event == nullptr) {
      int error = static_cast<int>(ErrorResult(GetLastError()));
      Stop();
      return error;
    }
    InitializeCriticalSection(&t.lock);
    ++prepared_;
    t.handle = CreateThread(nullptr, 64 * 1024, &Worker::ThreadMain, &t, STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr);
    if (t.handle == nullptr) {
      int error = static_cast<int>(ErrorResult(GetLastError()));
      Stop();
      return error;
    }
    ++count_;
  }
  return 0;
}

int Worker::Post(OVERLAPPED* job) {
  if (!PostQueuedCompletionStatus(jobs_, 0, 0, job)) return static_cast<int>(ErrorResult(GetLastError()));
  return 0;
}

void Worker::CancelRunning(OVERLAPPED* job) {
  for (unsigned i = 0; i < count_; ++i) {
    Thread& t = threads_[i];
    EnterCriticalSection(&t.lock);
    // Holding the lock keeps the thread on this job until we are done.
    if (t.running == job) CancelSynchronousIo(t.handle);
    LeaveCriticalSection(&t.lock);
  }
}

void Worker::Stop() {
  if (jobs_ != nullptr) {
    for (unsigned i = 0; i < count_; ++i) PostQueuedCompletionStatus(jobs_, 0, kQuitKey, nullptr);
  }
  for (unsigned i = 0; i < count_; ++i) {
    WaitForSingleObject(threads_[i].handle, INFINITE);
    CloseHandle(threads_[i].handle);
  }
  for (unsigned i = 0; i < prepared_; ++i) {
    DeleteCriticalSection(&threads_[i].lock);
  }
  for (unsigned i = 0; i < allocated_; ++i) {
    if (threads_[i].scratch.event != nullptr) CloseHandle(threads_[i].scratch.event);
  }
  count_ = 0;
  prepared_ = 0;
  allocated_ = 0;
  if (jobs_ != nullptr) CloseHandle(jobs_);
  jobs_ = nullptr;
  threads_.reset();
}

DWORD WINAPI Worker::ThreadMain(void* arg) {
  Thread* t = static_cast<Thread*>(arg);
  Worker* w = t->worker;
  for (;;) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* job = nullptr;
    BOOL ok = GetQueuedCompletionStatus(w->jobs_, &bytes, &key, &job, INFINITE);
    if (!ok && job == nullptr) return 1;  // the port is gone
    if (key == kQuitKey) return 0;
    EnterCriticalSection(&t->lock);
    t->running = job;
    LeaveCriticalSection(&t->lock);
    w->run_(w->context_, job, t->scratch);
    EnterCriticalSection(&t->lock);
    t->running = nullptr;
    LeaveCriticalSection(&t->lock);
    // Hand the finished job back; the backend's wait reaps it.
    while (!PostQueuedCompletionStatus(w->done_port_, 0, w->done_key_, job)) Sleep(1);
  }
}

}  // namespace lio::iocp
