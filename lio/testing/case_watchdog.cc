#include "lio/testing/case_watchdog.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace lio::testing {

CaseWatchdog::CaseWatchdog(std::chrono::seconds limit, std::function<void(const std::string&)> on_hang)
    : limit_(limit), on_hang_(std::move(on_hang)), thread_([this] { Watch(); }) {}

CaseWatchdog::~CaseWatchdog() { Stop(); }

void CaseWatchdog::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CaseWatchdog::OnTestStart(const ::testing::TestInfo& test) {
  {
    std::lock_guard lock(mutex_);
    armed_ = true;
    deadline_ = std::chrono::steady_clock::now() + limit_;
    current_case_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  changed_.notify_all();
}

void CaseWatchdog::OnTestEnd(const ::testing::TestInfo&) {
  {
    std::lock_guard lock(mutex_);
    armed_ = false;
  }
  changed_.notify_all();
}

void CaseWatchdog::Watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!armed_) {
      changed_.wait(lock);
    } else if (changed_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
               std::chrono::steady_clock::now() >= deadline_) {
      std::fprintf(stderr,
                   "\nlio conformance: case %s has run for %lld s, far past the suite's own bounds: the backend "
                   "is stuck (in wait, cancel or destroy). Aborting the run.\n",
                   current_case_.c_str(), static_cast<long long>(limit_.count()));
      std::fflush(stderr);
      if (on_hang_) on_hang_(current_case_);
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
}

}  // namespace lio::testing
