// DynamicLibrary: a shared library opened by full path (dlopen with
// RTLD_NOW | RTLD_LOCAL, or LoadLibraryExW with a full path on Windows).
#ifndef LIO_CORE_DYNAMIC_LIBRARY_H_
#define LIO_CORE_DYNAMIC_LIBRARY_H_

#include <filesystem>
#include <string>

namespace lio::internal {

class DynamicLibrary {
 public:
  // Opens `path`; on failure returns an unopened library and sets `error`
  // to the OS loader's words.
  static DynamicLibrary Open(const std::filesystem::path& path, std::string* error);

  DynamicLibrary() = default;
  DynamicLibrary(DynamicLibrary&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  DynamicLibrary& operator=(DynamicLibrary&& other) noexcept;
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;
  ~DynamicLibrary();

  bool is_open() const noexcept { return handle_ != nullptr; }
  // The address of exported `symbol`, or nullptr.
  void* Symbol(const char* symbol) const noexcept;

 private:
  explicit DynamicLibrary(void* handle) : handle_(handle) {}
  void Close() noexcept;
  void* handle_ = nullptr;
};

}  // namespace lio::internal

#endif  // LIO_CORE_DYNAMIC_LIBRARY_H_
