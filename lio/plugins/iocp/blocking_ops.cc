#include "lio/plugins/iocp/blocking_ops.h"

#include <windows.h>

#include <cwchar>

#include "lio/plugins/iocp/errno_map.h"

namespace lio::iocp {
namespace {

constexpr size_t kUnits = PathScratch::kUnits;

int64_t LastError() { return ErrorResult(GetLastError()); }

bool IsAbsolute(const wchar_t* p) {
  if (p[0] == L'\\') return true;  // "\x" (rooted), "\\server\share\x", "\\?\..."
  bool letter = (p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z');
  return letter && p[1] == L':';  // "C:\x", and drive-relative "C:x"
}

// "\\?\C:\x" -> "C:\x", "\\?\UNC\server\share" -> "\\server\share", in
// place: Win32 path normalisation ("." and "..") skips "\\?\" paths.
void StripVerbatimPrefix(wchar_t* p) {
  if (std::wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
    std::wmemmove(p + 2, p + 8, std::wcslen(p + 8) + 1);
  } else if (std::wcsncmp(p, L"\\\\?\\", 4) == 0) {
    std::wmemmove(p, p + 4, std::wcslen(p + 4) + 1);
  }
}

// The full path of `rel` inside directory `dir`, normalised, in s.full (with
// a "\\?\" prefix when it is too long for plain Win32 paths). Uses s.path
// (which holds `rel` on entry) as scratch. 0 or -LIO_E*.
int64_t JoinWithDirectory(HANDLE dir, PathScratch& s, const wchar_t** out) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(dir, &info)) return LastError();
  if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return -LIO_ENOTDIR;
  DWORD n = GetFinalPathNameByHandleW(dir, s.full, kUnits, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0) return LastError();
  if (n >= kUnits) return -LIO_ENAMETOOLONG;
  StripVerbatimPrefix(s.full);
  size_t dir_len = std::wcslen(s.full);
  size_t rel_len = std::wcslen(s.path);
  if (dir_len + 1 + rel_len + 1 > kUnits) return -LIO_ENAMETOOLONG;
  if (dir_len > 0 && s.full[dir_len - 1] != L'\\') s.full[dir_len++] = L'\\';
  std::wmemcpy(s.full + dir_len, s.path, rel_len + 1);
  // Normalise into s.path, then back into s.full with a prefix if needed.
  DWORD len = GetFullPathNameW(s.full, kUnits, s.path, nullptr);
  if (len == 0) return LastError();
  if (len >= kUnits) return -LIO_ENAMETOOLONG;
  if (len < MAX_PATH - 12) {
    std::wmemcpy(s.full, s.path, len + 1);
  } else {
    bool unc = s.path[0] == L'\\' && s.path[1] == L'\\';
    const wchar_t* prefix = unc ? L"\\\\?\\UNC" : L"\\\\?\\";
    size_t prefix_len = std::wcslen(prefix);
    const wchar_t* rest = unc ? s.path + 1 : s.path;  // "\\server" -> "\server" after "\\?\UNC"
    size_t rest_len = std::wcslen(rest);
    if (prefix_len + rest_len + 1 > kUnits) return -LIO_ENAMETOOLONG;
    std::wmemcpy(s.full, prefix, prefix_len);
    std::wmemcpy(s.full + prefix_len, rest, rest_len + 1);
  }
  *out = s.full;
  return 0;
}

struct CreateArgs {
  DWORD access;
  DWORD disposition;
  DWORD flags;
};

HANDLE Create(const wchar_t* path, const CreateArgs& a) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};  // not inherited: close-on-exec
  return CreateFileW(path, a.access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa, a.disposition,
                     a.flags, nullptr);
}

bool IsDirectory(HANDLE h) {
  BY_HANDLE_FILE_INFORMATION info;
  return GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}

}  // namespace

int64_t ResolvePath(lio_handle dir, const char* path, PathScratch& s, const wchar_t** out) {
  if (path == nullptr) return -LIO_EFAULT;
  if (path[0] == '\0') return -LIO_ENOENT;
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, s.path, kUnits) == 0) {
    return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? -LIO_ENAMETOOLONG : -LIO_EINVAL;
  }
  for (wchar_t* p = s.path; *p; ++p) {
    if (*p == L'/') *p = L'\\';
  }
  *out = s.path;
  if (dir == LIO_AT_FDCWD || IsAbsolute(s.path)) return 0;
  if (dir < 0) return -LIO_EBADF;  // and not a pseudo-handle of this process
  return JoinWithDirectory(reinterpret_cast<HANDLE>(dir), s, out);
}

