// The clause map: every id of plugin_abi.h (clauses.h) and the conformance
// cases that check it, or why none can. `lio conformance --clauses` prints
// it; `--lio_clause=ID,...` runs only the cases of those ids.
#ifndef LIO_TESTING_CLAUSE_MAP_H_
#define LIO_TESTING_CLAUSE_MAP_H_

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace lio::testing {

// One block per id: "id  promise", then its cases (Suite.name), or
// "not testable: why"; "not breakable: why" where it applies.
void PrintClauseMap(std::ostream& out);

// A gtest filter running exactly the cases of the comma-separated `ids`, or
// nullopt (and `error` says which id is unknown or has no case).
std::optional<std::string> FilterForClauses(std::string_view ids, std::string* error);

}  // namespace lio::testing

#endif  // LIO_TESTING_CLAUSE_MAP_H_
