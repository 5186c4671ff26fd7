// CaseWatchdog: ends the process when one case runs far past every bound the
// suite sets itself (a backend that blocks in wait, cancel or destroy despite
// its timeout), so CI reports a hung case instead of hanging.
#ifndef LIO_TESTING_CASE_WATCHDOG_H_
#define LIO_TESTING_CASE_WATCHDOG_H_

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace lio::testing {

class CaseWatchdog : public ::testing::EmptyTestEventListener {
 public:
  // `on_hang(full case name)` runs on the watchdog's thread just before the
  // process ends (to write what the report has so far).
  CaseWatchdog(std::chrono::seconds limit, std::function<void(const std::string&)> on_hang);
  ~CaseWatchdog() override;

  // Joins the watching thread; call after RUN_ALL_TESTS.
  void Stop();

  void OnTestStart(const ::testing::TestInfo& test) override;
  void OnTestEnd(const ::testing::TestInfo& test) override;

 private:
  void Watch();

  const std::chrono::seconds limit_;
  const std::function<void(const std::string&)> on_hang_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool armed_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::string current_case_;
  std::thread thread_;
};

}  // namespace lio::testing

#endif  // LIO_TESTING_CASE_WATCHDOG_H_
