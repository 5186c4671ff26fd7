// TempDir: a fresh directory for one case's files, removed with everything in
// it when the TempDir is destroyed. Under Bazel it lives in $TEST_TMPDIR.
#ifndef LIO_TESTING_TEMP_DIR_H_
#define LIO_TESTING_TEMP_DIR_H_

#include <filesystem>

namespace lio::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lio::testing

#endif  // LIO_TESTING_TEMP_DIR_H_
