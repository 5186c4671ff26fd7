// The suite's own helpers: a test name's clause, and the clause table.
#include "lio/testing/clauses.h"

#include <gtest/gtest.h>

#include <string>

namespace lio::testing {
namespace {

TEST(ClauseOfTestNameTest, FindsTheClausePrefix) {
  const Clause* clause = ClauseOfTestName("wait_exactly_once_ManyNops");
  ASSERT_NE(clause, nullptr);
  EXPECT_EQ(clause->id, "wait.exactly_once");
  EXPECT_EQ(clause->group(), "wait");
}

TEST(ClauseOfTestNameTest, LongestIdWins) {
  const Clause* clause = ClauseOfTestName("push_full_first_X");
  ASSERT_NE(clause, nullptr);
  EXPECT_EQ(clause->id, "push.full_first");
  clause = ClauseOfTestName("push_full_X");
  ASSERT_NE(clause, nullptr);
  EXPECT_EQ(clause->id, "push.full");
}

TEST(ClauseOfTestNameTest, NeedsAnUnderscoreAfterTheClause) {
  EXPECT_EQ(ClauseOfTestName("wait_exactly_once"), nullptr);
  EXPECT_EQ(ClauseOfTestName("wait_exactly_onceX"), nullptr);
}

TEST(ClauseOfTestNameTest, NamesWithoutAClauseHaveNone) { EXPECT_EQ(ClauseOfTestName("ReadWorks"), nullptr); }

// Two ids that spell the same C++ name would make a case's clause ambiguous.
TEST(ClauseTableTest, IdsAreUniqueAsNames) {
  auto as_name = [](std::string_view id) {
    std::string name(id);
    for (char& c : name) c = c == '.' ? '_' : c;
    return name;
  };
  for (size_t i = 0; i < kAllClauses.size(); ++i) {
    for (size_t j = i + 1; j < kAllClauses.size(); ++j) {
      EXPECT_NE(as_name(kAllClauses[i].id), as_name(kAllClauses[j].id)) << kAllClauses[i].id;
    }
  }
}

TEST(ClauseTableTest, EveryIdHasAGroupAPromiseAndAtMostOneReason) {
  for (const Clause& clause : kAllClauses) {
    EXPECT_NE(clause.id.find('.'), std::string_view::npos) << clause.id;
    EXPECT_FALSE(clause.promise.empty()) << clause.id;
    EXPECT_TRUE(clause.not_testable.empty() || clause.not_breakable.empty())
        << clause.id << ": an id no case checks needs no reason why no plugin breaks it";
    EXPECT_EQ(ClauseById(clause.id), &clause);
  }
}

}  // namespace
}  // namespace lio::testing
