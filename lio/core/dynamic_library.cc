#include "lio/core/dynamic_library.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace lio::internal {

#if defined(_WIN32)

namespace {
std::string LastErrorText() {
  DWORD code = GetLastError();
  char* text = nullptr;
  FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                 nullptr, code, 0, reinterpret_cast<char*>(&text), 0, nullptr);
  std::string message = text ? text : "";
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  return "error " + std::to_string(code) + (message.empty() ? "" : ": " + message);
}
}  // namespace

DynamicLibrary DynamicLibrary::Open(const std::filesystem::path& path, std::string* error) {
  // A full path, and only the system directories and the DLL's own directory
  // for its dependencies: never the current directory.
  std::filesystem::path full = std::filesystem::absolute(path);
  HMODULE module = LoadLibraryExW(full.wstring().c_str(), nullptr,
                                  LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  if (module == nullptr) *error = LastErrorText();
  return DynamicLibrary(reinterpret_cast<void*>(module));
}

void* DynamicLibrary::Symbol(const char* symbol) const noexcept {
  return reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(handle_), symbol));
}

void DynamicLibrary::Close() noexcept {
  if (handle_ != nullptr) FreeLibrary(static_cast<HMODULE>(handle_));
  handle_ = nullptr;
}

#else

DynamicLibrary DynamicLibrary::Open(const std::filesystem::path& path, std::string* error) {
  // dlopen searches LD_LIBRARY_PATH for a bare name: always pass a path.
  std::filesystem::path full = path.has_parent_path() ? path : std::filesystem::path(".") / path;
  void* handle = dlopen(full.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* text = dlerror();
    *error = text ? text : "dlopen failed";
  }
  return DynamicLibrary(handle);
}

void* DynamicLibrary::Symbol(const char* symbol) const noexcept { return dlsym(handle_, symbol); }

void DynamicLibrary::Close() noexcept {
  if (handle_ != nullptr) dlclose(handle_);
  handle_ = nullptr;
}

#endif

DynamicLibrary& DynamicLibrary::operator=(DynamicLibrary&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

DynamicLibrary::~DynamicLibrary() { Close(); }

}  // namespace lio::internal
