// The POSIX part of the worker pool (worker_pool.h): threads start with every
// signal blocked; a running blocking call cannot be cut short.
#include <signal.h>

#include <cstring>

#include "lio/plugins/common/worker_pool.h"

namespace lio::plugin::worker_os {

StartingThreads::StartingThreads() noexcept {
  static_assert(sizeof(sigset_t) <= sizeof(saved_), "StartingThreads::saved_ holds a sigset_t");
  sigset_t all;
  sigfillset(&all);
  sigset_t saved;
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  std::memcpy(saved_, &saved, sizeof(saved));
}

StartingThreads::~StartingThreads() {
  sigset_t saved;
  std::memcpy(&saved, saved_, sizeof(saved));
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

// A signal could interrupt the call (pthread_kill), but the pool's threads
// block every signal, and the program's handlers are not ours to install.
void* current_thread() noexcept { return nullptr; }
void release_thread(void*) noexcept {}
bool interrupt_thread(void*) noexcept { return false; }

}  // namespace lio::plugin::worker_os
