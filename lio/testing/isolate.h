// --lio_isolate: each case in its own process, so a backend that crashes or
// hangs fails that case (named, with its clause) and the run goes on.
#ifndef LIO_TESTING_ISOLATE_H_
#define LIO_TESTING_ISOLATE_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lio/testing/clause_report.h"

namespace lio::testing {

struct IsolatedRun {
  std::filesystem::path self;             // this runner
  std::vector<std::string> backend_args;  // --lio_plugin=..., --lio_backend=...
  std::string filter;                     // the --gtest_filter in force
};

// Lists the cases (a child with --gtest_list_tests), runs each in a child
// that writes its outcome with --lio_case_outcome, and adds every outcome —
// or, for a child that wrote none, a failure saying how it ended — to `report`.
void RunIsolated(const IsolatedRun& run, ClauseReport& report);

// Full case names from --gtest_list_tests output.
std::vector<std::string> ParseTestList(std::string_view listing);

}  // namespace lio::testing

#endif  // LIO_TESTING_ISOLATE_H_
