// Sections: messages; POSIX (open, permission rule, image check); Windows.
#include "lio/core/plugin_file.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "lio/core/image_check.h"
#include "lio/core/plugin_abi.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace lio::internal {
namespace fs = std::filesystem;

namespace {

// ---- messages ---------------------------------------------------------------

Error Refused(int negative_code, const std::string& shown, const std::string& reason) {
  return Error{make_error(negative_code), "plugin file '" + shown + "' is refused: " + reason};
}

Error NotAnImage(const std::string& shown, const std::string& problem) {
  return Refused(-LIO_EINVAL, shown,
                 "it is " + problem +
                     ". A lio plugin is a shared library built for this OS and CPU against lio/core/plugin_abi.h.");
}

Error CannotOpen(const std::string& shown, int error_number) {
  if (error_number == ENOENT) {
    return Error{make_error(-LIO_ENOENT), "plugin file '" + shown +
                                              "' does not exist: check the path, or set LIO_PLUGIN_PATH to the "
                                              "directory that holds it."};
  }
  if (error_number == ELOOP) {
    return Refused(-LIO_EINVAL, shown,
                   "it is a loop of symbolic links (too many levels of symbolic links): fix or remove the link.");
  }
  return Refused(-LIO_EACCES, shown,
                 "it cannot be opened (" + std::string(std::strerror(error_number)) + "): check the path and its permissions.");
}

#if !defined(_WIN32)

// ---- POSIX ------------------------------------------------------------------

bool InsecureAllowed() {
  const char* allow = std::getenv("LIO_ALLOW_INSECURE_PLUGINS");
  return allow != nullptr && std::strcmp(allow, "1") == 0;
}


class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string KindOf(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

Error NotRegular(const std::string& shown, mode_t mode) {
  if (S_ISDIR(mode)) {
    return Error{make_error(-LIO_EISDIR), "plugin path '" + shown +
                                              "' is a directory: give the plugin file itself, or put the directory "
                                              "in LIO_PLUGIN_PATH."};
  }
  return Refused(-LIO_EINVAL, shown,
                 "it is " + KindOf(mode) + ", not a regular file: a plugin is a shared library file; remove '" +
                     shown + "' from the plugin directory.");
}

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Why `st` (the file, or its directory, `what` names it) lets someone other
// than root or this user change the code loaded; "" if it does not.
std::string PermissionProblem(const struct stat& st, const std::string& what, const std::string& path) {
  uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return what + " '" + path + "' is owned by user " + std::to_string(st.st_uid) + ", neither root nor you (user " +
           std::to_string(me) + "), so someone else controls the code it would run: chown it to root or yourself";
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return what + " '" + path + "' is writable by other users (mode " + Octal(st.st_mode) +
           "), so anyone could put their code into this process: run chmod go-w '" + path + "'";
  }
  return "";
}

// The permission rule for the file and its directory; nullopt if they pass
// (or LIO_ALLOW_INSECURE_PLUGINS=1 lets them, after a warning).
std::optional<Error> CheckPermissions(const std::string& shown, const fs::path& resolved, const struct stat& file,
                                      const struct stat& dir) {
  std::string problem = PermissionProblem(file, "the file", resolved.string());
  if (problem.empty()) problem = PermissionProblem(dir, "its directory", resolved.parent_path().string());
  if (problem.empty()) return std::nullopt;
  if (InsecureAllowed()) {
    std::fprintf(stderr, "lio: warning: loading plugin file '%s' although %s (LIO_ALLOW_INSECURE_PLUGINS=1).\n",
                 shown.c_str(), problem.c_str());
    return std::nullopt;
  }
  return Refused(-LIO_EACCES, shown, problem + " (or set LIO_ALLOW_INSECURE_PLUGINS=1 to load it anyway).");
}

std::string ImageProblemOf(int fd, uint64_t size) {
  ReadAt read = [fd](uint64_t offset, void* out, size_t n) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    return got >= 0 && static_cast<size_t>(got) == n;
  };
  return ImageProblem(read, size);
}

}  // namespace

