#include "lio/testing/clause_map.h"

#include <vector>

#include "lio/testing/clauses.h"
#include "lio/testing/conformance_test.h"

namespace lio::testing {
namespace {

std::vector<const RegisteredCase*> CasesOf(std::string_view id) {
  std::vector<const RegisteredCase*> cases;
  for (const RegisteredCase& c : RegisteredCases()) {
    if (c.clause->id == id) cases.push_back(&c);
  }
  return cases;
}

}  // namespace

void PrintClauseMap(std::ostream& out) {
  size_t testable = 0, cases = 0;
  for (const Clause& clause : kAllClauses) {
    out << clause.id << "  " << clause.promise << "\n";
    if (!clause.testable()) {
      out << "    not testable: " << clause.not_testable << "\n";
      continue;
    }
    ++testable;
    std::vector<const RegisteredCase*> of_id = CasesOf(clause.id);
    if (of_id.empty()) out << "    NO CASE (a gap in the suite)\n";
    for (const RegisteredCase* c : of_id) out << "    " << c->suite << "." << c->name << "\n";
    cases += of_id.size();
    if (!clause.not_breakable.empty()) out << "    not breakable by a wrapper: " << clause.not_breakable << "\n";
  }
  out << "\n" << kAllClauses.size() << " ids (" << testable << " testable, " << kAllClauses.size() - testable
      << " not), " << cases << " cases\n";
}

std::optional<std::string> FilterForClauses(std::string_view ids, std::string* error) {
  std::string filter;
  while (!ids.empty()) {
    size_t comma = ids.find(',');
    std::string_view id = ids.substr(0, comma);
    ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
    if (id.empty()) continue;
    if (ClauseById(id) == nullptr) {
      *error = "no clause \"" + std::string(id) + "\" in plugin_abi.h (lio conformance --clauses lists them)";
      return std::nullopt;
    }
    std::vector<const RegisteredCase*> of_id = CasesOf(id);
    if (of_id.empty()) {
      *error = "clause \"" + std::string(id) + "\" has no case: " + std::string(ClauseById(id)->not_testable);
      return std::nullopt;
    }
    for (const RegisteredCase* c : of_id) {
      if (!filter.empty()) filter += ":";
      // Conformance/Suite.name/backend
      filter += "*/" + std::string(c->suite) + "." + std::string(c->name) + "/*";
    }
  }
  if (filter.empty()) *error = "--lio_clause names no clause";
  if (filter.empty()) return std::nullopt;
  return filter;
}

}  // namespace lio::testing
