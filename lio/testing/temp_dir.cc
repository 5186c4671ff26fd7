#include "lio/testing/temp_dir.h"

#include <cstdlib>
#include <random>
#include <string>
#include <system_error>

namespace lio::testing {
namespace {

std::filesystem::path TempRoot() {
  const char* bazel_tmp = std::getenv("TEST_TMPDIR");
  if (bazel_tmp != nullptr && *bazel_tmp != '\0') return bazel_tmp;
  return std::filesystem::temp_directory_path();
}

}  // namespace

TempDir::TempDir() {
  std::random_device random;
  std::filesystem::path root = TempRoot();
  for (;;) {
    path_ = root / ("lio_conformance_" + std::to_string(random()));
    if (std::filesystem::create_directory(path_)) return;  // throws when root is unusable
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace lio::testing
