#include "lio/core/dynamic_library.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#include <unistd.h>
#endif

#include <utility>

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

DynamicLibrary DynamicLibrary::Open(PluginFile file, std::string* error) {
  // A full path, and only the system directories and the DLL's own directory
  // for its dependencies: never the current directory. The file's handle,
  // open without write or delete sharing, keeps it as checked meanwhile.
  DynamicLibrary library;
  library.loader_path_ = file.loader_path();
  HMODULE module = LoadLibraryExW(library.loader_path_.wstring().c_str(), nullptr,
                                  LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  if (module == nullptr) *error = LastErrorText();
  library.handle_ = reinterpret_cast<void*>(module);
  library.file_handle_ = file.release();
  return library;
}

void* DynamicLibrary::Symbol(const char* symbol) const noexcept {
  return reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(handle_), symbol));
}

void DynamicLibrary::Close() noexcept {
  if (handle_ != nullptr) FreeLibrary(static_cast<HMODULE>(handle_));
  handle_ = nullptr;
  if (file_handle_ != -1) CloseHandle(reinterpret_cast<HANDLE>(file_handle_));
  file_handle_ = -1;
}

#else

DynamicLibrary DynamicLibrary::Open(PluginFile file, std::string* error) {
  DynamicLibrary library;
  library.loader_path_ = file.loader_path();  // always a path: never an LD_LIBRARY_PATH search
  library.file_handle_ = file.release();
  library.handle_ = dlopen(library.loader_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library.handle_ == nullptr) {
    const char* text = dlerror();
    *error = text ? text : "dlopen failed";
    // The loader names the file as it got it (/proc/self/fd/N): say which.
    std::string by_fd = library.loader_path_.string() + ": ";
    if (error->starts_with(by_fd)) error->replace(0, by_fd.size() - 2, file.resolved().string());
  }
  return library;
}

void* DynamicLibrary::Symbol(const char* symbol) const noexcept { return dlsym(handle_, symbol); }

void DynamicLibrary::Close() noexcept {
  if (handle_ != nullptr) dlclose(handle_);
  handle_ = nullptr;
  if (file_handle_ < 0) return;
  // A library dlclose did not unload (RTLD_NODELETE, a unique symbol) still
  // answers to its name /proc/self/fd/N: keep N open so no other plugin file
  // gets that number and, by that name, this library.
  void* still_loaded = dlopen(loader_path_.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (still_loaded != nullptr) {
    dlclose(still_loaded);
  } else {
    ::close(static_cast<int>(file_handle_));
  }
  file_handle_ = -1;
}

#endif

DynamicLibrary& DynamicLibrary::operator=(DynamicLibrary&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = std::exchange(other.handle_, nullptr);
    file_handle_ = std::exchange(other.file_handle_, -1);
    loader_path_ = std::move(other.loader_path_);
  }
  return *this;
}

DynamicLibrary::~DynamicLibrary() { Close(); }

}  // namespace lio::internal
