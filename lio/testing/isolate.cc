#include "lio/testing/isolate.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "lio/testing/platform.h"
#include "lio/testing/report_listener.h"
#include "lio/testing/temp_dir.h"

namespace lio::testing {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> Child(const IsolatedRun& run, std::vector<std::string> extra) {
  std::vector<std::string> argv{run.self.string()};
  argv.insert(argv.end(), run.backend_args.begin(), run.backend_args.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

std::vector<std::string> ParseTestList(std::string_view listing) {
  std::vector<std::string> names;
  std::string suite;
  std::istringstream lines{std::string(listing)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // Windows text output
    if (line.empty()) continue;
    if (line[0] != ' ') {
      suite = line.substr(0, line.find(' '));  // "Conformance/NopTest." [# TypeParam...]
      continue;
    }
    size_t start = line.find_first_not_of(' ');
    std::string test = line.substr(start, line.find(' ', start) - start);  // "name  # GetParam() = ..."
    names.push_back(suite + test);
  }
  return names;
}

void RunIsolated(const IsolatedRun& run, ClauseReport& report) {
  TempDir scratch;
  std::filesystem::path listing = scratch.path() / "cases";
  platform::ProcessExit listed =
      platform::RunProcess(Child(run, {"--gtest_list_tests", "--gtest_filter=" + run.filter}), &listing);
  if (listed.crashed || listed.code != 0) {
    report.Add(UnfinishedOutcome("Conformance/ListCases.register_name_Listing/",
                                 "listing the cases failed: " + listed.description));
    return;
  }
  std::vector<std::string> cases = ParseTestList(ReadAll(listing));
  std::cout << "lio conformance: running " << cases.size() << " case(s), each in its own process\n";
  for (const std::string& name : cases) {
    std::filesystem::path outcome_file = scratch.path() / "outcome";
    std::filesystem::remove(outcome_file);
    platform::ProcessExit exit = platform::RunProcess(
        Child(run, {"--gtest_filter=" + name, "--lio_case_outcome=" + outcome_file.string()}));
    bool reported = false;
    std::istringstream lines(ReadAll(outcome_file));
    for (std::string line; std::getline(lines, line);) {
      if (auto outcome = FromLine(line)) {
        report.Add(std::move(*outcome));
        reported = true;
      }
    }
    if (!reported) report.Add(UnfinishedOutcome(name, "the case's process ended with " + exit.description +
                                                          " before reporting: it crashed"));
  }
}

}  // namespace lio::testing
