// ReportListener: adds each finished case's outcome (status, its "clause" and
// "backend" properties, failure messages) to a ClauseReport.
#ifndef LIO_TESTING_REPORT_LISTENER_H_
#define LIO_TESTING_REPORT_LISTENER_H_

#include <gtest/gtest.h>

#include <string>

#include "lio/testing/clause_report.h"

namespace lio::testing {

class ReportListener : public ::testing::EmptyTestEventListener {
 public:
  explicit ReportListener(ClauseReport& report) : report_(report) {}
  void OnTestEnd(const ::testing::TestInfo& test) override;

 private:
  ClauseReport& report_;
};

// "Conformance/NopTest.wait_exactly_once_X/io_uring".
std::string FullName(const ::testing::TestInfo& test);

// The outcome of a case that never finished (hung or crashed), from its name.
CaseOutcome UnfinishedOutcome(const std::string& full_name, const std::string& why);

}  // namespace lio::testing

#endif  // LIO_TESTING_REPORT_LISTENER_H_
