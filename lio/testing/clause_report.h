// ClauseReport: the outcome of every case, grouped by backend and clause (an
// id of plugin_abi.h, clauses.h) —
// printed as a table at the end of a run and written as JSON (--lio_json) for
// `lio conformance` and CI:
//
//   [{"backend": "io_uring",
//     "clauses": [{"clause": "wait.exactly_once", "group": "wait", "promise": "...", "status": "pass",
//                  "passed": 4, "failed": 0, "skipped": 0,
//                  "cases": [{"name": "...", "status": "pass", "message": ""}]}]}]
//
// A clause's status is "fail" when any of its cases failed, else "pass" when
// any passed, else "skip".
#ifndef LIO_TESTING_CLAUSE_REPORT_H_
#define LIO_TESTING_CLAUSE_REPORT_H_

#include <filesystem>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace lio::testing {

enum class CaseStatus { kPass, kFail, kSkip };
std::string_view StatusName(CaseStatus status);  // "pass", "fail", "skip"

struct CaseOutcome {
  std::string name;     // full gtest name: Conformance/NopTest.exactly_once_X/io_uring
  std::string backend;  // the "backend" property
  std::string clause;   // the "clause" property
  CaseStatus status = CaseStatus::kPass;
  std::string message;  // why it failed or was skipped
};

// One outcome as one line (tab-separated, escaped), and back: how an isolated
// case's process reports to the parent.
std::string ToLine(const CaseOutcome& outcome);
std::optional<CaseOutcome> FromLine(std::string_view line);

// Thread-safe: the watchdog may report a hung case from its own thread.
class ClauseReport {
 public:
  void Add(CaseOutcome outcome);
  bool any_failed() const;
  std::vector<CaseOutcome> outcomes() const;

  // The per-clause table, one block per backend, then the failing cases.
  void PrintTable(std::ostream& out) const;
  // The JSON above; false (and a message on stderr) when it cannot be written.
  bool WriteJson(const std::filesystem::path& path) const;

 private:
  mutable std::mutex mutex_;
  std::vector<CaseOutcome> outcomes_;
};

}  // namespace lio::testing

#endif  // LIO_TESTING_CLAUSE_REPORT_H_
