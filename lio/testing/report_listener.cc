#include "lio/testing/report_listener.h"

#include "lio/testing/backends_under_test.h"
#include "lio/testing/clauses.h"

namespace lio::testing {
namespace {

std::string PropertyOf(const ::testing::TestResult& result, const std::string& key) {
  for (int i = 0; i < result.test_property_count(); ++i) {
    const ::testing::TestProperty& property = result.GetTestProperty(i);
    if (property.key() == key) return property.value();
  }
  return "";
}

std::string MessagesOf(const ::testing::TestResult& result, bool failures) {
  std::string messages;
  for (int i = 0; i < result.total_part_count(); ++i) {
    const ::testing::TestPartResult& part = result.GetTestPartResult(i);
    if (failures ? !part.failed() : !part.skipped()) continue;
    if (!messages.empty()) messages += "\n\n";  // parts are separated by a blank line
    if (part.file_name() != nullptr) {
      messages += std::string(part.file_name()) + ":" + std::to_string(part.line_number()) + ": ";
    }
    messages += part.message();
  }
  return messages;
}

}  // namespace

std::string FullName(const ::testing::TestInfo& test) {
  return std::string(test.test_suite_name()) + "." + test.name();
}

void ReportListener::OnTestEnd(const ::testing::TestInfo& test) {
  const ::testing::TestResult& result = *test.result();
  CaseOutcome outcome;
  outcome.name = FullName(test);
  outcome.backend = PropertyOf(result, "backend");
  outcome.clause = PropertyOf(result, "clause");
  if (result.Failed()) {
    outcome.status = CaseStatus::kFail;
    outcome.message = MessagesOf(result, /*failures=*/true);
  } else if (result.Skipped()) {
    outcome.status = CaseStatus::kSkip;
    outcome.message = MessagesOf(result, /*failures=*/false);
  }
  report_.Add(std::move(outcome));
}

CaseOutcome UnfinishedOutcome(const std::string& full_name, const std::string& why) {
  // Conformance/Suite.clause_Name/backend
  size_t dot = full_name.find('.');
  size_t slash = full_name.rfind('/');
  std::string test = full_name.substr(dot + 1, slash == std::string::npos || slash < dot ? std::string::npos
                                                                                           : slash - dot - 1);
  const Clause* clause = ClauseOfTestName(test);
  std::string backend = slash == std::string::npos || slash < dot ? "" : BackendNameOfSuffix(full_name.substr(slash + 1));
  return {full_name, backend, clause ? std::string(clause->id) : "none", CaseStatus::kFail, why};
}

}  // namespace lio::testing
