// PluginFile: a candidate plugin file, opened once and vetted before any of
// its code can run.
//
// One bad file in a plugin directory must not take the host down, and a file
// someone else can write must not put their code into this process. So the
// file is opened (without blocking: a FIFO would hang a plain open), and
// through that one open handle it is checked:
//   - a regular file (not a FIFO, directory, device; a symlink is resolved
//     first and the target is what is checked);
//   - on POSIX: owned by root or the current user and not writable by group
//     or others, and the same for the directory holding it
//     (LIO_ALLOW_INSECURE_PLUGINS=1 lifts this rule, with a warning on stderr);
//   - a complete shared library for this machine (image_check.h).
// The OS loader is then given that same handle's file (/proc/self/fd/N on
// Linux; on Windows the handle stays open without write or delete sharing
// while LoadLibraryExW runs), so the file checked is the file loaded.
#ifndef LIO_CORE_PLUGIN_FILE_H_
#define LIO_CORE_PLUGIN_FILE_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "lio/core/error.h"
#include "lio/core/expected.h"

namespace lio::internal {

class PluginFile {
 public:
  // Opens and vets `path`. The error names the file, the reason and what to
  // do about it.
  static Expected<PluginFile, Error> Open(const std::filesystem::path& path);

  PluginFile(PluginFile&& other) noexcept;
  PluginFile& operator=(PluginFile&& other) noexcept;
  PluginFile(const PluginFile&) = delete;
  PluginFile& operator=(const PluginFile&) = delete;
  ~PluginFile();

  // The file itself, every symlink resolved: its identity.
  const std::filesystem::path& resolved() const noexcept { return resolved_; }
  // What to give the OS loader so it loads the file this handle holds.
  std::filesystem::path loader_path() const;
  // Gives up the handle (the caller closes it); for DynamicLibrary.
  intptr_t release() noexcept;

 private:
  PluginFile(std::filesystem::path resolved, intptr_t handle) : resolved_(std::move(resolved)), handle_(handle) {}
  void Close() noexcept;
  std::filesystem::path resolved_;
  intptr_t handle_ = -1;  // an fd, or a Windows HANDLE
};

}  // namespace lio::internal

#endif  // LIO_CORE_PLUGIN_FILE_H_
