#include "lio/plugins/iocp/worker.h"

#include <new>

#include "lio/plugins/iocp/win_error.h"

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
  threads_.reset(new (std::nothrow) HANDLE[threads]);
  thread_state_.reset(new (std::nothrow) Thread[threads]);
  if (!threads_ || !thread_state_) {
    Stop();
    return -LIO_ENOMEM;
  }
  for (unsigned i = 0; i < threads; ++i) {
    thread_state_[i].worker = this;
    HANDLE t = CreateThread(nullptr, 64 * 1024, &Worker::ThreadMain, &thread_state_[i],
                            STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr);
    if (t == nullptr) {
      int error = static_cast<int>(ErrorResult(GetLastError()));
      Stop();
      return error;
    }
    threads_[count_++] = t;
  }
  return 0;
}

int Worker::Post(OVERLAPPED* job) {
  if (!PostQueuedCompletionStatus(jobs_, 0, 0, job)) return static_cast<int>(ErrorResult(GetLastError()));
  return 0;
}

void Worker::Stop() {
  if (jobs_ == nullptr) return;
  for (unsigned i = 0; i < count_; ++i) PostQueuedCompletionStatus(jobs_, 0, kQuitKey, nullptr);
  for (unsigned first = 0; first < count_; first += MAXIMUM_WAIT_OBJECTS) {
    unsigned n = count_ - first < MAXIMUM_WAIT_OBJECTS ? count_ - first : MAXIMUM_WAIT_OBJECTS;
    WaitForMultipleObjects(n, &threads_[first], TRUE, INFINITE);
  }
  for (unsigned i = 0; i < count_; ++i) CloseHandle(threads_[i]);
  count_ = 0;
  CloseHandle(jobs_);
  jobs_ = nullptr;
  threads_.reset();
  thread_state_.reset();
}

DWORD WINAPI Worker::ThreadMain(void* arg) {
  Thread* thread = static_cast<Thread*>(arg);
  Worker* w = thread->worker;
  for (;;) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED* job = nullptr;
    BOOL ok = GetQueuedCompletionStatus(w->jobs_, &bytes, &key, &job, INFINITE);
    if (!ok && job == nullptr) return 1;  // the port is gone
    if (key == kQuitKey) return 0;
    w->run_(w->context_, job, thread->scratch);
    // Hand the finished job back; the backend's wait reaps it.
    while (!PostQueuedCompletionStatus(w->done_port_, 0, w->done_key_, job)) Sleep(1);
  }
}

}  // namespace lio::iocp