Expected<PluginFile, Error> PluginFile::Open(const fs::path& path) {
  std::string shown = path.string();
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  if (ec) return Unexpected{CannotOpen(shown, ec.value())};
  Fd dir(::open(resolved.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Unexpected{CannotOpen(shown, errno)};
  std::string name = resolved.filename().string();
  // Look before opening: opening a device can have effects of its own.
  struct stat file_stat;
  if (::fstatat(dir.get(), name.c_str(), &file_stat, AT_SYMLINK_NOFOLLOW) != 0) {
    return Unexpected{CannotOpen(shown, errno)};
  }
  if (!S_ISREG(file_stat.st_mode)) return Unexpected{NotRegular(shown, file_stat.st_mode)};
  // O_NONBLOCK: a FIFO swapped in meanwhile must not hang the open;
  // O_NOFOLLOW: nor may a symlink; what fstat sees below is what is loaded.
  Fd file(::openat(dir.get(), name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
  if (file.get() < 0) return Unexpected{CannotOpen(shown, errno)};
  struct stat dir_stat;
  if (::fstat(file.get(), &file_stat) != 0 || ::fstat(dir.get(), &dir_stat) != 0) {
    return Unexpected{CannotOpen(shown, errno)};
  }
  if (!S_ISREG(file_stat.st_mode)) return Unexpected{NotRegular(shown, file_stat.st_mode)};
  if (auto refused = CheckPermissions(shown, resolved, file_stat, dir_stat)) return Unexpected{std::move(*refused)};
  std::string problem = ImageProblemOf(file.get(), static_cast<uint64_t>(file_stat.st_size));
  if (!problem.empty()) return Unexpected{NotAnImage(shown, problem)};
  return PluginFile(std::move(resolved), file.release());
}

fs::path PluginFile::loader_path() const {
#if defined(__linux__)
  std::string by_fd = "/proc/self/fd/" + std::to_string(handle_);
  if (::access(by_fd.c_str(), F_OK) == 0) return by_fd;
#endif
  return resolved_;  // no /proc: the resolved path, checked just now
}

void PluginFile::Close() noexcept {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
  handle_ = -1;
}

#else  // _WIN32

// ---- Windows ------------------------------------------------------------------

std::string ImageProblemOf(HANDLE file, uint64_t size) {
  ReadAt read = [file](uint64_t offset, void* out, size_t n) {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD got = 0;
    return ReadFile(file, out, static_cast<DWORD>(n), &got, &at) && got == n;
  };
  return ImageProblem(read, size);
}

}  // namespace

Expected<PluginFile, Error> PluginFile::Open(const fs::path& path) {
  std::string shown = path.string();
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  if (ec) return Unexpected{CannotOpen(shown, ec == std::errc::too_many_symbolic_link_levels ? ELOOP : ENOENT)};
  if (fs::is_directory(resolved, ec)) {
    return Unexpected{Error{make_error(-LIO_EISDIR), "plugin path '" + shown +
                                                         "' is a directory: give the plugin file itself, or put the "
                                                         "directory in LIO_PLUGIN_PATH."}};
  }
  // No write or delete sharing: nobody can change or replace the file while
  // this handle is open, that is until LoadLibraryExW has mapped it.
  HANDLE file = CreateFileW(resolved.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return Unexpected{CannotOpen(shown, EACCES)};
  PluginFile opened(resolved, reinterpret_cast<intptr_t>(file));
  LARGE_INTEGER size{};
  if (GetFileType(file) != FILE_TYPE_DISK || !GetFileSizeEx(file, &size)) {
    return Unexpected{Refused(-LIO_EINVAL, shown, "it is not a regular file: a plugin is a DLL file.")};
  }
  std::string problem = ImageProblemOf(file, static_cast<uint64_t>(size.QuadPart));
  if (!problem.empty()) return Unexpected{NotAnImage(shown, problem)};
  return opened;
}

fs::path PluginFile::loader_path() const { return resolved_; }

void PluginFile::Close() noexcept {
  if (handle_ != -1) CloseHandle(reinterpret_cast<HANDLE>(handle_));
  handle_ = -1;
}

#endif

PluginFile::PluginFile(PluginFile&& other) noexcept
    : resolved_(std::move(other.resolved_)), handle_(std::exchange(other.handle_, -1)) {}

PluginFile& PluginFile::operator=(PluginFile&& other) noexcept {
  if (this != &other) {
    Close();
    resolved_ = std::move(other.resolved_);
    handle_ = std::exchange(other.handle_, -1);
  }
  return *this;
}

PluginFile::~PluginFile() { Close(); }

intptr_t PluginFile::release() noexcept { return std::exchange(handle_, -1); }

}  // namespace lio::internal