int64_t OpenAt(lio_handle dir, const char* path, uint32_t flags, uint32_t mode, PathScratch& s) {
  const wchar_t* target = nullptr;
  if (int64_t resolved = ResolvePath(dir, path, s, &target); resolved < 0) return resolved;

  const bool writes = (flags & LIO_OPEN_ACCMODE) != LIO_OPEN_RDONLY;
  CreateArgs a{};
  switch (flags & LIO_OPEN_ACCMODE) {
    case LIO_OPEN_RDONLY: a.access = GENERIC_READ; break;
    case LIO_OPEN_WRONLY: a.access = GENERIC_WRITE; break;
    case LIO_OPEN_RDWR: a.access = GENERIC_READ | GENERIC_WRITE; break;
    default: return -LIO_EINVAL;
  }
  // Append: write access without FILE_WRITE_DATA, so every write lands at the
  // end of the file whatever offset it names (O_APPEND's promise).
  const bool append = writes && (flags & LIO_OPEN_APPEND);
  const DWORD append_access = FILE_GENERIC_WRITE & ~FILE_WRITE_DATA;
  if (append) a.access = (a.access & ~GENERIC_WRITE) | append_access;

  const bool create = flags & LIO_OPEN_CREATE;
  const bool trunc = flags & LIO_OPEN_TRUNC;
  if (create && (flags & LIO_OPEN_EXCL)) {
    a.disposition = CREATE_NEW;
  } else if (create) {
    a.disposition = trunc ? CREATE_ALWAYS : OPEN_ALWAYS;
  } else {
    a.disposition = trunc ? TRUNCATE_EXISTING : OPEN_EXISTING;
  }
  a.flags = FILE_FLAG_OVERLAPPED;
  if (flags & LIO_OPEN_DIRECTORY) a.flags |= FILE_FLAG_BACKUP_SEMANTICS;  // needed to open a directory
  if (flags & LIO_OPEN_DIRECT) a.flags |= FILE_FLAG_NO_BUFFERING;
  a.flags |= (create && !(mode & 0222)) ? FILE_ATTRIBUTE_READONLY : FILE_ATTRIBUTE_NORMAL;

  if (append && trunc && a.disposition != CREATE_NEW) {
    // Truncating needs FILE_WRITE_DATA, which an append handle must not
    // have: truncate (or create) through a first handle, then open for append.
    CreateArgs first{GENERIC_WRITE, a.disposition, a.flags & ~FILE_FLAG_OVERLAPPED};
    HANDLE h = Create(target, first);
    if (h == INVALID_HANDLE_VALUE) return LastError();
    CloseHandle(h);
    a.disposition = OPEN_EXISTING;
  }

  HANDLE h = Create(target, a);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD error = GetLastError();
    DWORD attributes = error == ERROR_ACCESS_DENIED ? GetFileAttributesW(target) : INVALID_FILE_ATTRIBUTES;
    if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY)) return ErrorResult(error);
    // A directory: POSIX opens it for reading and refuses writing.
    if (writes || trunc) return -LIO_EISDIR;
    a.flags |= FILE_FLAG_BACKUP_SEMANTICS;
    h = Create(target, a);
    if (h == INVALID_HANDLE_VALUE) return LastError();
  }
  if ((flags & LIO_OPEN_DIRECTORY) && !IsDirectory(h)) {
    CloseHandle(h);
    return -LIO_ENOTDIR;
  }
  return static_cast<int64_t>(reinterpret_cast<intptr_t>(h));
}

int64_t Fsync(lio_handle handle, bool /*data_only*/) {
  HANDLE h = reinterpret_cast<HANDLE>(handle);
  // fsync(2) of a pipe or socket is EINVAL; FlushFileBuffers of a pipe would
  // wait for the reader instead.
  SetLastError(NO_ERROR);
  DWORD type = GetFileType(h);
  if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return LastError();
  if (type != FILE_TYPE_DISK) return -LIO_EINVAL;
  if (!FlushFileBuffers(h)) return LastError();
  return 0;
}

}  // namespace lio::iocp
