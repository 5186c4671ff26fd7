// The runner's report: outcome lines round-trip; the table and the JSON
// group cases by clause and mark a clause failed when one case failed.
#include "lio/testing/clause_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "lio/testing/isolate.h"
#include "lio/testing/temp_dir.h"

namespace lio::testing {
namespace {

TEST(ClauseReportTest, OutcomeLineRoundTripsTabsNewlinesAndBackslashes) {
  CaseOutcome outcome{"Conformance/NopTest.exactly_once_X/io_uring", "io_uring", "exactly_once", CaseStatus::kFail,
                      "file.cc:3: Failure\n\tpath C:\\tmp"};
  std::optional<CaseOutcome> back = FromLine(ToLine(outcome));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->name, outcome.name);
  EXPECT_EQ(back->backend, outcome.backend);
  EXPECT_EQ(back->clause, outcome.clause);
  EXPECT_EQ(back->status, CaseStatus::kFail);
  EXPECT_EQ(back->message, outcome.message);
}

TEST(ClauseReportTest, MalformedLineIsRejected) { EXPECT_FALSE(FromLine("pass\tonly three\tfields").has_value()); }

TEST(ClauseReportTest, OneFailedCaseFailsItsClause) {
  ClauseReport report;
  report.Add({"a", "b1", "wait.exactly_once", CaseStatus::kPass, ""});
  report.Add({"b", "b1", "wait.exactly_once", CaseStatus::kFail, "[wait.exactly_once] id 0x1 completed twice"});
  report.Add({"c", "b1", "push.undeclared", CaseStatus::kSkip, "backend declares every op"});
  EXPECT_TRUE(report.any_failed());
  std::ostringstream table;
  report.PrintTable(table);
  EXPECT_NE(table.str().find("wait.exactly_once                   FAIL"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("push.undeclared                     skip"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("[wait.exactly_once] id 0x1 completed twice"), std::string::npos) << table.str();

  TempDir dir;
  ASSERT_TRUE(report.WriteJson(dir.path() / "report.json"));
  std::ifstream in(dir.path() / "report.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find(R"("clause": "wait.exactly_once", "group": "wait", "promise": "Each pushed)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("status": "fail", "passed": 1, "failed": 1, "skipped": 0)"), std::string::npos) << json;
}

TEST(ClauseReportTest, ParsesWindowsLineEndings) {
  EXPECT_EQ(ParseTestList("Conformance/NopTest.\r\n  exactly_once_A/iocp\r\n"),
            (std::vector<std::string>{"Conformance/NopTest.exactly_once_A/iocp"}));
}

TEST(ClauseReportTest, ParsesGtestListing) {
  std::vector<std::string> names = ParseTestList(
      "Conformance/NopTest.\n"
      "  exactly_once_A/io_uring  # GetParam() = io_uring\n"
      "  known_ids_only_B/io_uring  # GetParam() = io_uring\n"
      "Conformance/PushTest.\n"
      "  push_errors_C/poller\n");
  EXPECT_EQ(names, (std::vector<std::string>{"Conformance/NopTest.exactly_once_A/io_uring",
                                             "Conformance/NopTest.known_ids_only_B/io_uring",
                                             "Conformance/PushTest.push_errors_C/poller"}));
}

}  // namespace
}  // namespace lio::testing
