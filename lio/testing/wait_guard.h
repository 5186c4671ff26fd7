// WaitGuard: bounds every wait() the suite makes. While armed, a helper
// thread calls wake() — the one thread-safe call — once the deadline passes,
// so a backend whose wait overstays its timeout (or blocks for good with no
// timeout) fails the case instead of hanging the run.
#ifndef LIO_TESTING_WAIT_GUARD_H_
#define LIO_TESTING_WAIT_GUARD_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "lio/core/backend.h"

namespace lio::testing {

class WaitGuard {
 public:
  WaitGuard();
  ~WaitGuard();
  WaitGuard(const WaitGuard&) = delete;
  WaitGuard& operator=(const WaitGuard&) = delete;

  // Wake `backend` at `deadline` unless disarmed first.
  void Arm(Backend& backend, std::chrono::steady_clock::time_point deadline);
  // Whether the guard had to wake the backend since Arm.
  bool Disarm();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable changed_;
  Backend* backend_ = nullptr;  // armed when set
  std::chrono::steady_clock::time_point deadline_;
  bool fired_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace lio::testing

#endif  // LIO_TESTING_WAIT_GUARD_H_
