// Where a fuzzer finds the plugins it loads: the Bazel runfiles beside its
// executable (<exe>.runfiles/lio/lio/plugins/<name>/), always absolute.
#ifndef LIO_TESTING_FUZZ_PLUGIN_DIRS_H_
#define LIO_TESTING_FUZZ_PLUGIN_DIRS_H_

#include <filesystem>
#include <system_error>
#include <vector>

namespace lio::fuzz {

inline std::vector<std::filesystem::path> PluginDirs() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path plugins = exe.string() + ".runfiles/lio/lio/plugins";
  std::vector<std::filesystem::path> dirs;
  for (const char* name : {"io_uring", "poller", "chaos"}) {
    std::filesystem::path dir = plugins / name;
    if (!std::filesystem::is_directory(dir, ec)) return {};
    dirs.push_back(dir);
  }
  return dirs;
}

}  // namespace lio::fuzz

#endif  // LIO_TESTING_FUZZ_PLUGIN_DIRS_H_
