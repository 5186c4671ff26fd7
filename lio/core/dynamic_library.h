// DynamicLibrary: a vetted plugin file loaded by the OS loader (dlopen with
// RTLD_NOW | RTLD_LOCAL, or LoadLibraryExW with a full path on Windows).
#ifndef LIO_CORE_DYNAMIC_LIBRARY_H_
#define LIO_CORE_DYNAMIC_LIBRARY_H_

#include <filesystem>
#include <string>

#include "lio/core/plugin_file.h"

namespace lio::internal {

class DynamicLibrary {
 public:
  // Loads `file` (PluginFile::loader_path); on failure returns an unopened
  // library and sets `error` to the OS loader's words. The library keeps the
  // file's handle open while it is loaded: on Linux its loader name is
  // /proc/self/fd/N, and the loader recognises a library already loaded by
  // that name, so N must not be reused by another plugin meanwhile.
  static DynamicLibrary Open(PluginFile file, std::string* error);

  DynamicLibrary() = default;
  DynamicLibrary(DynamicLibrary&& other) noexcept
      : handle_(other.handle_), file_handle_(other.file_handle_), loader_path_(std::move(other.loader_path_)) {
    other.handle_ = nullptr;
    other.file_handle_ = -1;
  }
  DynamicLibrary& operator=(DynamicLibrary&& other) noexcept;
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;
  ~DynamicLibrary();

  bool is_open() const noexcept { return handle_ != nullptr; }
  // The address of exported `symbol`, or nullptr.
  void* Symbol(const char* symbol) const noexcept;

 private:
  void Close() noexcept;
  void* handle_ = nullptr;
  intptr_t file_handle_ = -1;  // the PluginFile's fd (or HANDLE), closed after the library
  std::filesystem::path loader_path_;
};

}  // namespace lio::internal

#endif  // LIO_CORE_DYNAMIC_LIBRARY_H_
