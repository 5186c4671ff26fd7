// The backends the conformance suite runs against, chosen once at start-up
// (conformance_main.cc) before gtest registers the parameterized cases.
#ifndef LIO_TESTING_BACKENDS_UNDER_TEST_H_
#define LIO_TESTING_BACKENDS_UNDER_TEST_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "lio/core/backend.h"

namespace lio::testing {

struct BackendUnderTest {
  const BackendInfo* info = nullptr;
  ProbeResult probe;  // taken once at start-up
  std::string options;  // --lio_options: for the instance each case starts with
};

// Prints the backend's name where gtest shows GetParam().
void PrintTo(const BackendUnderTest* backend, std::ostream* os);

// Sets the list; call before ::testing::InitGoogleTest.
void SetBackendsUnderTest(std::vector<BackendUnderTest> backends);

// LIO_CONFIG_* flags every instance the suite creates is given
// (--lio_unique_ids sets LIO_CONFIG_UNIQUE_IDS): the whole suite then runs
// under the caller's promise, and the cases of the clauses that promise
// waives ([push.duplicate], [cancel.enoent]) skip.
void SetConfigFlags(uint32_t flags);
uint32_t ConfigFlags();

// The parameter values: one pointer per backend under test.
std::vector<const BackendUnderTest*> BackendsUnderTest();

// "io_uring": the backend's name as a gtest name suffix ([A-Za-z0-9_] only).
std::string BackendParamName(const ::testing::TestParamInfo<const BackendUnderTest*>& param);

// The backend whose BackendParamName is `suffix` (its real name), or `suffix`.
std::string BackendNameOfSuffix(const std::string& suffix);

}  // namespace lio::testing

// Instantiates the conformance cases of `Suite` once per backend under test.
#define LIO_INSTANTIATE_CONFORMANCE_SUITE(Suite)                                                \
  INSTANTIATE_TEST_SUITE_P(Conformance, Suite, ::testing::ValuesIn(::lio::testing::BackendsUnderTest()), \
                           ::lio::testing::BackendParamName)

#endif  // LIO_TESTING_BACKENDS_UNDER_TEST_H_
