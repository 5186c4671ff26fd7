// The suite's own helper: a test name's clause prefix.
#include "lio/testing/clauses.h"

#include <gtest/gtest.h>

namespace lio::testing {
namespace {

TEST(ClauseOfTestNameTest, FindsTheClausePrefix) {
  const Clause* clause = ClauseOfTestName("exactly_once_ManyNops");
  ASSERT_NE(clause, nullptr);
  EXPECT_EQ(clause->name, "exactly_once");
}

TEST(ClauseOfTestNameTest, NeedsAnUnderscoreAfterTheClause) {
  EXPECT_EQ(ClauseOfTestName("exactly_once"), nullptr);
  EXPECT_EQ(ClauseOfTestName("exactly_onceX"), nullptr);
}

TEST(ClauseOfTestNameTest, NamesWithoutAClauseHaveNone) { EXPECT_EQ(ClauseOfTestName("ReadWorks"), nullptr); }

TEST(ClauseOfTestNameTest, ClauseNamesAreUnique) {
  for (size_t i = 0; i < kAllClauses.size(); ++i) {
    for (size_t j = i + 1; j < kAllClauses.size(); ++j) EXPECT_NE(kAllClauses[i].name, kAllClauses[j].name);
  }
}

}  // namespace
}  // namespace lio::testing
