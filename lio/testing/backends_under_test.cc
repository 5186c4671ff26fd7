#include "lio/testing/backends_under_test.h"

#include <utility>

namespace lio::testing {
namespace {

std::vector<BackendUnderTest>& Storage() {
  static std::vector<BackendUnderTest> backends;
  return backends;
}

}  // namespace

void PrintTo(const BackendUnderTest* backend, std::ostream* os) { *os << backend->info->name; }

uint32_t config_flags = 0;

void SetConfigFlags(uint32_t flags) { config_flags = flags; }
uint32_t ConfigFlags() { return config_flags; }

void SetBackendsUnderTest(std::vector<BackendUnderTest> backends) { Storage() = std::move(backends); }

std::vector<const BackendUnderTest*> BackendsUnderTest() {
  std::vector<const BackendUnderTest*> pointers;
  for (const BackendUnderTest& backend : Storage()) pointers.push_back(&backend);
  return pointers;
}

namespace {

std::string Sanitized(std::string name) {
  for (char& c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) c = '_';
  }
  return name;
}

}  // namespace

std::string BackendParamName(const ::testing::TestParamInfo<const BackendUnderTest*>& param) {
  return Sanitized(param.param->info->name);
}

std::string BackendNameOfSuffix(const std::string& suffix) {
  for (const BackendUnderTest& backend : Storage()) {
    if (Sanitized(backend.info->name) == suffix) return backend.info->name;
  }
  return suffix;
}

}  // namespace lio::testing
