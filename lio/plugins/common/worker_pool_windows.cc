// The Windows part of the worker pool (worker_pool.h): a running blocking
// call is cut short with CancelSynchronousIo on the worker's thread (the call
// fails with ERROR_OPERATION_ABORTED). Windows has no signals to block.
#include <windows.h>

#include "lio/plugins/common/worker_pool.h"

namespace lio::plugin::worker_os {

StartingThreads::StartingThreads() noexcept : saved_{} {}
StartingThreads::~StartingThreads() = default;

// GetCurrentThread() is a pseudo-handle that means "the caller" to whoever
// uses it: the owner needs a real handle to this thread.
void* current_thread() noexcept {
  HANDLE self = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &self, 0, FALSE,
                       DUPLICATE_SAME_ACCESS)) {
    return nullptr;  // interrupt then does nothing; the job still ends on its own
  }
  return self;
}

void release_thread(void* thread) noexcept {
  if (thread != nullptr) CloseHandle(static_cast<HANDLE>(thread));
}

bool interrupt_thread(void* thread) noexcept { return CancelSynchronousIo(static_cast<HANDLE>(thread)) != 0; }

}  // namespace lio::plugin::worker_os
