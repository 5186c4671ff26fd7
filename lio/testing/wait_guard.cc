#include "lio/testing/wait_guard.h"

namespace lio::testing {

WaitGuard::WaitGuard() : thread_([this] { Run(); }) {}

WaitGuard::~WaitGuard() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void WaitGuard::Arm(Backend& backend, std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    backend_ = &backend;
    deadline_ = deadline;
    fired_ = false;
  }
  changed_.notify_all();
}

bool WaitGuard::Disarm() {
  std::lock_guard lock(mutex_);
  backend_ = nullptr;
  return fired_;
}

void WaitGuard::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (backend_ == nullptr || fired_) {
      changed_.wait(lock);
    } else if (std::chrono::steady_clock::now() >= deadline_) {
      fired_ = true;
      backend_->wake();  // under the lock: Disarm cannot return (and the backend go) meanwhile
    } else {
      changed_.wait_until(lock, deadline_);
    }
  }
}

}  // namespace lio::testing
