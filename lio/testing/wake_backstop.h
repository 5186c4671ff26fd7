// WakeBackstop: bounds a wait() with no timeout. If the wait has not returned
// within `after`, another thread calls wake() (the one thread-safe call), so
// a backend that never completes fails the case instead of hanging it.
#ifndef LIO_TESTING_WAKE_BACKSTOP_H_
#define LIO_TESTING_WAKE_BACKSTOP_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lio/core/backend.h"

namespace lio::testing {

class WakeBackstop {
 public:
  WakeBackstop(Backend& backend, std::chrono::nanoseconds after)
      : thread_([this, &backend, after] {
          std::unique_lock lock(mutex_);
          if (!done_.wait_for(lock, after, [this] { return disarmed_; })) {
            fired_ = true;
            backend.wake();
          }
        }) {}
  ~WakeBackstop() { Disarm(); }
  WakeBackstop(const WakeBackstop&) = delete;
  WakeBackstop& operator=(const WakeBackstop&) = delete;

  // Call once the wait returned. Whether the backstop had to wake it.
  bool Disarm() {
    {
      std::lock_guard lock(mutex_);
      disarmed_ = true;
    }
    done_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool disarmed_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace lio::testing

#endif  // LIO_TESTING_WAKE_BACKSTOP_H_
